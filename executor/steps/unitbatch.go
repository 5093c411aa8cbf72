package steps

import (
	"context"
	"sort"
	"sync"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

// unitBatch coalesces concurrent UnitStates calls into one `systemctl show`
// of all their units. Every observation (dry run, tenant read, verify) asks
// about one tenant's unit; under Terraform's parallelism ten arrive at once,
// and each systemctl process costs far more (process start, its pin check,
// a D-Bus connection to systemd) than the units it asks about. Callers that
// arrive while a call runs wait for the next one, which starts after they
// arrived: no caller gets a state observed before it asked.
type unitBatch struct {
	mu      sync.Mutex
	next    *unitCall // gathering callers; runs when the running call ends
	running bool
}

// batchMax is the largest request that joins a shared call.
const batchMax = 8

type unitCall struct {
	units map[string]bool
	done  chan struct{}
	out   map[string]api.UnitState
	err   error
}

// states returns the states of units from a call that starts after this
// one arrived, shared with concurrent callers; show runs the calls.
func (b *unitBatch) states(ctx context.Context, units []string,
	show func(context.Context, []string) (map[string]api.UnitState, error)) (map[string]api.UnitState, error) {
	if len(units) > batchMax {
		// A health round or the tenant list asks about every unit: sharing
		// its call would make every dry run behind it wait for a thousand
		// units' states (and the next round's), so it runs on its own.
		return show(ctx, units)
	}
	b.mu.Lock()
	if b.next == nil {
		b.next = &unitCall{units: map[string]bool{}, done: make(chan struct{})}
	}
	c := b.next
	for _, u := range units {
		c.units[u] = true
	}
	if !b.running {
		b.running = true
		// The calls serve every waiting caller, so none's cancellation
		// may stop them; the runner's own timeout bounds each.
		go b.run(context.WithoutCancel(ctx), show)
	}
	b.mu.Unlock()
	select {
	case <-c.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if c.err != nil && len(c.units) > len(units) {
		// Someone else's unit may have failed the shared call.
		return show(ctx, units)
	}
	if c.err != nil {
		return nil, c.err
	}
	out := make(map[string]api.UnitState, len(units))
	for _, u := range units {
		out[u] = c.out[u]
	}
	return out, nil
}

func (b *unitBatch) run(ctx context.Context, show func(context.Context, []string) (map[string]api.UnitState, error)) {
	for {
		b.mu.Lock()
		c := b.next
		if c == nil {
			b.running = false
			b.mu.Unlock()
			return
		}
		b.next = nil
		b.mu.Unlock()
		units := make([]string, 0, len(c.units))
		for u := range c.units {
			units = append(units, u)
		}
		sort.Strings(units)
		c.out, c.err = show(ctx, units)
		close(c.done)
	}
}
