package plan_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/policy"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/steps"
)

// activeRunner answers `systemctl show` as systemd does for a gateway that
// is enabled and running (MainPID 0: no start time to compare files with).
// Planning runs nothing else.
type activeRunner struct{}

func (activeRunner) Run(_ context.Context, argv []string) (steps.Result, error) {
	if len(argv) < 2 || argv[1] != "show" {
		return steps.Result{}, fmt.Errorf("planning ran %q", argv)
	}
	var blocks []string
	for _, u := range argv[4:] {
		if u == "--" {
			continue
		}
		blocks = append(blocks, "Id="+u+"\nLoadState=loaded\nActiveState=active\nSubState=running\nUnitFileState=enabled\nNRestarts=0\nMainPID=0\nNeedDaemonReload=no")
	}
	return steps.Result{Stdout: []byte(strings.Join(blocks, "\n\n") + "\n")}, nil
}

// The plan of a change to one mutable attribute of a converged tenant lists
// exactly the step kinds it needs, and a restart of the gateway only when a
// file the gateway reads at start changes (systemd applies the limits
// drop-in on daemon-reload). The same cases
// converge on a real host in e2e TestUpdateKinds.
func TestPlanUpdateKinds(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root: converging the fixture sets file owners")
	}
	f := newFixture(t)
	ctx := context.Background()
	cfg := &f.planner.Config
	cfg.Gateway.Command = []string{"/bin/sleep", "1000"}
	bin, err := os.ReadFile("/bin/sleep")
	if err != nil {
		t.Fatal(err)
	}
	pol, err := policy.Parse([]byte(fmt.Sprintf(`
actions { allow = ["ensure_group", "ensure_user", "ensure_dir", "ensure_file", "ensure_secret", "install_unit", "daemon_reload", "enable_unit", "restart_unit", "stop_unit", "sudoers", "remove_file"] }
names {
  pattern  = "^[a-z][a-z0-9-]{1,28}$"
  reserved = ["root"]
}
environments = ["development"]
paths { allow = [%[1]q, %[2]q, %[3]q, %[4]q] }
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
command "/usr/sbin/groupadd" { sha256 = %[5]q }
command "/usr/sbin/useradd" { sha256 = %[5]q }
command "/usr/sbin/usermod" { sha256 = %[5]q }
command "/usr/bin/systemctl" { sha256 = %[5]q }
command "/usr/sbin/visudo" { sha256 = %[5]q }
command "/bin/sleep" { sha256 = %[6]q }
sudo { allow_commands = ["/usr/bin/systemctl restart missioncontrol-gateway@*"] }
approvals { development = 0 }
`, cfg.Tenants.Root+"/", cfg.Tenants.ConfigRoot+"/", cfg.Systemd.UnitDir+"/missioncontrol-gateway@", cfg.SudoersDir+"/missioncontrol-",
		strings.Repeat("ab", 32), steps.SHA256(bin))), "policy.hcl")
	if err != nil {
		t.Fatal(err)
	}
	f.planner.Policy = func() *policy.Policy { return pol }
	h := f.planner.Host
	h.Runner = activeRunner{}
	h.Commands.Usermod = "/usr/sbin/usermod"
	h.ShadowFile = filepath.Join(f.root, "shadow")
	os.WriteFile(h.ShadowFile, nil, 0o600)

	spec := api.TenantSpec{Name: "acme", DisplayName: "Acme", Environment: api.EnvDevelopment, Labels: map[string]string{"team": "a"},
		Limits: api.Limits{MemoryMaxMB: 1536, CPUQuotaPercent: 100, TasksMax: 256},
		ModelProviders: []api.ModelProvider{{Name: "local", BaseURL: "http://127.0.0.1:9/v1", API: "openai-completions",
			Models: []api.Model{{ID: "small"}, {ID: "large"}}}}}
	ws := api.WorkspaceSpec{Name: "main", Model: "local/small", Files: map[string]string{"AGENTS.md": "# Acme\n"}}
	svc := api.ServiceSpec{Kind: api.ServiceGateway, Enabled: true, Environment: map[string]string{"LOG_LEVEL": "info"}}
	base := api.PlanRequest{Tenant: "acme", Changes: []api.Change{
		{Kind: api.ObjectTenant, Action: api.ActionApply, Tenant: &spec},
		{Kind: api.ObjectWorkspace, Action: api.ActionApply, Workspace: &ws},
		{Kind: api.ObjectService, Action: api.ActionApply, Service: &svc},
	}}

	// Converge the fixture: the account in its files, every file and
	// directory written by its own action, the tenant registered.
	res, err := f.planner.Plan(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	a := res.Plan.Allocation
	appendLine := func(path, line string) {
		fh, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(fh, line)
		fh.Close()
	}
	appendLine(h.PasswdFile, fmt.Sprintf("mc-acme:x:%d:%d::%s:%s", a.UID, a.GID, a.Home, cfg.Tenants.NologinShell))
	appendLine(h.GroupFile, fmt.Sprintf("mc-acme:x:%d:", a.GID))
	appendLine(h.ShadowFile, "mc-acme:!:20000:0:99999:7:::")
	for _, act := range res.Actions {
		switch act.Step.Kind {
		case api.StepEnsureDir, api.StepEnsureFile, api.StepEnsureSecret, api.StepInstallUnit:
			if _, err := act.Apply(ctx, h); err != nil {
				t.Fatalf("converge %s: %v", act.Step.Summary, err)
			}
		}
	}
	if err := f.store.PutTenant(ctx, res.Record); err != nil {
		t.Fatal(err)
	}
	if p, err := f.planner.Plan(ctx, base); err != nil || len(p.Plan.Steps) != 0 {
		t.Fatalf("the converged base plans %q (%v)", p.Plan.Summaries(), err)
	}

	tenant := func(change func(s *api.TenantSpec)) api.PlanRequest {
		s := spec
		s.Limits, s.Labels = spec.Limits, map[string]string{"team": "a"}
		change(&s)
		return tenantReq(s)
	}
	workspace := func(change func(w *api.WorkspaceSpec)) api.PlanRequest {
		w := ws
		w.Files = map[string]string{"AGENTS.md": ws.Files["AGENTS.md"]}
		change(&w)
		return api.PlanRequest{Tenant: "acme", Changes: []api.Change{{Kind: api.ObjectWorkspace, Action: api.ActionApply, Workspace: &w}}}
	}
	restart := "restart_unit tenant"
	// systemd applies resource limits on daemon-reload: no restart
	limits := []string{"install_unit tenant", "daemon_reload tenant"}
	cases := map[string]struct {
		req   api.PlanRequest
		kinds []string
	}{
		"no change":      {req: base},
		"display name":   {req: tenant(func(s *api.TenantSpec) { s.DisplayName = "Acme Inc" })},
		"labels":         {req: tenant(func(s *api.TenantSpec) { s.Labels["team"] = "b" })},
		"memory max":     {req: tenant(func(s *api.TenantSpec) { s.Limits.MemoryMaxMB = 2048 }), kinds: limits},
		"cpu quota":      {req: tenant(func(s *api.TenantSpec) { s.Limits.CPUQuotaPercent = 150 }), kinds: limits},
		"tasks max":      {req: tenant(func(s *api.TenantSpec) { s.Limits.TasksMax = 300 }), kinds: limits},
		"limits removed": {req: tenant(func(s *api.TenantSpec) { s.Limits = api.Limits{} }), kinds: []string{"remove_file tenant", "daemon_reload tenant"}},
		"gateway port":   {req: tenant(func(s *api.TenantSpec) { s.GatewayPort = 29900 }), kinds: []string{"ensure_file tenant", "ensure_file tenant", restart}},
		"sudo commands": {req: tenant(func(s *api.TenantSpec) {
			s.SudoCommands = []string{"/usr/bin/systemctl restart missioncontrol-gateway@acme.service"}
		}), kinds: []string{"sudoers tenant"}},
		"suspended":           {req: tenant(func(s *api.TenantSpec) { s.Suspended = true }), kinds: []string{"ensure_user tenant", "stop_unit service:gateway"}},
		"workspace file":      {req: workspace(func(w *api.WorkspaceSpec) { w.Files["AGENTS.md"] = "# Acme\n\nBe brief.\n" }), kinds: []string{"ensure_file workspace:main"}},
		"workspace new file":  {req: workspace(func(w *api.WorkspaceSpec) { w.Files["SOUL.md"] = "calm\n" }), kinds: []string{"ensure_file workspace:main"}},
		"workspace model":     {req: workspace(func(w *api.WorkspaceSpec) { w.Model = "local/large" }), kinds: []string{"ensure_file tenant", restart}},
		"service environment": {req: api.PlanRequest{Tenant: "acme", Changes: []api.Change{{Kind: api.ObjectService, Action: api.ActionApply, Service: &api.ServiceSpec{Kind: api.ServiceGateway, Enabled: true, Environment: map[string]string{"LOG_LEVEL": "debug"}}}}}, kinds: []string{"ensure_file tenant", restart}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			res, err := f.planner.Plan(ctx, tc.req)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range res.Plan.Steps {
				got = append(got, string(s.Kind)+" "+s.Object)
			}
			if strings.Join(got, "\n") != strings.Join(tc.kinds, "\n") {
				t.Errorf("steps\n%s\nwant\n%s\n(%q)", strings.Join(got, "\n"), strings.Join(tc.kinds, "\n"), res.Plan.Summaries())
			}
		})
	}
}
