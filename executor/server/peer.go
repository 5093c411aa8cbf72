package server

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// Peer is the process on the other end of a unix socket connection.
type Peer struct {
	UID, GID, PID int
	Groups        []int // supplementary groups, from /proc/<pid>/status
}

type peerKey struct{}

// peerOf reads SO_PEERCRED of a unix connection.
func peerOf(c net.Conn) (*Peer, error) {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return nil, fmt.Errorf("not a unix socket connection")
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return nil, err
	}
	var cred *syscall.Ucred
	var credErr error
	if err := raw.Control(func(fd uintptr) {
		cred, credErr = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	}); err != nil {
		return nil, err
	}
	if credErr != nil {
		return nil, fmt.Errorf("SO_PEERCRED: %w", credErr)
	}
	p := &Peer{UID: int(cred.Uid), GID: int(cred.Gid), PID: int(cred.Pid)}
	p.Groups = supplementaryGroups(p.PID)
	return p, nil
}

func supplementaryGroups(pid int) []int {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return nil
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "Groups:"); ok {
			var out []int
			for _, g := range strings.Fields(rest) {
				if n, err := strconv.Atoi(g); err == nil {
					out = append(out, n)
				}
			}
			return out
		}
	}
	return nil
}

// allowed says whether the peer may use the API: root, or a member of gid.
func (p *Peer) allowed(gid int) bool {
	if p.UID == 0 {
		return true
	}
	if gid < 0 {
		return false
	}
	if p.GID == gid {
		return true
	}
	for _, g := range p.Groups {
		if g == gid {
			return true
		}
	}
	return false
}

func (p *Peer) String() string { return "uid:" + strconv.Itoa(p.UID) }

func peerFrom(ctx context.Context) *Peer {
	p, _ := ctx.Value(peerKey{}).(*Peer)
	return p
}
