package loadgen_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/audit"
	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/loadgen"
)

func TestSummarize(t *testing.T) {
	var lat []time.Duration
	for i := 100; i >= 1; i-- { // out of order on purpose
		lat = append(lat, time.Duration(i)*time.Millisecond)
	}
	got := loadgen.Summarize(lat)
	want := loadgen.Stats{N: 100, P50: 50 * time.Millisecond, P90: 90 * time.Millisecond, P99: 99 * time.Millisecond,
		Max: 100 * time.Millisecond, Mean: 50500 * time.Microsecond}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("(-want +got)\n%s", d)
	}
	if lat[0] != 100*time.Millisecond {
		t.Fatal("Summarize sorted its argument")
	}
	if one := loadgen.Summarize([]time.Duration{7}); one.P50 != 7 || one.P99 != 7 {
		t.Fatalf("one value: %+v", one)
	}
	if (loadgen.Summarize(nil) != loadgen.Stats{}) {
		t.Fatal("no values should give zero stats")
	}
}

func TestConcurrently(t *testing.T) {
	var mu = make(chan struct{}, 1)
	inFlight, most := 0, 0
	run := loadgen.Concurrently(40, 4, func(i int) error {
		mu <- struct{}{}
		inFlight++
		most = max(most, inFlight)
		<-mu
		time.Sleep(2 * time.Millisecond)
		mu <- struct{}{}
		inFlight--
		<-mu
		if i%10 == 0 {
			return errors.New("boom")
		}
		return nil
	})
	if len(run.Latencies) != 36 || len(run.Errors) != 4 {
		t.Fatalf("%d latencies, %d errors; want 36 and 4", len(run.Latencies), len(run.Errors))
	}
	if most > 4 || most < 2 {
		t.Fatalf("%d calls in flight at once, want 2..4", most)
	}
}

func TestWindowsAndOverlaps(t *testing.T) {
	t0 := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	job := func(id, tenant string, start, end int) api.Job {
		return api.Job{ID: id, Tenant: tenant, Events: []api.Event{
			{Type: api.EventJobState, Message: "running", Time: at(start)},
			{Type: api.EventStepDone, Time: at(start + 1)},
			{Type: api.EventJobState, Message: "succeeded", Time: at(end)},
		}}
	}
	never := api.Job{ID: "j-refused", Tenant: "a", Events: []api.Event{{Type: api.EventJobState, Message: "failed: plan changed", Time: at(5)}}}
	if _, ok := loadgen.WindowOf(never); ok {
		t.Fatal("a job that never ran has a window")
	}
	// read between its terminal state and its closing event
	early := api.Job{ID: "j-early", Tenant: "a", State: api.JobSucceeded, UpdatedAt: at(9), Events: []api.Event{
		{Type: api.EventJobState, Message: "running", Time: at(2)}, {Type: api.EventStepDone, Time: at(3)}}}
	if w, ok := loadgen.WindowOf(early); !ok || !w.End.Equal(at(9)) {
		t.Fatalf("window of a job read before its closing event: %+v %v", w, ok)
	}
	cases := map[string]struct {
		jobs     []api.Job
		overlaps int
		parallel int
	}{
		"one tenant in turn":         {[]api.Job{job("1", "a", 0, 10), job("2", "a", 10, 20), job("3", "a", 25, 30)}, 0, 1},
		"two tenants at once":        {[]api.Job{job("1", "a", 0, 10), job("2", "b", 5, 15), job("3", "a", 12, 20)}, 0, 2},
		"one tenant overlapping":     {[]api.Job{job("1", "a", 0, 10), job("2", "a", 9, 20)}, 1, 2},
		"overlap hidden in the list": {[]api.Job{job("3", "a", 40, 50), job("1", "a", 0, 10), job("2", "a", 5, 45)}, 2, 2},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var ws []loadgen.Window
			for _, j := range tc.jobs {
				w, ok := loadgen.WindowOf(j)
				if !ok {
					t.Fatalf("job %s has no window", j.ID)
				}
				ws = append(ws, w)
			}
			if got := loadgen.Overlaps(ws); len(got) != tc.overlaps {
				t.Errorf("overlaps %q, want %d", got, tc.overlaps)
			}
			if got := loadgen.MaxParallel(ws); got != tc.parallel {
				t.Errorf("max parallel %d, want %d", got, tc.parallel)
			}
		})
	}
}

func TestInterleaved(t *testing.T) {
	rec := func(seq int64, typ, tenant, job string) audit.Record {
		return audit.Record{Seq: seq, Type: typ, Tenant: tenant, JobID: job}
	}
	ok := []audit.Record{
		rec(1, "request", "a", "j2"), rec(2, "step", "a", "j1"), rec(3, "step", "b", "j3"), rec(4, "result", "a", "j1"),
		rec(5, "request", "a", "j1"), rec(6, "step", "a", "j2"), rec(7, "step", "b", "j3"), rec(8, "result", "a", "j2"),
	}
	if got := loadgen.Interleaved(ok); got != nil {
		t.Fatalf("serialized log reported: %q", got)
	}
	bad := []audit.Record{rec(1, "step", "a", "j1"), rec(2, "step", "a", "j2"), rec(3, "result", "a", "j1")}
	if got := loadgen.Interleaved(bad); len(got) != 1 {
		t.Fatalf("interleaved log: %q, want one finding", got)
	}
}
