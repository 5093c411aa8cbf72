package e2e_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

// updateBase is a tenant with every mutable attribute set.
func updateBase(name string) api.PlanRequest {
	spec := api.TenantSpec{Name: name, DisplayName: "Pendant", Environment: api.EnvDevelopment,
		Labels:       map[string]string{"team": "paper"},
		Limits:       api.Limits{MemoryMaxMB: 1536, CPUQuotaPercent: 100, TasksMax: 256},
		SudoCommands: []string{"/usr/bin/systemctl restart missioncontrol-gateway@" + name + ".service"},
		ModelProviders: []api.ModelProvider{{Name: "local", BaseURL: "http://127.0.0.1:9/v1", API: "openai-completions",
			Models: []api.Model{{ID: "small"}, {ID: "large"}}}},
	}
	return api.PlanRequest{Tenant: name, Changes: []api.Change{
		{Kind: api.ObjectTenant, Action: api.ActionApply, Tenant: &spec},
		{Kind: api.ObjectWorkspace, Action: api.ActionApply, Workspace: &api.WorkspaceSpec{Name: "main", Model: "local/small",
			Files: map[string]string{"AGENTS.md": "# Pendant agent\n"}}},
		{Kind: api.ObjectService, Action: api.ActionApply, Service: &api.ServiceSpec{Kind: api.ServiceGateway, Enabled: true,
			Environment: map[string]string{"LOG_LEVEL": "info"}}},
	}}
}

// stepKinds renders a plan's steps as "kind object" lines.
func stepKinds(p api.Plan) string {
	var out []string
	for _, s := range p.Steps {
		out = append(out, string(s.Kind)+" "+s.Object)
	}
	return strings.Join(out, "\n")
}

