package plan

import (
	"sync"
	"time"
)

// allocHolds remembers the uid and gateway port that dry runs gave tenants
// that are not registered yet.
//
// Terraform plans every tenant of an apply before it applies any. Without
// holds, two new tenants whose probes meet would both be planned with the
// same free uid or port; the first to run registers it, and the second is
// re-planned with another one and refused as "host changed since plan".
// With holds a dry run skips slots another new tenant was planned with, and
// a tenant is planned with its own held slots again while they stay free,
// so the reviewed plan is the one that runs.
//
// Holds live in memory only (a restart forgets them, and a plan may then
// differ as before), expire after holdTTL, and never override the registry
// or the host: a held slot that became taken is given up.
type allocHolds struct {
	mu sync.Mutex
	m  map[string]allocHold
	// byUID and byPort index m while the lock is held.
	byUID, byPort map[int]string
	// now is the clock of expiry (nil: time.Now).
	now func() time.Time
}

type allocHold struct {
	uid, port int // 0: none held
	at        time.Time
}

const (
	holdTTL = time.Hour
	// maxHolds bounds memory: a planner key planning endless names makes
	// the oldest holds go first.
	maxHolds = 10000
)

func (h *allocHolds) clock() time.Time {
	if h.now != nil {
		return h.now()
	}
	return time.Now()
}

// lock takes the holds for one allocation: probing and recording happen
// under it, so concurrent dry runs cannot pick the same slot.
func (h *allocHolds) lock() func() {
	h.mu.Lock()
	now := h.clock()
	h.byUID, h.byPort = map[int]string{}, map[int]string{}
	for name, x := range h.m {
		if now.Sub(x.at) > holdTTL {
			delete(h.m, name)
			continue
		}
		h.byUID[x.uid], h.byPort[x.port] = name, name
	}
	return h.mu.Unlock
}

// own returns name's held slots (0 for none). Callers hold the lock.
func (h *allocHolds) own(name string) allocHold { return h.m[name] }

// heldUID reports whether another tenant than name holds uid. Callers hold
// the lock.
func (h *allocHolds) heldUID(name string, uid int) bool {
	other, ok := h.byUID[uid]
	return ok && other != name
}

// heldPort is heldUID for gateway base ports.
func (h *allocHolds) heldPort(name string, port int) bool {
	other, ok := h.byPort[port]
	return ok && other != name
}

// set records name's slots (0 keeps none) and drops the oldest holds
// beyond maxHolds. Callers hold the lock and set once per allocation (the
// index is rebuilt by the next lock).
func (h *allocHolds) set(name string, uid, port int) {
	if h.m == nil {
		h.m = map[string]allocHold{}
	}
	h.m[name] = allocHold{uid: uid, port: port, at: h.clock()}
	for len(h.m) > maxHolds {
		oldest := ""
		for n, x := range h.m {
			if oldest == "" || x.at.Before(h.m[oldest].at) {
				oldest = n
			}
		}
		delete(h.m, oldest)
	}
}

// drop forgets name's holds (it is registered: the registry holds its
// slots now). Callers hold the lock.
func (h *allocHolds) drop(name string) { delete(h.m, name) }
