package plan

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// listeningPorts returns the TCP ports listened on in this network
// namespace (IPv4 and IPv6). It asks the kernel's sock_diag netlink
// interface for listening sockets only; /proc/net/tcp, the fallback, walks
// every bucket of the established-connection table on each read, which a
// profile of concurrent dry runs showed as the executor's largest cost.
func listeningPorts() map[int]bool {
	out := map[int]bool{}
	if err := diagListening(out); err == nil {
		return out
	}
	clear(out)
	procListening(out)
	return out
}

// sock_diag constants (linux/sock_diag.h, linux/inet_diag.h).
const (
	sockDiagByFamily = 20
	tcpListen        = 10
	inetDiagReqLen   = 56 // struct inet_diag_req_v2
	inetDiagMsgLen   = 72 // struct inet_diag_msg
)

// diagListening adds the ports of every listening TCP socket to out.
func diagListening(out map[int]bool) error {
	fd, err := syscall.Socket(syscall.AF_NETLINK, syscall.SOCK_RAW|syscall.SOCK_CLOEXEC, syscall.NETLINK_INET_DIAG)
	if err != nil {
		return fmt.Errorf("sock_diag socket: %w", err)
	}
	defer syscall.Close(fd)
	if err := syscall.Bind(fd, &syscall.SockaddrNetlink{Family: syscall.AF_NETLINK}); err != nil {
		return fmt.Errorf("sock_diag bind: %w", err)
	}
	buf := make([]byte, 32<<10)
	for seq, family := range []byte{syscall.AF_INET, syscall.AF_INET6} {
		req := make([]byte, syscall.NLMSG_HDRLEN+inetDiagReqLen)
		binary.NativeEndian.PutUint32(req[0:4], uint32(len(req)))
		binary.NativeEndian.PutUint16(req[4:6], sockDiagByFamily)
		binary.NativeEndian.PutUint16(req[6:8], syscall.NLM_F_REQUEST|syscall.NLM_F_DUMP)
		binary.NativeEndian.PutUint32(req[8:12], uint32(seq+1))
		body := req[syscall.NLMSG_HDRLEN:]
		body[0], body[1] = family, syscall.IPPROTO_TCP
		// Only LISTEN: the kernel then skips the established table.
		binary.NativeEndian.PutUint32(body[4:8], 1<<tcpListen)
		if err := syscall.Sendto(fd, req, 0, &syscall.SockaddrNetlink{Family: syscall.AF_NETLINK}); err != nil {
			return fmt.Errorf("sock_diag send: %w", err)
		}
		if err := readDiag(fd, buf, out); err != nil {
			return err
		}
	}
	return nil
}

// readDiag reads one dump's answers until NLMSG_DONE.
func readDiag(fd int, buf []byte, out map[int]bool) error {
	for {
		n, _, err := syscall.Recvfrom(fd, buf, 0)
		if err != nil {
			return fmt.Errorf("sock_diag receive: %w", err)
		}
		msgs, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			return fmt.Errorf("sock_diag parse: %w", err)
		}
		for _, m := range msgs {
			switch m.Header.Type {
			case syscall.NLMSG_DONE:
				return nil
			case syscall.NLMSG_ERROR:
				if len(m.Data) >= 4 {
					if errno := int32(binary.NativeEndian.Uint32(m.Data[:4])); errno != 0 {
						return fmt.Errorf("sock_diag: %w", syscall.Errno(-errno))
					}
				}
				return fmt.Errorf("sock_diag: error answer")
			case sockDiagByFamily:
				if len(m.Data) < inetDiagMsgLen {
					return fmt.Errorf("sock_diag: short answer (%d bytes)", len(m.Data))
				}
				// idiag_state at 1, id.idiag_sport (network order) at 4
				if m.Data[1] == tcpListen {
					out[int(binary.BigEndian.Uint16(m.Data[4:6]))] = true
				}
			}
		}
	}
}

// procListening reads /proc/net/tcp{,6} (state 0A is LISTEN).
func procListening(out map[int]bool) {
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		fh, err := os.Open(f)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 4 || fields[3] != "0A" {
				continue
			}
			if i := strings.LastIndexByte(fields[1], ':'); i >= 0 {
				if port, err := strconv.ParseInt(fields[1][i+1:], 16, 32); err == nil {
					out[int(port)] = true
				}
			}
		}
		fh.Close()
	}
}
