package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/store"
)

func job(id, tenant string, at time.Time) store.JobRecord {
	return store.JobRecord{
		Job: api.Job{
			ID: id, Tenant: tenant, Digest: "sha256:" + id, State: api.JobAwaitingApproval,
			Steps: []api.Step{
				{Kind: api.StepEnsureGroup, Summary: "create group mc-" + tenant, Argv: []string{"/usr/sbin/groupadd", "-g", "20001", "mc-" + tenant}, GID: 20001},
				{Kind: api.StepEnsureUser, Summary: "create user mc-" + tenant, Reason: "user absent", UID: 20001},
				{Kind: api.StepEnsureFile, Summary: "write gateway.env", Path: "/etc/x/gateway.env", Mode: "0640", ContentSHA256: "sha256:ab"},
			},
			Allocation: api.Allocation{User: "mc-" + tenant, UID: 20001, GID: 20001, GatewayPort: 18789},
			CreatedAt:  at,
			UpdatedAt:  at,
		},
		Request: api.SubmitRequest{
			PlanRequest: api.PlanRequest{Tenant: tenant, Changes: []api.Change{{
				Kind: api.ObjectTenant, Action: api.ActionApply, Tenant: &api.TenantSpec{Name: tenant, Environment: api.EnvProduction},
			}}},
			Digest:    "sha256:" + id,
			Approvals: []string{"tok1", "tok2"},
		},
	}
}

func TestJobRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openStore(t)
	rec := job("j1", "acme", t0)
	if err := s.CreateJob(ctx, rec); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetJob(ctx, "j1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rec.Job, got); diff != "" {
		t.Errorf("GetJob (-want +got):\n%s", diff)
	}
	req, err := s.GetJobRequest(ctx, "j1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rec.Request, req); diff != "" {
		t.Errorf("GetJobRequest (-want +got):\n%s", diff)
	}

	// State changes and events.
	at := t0.Add(time.Minute)
	if err := s.SetJobState(ctx, "j1", api.JobFailed, "step 2: exit 1", at); err != nil {
		t.Fatal(err)
	}
	evs := []api.Event{
		{Type: api.EventJobState, Step: -1, Time: at, Message: "running"},
		{Type: api.EventStepStart, Step: 0, Time: at, Argv: []string{"/usr/sbin/groupadd"}},
		{Seq: 99, Type: api.EventStepFailed, Step: 0, Time: at, ExitCode: 1, Stderr: "boom", DurationMS: 12},
	}
	for i, ev := range evs {
		stored, err := s.AppendEvent(ctx, "j1", ev)
		if err != nil {
			t.Fatal(err)
		}
		if stored.Seq != i+1 {
			t.Errorf("event %d got seq %d", i, stored.Seq)
		}
		evs[i].Seq = i + 1
	}
	got, err = s.GetJob(ctx, "j1")
	if err != nil {
		t.Fatal(err)
	}
	want := rec.Job
	want.State, want.Error, want.UpdatedAt, want.Events = api.JobFailed, "step 2: exit 1", at, evs
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GetJob after events (-want +got):\n%s", diff)
	}
}

func TestJobNotFound(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openStore(t)
	for name, call := range map[string]func() error{
		"GetJob":        func() error { _, err := s.GetJob(ctx, "nope"); return err },
		"GetJobRequest": func() error { _, err := s.GetJobRequest(ctx, "nope"); return err },
		"SetJobState":   func() error { return s.SetJobState(ctx, "nope", api.JobFailed, "", t0) },
		"AppendEvent":   func() error { _, err := s.AppendEvent(ctx, "nope", api.Event{Type: api.EventJobState}); return err },
	} {
		if err := call(); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s(missing) = %v, want ErrNotFound", name, err)
		}
	}
}

func TestCreateJobInvalid(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openStore(t)
	if err := s.CreateJob(ctx, job("dup", "acme", t0)); err != nil {
		t.Fatal(err)
	}
	tests := map[string]func(*store.JobRecord){
		"empty id":     func(r *store.JobRecord) { r.Job.ID = "" },
		"empty tenant": func(r *store.JobRecord) { r.Job.Tenant = "" },
		"empty state":  func(r *store.JobRecord) { r.Job.State = "" },
		"with events":  func(r *store.JobRecord) { r.Job.Events = []api.Event{{Type: api.EventJobState}} },
		"duplicate id": func(r *store.JobRecord) { r.Job.ID = "dup" },
	}
	for name, mutate := range tests {
		rec := job("j-"+strings.ReplaceAll(name, " ", "-"), "acme", t0)
		mutate(&rec)
		if err := s.CreateJob(ctx, rec); err == nil {
			t.Errorf("%s: CreateJob succeeded", name)
		}
	}
}

