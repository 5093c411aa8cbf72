package policy_test

import (
	"testing"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/policy"
)

// bootstrapSteps are the steps of a tenant's first plan, as the planner
// renders them, each of which testPolicy allows.
func bootstrapSteps() []api.Step {
	home := "/srv/missioncontrol/tenants/acme"
	unit := "missioncontrol-gateway@acme.service"
	steps := []api.Step{
		{Kind: api.StepEnsureGroup, Argv: []string{"/usr/sbin/groupadd", "-g", "20001", "mc-acme"}, GID: 20001},
		{Kind: api.StepEnsureUser, Argv: []string{"/usr/sbin/useradd", "-u", "20001", "-g", "20001", "-M", "-d", home, "-s", "/usr/sbin/nologin", "mc-acme"}, UID: 20001, GID: 20001},
	}
	for _, d := range []string{home, home + "/.openclaw", home + "/.openclaw/logs", home + "/.openclaw/workspace-main", "/etc/missioncontrol/tenants/acme"} {
		steps = append(steps, api.Step{Kind: api.StepEnsureDir, Path: d, Owner: "mc-acme", Group: "mc-acme", Mode: "0750"})
	}
	for _, f := range []string{home + "/.openclaw/openclaw.json", home + "/.openclaw/workspace-main/AGENTS.md", "/etc/missioncontrol/tenants/acme/gateway.env"} {
		steps = append(steps, api.Step{Kind: api.StepEnsureFile, Path: f, Owner: "mc-acme", Group: "mc-acme", Mode: "0640", Port: 20140})
	}
	return append(steps,
		api.Step{Kind: api.StepInstallUnit, Path: "/etc/systemd/system/missioncontrol-gateway@acme.service.d/limits.conf", Unit: unit, Mode: "0644"},
		api.Step{Kind: api.StepDaemonReload, Argv: []string{"/usr/bin/systemctl", "daemon-reload"}},
		api.Step{Kind: api.StepEnableUnit, Unit: unit, Argv: []string{"/usr/bin/systemctl", "enable", "--now", unit}},
	)
}

// BenchmarkEvaluate is policy evaluation of one whole first plan (13 steps;
// ns/op is per plan).
func BenchmarkEvaluate(b *testing.B) {
	p, err := policy.Parse([]byte(testPolicy), "policy.hcl")
	if err != nil {
		b.Fatal(err)
	}
	steps := bootstrapSteps()
	for _, s := range steps {
		if d := policy.Evaluate(p, s); !d.Allowed {
			b.Fatalf("%s %s denied: %s (%s)", s.Kind, s.Path, d.Reason, d.Rule)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, s := range steps {
			policy.Evaluate(p, s)
		}
	}
}

// BenchmarkCheckDesired is the check of a tenant's desired state (names,
// environment, workspaces, services) that precedes planning.
func BenchmarkCheckDesired(b *testing.B) {
	p, err := policy.Parse([]byte(testPolicy), "policy.hcl")
	if err != nil {
		b.Fatal(err)
	}
	d := api.Desired{Tenant: api.TenantSpec{Name: "acme", Environment: api.EnvDevelopment, Labels: map[string]string{"tier": "gold"}},
		Workspaces: []api.WorkspaceSpec{{Name: "main", Files: map[string]string{"AGENTS.md": "# agent\n"}}},
		Services:   []api.ServiceSpec{{Kind: api.ServiceGateway, Enabled: true, Environment: map[string]string{"LOG_LEVEL": "info"}}}}
	a := api.Allocation{UID: 20001, GID: 20001, GatewayPort: 20140}
	if e := p.CheckDesired(d, a); e != nil {
		b.Fatal(e)
	}
	b.ReportAllocs()
	for b.Loop() {
		p.CheckDesired(d, a)
	}
}
