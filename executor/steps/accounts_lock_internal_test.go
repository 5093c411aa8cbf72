package steps

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

// overlapRunner records how many commands of each kind ran at once; every
// tool in /usr/sbin/ counts as the kind "accounts".
type overlapRunner struct {
	mu     sync.Mutex
	now    map[string]int
	most   map[string]int
	waitMs time.Duration
}

func (r *overlapRunner) Run(_ context.Context, argv []string) (Result, error) {
	kind := argv[0]
	if strings.HasPrefix(kind, "/usr/sbin/") {
		kind = "accounts"
	}
	r.mu.Lock()
	r.now[kind]++
	r.most[kind] = max(r.most[kind], r.now[kind])
	r.mu.Unlock()
	time.Sleep(r.waitMs)
	r.mu.Lock()
	r.now[kind]--
	r.mu.Unlock()
	return Result{Argv: argv}, nil
}

// Concurrent jobs never run two account tools at once (they would sleep a
// second on each other's lock files), while other commands still overlap.
func TestAccountToolsRunOneAtATime(t *testing.T) {
	r := &overlapRunner{now: map[string]int{}, most: map[string]int{}, waitMs: 5 * time.Millisecond}
	h := &Host{Runner: r, Commands: Commands{Groupadd: "/usr/sbin/groupadd", Useradd: "/usr/sbin/useradd",
		Usermod: "/usr/sbin/usermod", Userdel: "/usr/sbin/userdel", Groupdel: "/usr/sbin/groupdel", Systemctl: "/usr/bin/systemctl"}}
	cmds := []string{"/usr/sbin/groupadd", "/usr/sbin/useradd", "/usr/sbin/usermod", "/usr/sbin/userdel", "/usr/sbin/groupdel", "/usr/bin/systemctl"}
	var wg sync.WaitGroup
	for range 8 {
		for _, c := range cmds {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := run(context.Background(), h, []string{c, "x"}); err != nil {
					t.Error(err)
				}
			}()
		}
	}
	wg.Wait()
	if r.most["accounts"] != 1 {
		t.Errorf("%d account tools ran at once, want 1", r.most["accounts"])
	}
	if r.most["/usr/bin/systemctl"] < 2 {
		t.Errorf("systemctl never overlapped (%d at most): the lock is too wide", r.most["/usr/bin/systemctl"])
	}
}
