package policy_test

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/policy"
)

var (
	pinA = strings.Repeat("a", 64)
	pinB = strings.Repeat("b", 64)
	pinC = strings.Repeat("c", 64)
)

// testPolicy is the example policy with pins, plus an unpinned usermod and
// a reserved "mc-ops".
var testPolicy = `# test policy
actions {
  allow = ["ensure_group", "ensure_user", "ensure_dir", "ensure_file", "ensure_secret", "install_unit",
  "daemon_reload", "enable_unit", "restart_unit", "stop_unit", "sudoers", "remove_file",
  "archive", "remove_user", "remove_group", "remove_dir"]
}
names {
  pattern  = "^[a-z][a-z0-9-]{1,28}$"
  reserved = ["root", "admin", "daemon", "bin", "sys", "nobody", "missioncontrol", "systemd", "sudo", "mc-ops"]
}
environments = ["development", "staging", "production"]
paths {
  allow = ["/srv/missioncontrol/tenants/", "/etc/missioncontrol/tenants/",
  "/etc/systemd/system/missioncontrol-gateway@", "/etc/sudoers.d/missioncontrol-", "/var/lib/missioncontrol/archives/"]
  deny = ["/etc/missioncontrol/tenants/root"]
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
command "/usr/sbin/groupadd" { sha256 = "` + pinA + `" }
command "/usr/sbin/useradd" { sha256 = "` + pinB + `" }
command "/usr/bin/systemctl" { sha256 = "` + pinC + `" }
command "/usr/sbin/usermod" { sha256 = "" }
sudo {
  allow_commands = ["/usr/bin/systemctl restart missioncontrol-gateway@*", "/usr/bin/journalctl -u missioncontrol-gateway@*.service"]
}
approvals {
  development = 0
  staging     = 1
  production  = 2
}
`

func mustParse(t *testing.T, src string) *policy.Policy {
	t.Helper()
	p, err := policy.Parse([]byte(src), "policy.hcl")
	if err != nil {
		t.Fatalf("Parse() = %v", err)
	}
	return p
}

// messages splits a joined error into its lines.
func messages(err error) []string {
	if err == nil {
		return nil
	}
	return strings.Split(err.Error(), "\n")
}

