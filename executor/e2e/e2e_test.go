package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/testhost"
)

// apiClient talks to the executor's socket with the wire types only.
type apiClient struct {
	t    *testing.T
	http *http.Client
	// signer signs every request that is not a GET (nil: unsigned).
	signer *api.Signer
	// audience is the executor's host id, asked for on first use.
	audience string
	// envelope, when set, replaces the signed envelope of the next
	// requests (tests of refusals).
	envelope func(method, path string, body []byte) string
}

// newClient talks to the executor at socket, signing with the operator key
// testhost.StartExecutor made for it (see defaultSigner).
func newClient(t *testing.T, socket string) *apiClient {
	return &apiClient{t: t, signer: defaultSigner(t, socket), http: &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", socket)
		}}}}
}

// do sends a request and decodes the answer into out; an API error comes
// back as *api.Error.
func (c *apiClient) do(method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	var raw []byte
	if in != nil {
		raw, _ = json.Marshal(in)
	}
	req, _ := http.NewRequest(method, "http://executor"+path, body)
	if method != http.MethodGet {
		if err := c.sign(req, raw); err != nil {
			return err
		}
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		var e api.Error
		if err := json.Unmarshal(b, &e); err != nil {
			return fmt.Errorf("status %d: %s", resp.StatusCode, b)
		}
		return &e
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

func (c *apiClient) plan(req api.PlanRequest) (api.Plan, error) {
	var p api.Plan
	err := c.do("POST", api.PathPlans, req, &p)
	return p, err
}

func (c *apiClient) mustPlan(req api.PlanRequest) api.Plan {
	c.t.Helper()
	p, err := c.plan(req)
	if err != nil {
		c.t.Fatalf("plan: %v", err)
	}
	return p
}

func (c *apiClient) submit(req api.PlanRequest, digest string) (api.Job, error) {
	var j api.Job
	err := c.do("POST", api.PathJobs, api.SubmitRequest{PlanRequest: req, Digest: digest}, &j)
	return j, err
}

func (c *apiClient) wait(id string) api.Job {
	c.t.Helper()
	// Longer than a real gateway's ready_timeout (120 s), so that a slow
	// start on a loaded machine ends as the job's own failure, with the
	// unit's status, rather than as this wait's.
	deadline := time.Now().Add(5 * time.Minute)
	for {
		var j api.Job
		if err := c.do("GET", api.PathJobs+"/"+id, nil, &j); err != nil {
			c.t.Fatalf("get job %s: %v", id, err)
		}
		if j.State.Terminal() {
			return j
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("job %s still %s; events: %+v", id, j.State, j.Events)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitSteps waits until at least n steps of job id are done.
func (c *apiClient) waitSteps(id string, n int) {
	c.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var cur api.Job
		if err := c.do("GET", api.PathJobs+"/"+id, nil, &cur); err != nil {
			c.t.Fatal(err)
		}
		done := 0
		for _, ev := range cur.Events {
			if ev.Type == api.EventStepDone {
				done++
			}
		}
		if done >= n {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("job %s did not progress to %d steps: %s", id, n, cur.State)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// apply plans, submits the digest and waits for success.
func (c *apiClient) apply(req api.PlanRequest) (api.Plan, api.Job) {
	c.t.Helper()
	p := c.mustPlan(req)
	j, err := c.submit(req, p.Digest)
	if err != nil {
		c.t.Fatalf("submit: %v", err)
	}
	j = c.wait(j.ID)
	if j.State != api.JobSucceeded {
		c.t.Fatalf("job %s %s: %s\nevents: %+v", j.ID, j.State, j.Error, j.Events)
	}
	return p, j
}

func tenantChange(spec api.TenantSpec) api.PlanRequest {
	return api.PlanRequest{Tenant: spec.Name, Changes: []api.Change{{Kind: api.ObjectTenant, Action: api.ActionApply, Tenant: &spec}}}
}

func bootstrapChanges(name string) api.PlanRequest {
	spec := api.TenantSpec{Name: name, DisplayName: "Acme", Environment: api.EnvDevelopment,
		Limits: api.Limits{MemoryMaxMB: 1536, TasksMax: 256}}
	return api.PlanRequest{Tenant: name, Changes: []api.Change{
		{Kind: api.ObjectTenant, Action: api.ActionApply, Tenant: &spec},
		{Kind: api.ObjectWorkspace, Action: api.ActionApply, Workspace: &api.WorkspaceSpec{Name: "main", Files: map[string]string{"AGENTS.md": "# Acme agent\n"}}},
		{Kind: api.ObjectService, Action: api.ActionApply, Service: &api.ServiceSpec{Kind: api.ServiceGateway, Enabled: true}},
	}}
}

type env struct {
	host *testhost.Host
	exec *testhost.Executor
	c    *apiClient
}

func boot(t *testing.T) *env {
	t.Helper()
	testhost.Require(t)
	seed, err := testhost.SudoSeed(context.Background())
	if err != nil {
		t.Fatalf("sudo seed: %v", err)
	}
	h := testhost.Boot(t, testhost.Options{Seeds: []string{seed}})
	e := testhost.BootExecutor(t, h, testhost.ExecutorOptions{})
	c := newClient(t, e.Socket)
	return &env{host: h, exec: e, c: c.withKey(t, e, testhost.KeyOperator)}
}

func TestBootstrapTenant(t *testing.T) {
	t.Parallel()
	e := boot(t)
	h := e.host
	realPasswd, _ := os.ReadFile("/etc/passwd")

	req := bootstrapChanges("acme")
	before, err := h.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	p := e.c.mustPlan(req)
	again := e.c.mustPlan(req)
	if p.Digest != again.Digest {
		t.Fatalf("two dry runs disagree: %s vs %s", p.Digest, again.Digest)
	}
	after, err := h.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if d := testhost.Diff(before, after); d != "" {
		t.Fatalf("a dry run changed the host:\n%s", d)
	}
	wantFirst := fmt.Sprintf("create group mc-acme gid %d", p.Allocation.GID)
	if len(p.Steps) < 10 || p.Steps[0].Summary != wantFirst {
		t.Fatalf("plan steps: %q", p.Summaries())
	}
	t.Logf("plan of %d steps:\n  %s", len(p.Steps), strings.Join(p.Summaries(), "\n  "))

	_, job := e.c.apply(req)
	if len(job.Events) == 0 {
		t.Fatal("job recorded no events")
	}
	uid := strconv.Itoa(p.Allocation.UID)

	// the host as a reviewer expects it
	if got := h.Run(t, "id", "-u", "mc-acme"); strings.TrimSpace(got) != uid {
		t.Errorf("uid of mc-acme = %q, want %s", got, uid)
	}
	if got := strings.TrimSpace(h.Run(t, "getent", "passwd", "mc-acme")); !strings.HasSuffix(got, ":/srv/missioncontrol/tenants/acme:/usr/sbin/nologin") {
		t.Errorf("passwd entry %q", got)
	}
	for path, want := range map[string]string{
		"/srv/missioncontrol/tenants/acme":                                    "mc-acme mc-acme 750 directory",
		"/srv/missioncontrol/tenants/acme/.openclaw":                          "mc-acme mc-acme 750 directory",
		"/srv/missioncontrol/tenants/acme/.openclaw/openclaw.json":            "mc-acme mc-acme 640 regular file",
		"/srv/missioncontrol/tenants/acme/.openclaw/workspace-main/AGENTS.md": "mc-acme mc-acme 640 regular file",
		"/etc/missioncontrol/tenants/acme":                                    "root mc-acme 750 directory",
		"/etc/missioncontrol/tenants/acme/gateway.env":                        "root mc-acme 640 regular file",
		"/etc/missioncontrol/tenants/acme/token.env":                          "root root 600 regular file",
	} {
		if got := strings.TrimSpace(h.Run(t, "stat", "-c", "%U %G %a %F", path)); got != want {
			t.Errorf("%s: %q, want %q", path, got, want)
		}
	}
	env := h.Run(t, "cat", "/etc/missioncontrol/tenants/acme/gateway.env")
	if !strings.Contains(env, "PORT="+strconv.Itoa(p.Allocation.GatewayPort)+"\n") {
		t.Errorf("gateway.env lacks the port:\n%s", env)
	}
	if got := strings.TrimSpace(h.Run(t, "systemctl", "is-active", "missioncontrol-gateway@acme.service")); got != "active" {
		t.Errorf("gateway unit is %q", got)
	}
	if got := h.Run(t, "systemctl", "show", "-p", "User", "-p", "TasksMax", "missioncontrol-gateway@acme.service"); !strings.Contains(got, "User=mc-acme") || !strings.Contains(got, "TasksMax=256") {
		t.Errorf("unit properties:\n%s", got)
	}

	// planning again yields no steps, and the tenant reads active
	for _, r := range []api.PlanRequest{req, tenantChange(*req.Changes[0].Tenant)} {
		if p2 := e.c.mustPlan(r); len(p2.Steps) != 0 {
			t.Errorf("re-plan not empty: %q", p2.Summaries())
		}
	}
	var tn api.Tenant
	if err := e.c.do("GET", api.PathTenants+"/acme", nil, &tn); err != nil {
		t.Fatal(err)
	}
	if tn.Status != api.TenantActive || !tn.UserExists || tn.LastJobID != job.ID {
		t.Errorf("tenant: status %s user %v last job %s", tn.Status, tn.UserExists, tn.LastJobID)
	}

	// drift: a stopped unit is seen and repaired by exactly one step
	h.Run(t, "systemctl", "stop", "missioncontrol-gateway@acme.service")
	if err := e.c.do("GET", api.PathTenants+"/acme", nil, &tn); err != nil {
		t.Fatal(err)
	}
	if tn.Status != api.TenantDrifted || len(tn.PendingSteps) != 1 || tn.PendingSteps[0].Summary != "start missioncontrol-gateway@acme.service" {
		t.Errorf("after stop: status %s pending %+v", tn.Status, tn.PendingSteps)
	}
	svc := api.PlanRequest{Tenant: "acme", Changes: req.Changes[2:]}
	e.c.apply(svc)
	if got := strings.TrimSpace(h.Run(t, "systemctl", "is-active", "missioncontrol-gateway@acme.service")); got != "active" {
		t.Errorf("after repair the unit is %q", got)
	}

	// the machine running the test was not touched
	if now, _ := os.ReadFile("/etc/passwd"); !bytes.Equal(now, realPasswd) {
		t.Fatal("the real /etc/passwd changed")
	}
}

func TestRefusedChangesLeaveHostUnchanged(t *testing.T) {
	t.Parallel()
	e := boot(t)
	before, err := e.host.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		req  api.PlanRequest
		code api.Code
		want string
	}{
		"path traversal name": {tenantChange(api.TenantSpec{Name: "../x", Environment: api.EnvDevelopment}), api.CodePolicyDenied, "names.pattern"},
		"reserved name":       {tenantChange(api.TenantSpec{Name: "root", Environment: api.EnvDevelopment}), api.CodePolicyDenied, "names.reserved"},
		"port below range":    {tenantChange(api.TenantSpec{Name: "acme", Environment: api.EnvDevelopment, GatewayPort: 1080}), api.CodePolicyDenied, "ports"},
		"sudo wildcard":       {tenantChange(api.TenantSpec{Name: "acme", Environment: api.EnvDevelopment, SudoCommands: []string{"/usr/bin/systemctl *"}}), api.CodePolicyDenied, "wildcard"},
		"service env newline": {api.PlanRequest{Tenant: "acme", Changes: []api.Change{
			{Kind: api.ObjectTenant, Action: api.ActionApply, Tenant: &api.TenantSpec{Name: "acme", Environment: api.EnvDevelopment}},
			{Kind: api.ObjectService, Action: api.ActionApply, Service: &api.ServiceSpec{Kind: api.ServiceGateway, Enabled: true, Environment: map[string]string{"X": "a\nExecStart=/bin/sh"}}},
		}}, api.CodePolicyDenied, "control characters"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := e.c.plan(tc.req)
			var apiErr *api.Error
			if !errors.As(err, &apiErr) || apiErr.Code != tc.code || !strings.Contains(apiErr.Error(), tc.want) {
				t.Fatalf("plan: %v; want %s mentioning %q", err, tc.code, tc.want)
			}
			// submitting anyway (with any digest) is refused the same way
			if _, err := e.c.submit(tc.req, "sha256:0"); !api.IsCode(err, tc.code) {
				t.Fatalf("submit: %v; want %s", err, tc.code)
			}
		})
	}
	after, err := e.host.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if d := testhost.Diff(before, after); d != "" {
		t.Fatalf("refused requests changed the host:\n%s", d)
	}
}

func TestHostChangeBetweenPlanAndSubmitIsRefused(t *testing.T) {
	t.Parallel()
	e := boot(t)
	req := bootstrapChanges("globex")
	p := e.c.mustPlan(req)
	// someone creates the tenant's directory by hand after the review
	e.host.Run(t, "mkdir", "-p", "/srv/missioncontrol/tenants/globex")
	before, err := e.host.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.c.submit(req, p.Digest)
	if !api.IsCode(err, api.CodePlanChanged) || !strings.Contains(err.Error(), "host changed since plan: re-run plan") {
		t.Fatalf("submit after a host change: %v", err)
	}
	after, _ := e.host.Snapshot()
	if d := testhost.Diff(before, after); d != "" {
		t.Fatalf("the refused submit changed the host:\n%s", d)
	}
	// a fresh plan shows the repair and applies
	e.c.apply(req)
}

// slowSteps makes e's executor pause for delay (a Go duration) before every
// job step, a test-only knob, and restarts it.
func slowSteps(t *testing.T, e *env, delay string) {
	t.Helper()
	h := e.host
	h.Run(t, "mkdir", "-p", "/etc/systemd/system/missioncontrol-executor.service.d")
	h.Run(t, "sh", "-c", "printf '[Service]\\nEnvironment=MISSIONCONTROL_TEST_STEP_DELAY="+delay+"\\n' > /etc/systemd/system/missioncontrol-executor.service.d/test.conf")
	h.Run(t, "systemctl", "daemon-reload")
	h.Run(t, "systemctl", "restart", testhost.ExecutorUnit)
	waitSocket(t, e.exec.Socket)
}

func TestKillMidJobThenRetryConverges(t *testing.T) {
	t.Parallel()
	e := boot(t)
	h := e.host
	// so the kill lands mid-job
	slowSteps(t, e, "700ms")

	req := bootstrapChanges("initech")
	p := e.c.mustPlan(req)
	j, err := e.c.submit(req, p.Digest)
	if err != nil {
		t.Fatal(err)
	}
	// wait until a few steps have run, then SIGKILL the executor
	e.c.waitSteps(j.ID, 3)
	h.Run(t, "systemctl", "kill", "--signal=SIGKILL", "missioncontrol-executor.service")
	// systemd restarts it (Restart=on-failure); it marks the job interrupted
	time.Sleep(500 * time.Millisecond)
	waitSocket(t, e.exec.Socket)
	got := e.c.wait(j.ID)
	if got.State != api.JobFailed || !strings.Contains(got.Error, "interrupted") {
		t.Fatalf("after the kill the job is %s: %q", got.State, got.Error)
	}
	// retry converges: the new job runs only what is left. The operator
	// retries with the CLI.
	out, err := exec.Command(e.exec.Binary(), "retry", j.ID, "--key", e.exec.Keys[testhost.KeyOperator], "--socket", e.exec.Socket).CombinedOutput()
	if err != nil {
		t.Fatalf("missioncontrol-executor retry: %v: %s", err, out)
	}
	m := regexp.MustCompile(`^job (job-[a-z0-9-]+) is (queued|running)`).FindStringSubmatch(string(out))
	if m == nil {
		t.Fatalf("retry output %q", out)
	}
	var retry api.Job
	if err := e.c.do("GET", api.PathJobs+"/"+m[1], nil, &retry); err != nil {
		t.Fatal(err)
	}
	if retry.RetryOf != j.ID {
		t.Errorf("retry of %q, want %s", retry.RetryOf, j.ID)
	}
	if len(retry.Steps) >= len(p.Steps) {
		t.Errorf("retry re-runs %d of %d steps", len(retry.Steps), len(p.Steps))
	}
	if r := e.c.wait(retry.ID); r.State != api.JobSucceeded {
		t.Fatalf("retry %s: %s", r.State, r.Error)
	}
	if p2 := e.c.mustPlan(req); len(p2.Steps) != 0 {
		t.Fatalf("after retry the plan is not empty: %q", p2.Summaries())
	}
	if got := strings.TrimSpace(h.Run(t, "systemctl", "is-active", "missioncontrol-gateway@initech.service")); got != "active" {
		t.Errorf("gateway is %q", got)
	}
}

func waitSocket(t *testing.T, path string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("unix", path); err == nil {
			c.Close()
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("executor socket %s did not come back", path)
}

func TestDecommissionArchivesThenRemoves(t *testing.T) {
	t.Parallel()
	e := boot(t)
	h := e.host
	req := bootstrapChanges("umbrella")
	p, _ := e.c.apply(req)
	h.Run(t, "sh", "-c", "echo precious > /srv/missioncontrol/tenants/umbrella/.openclaw/workspace-main/notes.md")

	destroy := api.PlanRequest{Tenant: "umbrella", Changes: []api.Change{{Kind: api.ObjectTenant, Action: api.ActionDestroy}}}
	dp := e.c.mustPlan(destroy)
	sums := dp.Summaries()
	archiveAt, removeAt := -1, -1
	for i, s := range sums {
		if strings.HasPrefix(s, "archive ") {
			archiveAt = i
		}
		if strings.HasPrefix(s, "remove directory /srv/missioncontrol/tenants/umbrella") {
			removeAt = i
		}
	}
	if sums[0] != "stop and disable missioncontrol-gateway@umbrella.service" || archiveAt < 0 || removeAt < archiveAt {
		t.Fatalf("decommission plan out of order: %q", sums)
	}
	e.c.apply(destroy)

	if out, err := h.Try("getent", "passwd", "mc-umbrella"); err == nil {
		t.Errorf("user still present: %s", out)
	}
	if out, err := h.Try("stat", "/srv/missioncontrol/tenants/umbrella"); err == nil {
		t.Errorf("home still present: %s", out)
	}
	list := h.Run(t, "tar", "--list", "--gzip", "--file", "/var/lib/missioncontrol/archives/umbrella.tar.gz")
	for _, want := range []string{"srv/missioncontrol/tenants/umbrella/.openclaw/workspace-main/notes.md", "etc/missioncontrol/tenants/umbrella/gateway.env"} {
		if !strings.Contains(list, want) {
			t.Errorf("archive lacks %s:\n%s", want, list)
		}
	}
	if got := h.Run(t, "tar", "--extract", "--gzip", "--to-stdout", "--file", "/var/lib/missioncontrol/archives/umbrella.tar.gz",
		"srv/missioncontrol/tenants/umbrella/.openclaw/workspace-main/notes.md"); got != "precious\n" {
		t.Errorf("archived file reads %q", got)
	}
	// the archive is recorded with its sha256, and verify reads it back
	var archives api.ArchiveList
	if err := e.c.do("GET", api.PathArchives+"?tenant=umbrella", nil, &archives); err != nil {
		t.Fatal(err)
	}
	sum := strings.Fields(h.Run(t, "sha256sum", "/var/lib/missioncontrol/archives/umbrella.tar.gz"))[0]
	if len(archives.Archives) != 1 || archives.Archives[0].SHA256 != sum || archives.Archives[0].UID != p.Allocation.UID {
		t.Errorf("archives: %+v, file sha256 %s", archives.Archives, sum)
	}
	if out := h.Run(t, "/share/bin/missioncontrol-executor", "archive", "verify"); !strings.Contains(out, "1 archives verified") {
		t.Errorf("archive verify: %s", out)
	}
	h.Run(t, "sh", "-c", "printf x >> /var/lib/missioncontrol/archives/umbrella.tar.gz")
	if out, err := h.Try("/share/bin/missioncontrol-executor", "archive", "verify"); err == nil || !strings.Contains(out, "recorded "+sum) {
		t.Errorf("verify of a changed archive: %v %s", err, out)
	}
	// the uid stays reserved while the archive exists
	other := e.c.mustPlan(tenantChange(api.TenantSpec{Name: "umbrella2", Environment: api.EnvDevelopment}))
	if other.Allocation.UID == p.Allocation.UID {
		t.Errorf("uid %d reused while its archive exists", p.Allocation.UID)
	}
	if p2 := e.c.mustPlan(destroy); len(p2.Steps) != 0 {
		t.Errorf("second decommission plan not empty: %q", p2.Summaries())
	}
}

// When the archive cannot be written (here: the archive dir is a full
// filesystem), decommissioning stops before anything is removed, and once
// there is room a retry converges.
func TestDecommissionKeepsEverythingUntilTheArchiveIsVerified(t *testing.T) {
	t.Parallel()
	e := boot(t)
	h := e.host
	e.c.apply(bootstrapChanges("soylent"))
	h.Run(t, "mount", "-t", "tmpfs", "-o", "size=8k", "full", "/var/lib/missioncontrol/archives")
	h.Run(t, "dd", "if=/dev/zero", "of=/var/lib/missioncontrol/archives/.fill", "bs=4096", "count=2")

	destroy := api.PlanRequest{Tenant: "soylent", Changes: []api.Change{{Kind: api.ObjectTenant, Action: api.ActionDestroy}}}
	p := e.c.mustPlan(destroy)
	j, err := e.c.submit(destroy, p.Digest)
	if err != nil {
		t.Fatal(err)
	}
	if j = e.c.wait(j.ID); j.State != api.JobFailed || !strings.Contains(j.Error, "archive") {
		t.Fatalf("decommission onto a full disk: %s %q", j.State, j.Error)
	}
	for _, argv := range [][]string{
		{"getent", "passwd", "mc-soylent"},
		{"test", "-f", "/srv/missioncontrol/tenants/soylent/.openclaw/workspace-main/AGENTS.md"},
		{"test", "-f", "/etc/missioncontrol/tenants/soylent/gateway.env"},
	} {
		if out, err := h.Try(argv...); err != nil {
			t.Errorf("%q after the failed archive: %v %s", argv, err, out)
		}
	}
	if out, _ := h.Try("ls", "-A", "/var/lib/missioncontrol/archives"); strings.Contains(out, "soylent") {
		t.Errorf("a partial archive was left: %s", out)
	}
	h.Run(t, "umount", "/var/lib/missioncontrol/archives")
	var retry api.Job
	if err := e.c.do("POST", api.PathJobs+"/"+j.ID+"/retry", nil, &retry); err != nil {
		t.Fatal(err)
	}
	if r := e.c.wait(retry.ID); r.State != api.JobSucceeded {
		t.Fatalf("retry: %s %q", r.State, r.Error)
	}
	if _, err := h.Try("getent", "passwd", "mc-soylent"); err == nil {
		t.Error("the user survived the retried decommission")
	}
	h.Run(t, "tar", "--list", "--gzip", "--file", "/var/lib/missioncontrol/archives/soylent.tar.gz")
}
