package plan_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/config"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/plan"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/policy"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/steps"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/store"
)

// unitRunner answers `systemctl show` as systemd does for units it has never
// heard of; it records every argv. It is the only fake here: planning never
// runs anything else.
type unitRunner struct{ calls [][]string }

func (r *unitRunner) Run(_ context.Context, argv []string) (steps.Result, error) {
	r.calls = append(r.calls, argv)
	if len(argv) < 2 || argv[1] != "show" {
		return steps.Result{}, fmt.Errorf("planning ran %q", argv)
	}
	var blocks []string
	for _, u := range argv[4:] {
		blocks = append(blocks, "Id="+u+"\nLoadState=not-found\nActiveState=inactive\nSubState=dead\nUnitFileState=\nNRestarts=0")
	}
	return steps.Result{Stdout: []byte(strings.Join(blocks, "\n\n") + "\n")}, nil
}

type fixture struct {
	planner *plan.Planner
	store   *store.Store
	runner  *unitRunner
	root    string
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	root := t.TempDir()
	cfg := config.Default()
	cfg.Tenants.Root = filepath.Join(root, "srv/tenants")
	cfg.Tenants.ConfigRoot = filepath.Join(root, "etc/tenants")
	cfg.Systemd.UnitDir = filepath.Join(root, "etc/systemd")
	cfg.SudoersDir = filepath.Join(root, "etc/sudoers.d")
	for _, d := range []string{cfg.Tenants.Root, cfg.Tenants.ConfigRoot, cfg.Systemd.UnitDir, cfg.SudoersDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	passwd := filepath.Join(root, "passwd")
	group := filepath.Join(root, "group")
	os.WriteFile(passwd, []byte("root:x:0:0:root:/root:/bin/bash\nbusy:x:20000:20000::/home/busy:/bin/sh\n"), 0o644)
	os.WriteFile(group, []byte("root:x:0:\nbusy:x:20000:\n"), 0o644)
	pol, err := policy.Parse([]byte(fmt.Sprintf(`
actions { allow = ["ensure_group", "ensure_user", "ensure_dir", "ensure_file", "ensure_secret", "install_unit", "daemon_reload", "enable_unit", "restart_unit", "stop_unit", "sudoers", "remove_file"] }
names {
  pattern  = "^[a-z][a-z0-9-]{1,28}$"
  reserved = ["root"]
}
environments = ["development", "staging", "production"]
paths {
  allow = [%[1]q, %[2]q, %[3]q, %[4]q]
  deny  = [%[5]q]
}
uids {
  min = 20000
  max = 29999
}
ports {
  min = 20000
  max = 29999
}
units {
  allow = ["missioncontrol-gateway@*.service"]
  verbs = ["daemon-reload", "enable", "restart", "disable"]
}
command "/usr/sbin/groupadd" { sha256 = %[6]q }
command "/usr/sbin/useradd" { sha256 = %[6]q }
command "/usr/bin/systemctl" { sha256 = %[6]q }
command "/usr/sbin/visudo" { sha256 = %[6]q }
sudo { allow_commands = ["/usr/bin/systemctl restart missioncontrol-gateway@*"] }
approvals {
  development = 0
  staging = 1
  production = 2
}
`, cfg.Tenants.Root+"/", cfg.Tenants.ConfigRoot+"/", cfg.Systemd.UnitDir+"/missioncontrol-gateway@", cfg.SudoersDir+"/missioncontrol-",
		cfg.Tenants.ConfigRoot+"/forbidden", strings.Repeat("ab", 32))), "policy.hcl")
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(filepath.Join(root, "executor.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	r := &unitRunner{}
	host := &steps.Host{Runner: r, PasswdFile: passwd, GroupFile: group, Commands: steps.Commands{
		Groupadd: "/usr/sbin/groupadd", Useradd: "/usr/sbin/useradd", Systemctl: "/usr/bin/systemctl", Visudo: "/usr/sbin/visudo",
	}}
	return &fixture{
		planner: &plan.Planner{Config: cfg, Policy: func() *policy.Policy { return pol }, Host: host, Registry: st,
			Render: plan.Renderer{Config: cfg}, HostID: "host-1"},
		store: st, runner: r, root: root,
	}
}

func tenantReq(spec api.TenantSpec) api.PlanRequest {
	return api.PlanRequest{Tenant: spec.Name, Changes: []api.Change{{Kind: api.ObjectTenant, Action: api.ActionApply, Tenant: &spec}}}
}

func TestPlanNewTenant(t *testing.T) {
	f := newFixture(t)
	res, err := f.planner.Plan(context.Background(), tenantReq(api.TenantSpec{Name: "acme", Environment: api.EnvDevelopment}))
	if err != nil {
		t.Fatal(err)
	}
	a := res.Plan.Allocation
	if a.UID < 20001 || a.UID > 29999 || a.GID != a.UID {
		t.Fatalf("uid/gid %d/%d outside the range or the busy uid", a.UID, a.GID)
	}
	if (a.GatewayPort-20000)%20 != 0 {
		t.Fatalf("port %d not on the stride grid", a.GatewayPort)
	}
	tr := f.planner.Config.Tenants
	want := []string{
		fmt.Sprintf("create group mc-acme gid %d", a.GID),
		fmt.Sprintf("create user mc-acme uid %d", a.UID),
		fmt.Sprintf("create directory %s/acme (mc-acme:mc-acme 0750)", tr.Root),
		fmt.Sprintf("create directory %s/acme/.openclaw (mc-acme:mc-acme 0750)", tr.Root),
		fmt.Sprintf("create directory %s/acme/.openclaw/logs (mc-acme:mc-acme 0750)", tr.Root),
	}
	got := res.Plan.Summaries()
	if diff := cmp.Diff(want, got[:len(want)]); diff != "" {
		t.Errorf("first steps (-want +got):\n%s", diff)
	}
	for _, prefix := range []string{"write " + tr.Root + "/acme/.openclaw/openclaw.json", "create directory " + tr.ConfigRoot + "/acme",
		"write " + tr.ConfigRoot + "/acme/gateway.env", "generate secret " + tr.ConfigRoot + "/acme/token.env"} {
		if !hasPrefix(got, prefix) {
			t.Errorf("no step starting %q in %q", prefix, got)
		}
	}
	if !strings.HasPrefix(res.Plan.Digest, "sha256:") {
		t.Errorf("digest %q", res.Plan.Digest)
	}
	for _, c := range f.runner.calls {
		if c[1] != "show" {
			t.Errorf("planning ran %q", c)
		}
	}
}

func hasPrefix(list []string, p string) bool {
	for _, s := range list {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

func TestPlanIsDeterministicAndReadOnly(t *testing.T) {
	f := newFixture(t)
	req := tenantReq(api.TenantSpec{Name: "acme", Environment: api.EnvProduction, SudoCommands: []string{"/usr/bin/systemctl restart missioncontrol-gateway@acme.service"}})
	before := tree(t, f.root)
	a, err := f.planner.Plan(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.planner.Plan(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if a.Plan.Digest != b.Plan.Digest {
		t.Fatalf("digests differ: %s %s", a.Plan.Digest, b.Plan.Digest)
	}
	if diff := cmp.Diff(before, tree(t, f.root)); diff != "" {
		t.Fatalf("planning changed files:\n%s", diff)
	}
	// a different spec gives a different digest
	req.Changes[0].Tenant.DisplayName = "Acme Inc"
	c, err := f.planner.Plan(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if c.Plan.Digest == a.Plan.Digest {
		t.Fatal("digest ignores the spec")
	}
}

// tree lists every path below root with its size, except the database.
func tree(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil || strings.Contains(p, "executor.db") {
			return nil
		}
		out = append(out, fmt.Sprintf("%s %v %d", p, fi.Mode(), fi.Size()))
		return nil
	})
	return out
}

func TestPlanRefusals(t *testing.T) {
	f := newFixture(t)
	cases := map[string]struct {
		req  api.PlanRequest
		code api.Code
		rule string
	}{
		"traversal name":   {req: tenantReq(api.TenantSpec{Name: "../x", Environment: api.EnvDevelopment}), code: api.CodePolicyDenied, rule: "names.pattern"},
		"reserved name":    {req: tenantReq(api.TenantSpec{Name: "root", Environment: api.EnvDevelopment}), code: api.CodePolicyDenied, rule: "names.reserved"},
		"unknown env":      {req: tenantReq(api.TenantSpec{Name: "acme", Environment: "qa"}), code: api.CodePolicyDenied, rule: "environments"},
		"port below range": {req: tenantReq(api.TenantSpec{Name: "acme", Environment: api.EnvDevelopment, GatewayPort: 8080}), code: api.CodePolicyDenied},
		"port off grid":    {req: tenantReq(api.TenantSpec{Name: "acme", Environment: api.EnvDevelopment, GatewayPort: 20005}), code: api.CodePolicyDenied, rule: "ports.stride"},
		"denied path":      {req: tenantReq(api.TenantSpec{Name: "forbidden", Environment: api.EnvDevelopment}), code: api.CodePolicyDenied, rule: "paths.deny"},
		"sudo wildcard":    {req: tenantReq(api.TenantSpec{Name: "acme", Environment: api.EnvDevelopment, SudoCommands: []string{"/usr/bin/systemctl *"}}), code: api.CodePolicyDenied},
		"name mismatch": {req: api.PlanRequest{Tenant: "acme", Changes: []api.Change{{Kind: api.ObjectTenant, Action: api.ActionApply,
			Tenant: &api.TenantSpec{Name: "other", Environment: api.EnvDevelopment}}}}, code: api.CodeInvalidRequest},
		"workspace of unknown tenant": {req: api.PlanRequest{Tenant: "ghost", Changes: []api.Change{{Kind: api.ObjectWorkspace, Action: api.ActionApply,
			Workspace: &api.WorkspaceSpec{Name: "main"}}}}, code: api.CodeNotFound},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := f.planner.Plan(context.Background(), tc.req)
			if !api.IsCode(err, tc.code) {
				t.Fatalf("got %v, want code %s", err, tc.code)
			}
			if tc.rule != "" && !strings.Contains(err.Error(), tc.rule) {
				t.Fatalf("error %q does not name rule %s", err, tc.rule)
			}
		})
	}
}

func TestPlanScopesToChangedObject(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	spec := api.TenantSpec{Name: "acme", Environment: api.EnvDevelopment}
	res, err := f.planner.Plan(ctx, tenantReq(spec))
	if err != nil {
		t.Fatal(err)
	}
	// register it as a job would, without touching the host
	if err := f.store.PutTenant(ctx, res.Record); err != nil {
		t.Fatal(err)
	}
	ws := api.PlanRequest{Tenant: "acme", Changes: []api.Change{{Kind: api.ObjectWorkspace, Action: api.ActionApply,
		Workspace: &api.WorkspaceSpec{Name: "main", Files: map[string]string{"AGENTS.md": "# hi\n"}}}}}
	wres, err := f.planner.Plan(ctx, ws)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range wres.Plan.Steps {
		// the tenant's own missing user must not leak into the workspace's plan
		if s.Kind == api.StepEnsureUser || s.Kind == api.StepEnsureGroup {
			t.Errorf("workspace plan contains tenant step %q", s.Summary)
		}
	}
	if !hasPrefix(wres.Plan.Summaries(), "create directory "+f.planner.Config.Tenants.Root+"/acme/.openclaw/workspace-main") {
		t.Errorf("workspace plan lacks its directory: %q", wres.Plan.Summaries())
	}
}

// Terraform plans every resource, then plans each again right before
// applying it. A workspace's plan must not move when its tenant is changed
// first in the same run.
func TestWorkspacePlanStableAcrossTenantChange(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	spec := api.TenantSpec{Name: "acme", Environment: api.EnvDevelopment}
	res, err := f.planner.Plan(ctx, tenantReq(spec))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.store.PutTenant(ctx, res.Record); err != nil {
		t.Fatal(err)
	}
	ws := api.PlanRequest{Tenant: "acme", Changes: []api.Change{{Kind: api.ObjectWorkspace, Action: api.ActionApply,
		Workspace: &api.WorkspaceSpec{Name: "main", Files: map[string]string{"AGENTS.md": "# hi\n"}}}}}
	first, err := f.planner.Plan(ctx, ws)
	if err != nil {
		t.Fatal(err)
	}
	// the tenant's own change lands first: new display name, labels, port
	changed := spec
	changed.DisplayName, changed.Labels, changed.GatewayPort = "Acme Inc", map[string]string{"tier": "gold"}, 20100
	tres, err := f.planner.Plan(ctx, tenantReq(changed))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.store.PutTenant(ctx, tres.Record); err != nil {
		t.Fatal(err)
	}
	again, err := f.planner.Plan(ctx, ws)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(first.Plan.Summaries(), again.Plan.Summaries()); diff != "" {
		t.Errorf("workspace steps moved (-first +again):\n%s", diff)
	}
	if first.Plan.Digest != again.Plan.Digest {
		t.Errorf("workspace digest moved: %s -> %s", first.Plan.Digest, again.Plan.Digest)
	}
	// ...while a change of the workspace itself does move it
	ws.Changes[0].Workspace.Files["AGENTS.md"] = "# bye\n"
	other, err := f.planner.Plan(ctx, ws)
	if err != nil {
		t.Fatal(err)
	}
	if other.Plan.Digest == again.Plan.Digest {
		t.Error("a different workspace spec kept the digest")
	}
	// and the caused openclaw.json step is listed, owned by the tenant
	var caused bool
	for _, s := range first.Plan.Steps {
		caused = caused || s.Object == "tenant" && strings.HasSuffix(strings.Fields(s.Summary)[1], "openclaw.json")
	}
	if !caused {
		t.Errorf("no caused openclaw.json step in %q", first.Plan.Summaries())
	}
}

// Two workspaces of one tenant planned together, then applied one after the
// other (Terraform applies them in parallel; the executor runs them in
// turn): the second's digest must not move when the first lands, although
// the tenant's openclaw.json, which both change, now differs.
func TestWorkspacePlanStableAcrossSiblingWorkspace(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	res, err := f.planner.Plan(ctx, tenantReq(api.TenantSpec{Name: "acme", Environment: api.EnvDevelopment}))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.store.PutTenant(ctx, res.Record); err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(f.planner.Config.Tenants.Root, "acme/.openclaw/openclaw.json")
	if err := os.MkdirAll(filepath.Dir(config), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(config, []byte(`{"as":"the tenant job wrote it"}`), 0o640); err != nil {
		t.Fatal(err)
	}
	ws := func(name string) api.PlanRequest {
		return api.PlanRequest{Tenant: "acme", Changes: []api.Change{{Kind: api.ObjectWorkspace, Action: api.ActionApply,
			Workspace: &api.WorkspaceSpec{Name: name, Files: map[string]string{"AGENTS.md": "# " + name + "\n"}}}}}
	}
	first, err := f.planner.Plan(ctx, ws("two"))
	if err != nil {
		t.Fatal(err)
	}
	// workspace "one" lands first: registered, and openclaw.json rewritten
	one, err := f.planner.Plan(ctx, ws("one"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.store.PutTenant(ctx, one.Record); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(config, []byte(`{"as":"the job of workspace one wrote it"}`), 0o640); err != nil {
		t.Fatal(err)
	}
	again, err := f.planner.Plan(ctx, ws("two"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(first.Plan.Summaries(), again.Plan.Summaries()); diff != "" {
		t.Errorf("workspace steps moved (-first +again):\n%s", diff)
	}
	if first.Plan.Digest != again.Plan.Digest {
		t.Errorf("workspace digest moved when its sibling landed: %s -> %s", first.Plan.Digest, again.Plan.Digest)
	}
}
