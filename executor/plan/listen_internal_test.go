package plan

import (
	"net"
	"testing"
)

// The netlink answer and /proc/net/tcp agree, and both see listeners this
// test opens (IPv4 and IPv6), which the netlink path must not miss.
func TestListeningPorts(t *testing.T) {
	var want []int
	for _, addr := range []string{"127.0.0.1:0", "[::1]:0"} {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Logf("listen %s: %v (skipped)", addr, err)
			continue
		}
		defer ln.Close()
		want = append(want, ln.Addr().(*net.TCPAddr).Port)
	}
	if len(want) == 0 {
		t.Skip("no loopback listener could be opened")
	}
	diag := map[int]bool{}
	if err := diagListening(diag); err != nil {
		t.Fatalf("sock_diag: %v", err)
	}
	proc := map[int]bool{}
	procListening(proc)
	got := listeningPorts()
	for _, p := range want {
		if !diag[p] || !proc[p] || !got[p] {
			t.Errorf("port %d: netlink %v, /proc %v, listeningPorts %v", p, diag[p], proc[p], got[p])
		}
	}
	// Other listeners come and go on a shared machine, so only ours are
	// compared exactly.
	if len(diag) == 0 || len(proc) == 0 {
		t.Errorf("netlink saw %d ports, /proc %d", len(diag), len(proc))
	}
}

func BenchmarkListeningPorts(b *testing.B) {
	b.Run("netlink", func(b *testing.B) {
		for b.Loop() {
			if err := diagListening(map[int]bool{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("proc", func(b *testing.B) {
		for b.Loop() {
			procListening(map[int]bool{})
		}
	})
}
