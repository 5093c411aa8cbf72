package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/client"
)

// fakeExecutor answers the four routes archive restore and purge use and
// records the requests that change something. The executor's own behaviour
// is tested against a real one (e2e TestRestoreAndPurge); this checks what
// the command asks and how it reports the answers.
type fakeExecutor struct {
	mu       sync.Mutex
	submits  []api.SubmitRequest
	planned  []api.PlanRequest
	jobState api.JobState
}

func (f *fakeExecutor) serve(t *testing.T) *client.Client {
	t.Helper()
	mux := http.NewServeMux()
	reply := func(w http.ResponseWriter, v any) { _ = json.NewEncoder(w).Encode(v) }
	mux.HandleFunc(api.RouteListArchives, func(w http.ResponseWriter, r *http.Request) {
		reply(w, api.ArchiveList{Archives: []api.Archive{
			{Path: "/var/lib/missioncontrol/archives/acme.tar.gz", Tenant: "acme"},
			{Path: "/var/lib/missioncontrol/archives/globex-1.tar.gz", Tenant: "globex"},
		}})
	})
	mux.HandleFunc(api.RoutePlan, func(w http.ResponseWriter, r *http.Request) {
		var req api.PlanRequest
		_ = json.NewDecoder(r.Body).Decode(&req)
		f.mu.Lock()
		f.planned = append(f.planned, req)
		f.mu.Unlock()
		reply(w, api.Plan{Tenant: req.Tenant, Digest: "sha256:d1", Steps: []api.Step{{Summary: "create user mc-" + req.Tenant + " uid 20001"}}})
	})
	mux.HandleFunc(api.RouteSubmitJob, func(w http.ResponseWriter, r *http.Request) {
		var req api.SubmitRequest
		_ = json.NewDecoder(r.Body).Decode(&req)
		f.mu.Lock()
		f.submits = append(f.submits, req)
		state := f.jobState
		f.mu.Unlock()
		if state != api.JobAwaitingApproval {
			state = api.JobQueued
		}
		w.WriteHeader(http.StatusAccepted)
		reply(w, api.Job{ID: "job-1", Tenant: req.Tenant, State: state, RequiredApprovals: 2})
	})
	mux.HandleFunc(api.RouteGetJob, func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		j := api.Job{ID: r.PathValue("id"), State: f.jobState}
		if j.State == api.JobFailed {
			j.Error = "step 3 (restore /srv/missioncontrol/tenants/acme): no space left on device"
		}
		reply(w, j)
	})
	sock := filepath.Join(t.TempDir(), "executor.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	c, err := client.New(client.Config{Endpoint: "unix://" + sock})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestArchiveJob(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cases := map[string]struct {
		action    api.Action
		archive   string
		approvals []string
		state     api.JobState
		tenant    string
		out, err  string
	}{
		"restore by file name": {action: api.ActionRestore, archive: "acme.tar.gz", state: api.JobSucceeded, tenant: "acme",
			out: "restore tenant acme from acme.tar.gz: 1 steps, digest sha256:d1\n   1. create user mc-acme uid 20001\njob job-1 succeeded\n"},
		"purge by path": {action: api.ActionPurge, archive: "/var/lib/missioncontrol/archives/globex-1.tar.gz", state: api.JobSucceeded, tenant: "globex",
			out: "job job-1 succeeded"},
		"awaiting approvals": {action: api.ActionRestore, archive: "acme.tar.gz", approvals: []string{"tok"}, state: api.JobAwaitingApproval, tenant: "acme",
			out: "job job-1 awaits 2 approvals of digest sha256:d1"},
		"failed job": {action: api.ActionRestore, archive: "acme.tar.gz", state: api.JobFailed, tenant: "acme",
			err: "job job-1 failed: step 3 (restore /srv/missioncontrol/tenants/acme): no space left on device"},
		"unknown archive": {action: api.ActionPurge, archive: "ghost.tar.gz", err: `no archive "ghost.tar.gz" is recorded on this host`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := &fakeExecutor{jobState: tc.state}
			c := f.serve(t)
			var out bytes.Buffer
			err := archiveJob(ctx, &out, c, tc.action, tc.archive, tc.approvals)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("got %v, want an error containing %q", err, tc.err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out.String(), tc.out) {
				t.Errorf("output %q lacks %q", out.String(), tc.out)
			}
			if tc.tenant == "" {
				if len(f.planned) != 0 {
					t.Errorf("planned %+v for an unknown archive", f.planned)
				}
				return
			}
			want := api.Change{Kind: api.ObjectTenant, Action: tc.action, Archive: tc.archive}
			if len(f.submits) != 1 || f.submits[0].Tenant != tc.tenant || len(f.submits[0].Changes) != 1 || f.submits[0].Changes[0].Kind != want.Kind ||
				f.submits[0].Changes[0].Action != want.Action || f.submits[0].Changes[0].Archive != want.Archive || f.submits[0].Digest != "sha256:d1" ||
				strings.Join(f.submits[0].Approvals, ",") != strings.Join(tc.approvals, ",") {
				t.Errorf("submitted %+v, want %s of tenant %s with digest sha256:d1 and approvals %q", f.submits, tc.action, tc.tenant, tc.approvals)
			}
		})
	}
}
