package e2e_test

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/jobs"
)

// TestJobLongPoll follows a bootstrap job with long polls: every answer
// before the end carries an event the client had not seen (the executor
// waits for it instead of answering at once), a finished job is answered at
// once, and bad parameters are refused.
func TestJobLongPoll(t *testing.T) {
	t.Parallel()
	e := boot(t)
	req := bootstrapChanges("lp")
	job, err := e.c.submit(req, e.c.mustPlan(req).Digest)
	if err != nil {
		t.Fatal(err)
	}
	get := func(wait string, after int) (api.Job, time.Duration, error) {
		q := url.Values{api.QueryWait: {wait}, api.QueryAfter: {fmt.Sprint(after)}}
		var j api.Job
		start := time.Now()
		err := e.c.do("GET", api.PathJobs+"/"+job.ID+"?"+q.Encode(), nil, &j)
		return j, time.Since(start), err
	}
	after, polls := -1, 0
	for {
		j, took, err := get("20s", after)
		if err != nil {
			t.Fatal(err)
		}
		polls++
		last := -1
		for _, ev := range j.Events {
			last = max(last, ev.Seq)
		}
		if j.State.Terminal() {
			if j.State != api.JobSucceeded {
				t.Fatalf("job %s: %s", j.State, j.Error)
			}
			after = last
			break
		}
		if last <= after {
			t.Fatalf("poll %d answered after %v with no event after %d (state %s)", polls, took, after, j.State)
		}
		after = last
	}
	t.Logf("followed %d events in %d long polls", after+1, polls)
	if polls > after+2 {
		t.Errorf("%d polls for %d events: answers without news", polls, after+1)
	}

	if _, took, err := get("20s", after); err != nil || took > 5*time.Second {
		t.Errorf("long poll of a finished job took %v (%v), want an answer at once", took, err)
	}
	for _, bad := range []struct{ wait, after, until, field string }{
		{"1h", "0", "", api.QueryWait},
		{"-1s", "0", "", api.QueryWait},
		{"1s", "x", "", api.QueryAfter},
		{"1s", "0", "start", api.QueryUntil},
	} {
		q := url.Values{api.QueryWait: {bad.wait}, api.QueryAfter: {bad.after}, api.QueryUntil: {bad.until}}
		err := e.c.do("GET", api.PathJobs+"/"+job.ID+"?"+q.Encode(), nil, nil)
		var apiErr *api.Error
		if !errors.As(err, &apiErr) || apiErr.Code != api.CodeInvalidRequest || apiErr.Field != bad.field {
			t.Errorf("wait=%s after=%s: %v, want invalid_request on %s", bad.wait, bad.after, err, bad.field)
		}
	}
}

// A long poll until=end answers once, at the job's end, with every event.
func TestJobLongPollUntilEnd(t *testing.T) {
	t.Parallel()
	e := boot(t)
	// The job must still run when the poll is asked.
	slowSteps(t, e, "100ms")
	req := bootstrapChanges("lpend")
	plan := e.c.mustPlan(req)
	job, err := e.c.submit(req, plan.Digest)
	if err != nil {
		t.Fatal(err)
	}
	q := url.Values{api.QueryWait: {"20s"}, api.QueryAfter: {"-1"}, api.QueryUntil: {api.UntilEnd}}
	var j api.Job
	asked := time.Now()
	if err := e.c.do("GET", api.PathJobs+"/"+job.ID+"?"+q.Encode(), nil, &j); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(asked); took < 500*time.Millisecond {
		t.Errorf("answered after %v: the job (%d steps of 100 ms) was over before the poll", took, len(plan.Steps))
	}
	if j.State != api.JobSucceeded {
		t.Fatalf("one long poll until=end answered %s (%d events), want the succeeded job", j.State, len(j.Events))
	}
	done := 0
	for _, ev := range j.Events {
		if ev.Type == api.EventStepDone {
			done++
		}
	}
	if done != len(plan.Steps) {
		t.Errorf("%d step_done events for %d steps", done, len(plan.Steps))
	}
	// Nothing else of the tenant's ran: the job ran its submission's plan.
	if m := runningMessage(j); m != jobs.RunningPlannedAtSubmission {
		t.Errorf("running event %q, want %q", m, jobs.RunningPlannedAtSubmission)
	}
}

// runningMessage is the message of job's running event.
func runningMessage(job api.Job) string {
	for _, ev := range job.Events {
		if ev.Type == api.EventJobState && strings.HasPrefix(ev.Message, "running") {
			return ev.Message
		}
	}
	return ""
}