func TestExample(t *testing.T) {
	t.Parallel()
	p, err := policy.Load("../../examples/executor/policy.hcl")
	if err != nil {
		t.Fatalf("Load(example) = %v", err)
	}
	want := []string{
		"/opt/missioncontrol/openclaw/node/bin/node", "/opt/missioncontrol/openclaw/node_modules/openclaw/openclaw.mjs",
		"/usr/bin/systemctl", "/usr/bin/tar", "/usr/sbin/groupadd", "/usr/sbin/groupdel",
		"/usr/sbin/useradd", "/usr/sbin/userdel", "/usr/sbin/usermod", "/usr/sbin/visudo",
	}
	if diff := cmp.Diff(want, p.Unpinned()); diff != "" {
		t.Errorf("Unpinned() mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{}, p.Pins()); diff != "" {
		t.Errorf("Pins() mismatch (-want +got):\n%s", diff)
	}
	d := p.CheckDesired(api.Desired{Tenant: api.TenantSpec{Name: "acme", Environment: api.EnvProduction}}, api.Allocation{})
	if d != nil {
		t.Errorf("CheckDesired(acme) = %v", d)
	}
	// Budget suspensions are allowed and run without approvals, even in
	// production (which needs 2 for a change).
	if b := p.BudgetSuspend(); !b.Allowed || b.Rule != policy.RuleBudgetSuspend {
		t.Errorf("BudgetSuspend() = %+v, want allowed by %s", b, policy.RuleBudgetSuspend)
	}
	if n := p.BudgetApprovals(api.EnvProduction); n != 0 {
		t.Errorf("BudgetApprovals(production) = %d, want 0", n)
	}
}

func TestEvaluate(t *testing.T) {
	t.Parallel()
	p := mustParse(t, testPolicy)
	systemctl := "/usr/bin/systemctl"
	unit := "missioncontrol-gateway@acme.service"
	allow := policy.Decision{Allowed: true, Rule: "actions.allow"}

	tests := map[string]struct {
		policy    *policy.Policy // nil: p
		nilPolicy bool
		step      api.Step
		want      policy.Decision
	}{
		// allowed
		"ensure dir": {
			step: api.Step{Kind: api.StepEnsureDir, Path: "/srv/missioncontrol/tenants/acme", Owner: "mc-acme", Mode: "0750"},
			want: allow,
		},
		"ensure group": {
			step: api.Step{Kind: api.StepEnsureGroup, Argv: []string{"/usr/sbin/groupadd", "-g", "20001", "mc-acme"}, GID: 20001},
			want: allow,
		},
		"ensure user": {
			step: api.Step{Kind: api.StepEnsureUser, Argv: []string{"/usr/sbin/useradd", "-u", "20001", "mc-acme"}, UID: 20001, GID: 20001},
			want: allow,
		},
		"ensure file with port": {
			step: api.Step{Kind: api.StepEnsureFile, Path: "/etc/missioncontrol/tenants/acme/gateway.env", Mode: "0640", Port: 20000},
			want: allow,
		},
		"highest port": {
			step: api.Step{Kind: api.StepEnsureFile, Path: "/srv/missioncontrol/tenants/acme/.openclaw/openclaw.json", Port: 29995},
			want: allow,
		},
		"install template unit": {
			step: api.Step{Kind: api.StepInstallUnit, Path: "/etc/systemd/system/missioncontrol-gateway@.service", Unit: "missioncontrol-gateway@.service", Mode: "0644"},
			want: allow,
		},
		"install drop-in": {
			step: api.Step{Kind: api.StepInstallUnit, Path: "/etc/systemd/system/missioncontrol-gateway@acme.service.d/limits.conf", Unit: unit},
			want: allow,
		},
		"daemon reload": {
			step: api.Step{Kind: api.StepDaemonReload, Argv: []string{systemctl, "daemon-reload"}},
			want: allow,
		},
		"enable now": {
			step: api.Step{Kind: api.StepEnableUnit, Unit: unit, Argv: []string{systemctl, "enable", "--now", unit}},
			want: allow,
		},
		"enable now without a reload": {
			step: api.Step{Kind: api.StepEnableUnit, Unit: unit, Argv: []string{systemctl, "enable", "--now", "--no-reload", unit}},
			want: allow,
		},
		"disable now": {
			step: api.Step{Kind: api.StepStopUnit, Unit: unit, Argv: []string{systemctl, "disable", "--now", unit}},
			want: allow,
		},
		"sudoers fragment": {
			step: api.Step{Kind: api.StepSudoers, Path: "/etc/sudoers.d/missioncontrol-acme", Mode: "0440"},
			want: allow,
		},

		"archive": {
			step: api.Step{Kind: api.StepArchive, Path: "/var/lib/missioncontrol/archives/acme-20260101.tar.gz", Argv: []string{"/usr/sbin/groupadd"}},
			want: allow,
		},
		"remove user": {
			step: api.Step{Kind: api.StepRemoveUser, Argv: []string{"/usr/sbin/useradd"}, UID: 20001},
			want: allow,
		},

		// actions.allow
		"nil policy": {
			nilPolicy: true,
			step:      api.Step{Kind: api.StepEnsureDir, Path: "/srv/missioncontrol/tenants/acme"},
			want:      policy.Decision{Rule: "policy", Reason: "no policy is loaded"},
		},
		"unknown kind": {
			step: api.Step{Kind: "run_shell", Argv: []string{"/bin/sh", "-c", "id"}},
			want: policy.Decision{Rule: "actions.allow", Reason: `step kind "run_shell" is not in actions.allow`},
		},
		"kind not allowed": {
			policy: mustParse(t, strings.Replace(testPolicy, `"sudoers", `, "", 1)),
			step:   api.Step{Kind: api.StepSudoers, Path: "/etc/sudoers.d/missioncontrol-acme"},
			want:   policy.Decision{Rule: "actions.allow", Reason: `step kind "sudoers" is not in actions.allow`},
		},

		// commands
		"unpinned executable": {
			step: api.Step{Kind: api.StepEnsureUser, Argv: []string{"/bin/sh", "-c", "useradd x"}, UID: 20001, GID: 20001},
			want: policy.Decision{Rule: "commands.pin", Reason: `command "/bin/sh" is not a pinned command`},
		},
		"command block without pin": {
			step: api.Step{Kind: api.StepEnsureUser, Argv: []string{"/usr/sbin/usermod", "-L", "mc-acme"}, UID: 20001, GID: 20001},
			want: policy.Decision{Rule: "commands.pin", Reason: `command "/usr/sbin/usermod" has no sha256 pin`},
		},
		"relative executable": {
			step: api.Step{Kind: api.StepEnsureGroup, Argv: []string{"groupadd", "mc-acme"}, GID: 20001},
			want: policy.Decision{Rule: "commands.pin", Reason: `command "groupadd" is not a pinned command`},
		},
		"newline in argv": {
			step: api.Step{Kind: api.StepEnsureGroup, Argv: []string{"/usr/sbin/groupadd", "mc-acme\nroot"}, GID: 20001},
			want: policy.Decision{Rule: "commands.argv", Reason: `argv[1] "mc-acme\nroot" contains NUL or a line break`},
		},
		"NUL in argv": {
			step: api.Step{Kind: api.StepEnsureGroup, Argv: []string{"/usr/sbin/groupadd\x00", "mc-acme"}, GID: 20001},
			want: policy.Decision{Rule: "commands.argv", Reason: `argv[0] "/usr/sbin/groupadd\x00" contains NUL or a line break`},
		},

		// paths
		"path traversal": {
			step: api.Step{Kind: api.StepEnsureFile, Path: "/srv/missioncontrol/tenants/../../etc/passwd"},
			want: policy.Decision{Rule: "paths.allow", Reason: `path "/srv/missioncontrol/tenants/../../etc/passwd" is not absolute and clean`},
		},
		"dot-dot inside a name": {
			step: api.Step{Kind: api.StepEnsureFile, Path: "/srv/missioncontrol/tenants/acme/..openclaw"},
			want: policy.Decision{Rule: "paths.allow", Reason: `path "/srv/missioncontrol/tenants/acme/..openclaw" is not absolute and clean`},
		},
		"dot segment": {
			step: api.Step{Kind: api.StepEnsureFile, Path: "/srv/missioncontrol/tenants/acme/./link"},
			want: policy.Decision{Rule: "paths.allow", Reason: `path "/srv/missioncontrol/tenants/acme/./link" is not absolute and clean`},
		},
		"double slash": {
			step: api.Step{Kind: api.StepEnsureDir, Path: "//srv/missioncontrol/tenants/acme"},
			want: policy.Decision{Rule: "paths.allow", Reason: `path "//srv/missioncontrol/tenants/acme" is not absolute and clean`},
		},
		"trailing slash": {
			step: api.Step{Kind: api.StepEnsureDir, Path: "/srv/missioncontrol/tenants/acme/"},
			want: policy.Decision{Rule: "paths.allow", Reason: `path "/srv/missioncontrol/tenants/acme/" is not absolute and clean`},
		},
		"relative path": {
			step: api.Step{Kind: api.StepEnsureFile, Path: "srv/missioncontrol/tenants/acme/x"},
			want: policy.Decision{Rule: "paths.allow", Reason: `path "srv/missioncontrol/tenants/acme/x" is not absolute and clean`},
		},
		"newline in path": {
			step: api.Step{Kind: api.StepEnsureFile, Path: "/srv/missioncontrol/tenants/acme/x\n/etc/passwd"},
			want: policy.Decision{Rule: "paths.allow", Reason: `path "/srv/missioncontrol/tenants/acme/x\n/etc/passwd" is not absolute and clean`},
		},
		"sibling of an allowed dir": {
			step: api.Step{Kind: api.StepEnsureDir, Path: "/srv/missioncontrol/tenants-evil/acme"},
			want: policy.Decision{Rule: "paths.allow", Reason: `path "/srv/missioncontrol/tenants-evil/acme" is outside paths.allow`},
		},
		"tenants root itself": {
			step: api.Step{Kind: api.StepRemoveFile, Path: "/srv/missioncontrol/tenants"},
			want: policy.Decision{Rule: "paths.allow", Reason: `path "/srv/missioncontrol/tenants" is outside paths.allow`},
		},
		"etc passwd": {
			step: api.Step{Kind: api.StepEnsureFile, Path: "/etc/passwd"},
			want: policy.Decision{Rule: "paths.allow", Reason: `path "/etc/passwd" is outside paths.allow`},
		},
		"other unit file": {
			step: api.Step{Kind: api.StepInstallUnit, Path: "/etc/systemd/system/ssh.service"},
			want: policy.Decision{Rule: "paths.allow", Reason: `path "/etc/systemd/system/ssh.service" is outside paths.allow`},
		},
		"other sudoers file": {
			step: api.Step{Kind: api.StepSudoers, Path: "/etc/sudoers.d/zz-admin"},
			want: policy.Decision{Rule: "paths.allow", Reason: `path "/etc/sudoers.d/zz-admin" is outside paths.allow`},
		},
		"deny overrides allow": {
			step: api.Step{Kind: api.StepEnsureFile, Path: "/etc/missioncontrol/tenants/root/gateway.env"},
			want: policy.Decision{Rule: "paths.deny", Reason: `path "/etc/missioncontrol/tenants/root/gateway.env" matches paths.deny "/etc/missioncontrol/tenants/root"`},
		},
		"deny is a prefix": {
			step: api.Step{Kind: api.StepEnsureDir, Path: "/etc/missioncontrol/tenants/rootkit"},
			want: policy.Decision{Rule: "paths.deny", Reason: `path "/etc/missioncontrol/tenants/rootkit" matches paths.deny "/etc/missioncontrol/tenants/root"`},
		},
		"remove_dir without path": {
			step: api.Step{Kind: api.StepRemoveDir},
			want: policy.Decision{Rule: "paths.allow", Reason: "remove_dir step names no path"},
		},
		"remove the archives": {
			step: api.Step{Kind: api.StepRemoveDir, Path: "/var/lib/missioncontrol/archives"},
			want: policy.Decision{Rule: "paths.allow", Reason: `path "/var/lib/missioncontrol/archives" is outside paths.allow`},
		},
		"file step without path": {
			step: api.Step{Kind: api.StepRemoveFile},
			want: policy.Decision{Rule: "paths.allow", Reason: "remove_file step names no path"},
		},

		// paths.mode
		"setuid file": {
			step: api.Step{Kind: api.StepEnsureFile, Path: "/srv/missioncontrol/tenants/acme/bin", Mode: "4755"},
			want: policy.Decision{Rule: "paths.mode", Reason: `mode "4755" sets setuid or setgid`},
		},
		"world-writable dir": {
			step: api.Step{Kind: api.StepEnsureDir, Path: "/srv/missioncontrol/tenants/acme", Mode: "0777"},
			want: policy.Decision{Rule: "paths.mode", Reason: `mode "0777" is world-writable`},
		},
		"symbolic mode": {
			step: api.Step{Kind: api.StepEnsureDir, Path: "/srv/missioncontrol/tenants/acme", Mode: "u+rwx"},
			want: policy.Decision{Rule: "paths.mode", Reason: `mode "u+rwx" is not an octal permission`},
		},

		// uids
		"uid 0": {
			step: api.Step{Kind: api.StepEnsureUser, Argv: []string{"/usr/sbin/useradd", "-o", "-u", "0", "mc-acme"}, GID: 20001},
			want: policy.Decision{Rule: "uids.range", Reason: "ensure_user step has uid 0"},
		},
		"group gid 0": {
			step: api.Step{Kind: api.StepEnsureGroup, Argv: []string{"/usr/sbin/groupadd", "mc-acme"}},
			want: policy.Decision{Rule: "uids.range", Reason: "ensure_group step has gid 0"},
		},
		"system uid": {
			step: api.Step{Kind: api.StepEnsureUser, Argv: []string{"/usr/sbin/useradd", "mc-acme"}, UID: 999, GID: 20001},
			want: policy.Decision{Rule: "uids.range", Reason: "uid 999 is outside uids 20000..29999"},
		},
		"gid above range": {
			step: api.Step{Kind: api.StepEnsureUser, Argv: []string{"/usr/sbin/useradd", "mc-acme"}, UID: 20001, GID: 30000},
			want: policy.Decision{Rule: "uids.range", Reason: "gid 30000 is outside uids 20000..29999"},
		},
		"negative uid": {
			step: api.Step{Kind: api.StepEnsureDir, Path: "/srv/missioncontrol/tenants/acme", UID: -1},
			want: policy.Decision{Rule: "uids.range", Reason: "uid -1 is outside uids 20000..29999"},
		},

		// ports
		"port 80": {
			step: api.Step{Kind: api.StepEnsureFile, Path: "/etc/missioncontrol/tenants/acme/gateway.env", Port: 80},
			want: policy.Decision{Rule: "ports.range", Reason: "ports 80..84 are outside ports 20000..29999"},
		},
		"port+4 outside": {
			step: api.Step{Kind: api.StepEnsureFile, Path: "/etc/missioncontrol/tenants/acme/gateway.env", Port: 29996},
			want: policy.Decision{Rule: "ports.range", Reason: "ports 29996..30000 are outside ports 20000..29999"},
		},

		// units
		"ssh.service": {
			step: api.Step{Kind: api.StepEnableUnit, Unit: "ssh.service", Argv: []string{systemctl, "enable", "--now", "ssh.service"}},
			want: policy.Decision{Rule: "units.allow", Reason: `unit "ssh.service" is not in units.allow`},
		},
		"unit with a path": {
			step: api.Step{Kind: api.StepRestartUnit, Unit: "missioncontrol-gateway@../../ssh.service"},
			want: policy.Decision{Rule: "units.allow", Reason: `unit "missioncontrol-gateway@../../ssh.service" is not in units.allow`},
		},
		"unit kind without unit": {
			step: api.Step{Kind: api.StepRestartUnit, Argv: []string{systemctl, "restart"}},
			want: policy.Decision{Rule: "units.allow", Reason: "restart_unit step names no unit"},
		},
		"verb mask": {
			step: api.Step{Kind: api.StepRestartUnit, Unit: unit, Argv: []string{systemctl, "mask", unit}},
			want: policy.Decision{Rule: "units.verbs", Reason: `systemctl verb "mask", want "restart" for restart_unit`},
		},
		"verb not in policy": {
			policy: mustParse(t, strings.Replace(testPolicy, `"restart", `, "", 1)),
			step:   api.Step{Kind: api.StepRestartUnit, Unit: unit, Argv: []string{systemctl, "restart", unit}},
			want:   policy.Decision{Rule: "units.verbs", Reason: `verb "restart" is not in units.verbs`},
		},
		"extra unit in argv": {
			step: api.Step{Kind: api.StepRestartUnit, Unit: unit, Argv: []string{systemctl, "restart", unit, "ssh.service"}},
			want: policy.Decision{Rule: "units.allow", Reason: `unit "ssh.service" is not in units.allow`},
		},
		"systemctl option": {
			step: api.Step{Kind: api.StepEnableUnit, Unit: unit, Argv: []string{systemctl, "--root=/mnt", "enable", unit}},
			want: policy.Decision{Rule: "units.verbs", Reason: `systemctl option "--root=/mnt" is not allowed`},
		},
		"unit step runs another command": {
			step: api.Step{Kind: api.StepRestartUnit, Unit: unit, Argv: []string{"/usr/sbin/useradd", "restart", unit}},
			want: policy.Decision{Rule: "units.verbs", Reason: `restart_unit step runs "/usr/sbin/useradd", not systemctl`},
		},
		"daemon-reload with a unit": {
			step: api.Step{Kind: api.StepDaemonReload, Argv: []string{systemctl, "daemon-reload", "ssh.service"}},
			want: policy.Decision{Rule: "units.allow", Reason: `daemon-reload takes no unit, got "ssh.service"`},
		},
		"systemctl without verb": {
			step: api.Step{Kind: api.StepDaemonReload, Argv: []string{systemctl, "--quiet"}},
			want: policy.Decision{Rule: "units.verbs", Reason: `systemctl argv has no verb, want "daemon-reload"`},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			pol := p
			switch {
			case tc.nilPolicy:
				pol = nil
			case tc.policy != nil:
				pol = tc.policy
			}
			want := tc.want
			if want.Allowed {
				want.Reason = string(tc.step.Kind) + " allowed by policy " + pol.Revision()
			}
			if diff := cmp.Diff(want, policy.Evaluate(pol, tc.step)); diff != "" {
				t.Errorf("Evaluate() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckDesired(t *testing.T) {
	t.Parallel()
	p := mustParse(t, testPolicy)
	base := func() api.Desired {
		return api.Desired{
			Tenant: api.TenantSpec{
				Name: "acme", DisplayName: "ACME Corp", Environment: api.EnvProduction,
				Labels:       map[string]string{"team": "ops", "cost-center": "42"},
				GatewayPort:  20020,
				SudoCommands: []string{"/usr/bin/systemctl restart missioncontrol-gateway@acme.service"},
			},
			Workspaces: []api.WorkspaceSpec{
				{Name: "main", Model: "anthropic/claude", Files: map[string]string{"AGENTS.md": "# agents", "SOUL.md": "", "notes.v2.md": ""}},
				{Name: "w2"},
			},
			Services: []api.ServiceSpec{{Kind: api.ServiceGateway, Enabled: true, Environment: map[string]string{"NODE_OPTIONS": "--max-old-space-size=512"}}},
		}
	}
	alloc := api.Allocation{User: "mc-acme", UID: 20001, GID: 20001, GatewayPort: 20020}
	denied := func(field, rule, value, msg string) *api.Error {
		return &api.Error{Code: api.CodePolicyDenied, Field: field, Rule: rule, Value: value, Message: msg}
	}

	tests := map[string]struct {
		edit func(*api.Desired, *api.Allocation)
		nilP bool
		want *api.Error
	}{
		"allowed":               {edit: func(*api.Desired, *api.Allocation) {}},
		"unallocated":           {edit: func(_ *api.Desired, a *api.Allocation) { *a = api.Allocation{} }},
		"port left to executor": {edit: func(d *api.Desired, _ *api.Allocation) { d.Tenant.GatewayPort = 0 }},
		"nil policy": {
			nilP: true, edit: func(*api.Desired, *api.Allocation) {},
			want: denied("", "policy", "", "no policy is loaded"),
		},
		"uppercase name": {
			edit: func(d *api.Desired, _ *api.Allocation) { d.Tenant.Name = "Acme" },
			want: denied("tenant.name", "names.pattern", "Acme", `tenant name "Acme" must match ^[a-z][a-z0-9-]{1,28}$ and be at most 29 characters`),
		},
		"name with slash": {
			edit: func(d *api.Desired, _ *api.Allocation) { d.Tenant.Name = "acme/../root" },
			want: denied("tenant.name", "names.pattern", "acme/../root", `tenant name "acme/../root" must match ^[a-z][a-z0-9-]{1,28}$ and be at most 29 characters`),
		},
		"reserved name": {
			edit: func(d *api.Desired, _ *api.Allocation) { d.Tenant.Name = "root" },
			want: denied("tenant.name", "names.reserved", "root", `tenant name "root" is reserved`),
		},
		"reserved user": {
			edit: func(d *api.Desired, _ *api.Allocation) { d.Tenant.Name = "ops" },
			want: denied("tenant.name", "names.reserved", "ops", `tenant user "mc-ops" is reserved`),
		},
		"unknown environment": {
			edit: func(d *api.Desired, _ *api.Allocation) { d.Tenant.Environment = "qa" },
			want: denied("tenant.environment", "environments", "qa", `environment "qa" is not in environments`),
		},
		"display name with newline": {
			edit: func(d *api.Desired, _ *api.Allocation) { d.Tenant.DisplayName = "ACME\nEvil" },
			want: denied("tenant.display_name", "display_name", "ACME\nEvil", "display name must be at most 256 characters without control characters"),
		},
		"label value with control char": {
			edit: func(d *api.Desired, _ *api.Allocation) { d.Tenant.Labels["team"] = "ops\x1b[31m" },
			want: denied(`tenant.labels["team"]`, "labels", "ops\x1b[31m", "label values must be at most 256 characters without control characters"),
		},
		"long label key": {
			edit: func(d *api.Desired, _ *api.Allocation) { d.Tenant.Labels[strings.Repeat("k", 64)] = "v" },
			want: denied(`tenant.labels["`+strings.Repeat("k", 64)+`"]`, "labels", strings.Repeat("k", 64), "label keys must be 1-63 characters without control characters"),
		},
		"gateway port 80": {
			edit: func(d *api.Desired, _ *api.Allocation) { d.Tenant.GatewayPort = 80 },
			want: denied("tenant.gateway_port", "ports.range", "80", "ports 80..84 are outside ports 20000..29999"),
		},
		"gateway port at the top": {
			edit: func(d *api.Desired, _ *api.Allocation) { d.Tenant.GatewayPort = 29998 },
			want: denied("tenant.gateway_port", "ports.range", "29998", "ports 29998..30002 are outside ports 20000..29999"),
		},
		"allocated port outside": {
			edit: func(_ *api.Desired, a *api.Allocation) { a.GatewayPort = 8080 },
			want: denied("allocation.gateway_port", "ports.range", "8080", "ports 8080..8084 are outside ports 20000..29999"),
		},
		"allocated system uid": {
			edit: func(_ *api.Desired, a *api.Allocation) { a.UID = 999 },
			want: denied("allocation.uid", "uids.range", "999", "allocation.uid 999 is outside the policy's uids"),
		},
		"allocated gid outside": {
			edit: func(_ *api.Desired, a *api.Allocation) { a.GID = 30000 },
			want: denied("allocation.gid", "uids.range", "30000", "allocation.gid 30000 is outside the policy's uids"),
		},
		"sudo wildcard": {
			edit: func(d *api.Desired, _ *api.Allocation) {
				d.Tenant.SudoCommands = append(d.Tenant.SudoCommands, "/usr/bin/systemctl restart missioncontrol-gateway@*")
			},
			want: denied("tenant.sudo_commands[1]", "sudo.commands", "/usr/bin/systemctl restart missioncontrol-gateway@*",
				`wildcards are not allowed in sudo commands: "/usr/bin/systemctl restart missioncontrol-gateway@*"`),
		},
		"sudo comma": {
			edit: func(d *api.Desired, _ *api.Allocation) {
				d.Tenant.SudoCommands = []string{"/usr/bin/systemctl restart missioncontrol-gateway@acme.service, /bin/sh"}
			},
			want: denied("tenant.sudo_commands[0]", "sudo.commands", "/usr/bin/systemctl restart missioncontrol-gateway@acme.service, /bin/sh",
				`sudo command "/usr/bin/systemctl restart missioncontrol-gateway@acme.service, /bin/sh" must be at most 1024 characters without control characters or any of ,:=\#"`),
		},
		"sudo colon spec": {
			edit: func(d *api.Desired, _ *api.Allocation) {
				d.Tenant.SudoCommands = []string{"/usr/bin/systemctl restart missioncontrol-gateway@acme.service : ALL = /bin/sh"}
			},
			want: denied("tenant.sudo_commands[0]", "sudo.commands", "/usr/bin/systemctl restart missioncontrol-gateway@acme.service : ALL = /bin/sh",
				`sudo command "/usr/bin/systemctl restart missioncontrol-gateway@acme.service : ALL = /bin/sh" must be at most 1024 characters without control characters or any of ,:=\#"`),
		},
		"sudo newline": {
			edit: func(d *api.Desired, _ *api.Allocation) {
				d.Tenant.SudoCommands = []string{"/usr/bin/id\nALL ALL=(ALL) ALL"}
			},
			want: denied("tenant.sudo_commands[0]", "sudo.commands", "/usr/bin/id\nALL ALL=(ALL) ALL",
				`sudo command "/usr/bin/id\nALL ALL=(ALL) ALL" must be at most 1024 characters without control characters or any of ,:=\#"`),
		},
		"sudo backslash": {
			edit: func(d *api.Desired, _ *api.Allocation) {
				d.Tenant.SudoCommands = []string{`/usr/bin/systemctl restart a\ b`}
			},
			want: denied("tenant.sudo_commands[0]", "sudo.commands", `/usr/bin/systemctl restart a\ b`,
				`sudo command "/usr/bin/systemctl restart a\\ b" must be at most 1024 characters without control characters or any of ,:=\#"`),
		},
		"sudo relative": {
			edit: func(d *api.Desired, _ *api.Allocation) {
				d.Tenant.SudoCommands = []string{"systemctl restart missioncontrol-gateway@acme.service"}
			},
			want: denied("tenant.sudo_commands[0]", "sudo.commands", "systemctl restart missioncontrol-gateway@acme.service",
				`sudo command "systemctl restart missioncontrol-gateway@acme.service" must be an absolute, clean program path and arguments separated by single spaces`),
		},
		"sudo double space": {
			edit: func(d *api.Desired, _ *api.Allocation) {
				d.Tenant.SudoCommands = []string{"/usr/bin/systemctl  restart missioncontrol-gateway@acme.service"}
			},
			want: denied("tenant.sudo_commands[0]", "sudo.commands", "/usr/bin/systemctl  restart missioncontrol-gateway@acme.service",
				`sudo command "/usr/bin/systemctl  restart missioncontrol-gateway@acme.service" must be an absolute, clean program path and arguments separated by single spaces`),
		},
		"sudo not allowed": {
			edit: func(d *api.Desired, _ *api.Allocation) { d.Tenant.SudoCommands = []string{"/bin/bash"} },
			want: denied("tenant.sudo_commands[0]", "sudo.commands", "/bin/bash", `sudo command "/bin/bash" matches no sudo.allow_commands pattern`),
		},
		"sudo glob does not span arguments": {
			edit: func(d *api.Desired, _ *api.Allocation) {
				d.Tenant.SudoCommands = []string{"/usr/bin/systemctl restart missioncontrol-gateway@acme.service ssh.service"}
			},
			want: denied("tenant.sudo_commands[0]", "sudo.commands", "/usr/bin/systemctl restart missioncontrol-gateway@acme.service ssh.service",
				`sudo command "/usr/bin/systemctl restart missioncontrol-gateway@acme.service ssh.service" matches no sudo.allow_commands pattern`),
		},
		"workspace name uppercase": {
			edit: func(d *api.Desired, _ *api.Allocation) { d.Workspaces[1].Name = "Main" },
			want: denied("workspaces[1].name", "workspaces.name", "Main", `workspace name "Main" must match ^[a-z][a-z0-9-]{0,30}$`),
		},
		"workspace name twice": {
			edit: func(d *api.Desired, _ *api.Allocation) { d.Workspaces[1].Name = "main" },
			want: denied("workspaces[1].name", "workspaces.name", "main", `workspace name "main" is used twice`),
		},
		"file traversal": {
			edit: func(d *api.Desired, _ *api.Allocation) { d.Workspaces[0].Files["../../.ssh/authorized_keys"] = "key" },
			want: denied(`workspaces[0].files["../../.ssh/authorized_keys"]`, "workspaces.files", "../../.ssh/authorized_keys",
				`file name "../../.ssh/authorized_keys" must be a plain, visible name of at most 128 characters (no '/', '\', '..' or leading '.')`),
		},
		"hidden file": {
			edit: func(d *api.Desired, _ *api.Allocation) { d.Workspaces[0].Files[".bashrc"] = "" },
			want: denied(`workspaces[0].files[".bashrc"]`, "workspaces.files", ".bashrc",
				`file name ".bashrc" must be a plain, visible name of at most 128 characters (no '/', '\', '..' or leading '.')`),
		},
		"file in subdirectory": {
			edit: func(d *api.Desired, _ *api.Allocation) { d.Workspaces[1].Files = map[string]string{"skills/x.md": ""} },
			want: denied(`workspaces[1].files["skills/x.md"]`, "workspaces.files", "skills/x.md",
				`file name "skills/x.md" must be a plain, visible name of at most 128 characters (no '/', '\', '..' or leading '.')`),
		},
		"service env key": {
			edit: func(d *api.Desired, _ *api.Allocation) { d.Services[0].Environment["BAD-KEY"] = "1" },
			want: denied(`services[0].environment["BAD-KEY"]`, "services.environment", "BAD-KEY", `environment key "BAD-KEY" must be an identifier`),
		},
		"service env value injection": {
			edit: func(d *api.Desired, _ *api.Allocation) {
				d.Services[0].Environment["A"] = "1\nOPENCLAW_STATE_DIR=/root"
			},
			want: denied(`services[0].environment["A"]`, "services.environment", "1\nOPENCLAW_STATE_DIR=/root",
				"environment value must be at most 4096 characters without control characters"),
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			d, a := base(), alloc
			tc.edit(&d, &a)
			pol := p
			if tc.nilP {
				pol = nil
			}
			got := pol.CheckDesired(d, a)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("CheckDesired() mismatch (-want +got):\n%s", diff)
			}
			if got != nil && !api.IsCode(got, api.CodePolicyDenied) {
				t.Errorf("CheckDesired() code = %q", got.Code)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		src     string
		want    []string
		wantErr error
	}{
		"unknown block": {
			src:     "firewall {\n}\n",
			want:    []string{`policy.hcl:1,1: firewall: unknown setting: block "firewall"`},
			wantErr: policy.ErrUnknown,
		},
		"unknown attribute": {
			src:     "units {\n  allow = []\n  mask = true\n}\n",
			want:    []string{`policy.hcl:3,3: units.mask: unknown setting: attribute "units.mask"`},
			wantErr: policy.ErrUnknown,
		},
		"unknown top-level attribute": {
			src:     "default = \"allow\"\n",
			want:    []string{`policy.hcl:1,1: default: unknown setting: attribute "default"`},
			wantErr: policy.ErrUnknown,
		},
		"repeated block": {
			src:     "units {\n}\nunits {\n}\n",
			want:    []string{`policy.hcl:3,1: units: set more than once (first at line 1)`},
			wantErr: policy.ErrDuplicate,
		},
		"syntax error": {
			src:     "uids { min = 20000 max = 29999 }\n",
			want:    []string{`policy.hcl:1,20: invalid syntax: Invalid single-argument block definition; A single-line block definition must end with a closing brace immediately after its single argument definition.`},
			wantErr: policy.ErrSyntax,
		},
		"bad regex": {
			src:     "names {\n  pattern = \"^[a-z$\"\n}\n",
			want:    []string{`policy.hcl:2,3: names.pattern: must be a valid regular expression anchored with ^ and $ (got "^[a-z$")`},
			wantErr: policy.ErrPattern,
		},
		"unanchored regex": {
			src:     "names {\n  pattern = \"[a-z]+\"\n}\n",
			want:    []string{`policy.hcl:2,3: names.pattern: must be a valid regular expression anchored with ^ and $ (got "[a-z]+")`},
			wantErr: policy.ErrPattern,
		},
		"names without pattern": {
			src:     "names {\n  reserved = [\"root\"]\n}\n",
			want:    []string{`policy.hcl:1,1: names.pattern: is required`},
			wantErr: policy.ErrMissing,
		},
		"unknown action": {
			src:     "actions {\n  allow = [\"ensure_dir\", \"run_shell\"]\n}\n",
			want:    []string{`policy.hcl:2,3: actions.allow: unknown step kind (got "run_shell")`},
			wantErr: policy.ErrAction,
		},
		"wrong type": {
			src:     "actions {\n  allow = \"ensure_dir\"\n}\n",
			want:    []string{`policy.hcl:2,3: actions.allow: wrong type: must be a list of strings (got string)`},
			wantErr: policy.ErrType,
		},
		"uids min above max": {
			src:     "uids {\n  min = 30000\n  max = 20000\n}\n",
			want:    []string{`policy.hcl:3,3: uids.max: must be at least min (ports: min+4) (got 20000)`},
			wantErr: policy.ErrMinMax,
		},
		"uids min 0": {
			src:     "uids {\n  min = 0\n  max = 29999\n}\n",
			want:    []string{`policy.hcl:2,3: uids.min: must be at least 1000 (got 0)`},
			wantErr: policy.ErrUIDMin,
		},
		"uids without max": {
			src:     "uids {\n  min = 20000\n}\n",
			want:    []string{`policy.hcl:1,1: uids.max: is required`},
			wantErr: policy.ErrMissing,
		},
		"ports too narrow": {
			src:     "ports {\n  min = 20000\n  max = 20003\n}\n",
			want:    []string{`policy.hcl:3,3: ports.max: must be at least min (ports: min+4) (got 20003)`},
			wantErr: policy.ErrMinMax,
		},
		"privileged ports": {
			src:     "ports {\n  min = 80\n  max = 29999\n}\n",
			want:    []string{`policy.hcl:2,3: ports.min: must be within 1024..65535 (got 80)`},
			wantErr: policy.ErrPortRange,
		},
		"fractional port": {
			src:     "ports {\n  min = 20000.5\n  max = 29999\n}\n",
			want:    []string{`policy.hcl:2,3: ports.min: wrong type: must be a whole number (got 20000.5)`},
			wantErr: policy.ErrType,
		},
		"relative command": {
			src:     "command \"useradd\" {\n  sha256 = \"\"\n}\n",
			want:    []string{`policy.hcl:1,9: command: must be an absolute, clean path (got "useradd")`},
			wantErr: policy.ErrPath,
		},
		"command without label": {
			src:     "command {\n}\n",
			want:    []string{`policy.hcl:1,1: command: invalid syntax: command blocks take exactly one label, the absolute path`},
			wantErr: policy.ErrSyntax,
		},
		"repeated command": {
			src:     "command \"/usr/bin/tar\" {\n}\ncommand \"/usr/bin/tar\" {\n}\n",
			want:    []string{`policy.hcl:3,9: command["/usr/bin/tar"]: set more than once (first at line 1)`},
			wantErr: policy.ErrDuplicate,
		},
		"sha256 not hex": {
			src:     "command \"/usr/bin/tar\" {\n  sha256 = \"<hex>\"\n}\n",
			want:    []string{`policy.hcl:2,3: command["/usr/bin/tar"].sha256: must be 64 lowercase hex digits (got "<hex>")`},
			wantErr: policy.ErrSHA256,
		},
		"sha256 uppercase": {
			src:     "command \"/usr/bin/tar\" {\n  sha256 = \"" + strings.Repeat("A", 64) + "\"\n}\n",
			want:    []string{`policy.hcl:2,3: command["/usr/bin/tar"].sha256: must be 64 lowercase hex digits (got "` + strings.Repeat("A", 64) + `")`},
			wantErr: policy.ErrSHA256,
		},
		"command attribute": {
			src:     "command \"/usr/bin/tar\" {\n  md5 = \"x\"\n}\n",
			want:    []string{`policy.hcl:2,3: command["/usr/bin/tar"].md5: unknown setting: attribute "command[\"/usr/bin/tar\"].md5"`},
			wantErr: policy.ErrUnknown,
		},
		"unknown environment": {
			src:     "environments = [\"development\", \"qa\"]\napprovals {\n  development = 0\n}\n",
			want:    []string{`policy.hcl:1,1: environments: unknown environment (got "qa")`},
			wantErr: policy.ErrEnvironment,
		},
		"environment without approvals": {
			src:     "environments = [\"development\", \"production\"]\napprovals {\n  development = 0\n}\n",
			want:    []string{`policy.hcl:2,1: approvals.production: is required`},
			wantErr: policy.ErrMissing,
		},
		"approvals for unlisted environment": {
			src:     "environments = [\"development\"]\napprovals {\n  development = 0\n  production = 2\n}\n",
			want:    []string{`policy.hcl:4,3: approvals.production: unknown environment: "production" is not in environments`},
			wantErr: policy.ErrEnvironment,
		},
		"too many approvals": {
			src:     "environments = [\"development\"]\napprovals {\n  development = 17\n}\n",
			want:    []string{`policy.hcl:3,3: approvals.development: must be a whole number within 0..16 (got 17)`},
			wantErr: policy.ErrApprovals,
		},
		"bad unit glob": {
			src:     "units {\n  allow = [\"missioncontrol-gateway@[.service\"]\n}\n",
			want:    []string{`policy.hcl:2,3: units.allow: must be a valid glob pattern (got "missioncontrol-gateway@[.service")`},
			wantErr: policy.ErrGlob,
		},
		"bad verb": {
			src:     "units {\n  verbs = [\"restart now\"]\n}\n",
			want:    []string{`policy.hcl:2,3: units.verbs: must be a systemctl verb like "restart" (got "restart now")`},
			wantErr: policy.ErrVerb,
		},
		"relative path prefix": {
			src:     "paths {\n  allow = [\"srv/\"]\n  deny = [\"/\"]\n}\n",
			want:    []string{`policy.hcl:2,3: paths.allow: must be an absolute, clean path (got "srv/")`, `policy.hcl:3,3: paths.deny: must be an absolute, clean path (got "/")`},
			wantErr: policy.ErrPath,
		},
		"sudo pattern": {
			src:     "sudo {\n  allow_commands = [\"systemctl restart *\"]\n}\n",
			want:    []string{`policy.hcl:2,3: sudo.allow_commands: must be an absolute command line of single-space separated words (got "systemctl restart *")`},
			wantErr: policy.ErrSudoPattern,
		},
		"all problems in file order": {
			src: "zeta = 1\nuids {\n  min = 1\n  max = 2\n}\ncommand \"tar\" {\n}\n",
			want: []string{
				`policy.hcl:1,1: zeta: unknown setting: attribute "zeta"`,
				`policy.hcl:3,3: uids.min: must be at least 1000 (got 1)`,
				`policy.hcl:6,9: command: must be an absolute, clean path (got "tar")`,
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p, err := policy.Parse([]byte(tc.src), "policy.hcl")
			if p != nil {
				t.Errorf("Parse() returned a policy with errors")
			}
			if diff := cmp.Diff(tc.want, messages(err)); diff != "" {
				t.Errorf("Parse() errors mismatch (-want +got):\n%s", diff)
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("errors.Is(%v, %v) = false", err, tc.wantErr)
			}
		})
	}
}

func TestMissingBlocksDenyEverything(t *testing.T) {
	t.Parallel()
	p := mustParse(t, "# nothing allowed\n")
	steps := []api.Step{
		{Kind: api.StepEnsureDir, Path: "/srv/missioncontrol/tenants/acme"},
		{Kind: api.StepDaemonReload},
	}
	for _, s := range steps {
		if d := policy.Evaluate(p, s); d.Allowed || d.Rule != "actions.allow" {
			t.Errorf("Evaluate(%s) = %+v, want denied by actions.allow", s.Kind, d)
		}
	}
	err := p.CheckDesired(api.Desired{Tenant: api.TenantSpec{Name: "acme", Environment: api.EnvDevelopment}}, api.Allocation{})
	if err == nil || err.Rule != "names.pattern" {
		t.Errorf("CheckDesired() = %v, want names.pattern denial", err)
	}
	if got := p.RequiredApprovals(api.EnvDevelopment); got != math.MaxInt {
		t.Errorf("RequiredApprovals() = %d, want MaxInt", got)
	}
}

func TestRequiredApprovals(t *testing.T) {
	t.Parallel()
	p := mustParse(t, testPolicy)
	tests := map[string]struct {
		env  api.Environment
		want int
	}{
		"development": {env: api.EnvDevelopment, want: 0},
		"staging":     {env: api.EnvStaging, want: 1},
		"production":  {env: api.EnvProduction, want: 2},
		"unknown":     {env: "qa", want: math.MaxInt},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := p.RequiredApprovals(tc.env); got != tc.want {
				t.Errorf("RequiredApprovals(%q) = %d, want %d", tc.env, got, tc.want)
			}
		})
	}
}

func TestRevision(t *testing.T) {
	t.Parallel()
	a := mustParse(t, testPolicy)
	b := mustParse(t, testPolicy)
	c := mustParse(t, testPolicy+"# a comment\n")
	if a.Revision() != b.Revision() {
		t.Errorf("Revision() differs for the same source: %s, %s", a.Revision(), b.Revision())
	}
	if a.Revision() == c.Revision() {
		t.Errorf("Revision() unchanged after an edit: %s", a.Revision())
	}
	if got := a.Revision(); !strings.HasPrefix(got, "sha256:") || len(got) != len("sha256:")+64 {
		t.Errorf("Revision() = %q, want sha256:<64 hex>", got)
	}
}

func TestPinsAndVerify(t *testing.T) {
	t.Parallel()
	p := mustParse(t, testPolicy)
	want := map[string]string{"/usr/sbin/groupadd": pinA, "/usr/sbin/useradd": pinB, "/usr/bin/systemctl": pinC}
	if diff := cmp.Diff(want, p.Pins()); diff != "" {
		t.Errorf("Pins() mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"/usr/sbin/usermod"}, p.Unpinned()); diff != "" {
		t.Errorf("Unpinned() mismatch (-want +got):\n%s", diff)
	}
	host := map[string]string{"/usr/sbin/groupadd": pinA, "/usr/sbin/useradd": strings.Repeat("d", 64)}
	hash := func(path string) (string, error) {
		if h, ok := host[path]; ok {
			return h, nil
		}
		return "", errors.New("hash command: no such file")
	}
	err := p.Verify(hash)
	wantMsgs := []string{
		`policy.hcl:30,31: command["/usr/sbin/useradd"].sha256: sha256 does not match the file on this host (/usr/sbin/useradd has ` + strings.Repeat("d", 64) + `) (got "` + pinB + `")`,
		`policy.hcl:31,9: command["/usr/bin/systemctl"]: hash command: no such file`,
		`policy.hcl:32,31: command["/usr/sbin/usermod"].sha256: command is not pinned; run: missioncontrol-executor policy pin --write FILE`,
	}
	if diff := cmp.Diff(wantMsgs, messages(err)); diff != "" {
		t.Errorf("Verify() mismatch (-want +got):\n%s", diff)
	}
	if !errors.Is(err, policy.ErrPinMismatch) || !errors.Is(err, policy.ErrUnpinned) {
		t.Errorf("Verify() = %v, want ErrPinMismatch and ErrUnpinned", err)
	}
}

func TestPin(t *testing.T) {
	t.Parallel()
	src := `# Commands the executor runs.
actions {
  allow = ["ensure_group"]
}

# groupadd: pinned on the host
command "/usr/sbin/groupadd" { sha256 = "0000000000000000000000000000000000000000000000000000000000000000" } # placeholder
command "/usr/sbin/useradd" {
  # filled by policy pin
  sha256 = "<hex>"
}
command "/usr/bin/systemctl" {
}
`
	want := `# Commands the executor runs.
actions {
  allow = ["ensure_group"]
}

# groupadd: pinned on the host
command "/usr/sbin/groupadd" { sha256 = "` + pinA + `" } # placeholder
command "/usr/sbin/useradd" {
  # filled by policy pin
  sha256 = "` + pinB + `"
}
command "/usr/bin/systemctl" {
  sha256 = "` + pinC + `"
}
`
	hashes := map[string]string{"/usr/sbin/groupadd": pinA, "/usr/sbin/useradd": pinB, "/usr/bin/systemctl": pinC}
	hash := func(path string) (string, error) {
		if h, ok := hashes[path]; ok {
			return h, nil
		}
		return "", os.ErrNotExist
	}
	got, err := policy.Pin([]byte(src), "policy.hcl", hash)
	if err != nil {
		t.Fatalf("Pin() = %v", err)
	}
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("Pin() mismatch (-want +got):\n%s", diff)
	}
	p := mustParse(t, string(got))
	if diff := cmp.Diff(hashes, p.Pins()); diff != "" {
		t.Errorf("Pins() after Pin mismatch (-want +got):\n%s", diff)
	}
	if err := p.Verify(hash); err != nil {
		t.Errorf("Verify() after Pin = %v", err)
	}

	// Pinning again is a no-op.
	again, err := policy.Pin(got, "policy.hcl", hash)
	if err != nil || string(again) != string(got) {
		t.Errorf("second Pin() = %q, %v; want unchanged", again, err)
	}
}

func TestPinErrors(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		src  string
		hash func(string) (string, error)
		want []string
	}{
		"hash fails": {
			src:  "\ncommand \"/usr/bin/missing\" {\n}\n",
			hash: func(string) (string, error) { return "", errors.New("hash command: no such file") },
			want: []string{`policy.hcl:2,9: command["/usr/bin/missing"]: hash command: no such file`},
		},
		"bad hash": {
			src:  "command \"/usr/bin/tar\" {\n}\n",
			hash: func(string) (string, error) { return "abc", nil },
			want: []string{`policy.hcl:1,9: command["/usr/bin/tar"]: hash of /usr/bin/tar: "abc" is not 64 lowercase hex digits`},
		},
		"invalid policy": {
			src:  "uids {\n  min = 1\n  max = 2\n}\n",
			hash: func(string) (string, error) { return pinA, nil },
			want: []string{`policy.hcl:2,3: uids.min: must be at least 1000 (got 1)`},
		},
		"syntax error": {
			src:  "command \"/usr/bin/tar\" {\n",
			hash: func(string) (string, error) { return pinA, nil },
			want: []string{`policy.hcl:1,24: invalid syntax: Unclosed configuration block; There is no closing brace for this block before the end of the file. This may be caused by incorrect brace nesting elsewhere in this file.`},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := policy.Pin([]byte(tc.src), "policy.hcl", tc.hash)
			if diff := cmp.Diff(tc.want, messages(err)); diff != "" {
				t.Errorf("Pin() errors mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	missing := filepath.Join(dir, "policy.hcl")
	_, err := policy.Load(missing)
	if !errors.Is(err, policy.ErrNotFound) || err.Error() != missing+": policy file not found" {
		t.Errorf("Load(missing) = %v, want ErrNotFound naming the path", err)
	}
	valid := filepath.Join(dir, "valid.hcl")
	if err := os.WriteFile(valid, []byte(testPolicy), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := policy.Load(valid)
	if err != nil {
		t.Fatalf("Load(valid) = %v", err)
	}
	if got, want := p.Revision(), mustParse(t, testPolicy).Revision(); got != want {
		t.Errorf("Revision() = %s, want %s", got, want)
	}
}

func TestHashFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "tool")
	if err := os.WriteFile(file, []byte("hello\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(file, link); err != nil {
		t.Fatal(err)
	}
	const helloSHA = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"
	tests := map[string]struct {
		path    string
		want    string
		wantErr bool
	}{
		"file":      {path: file, want: helloSHA},
		"symlink":   {path: link, want: helloSHA},
		"directory": {path: dir, wantErr: true},
		"missing":   {path: filepath.Join(dir, "missing"), wantErr: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := policy.HashFile(tc.path)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("HashFile() = %q, %v; want %q, error %v", got, err, tc.want, tc.wantErr)
			}
		})
	}
}
