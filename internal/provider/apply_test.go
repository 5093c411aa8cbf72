package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/client"
)

// scriptedExecutor answers submissions and job polls from fixed values.
type scriptedExecutor struct {
	submitErr *api.Error
	job       api.Job // every poll answers this job
	planned   string  // digest a fresh dry run answers
}

// serveExecutor serves h on a unix socket, as a stand-in for the executor's
// API, and returns a client of it configured by cfg (Endpoint is set here).
func serveExecutor(t *testing.T, h http.Handler, cfg client.Config) *client.Client {
	t.Helper()
	dir, err := os.MkdirTemp("/tmp", "mc-provider-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	ln, err := net.Listen("unix", filepath.Join(dir, "s.sock"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	cfg.Endpoint = "unix://" + ln.Addr().String()
	c, err := client.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (s scriptedExecutor) start(t *testing.T) *providerData {
	t.Helper()
	write := func(w http.ResponseWriter, status int, v any) {
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	mux := http.NewServeMux()
	mux.HandleFunc(api.RouteSubmitJob, func(w http.ResponseWriter, r *http.Request) {
		if s.submitErr != nil {
			write(w, s.submitErr.HTTPStatus(), s.submitErr)
			return
		}
		queued := s.job
		queued.State, queued.Events = api.JobQueued, nil
		write(w, http.StatusAccepted, queued)
	})
	mux.HandleFunc(api.RouteGetJob, func(w http.ResponseWriter, r *http.Request) { write(w, 200, s.job) })
	mux.HandleFunc(api.RoutePlan, func(w http.ResponseWriter, r *http.Request) { write(w, 200, api.Plan{Digest: s.planned}) })
	c := serveExecutor(t, mux, client.Config{PollMin: time.Millisecond, PollMax: 5 * time.Millisecond})
	return &providerData{client: c, observed: newObservations(c)}
}

func TestExecute(t *testing.T) {
	t.Parallel()
	steps := []api.Step{{Summary: "create user mc-acme uid 20001"}, {Summary: "write /etc/missioncontrol/tenants/acme/gateway.env"}}
	var stderr strings.Builder
	for i := 1; i <= 20; i++ {
		fmt.Fprintf(&stderr, "line %d\n", i)
	}
	failed := api.Job{ID: "job-9", State: api.JobFailed, Steps: steps, Error: "step 2 failed", Events: []api.Event{
		{Seq: 1, Type: api.EventStepDone, Step: 0},
		{Seq: 2, Type: api.EventStepFailed, Step: 1, ExitCode: 73, Argv: []string{"/usr/bin/install", "-m", "0640"}, Stderr: stderr.String()},
	}}
	testCases := map[string]struct {
		executor scriptedExecutor
		digest   string
		timeout  time.Duration
		wantJob  bool
		summary  string
		path     path.Path
		detail   []string
		absent   []string
	}{
		"succeeded": {executor: scriptedExecutor{job: api.Job{ID: "job-1", State: api.JobSucceeded, Steps: steps}}, digest: "sha256:a", wantJob: true},
		"plan changed": {
			executor: scriptedExecutor{submitErr: &api.Error{Code: api.CodePlanChanged, Message: "stale", Value: "sha256:new"}},
			digest:   "sha256:old", summary: "Plan Changed Since Review", path: path.Root("plan_digest"),
			detail: []string{`The executor re-planned tenant "acme" and got digest sha256:new, but the reviewed plan was sha256:old.`,
				"Run terraform plan again and collect approvals for the new digest."},
		},
		"plan changed, digest from a fresh dry run": {
			executor: scriptedExecutor{submitErr: &api.Error{Code: api.CodePlanChanged, Message: "stale"}, planned: "sha256:fresh"},
			digest:   "sha256:old", summary: "Plan Changed Since Review", path: path.Root("plan_digest"),
			detail: []string{"got digest sha256:fresh, but the reviewed plan was sha256:old"},
		},
		"policy denied at submit": {
			executor: scriptedExecutor{submitErr: &api.Error{Code: api.CodePolicyDenied, Message: "not allowed", Field: "tenant.sudo_commands[0]", Rule: "sudoers.commands"}},
			digest:   "sha256:a", summary: "Policy Denied", path: path.Root("sudo_commands").AtListIndex(0),
			detail: []string{"Rule: sudoers.commands"},
		},
		"failed": {
			executor: scriptedExecutor{job: failed}, digest: "sha256:a", wantJob: true, summary: "Job Failed",
			detail: []string{`Job job-9 for tenant "acme" failed at step 2 of 2, "write /etc/missioncontrol/tenants/acme/gateway.env", with exit code 73.`,
				"Command: /usr/bin/install -m 0640", "line 6\nline 7", "line 20", "Executor: step 2 failed", "next terraform plan shows the remaining steps"},
			absent: []string{"line 5\n"},
		},
		"awaiting approval": {
			executor: scriptedExecutor{job: api.Job{ID: "job-2", State: api.JobAwaitingApproval, Digest: "sha256:a"}},
			digest:   "sha256:a", timeout: 30 * time.Millisecond, wantJob: true, summary: "Approvals Required", path: path.Root("plan_digest"),
			detail: []string{"missioncontrol-executor approve --digest sha256:a", "MISSIONCONTROL_APPROVALS"},
		},
		"still running": {
			executor: scriptedExecutor{job: api.Job{ID: "job-3", State: api.JobRunning}},
			digest:   "sha256:a", timeout: 30 * time.Millisecond, wantJob: true, summary: "Timed Out Waiting For Job",
			detail: []string{"Job job-3 for tenant \"acme\" was still running when the update timeout ran out", "timeouts.update"},
		},
		"rejected": {
			executor: scriptedExecutor{job: api.Job{ID: "job-4", State: api.JobRejected, Error: "approver key revoked"}},
			digest:   "sha256:a", summary: "Job Rejected", detail: []string{"approver key revoked"},
		},
		"no digest": {executor: scriptedExecutor{}, summary: "Missing Plan Digest", path: path.Root("plan_digest")},
	}
	for name, tc := range testCases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			d := tc.executor.start(t)
			ctx := context.Background()
			if tc.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.timeout)
				defer cancel()
			}
			job, diags := d.execute(ctx, opUpdate, target{kind: api.ObjectTenant, tenant: "acme"}, api.PlanRequest{Tenant: "acme"}, tc.digest)
			if (job != nil) != tc.wantJob {
				t.Errorf("job = %v, want a job: %t", job, tc.wantJob)
			}
			if tc.summary == "" {
				if diags.HasError() {
					t.Fatalf("unexpected diagnostics: %v", diags)
				}
				return
			}
			if len(diags) != 1 || diags[0].Summary() != tc.summary {
				t.Fatalf("diagnostics = %v, want one %q", diags, tc.summary)
			}
			var got path.Path
			if wp, ok := diags[0].(diag.DiagnosticWithPath); ok {
				got = wp.Path()
			}
			if !got.Equal(tc.path) {
				t.Errorf("path = %s, want %s", got, tc.path)
			}
			for _, want := range tc.detail {
				if !strings.Contains(diags[0].Detail(), want) {
					t.Errorf("detail does not contain %q:\n%s", want, diags[0].Detail())
				}
			}
			for _, unwanted := range tc.absent {
				if strings.Contains(diags[0].Detail(), unwanted) {
					t.Errorf("detail contains %q:\n%s", unwanted, diags[0].Detail())
				}
			}
		})
	}
}
