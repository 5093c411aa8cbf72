package steps

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// showRunner answers `systemctl show UNITS...` with one block per unit, in
// argument order, and records each call. The first call waits for release.
type showRunner struct {
	mu      sync.Mutex
	calls   [][]string
	started chan struct{}
	release chan struct{}
}

func (r *showRunner) Run(_ context.Context, argv []string) (Result, error) {
	r.mu.Lock()
	r.calls = append(r.calls, argv)
	first := len(r.calls) == 1
	r.mu.Unlock()
	if first {
		close(r.started)
		<-r.release
	}
	var blocks []string
	for _, u := range argv[4:] {
		blocks = append(blocks, fmt.Sprintf("Id=%s\nLoadState=loaded\nActiveState=active\nSubState=running\nUnitFileState=enabled\nNRestarts=0\nMainPID=7", u))
	}
	return Result{Argv: argv, Stdout: []byte(strings.Join(blocks, "\n\n") + "\n")}, nil
}

// Concurrent observations share systemctl calls; each caller still gets
// its own units, from a call that started after it asked.
func TestUnitStatesShareOneSystemctlCall(t *testing.T) {
	t.Parallel()
	r := &showRunner{started: make(chan struct{}), release: make(chan struct{})}
	h := &Host{Runner: r, Commands: Commands{Systemctl: "/usr/bin/systemctl"}}
	ctx := context.Background()
	first := make(chan error, 1)
	go func() {
		sts, err := h.UnitStates(ctx, "u0.service")
		if err == nil && sts["u0.service"].ActiveState != "active" {
			err = fmt.Errorf("u0: %+v", sts)
		}
		first <- err
	}()
	<-r.started // the first call runs; the next ones must wait and share one
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for i := 1; i <= 10; i++ {
		wg.Add(1)
		go func(unit string) {
			defer wg.Done()
			sts, err := h.UnitStates(ctx, unit)
			if err == nil && (len(sts) != 1 || sts[unit].Unit != unit || sts[unit].MainPID != 7) {
				err = fmt.Errorf("%s: got %+v", unit, sts)
			}
			errs <- err
		}(fmt.Sprintf("u%d.service", i))
	}
	// Let the ten queue up behind the running call before it ends.
	for {
		runtime.Gosched()
		r.mu.Lock()
		n := len(r.calls)
		r.mu.Unlock()
		if n != 1 {
			t.Fatalf("%d calls while the first was running", n)
		}
		h.unitBatch.mu.Lock()
		queued := h.unitBatch.next != nil && len(h.unitBatch.next.units) == 10
		h.unitBatch.mu.Unlock()
		if queued {
			break
		}
	}
	close(r.release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if err := <-first; err != nil {
		t.Error(err)
	}
	if len(r.calls) != 2 {
		t.Fatalf("%d systemctl calls for 11 observations, want 2: %q", len(r.calls), r.calls)
	}
	if got := len(r.calls[1]) - 4; got != 10 {
		t.Fatalf("second call asked about %d units, want 10", got)
	}
}

// A request for every unit (a health round, the tenant list) does not join
// the shared call: single-unit observations must not wait for a thousand
// units' states.
func TestLargeUnitStatesRunAlone(t *testing.T) {
	t.Parallel()
	r := &showRunner{started: make(chan struct{}), release: make(chan struct{})}
	h := &Host{Runner: r, Commands: Commands{Systemctl: "/usr/bin/systemctl"}}
	ctx := context.Background()
	first := make(chan error, 1)
	go func() {
		_, err := h.UnitStates(ctx, "u0.service")
		first <- err
	}()
	<-r.started // a shared call is running and blocked
	var all []string
	for i := 0; i < 1000; i++ {
		all = append(all, fmt.Sprintf("t%d.service", i))
	}
	sts, err := h.UnitStates(ctx, all...) // must not wait for the blocked call
	if err != nil || len(sts) != 1000 || sts["t999.service"].ActiveState != "active" {
		t.Fatalf("UnitStates(1000 units) = %d states, %v", len(sts), err)
	}
	h.unitBatch.mu.Lock()
	queued := h.unitBatch.next
	h.unitBatch.mu.Unlock()
	if queued != nil {
		t.Errorf("the large request queued %d units for the shared call", len(queued.units))
	}
	close(r.release)
	if err := <-first; err != nil {
		t.Error(err)
	}
	if len(r.calls) != 2 || len(r.calls[1])-4 != 1000 {
		t.Fatalf("calls %d, want the shared one and the large one alone", len(r.calls))
	}
}
