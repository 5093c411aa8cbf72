package api_test

import (
	"fmt"
	"testing"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

// benchPlan is shaped like a tenant's first plan: a tenant with a workspace
// and its gateway, 17 steps.
func benchPlan() *api.Plan {
	spec := api.TenantSpec{Name: "acme", DisplayName: "Acme", Environment: api.EnvDevelopment,
		Limits: api.Limits{MemoryMaxMB: 1536, TasksMax: 256}, Labels: map[string]string{"tier": "gold", "team": "ops"}}
	p := &api.Plan{HostID: "host-5f2c", Tenant: "acme", Fingerprint: "sha256:" + fmt.Sprintf("%064x", 42), PolicyRevision: fmt.Sprintf("%064x", 7),
		Desired: api.Desired{Tenant: spec,
			Workspaces: []api.WorkspaceSpec{{Name: "main", Files: map[string]string{"AGENTS.md": "# Acme agent\n", "SOUL.md": "Be helpful.\n"}}},
			Services:   []api.ServiceSpec{{Kind: api.ServiceGateway, Enabled: true}}},
		Allocation: api.Allocation{UID: 20001, GID: 20001, GatewayPort: 20140, User: "mc-acme", Group: "mc-acme"}}
	home := "/srv/missioncontrol/tenants/acme"
	p.Steps = []api.Step{
		{Kind: api.StepEnsureGroup, Summary: "create group mc-acme gid 20001", Object: "tenant", Reason: "group missing", Argv: []string{"/usr/sbin/groupadd", "-g", "20001", "mc-acme"}, GID: 20001},
		{Kind: api.StepEnsureUser, Summary: "create user mc-acme uid 20001", Object: "tenant", Reason: "user missing", Argv: []string{"/usr/sbin/useradd", "-u", "20001", "-g", "20001", "-M", "-d", home, "-s", "/usr/sbin/nologin", "mc-acme"}, UID: 20001, GID: 20001},
	}
	for _, d := range []string{home, home + "/.openclaw", home + "/.openclaw/logs", home + "/.openclaw/workspace-main", "/etc/missioncontrol/tenants/acme", "/etc/systemd/system/missioncontrol-gateway@acme.service.d"} {
		p.Steps = append(p.Steps, api.Step{Kind: api.StepEnsureDir, Summary: "create directory " + d + " (mc-acme:mc-acme 0750)", Object: "tenant", Reason: "missing", Path: d, Owner: "mc-acme", Group: "mc-acme", Mode: "0750"})
	}
	for _, f := range []string{home + "/.openclaw/openclaw.json", home + "/.openclaw/workspace-main/AGENTS.md", home + "/.openclaw/workspace-main/SOUL.md", "/etc/missioncontrol/tenants/acme/gateway.env", "/etc/missioncontrol/tenants/acme/token.env", "/etc/systemd/system/missioncontrol-gateway@acme.service.d/limits.conf"} {
		p.Steps = append(p.Steps, api.Step{Kind: api.StepEnsureFile, Summary: "write " + f + " (mc-acme:mc-acme 0640)", Object: "tenant", Reason: "missing", Path: f, Owner: "mc-acme", Group: "mc-acme", Mode: "0640", ContentSHA256: fmt.Sprintf("%064x", len(f))})
	}
	unit := "missioncontrol-gateway@acme.service"
	p.Steps = append(p.Steps,
		api.Step{Kind: api.StepDaemonReload, Summary: "reload systemd", Object: "tenant", Reason: "drop-in changed", Argv: []string{"/usr/bin/systemctl", "daemon-reload"}},
		api.Step{Kind: api.StepEnableUnit, Summary: "enable and start " + unit, Object: "service:gateway", Reason: "unit not enabled", Argv: []string{"/usr/bin/systemctl", "enable", "--now", unit}, Unit: unit, Port: 20140},
		api.Step{Kind: api.StepRestartUnit, Summary: "restart " + unit, Object: "service:gateway", Reason: "configuration changed", Argv: []string{"/usr/bin/systemctl", "restart", unit}, Unit: unit},
	)
	return p
}

// BenchmarkComputeDigest is the plan digest: canonical JSON of the plan's
// covered fields, then sha256.
func BenchmarkComputeDigest(b *testing.B) {
	p := benchPlan()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := api.ComputeDigest(p); err != nil {
			b.Fatal(err)
		}
	}
}
