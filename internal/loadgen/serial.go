package loadgen

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/audit"
)

// Window is when a job ran: from its "running" event to its last job state
// event, or to its terminal state's time when that is later (a reader can
// see the terminal state before the executor appends the closing event).
// The executor records all of them while it holds the tenant's lock.
type Window struct {
	Job, Tenant string
	Start, End  time.Time
}

// WindowOf returns the run window of a finished job; ok is false for a job
// that never ran (refused, cancelled or failed before running).
func WindowOf(j api.Job) (w Window, ok bool) {
	w = Window{Job: j.ID, Tenant: j.Tenant}
	for _, ev := range j.Events {
		if ev.Type != api.EventJobState {
			continue
		}
		if strings.HasPrefix(ev.Message, "running") && w.Start.IsZero() {
			w.Start = ev.Time
		}
		if !w.Start.IsZero() {
			w.End = ev.Time
		}
	}
	if j.State.Terminal() && j.UpdatedAt.After(w.End) {
		w.End = j.UpdatedAt
	}
	return w, !w.Start.IsZero() && w.End.After(w.Start)
}

// Overlaps returns, for every tenant, the pairs of its jobs whose run
// windows overlap; nil when per-tenant serialization held.
func Overlaps(ws []Window) []string {
	by := map[string][]Window{}
	for _, w := range ws {
		by[w.Tenant] = append(by[w.Tenant], w)
	}
	var out []string
	for tenant, list := range by {
		sort.Slice(list, func(i, j int) bool { return list[i].Start.Before(list[j].Start) })
		for i := 1; i < len(list); i++ {
			if list[i].Start.Before(list[i-1].End) {
				out = append(out, fmt.Sprintf("tenant %s: job %s started at %s, before job %s ended at %s",
					tenant, list[i].Job, list[i].Start.Format(time.RFC3339Nano), list[i-1].Job, list[i-1].End.Format(time.RFC3339Nano)))
			}
		}
	}
	slices.Sort(out)
	return out
}

// MaxParallel is the largest number of windows open at one instant: above 1
// when jobs of different tenants really ran at the same time.
func MaxParallel(ws []Window) int {
	type edge struct {
		t     time.Time
		delta int
	}
	var es []edge
	for _, w := range ws {
		es = append(es, edge{w.Start, 1}, edge{w.End, -1})
	}
	// At equal times an end comes first: touching windows do not overlap.
	sort.Slice(es, func(i, j int) bool {
		if es[i].t.Equal(es[j].t) {
			return es[i].delta < es[j].delta
		}
		return es[i].t.Before(es[j].t)
	})
	cur, best := 0, 0
	for _, e := range es {
		cur += e.delta
		best = max(best, cur)
	}
	return best
}

// Interleaved checks the audit log's order: the step and result records of
// one tenant's jobs must come job by job, never one job's steps between
// another's. It returns a description of every interleaving found.
func Interleaved(recs []audit.Record) []string {
	last := map[string]string{}          // tenant -> job of its latest step/result record
	done := map[string]map[string]bool{} // tenant -> jobs another job followed
	var out []string
	for _, r := range recs {
		if (r.Type != "step" && r.Type != "result") || r.JobID == "" {
			continue
		}
		if done[r.Tenant] == nil {
			done[r.Tenant] = map[string]bool{}
		}
		if prev := last[r.Tenant]; prev != "" && prev != r.JobID {
			done[r.Tenant][prev] = true
		}
		if done[r.Tenant][r.JobID] {
			out = append(out, fmt.Sprintf("tenant %s: audit record %d (%s of job %s) comes after another job of the tenant ran", r.Tenant, r.Seq, r.Type, r.JobID))
		}
		last[r.Tenant] = r.JobID
	}
	return out
}