// Each mutable attribute changes with exactly the steps it needs, and a
// restart of the gateway only when a file the gateway reads at start
// changed (limits apply on daemon-reload); every change converges (planning
// it again is empty, and the host shows it: systemd has the new limits for
// the gateway that kept running), and re-planning the whole spec is empty.
func TestUpdateKinds(t *testing.T) {
	t.Parallel()
	e := boot(t)
	h := e.host
	const name = "pendant"
	const unit = "missioncontrol-gateway@" + name + ".service"
	base := updateBase(name)
	e.c.apply(base)
	if p := e.c.mustPlan(base); len(p.Steps) != 0 {
		t.Fatalf("the applied base plans steps: %q", p.Summaries())
	}
	// The changes accumulate: cur is the desired state after each.
	tenant, ws, svc := *base.Changes[0].Tenant, *base.Changes[1].Workspace, *base.Changes[2].Service
	tenantReq := func(f func(s *api.TenantSpec)) func() api.PlanRequest {
		return func() api.PlanRequest { f(&tenant); return tenantChange(tenant) }
	}
	wsReq := func(f func(w *api.WorkspaceSpec)) func() api.PlanRequest {
		return func() api.PlanRequest {
			files := map[string]string{}
			for k, v := range ws.Files {
				files[k] = v
			}
			ws.Files = files
			f(&ws)
			w := ws
			return api.PlanRequest{Tenant: name, Changes: []api.Change{{Kind: api.ObjectWorkspace, Action: api.ActionApply, Workspace: &w}}}
		}
	}
	svcReq := func(f func(s *api.ServiceSpec)) func() api.PlanRequest {
		return func() api.PlanRequest {
			f(&svc)
			s := svc
			return api.PlanRequest{Tenant: name, Changes: []api.Change{{Kind: api.ObjectService, Action: api.ActionApply, Service: &s}}}
		}
	}
	show := func(prop string) string {
		return strings.TrimSpace(h.Run(t, "systemctl", "show", "-p", prop, "--value", unit))
	}
	envFile := "/etc/missioncontrol/tenants/" + name + "/gateway.env"
	restart := []string{"restart_unit tenant"}
	limits := []string{"install_unit tenant", "daemon_reload tenant"}
	cases := []struct {
		name   string
		change func() api.PlanRequest
		kinds  []string      // "kind object", in order
		host   func() string // what the host shows afterwards ("" = as expected)
	}{
		// registry only: nothing on the host reads them
		{name: "display name", change: tenantReq(func(s *api.TenantSpec) { s.DisplayName = "Pendant Publishing" })},
		{name: "labels", change: tenantReq(func(s *api.TenantSpec) { s.Labels = map[string]string{"team": "latex"} })},
		// the limits drop-in: systemd applies it to the running gateway
		// on daemon-reload, so no restart
		{name: "memory limit", change: tenantReq(func(s *api.TenantSpec) { s.Limits.MemoryMaxMB = 2048 }), kinds: limits,
			host: func() string { return want(show("MemoryMax"), "2147483648") }},
		{name: "cpu quota", change: tenantReq(func(s *api.TenantSpec) { s.Limits.CPUQuotaPercent = 150 }), kinds: limits,
			host: func() string { return want(show("CPUQuotaPerSecUSec"), "1.500000s") }},
		{name: "tasks max", change: tenantReq(func(s *api.TenantSpec) { s.Limits.TasksMax = 300 }), kinds: limits,
			host: func() string { return want(show("TasksMax"), "300") }},
		// the port is in openclaw.json and gateway.env
		{name: "gateway port", change: tenantReq(func(s *api.TenantSpec) { s.GatewayPort = 29900 }),
			kinds: append([]string{"ensure_file tenant", "ensure_file tenant"}, restart...),
			host:  func() string { return contains(h.Run(t, "cat", envFile), "PORT=29900\n") }},
		// workspace files are read by the agent as it works: no restart
		{name: "workspace file", change: wsReq(func(w *api.WorkspaceSpec) { w.Files["AGENTS.md"] = "# Pendant agent\n\nBe brief.\n" }),
			kinds: []string{"ensure_file workspace:main"},
			host: func() string {
				return want(h.Run(t, "cat", "/srv/missioncontrol/tenants/"+name+"/.openclaw/workspace-main/AGENTS.md"), "# Pendant agent\n\nBe brief.\n")
			}},
		{name: "workspace added file", change: wsReq(func(w *api.WorkspaceSpec) { w.Files["SOUL.md"] = "calm\n" }),
			kinds: []string{"ensure_file workspace:main"}},
		// the model is the agent's entry in openclaw.json
		{name: "workspace model", change: wsReq(func(w *api.WorkspaceSpec) { w.Model = "local/large" }),
			kinds: append([]string{"ensure_file tenant"}, restart...),
			host: func() string {
				return contains(h.Run(t, "cat", "/srv/missioncontrol/tenants/"+name+"/.openclaw/openclaw.json"), "local/large")
			}},
		{name: "service environment", change: svcReq(func(s *api.ServiceSpec) { s.Environment = map[string]string{"LOG_LEVEL": "debug"} }),
			kinds: append([]string{"ensure_file tenant"}, restart...),
			host:  func() string { return contains(h.Run(t, "cat", envFile), "LOG_LEVEL=debug\n") }},
		// sudo reads its fragment on every call: no restart
		{name: "sudo commands", change: tenantReq(func(s *api.TenantSpec) {
			s.SudoCommands = []string{"/usr/bin/systemctl restart missioncontrol-gateway@" + name + ".service", "/usr/bin/systemctl restart missioncontrol-gateway@other.service"}
		}), kinds: []string{"sudoers tenant"},
			host: func() string {
				return contains(h.Run(t, "cat", "/etc/sudoers.d/missioncontrol-"+name), "missioncontrol-gateway@other.service")
			}},
		{name: "sudo commands removed", change: tenantReq(func(s *api.TenantSpec) { s.SudoCommands = nil }), kinds: []string{"remove_file tenant"},
			host: func() string {
				if out, err := h.Try("test", "-e", "/etc/sudoers.d/missioncontrol-"+name); err == nil {
					return "the sudoers fragment is still there " + out
				}
				return ""
			}},
	}
	for _, c := range cases {
		pid := show("MainPID")
		req := c.change()
		p := e.c.mustPlan(req)
		if got, want := stepKinds(p), strings.Join(c.kinds, "\n"); got != want {
			t.Errorf("%s: steps\n%s\nwant\n%s\n(%q)", c.name, got, want, p.Summaries())
			continue
		}
		for _, s := range p.Steps {
			if s.Kind == api.StepRestartUnit && (s.Unit != unit || !strings.Contains(s.Summary, "restart "+unit)) {
				t.Errorf("%s: restart step %+v", c.name, s)
			}
		}
		e.c.apply(req)
		if again := e.c.mustPlan(req); len(again.Steps) != 0 {
			t.Errorf("%s: after applying, the same change plans %q", c.name, again.Summaries())
		}
		if c.host != nil {
			if msg := c.host(); msg != "" {
				t.Errorf("%s: %s", c.name, msg)
			}
		}
		restarted := show("MainPID") != pid
		if wantRestart := len(c.kinds) > 0 && c.kinds[len(c.kinds)-1] == restart[0]; restarted != wantRestart {
			t.Errorf("%s: gateway restarted %v, want %v", c.name, restarted, wantRestart)
		}
	}
	// the whole accumulated spec plans nothing: a no-op update is empty
	all := api.PlanRequest{Tenant: name, Changes: []api.Change{
		{Kind: api.ObjectTenant, Action: api.ActionApply, Tenant: &tenant},
		{Kind: api.ObjectWorkspace, Action: api.ActionApply, Workspace: &ws},
		{Kind: api.ObjectService, Action: api.ActionApply, Service: &svc},
	}}
	if p := e.c.mustPlan(all); len(p.Steps) != 0 {
		t.Errorf("the applied spec plans steps: %q", p.Summaries())
	}
	if got := show("ActiveState"); got != "active" {
		t.Errorf("the gateway is %s after the updates", got)
	}
}

func want(got, want string) string {
	if got != want {
		return fmt.Sprintf("got %q, want %q", got, want)
	}
	return ""
}

func contains(s, sub string) string {
	if !strings.Contains(s, sub) {
		return fmt.Sprintf("%q lacks %q", s, sub)
	}
	return ""
}