func TestListJobs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openStore(t)
	// a1 and b1 share a creation time; insertion order breaks the tie.
	for _, r := range []store.JobRecord{
		job("a1", "acme", t0),
		job("b1", "beta", t0),
		job("a2", "acme", t0.Add(time.Minute)),
		job("a3", "acme", t0.Add(2*time.Minute)),
	} {
		if err := s.CreateJob(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.AppendEvent(ctx, "a3", api.Event{Type: api.EventJobState}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetJobState(ctx, "a2", api.JobRunning, "", t0); err != nil {
		t.Fatal(err)
	}
	if err := s.SetJobState(ctx, "b1", api.JobApproved, "", t0); err != nil {
		t.Fatal(err)
	}

	ids := func(jobs []api.Job) []string {
		var out []string
		for _, j := range jobs {
			out = append(out, j.ID)
			if len(j.Events) != 0 {
				t.Errorf("listed job %s carries events", j.ID)
			}
			if len(j.Steps) != 3 {
				t.Errorf("listed job %s has %d steps, want 3", j.ID, len(j.Steps))
			}
		}
		return out
	}
	tests := map[string]struct {
		tenant string
		limit  int
		want   []string
	}{
		"all":           {"", 0, []string{"a3", "a2", "b1", "a1"}},
		"all limited":   {"", 2, []string{"a3", "a2"}},
		"tenant":        {"acme", 0, []string{"a3", "a2", "a1"}},
		"tenant limit":  {"acme", 1, []string{"a3"}},
		"other tenant":  {"beta", 10, []string{"b1"}},
		"unknown":       {"nope", 10, nil},
		"negative is 0": {"", -1, []string{"a3", "a2", "b1", "a1"}},
	}
	for name, tc := range tests {
		got, err := s.ListJobs(ctx, tc.tenant, tc.limit)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.want, ids(got)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}

	for name, tc := range map[string]struct {
		states []api.JobState
		want   []string
	}{
		"none":     {nil, nil},
		"awaiting": {[]api.JobState{api.JobAwaitingApproval}, []string{"a1", "a3"}},
		"active":   {[]api.JobState{api.JobRunning, api.JobApproved}, []string{"b1", "a2"}},
		"absent":   {[]api.JobState{api.JobExpired}, nil},
	} {
		got, err := s.JobsInState(ctx, tc.states...)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.want, ids(got)); diff != "" {
			t.Errorf("JobsInState %s (-want +got):\n%s", name, diff)
		}
	}
}

func TestAppendEventBoundsOutput(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openStore(t)
	if err := s.CreateJob(ctx, job("j1", "acme", t0)); err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("x", 3*api.MaxOutputBytes) + "THE END"
	ev, err := s.AppendEvent(ctx, "j1", api.Event{Type: api.EventStepDone, Stdout: long, Stderr: "short"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.GetJob(ctx, "j1")
	if err != nil {
		t.Fatal(err)
	}
	stored := got.Events[0]
	if diff := cmp.Diff(ev, stored); diff != "" {
		t.Errorf("returned vs stored event (-want +got):\n%s", diff)
	}
	if len(stored.Stdout) > api.MaxOutputBytes {
		t.Errorf("stdout is %d bytes, max %d", len(stored.Stdout), api.MaxOutputBytes)
	}
	if !strings.HasPrefix(stored.Stdout, "[") || !strings.Contains(stored.Stdout, "bytes truncated]\n") || !strings.HasSuffix(stored.Stdout, "THE END") {
		t.Errorf("stdout not marked or tail lost: %.60q ... %q", stored.Stdout, stored.Stdout[len(stored.Stdout)-10:])
	}
	if stored.Stderr != "short" {
		t.Errorf("stderr = %q", stored.Stderr)
	}
}

func TestBoundOutput(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		in    string
		limit int
	}{
		"fits":             {"hello", 5},
		"ascii":            {strings.Repeat("a", 100), 40},
		"marker digits":    {strings.Repeat("a", 10000), 1000},
		"multibyte cut":    {strings.Repeat("é€😀", 500), 301},
		"exact limit":      {strings.Repeat("a", 8192), 8192},
		"one over":         {strings.Repeat("a", 8193), 8192},
		"limit below mark": {strings.Repeat("a", 100), 5},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := store.BoundOutput(tc.in, tc.limit)
			if len(tc.in) <= tc.limit {
				if got != tc.in {
					t.Fatalf("fitting input changed: %q", got)
				}
				return
			}
			marker, tail, ok := strings.Cut(got, "\n")
			if !ok {
				t.Fatalf("no marker line in %q", got)
			}
			var n int
			if _, err := fmt.Sscanf(marker, "[%d bytes truncated]", &n); err != nil {
				t.Fatalf("marker %q: %v", marker, err)
			}
			if n+len(tail) != len(tc.in) || !strings.HasSuffix(tc.in, tail) {
				t.Errorf("marker says %d dropped, tail %d bytes, input %d bytes", n, len(tail), len(tc.in))
			}
			if len(got) > tc.limit && len(tail) > 0 {
				t.Errorf("len %d > limit %d", len(got), tc.limit)
			}
			if utf8.ValidString(tc.in) && !utf8.ValidString(got) {
				t.Errorf("valid UTF-8 input cut mid-rune")
			}
		})
	}
}
