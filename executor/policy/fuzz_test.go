package policy_test

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/openclaw"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/policy"
)

// FuzzParse feeds arbitrary sources to the policy parser. Properties: no
// panic; a refusal is one or more *policy.Error naming the file, and the
// same source is refused with the same message; an accepted policy's
// revision is the sha256 of its source, and evaluating steps and desired
// states under it never panics and is deterministic.
func FuzzParse(f *testing.F) {
	if src, err := os.ReadFile(filepath.Join("..", "..", "examples", "executor", "policy.hcl")); err == nil {
		f.Add(src)
	}
	for _, s := range []string{
		testPolicy,
		`actions { allow = ["ensure_user"] }`,
		`names { pattern = "^(a|b)$" }`, `names { pattern = "[" }`, `names { pattern = "a" }`,
		`uids { min = 30000 max = 20000 }`, `ports { min = -1 max = 1e99 }`,
		`paths { allow = ["relative/"] deny = ["/etc/"] }`,
		`command "/usr/bin/x" { sha256 = "zz" }`, `command "x" {}`,
		`approvals { production = 17 }`, `environments = ["moon"]`,
		`sudo { allow_commands = ["/bin/sh -c *"] }`, `units { allow = ["["] verbs = ["Kill"] }`,
		`actions { allow = [for x in ["a"] : x] }`, `actions { allow = "${file("/etc/shadow")}" }`,
		`names {`, `}`, "\x00", "actions { allow = [\"ensure_user\"] }\nactions {}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		p, err := policy.Parse(src, "fuzz.hcl")
		if err != nil {
			if p != nil {
				t.Fatal("a policy together with an error")
			}
			for _, e := range leaves(err) {
				var pe *policy.Error
				if !errors.As(e, &pe) {
					t.Fatalf("error %T is not a *policy.Error: %v", e, e)
				}
				if pe.Range.Filename != "fuzz.hcl" {
					t.Fatalf("error without the file name: %v", e)
				}
			}
			if _, err2 := policy.Parse(src, "fuzz.hcl"); err2 == nil || err2.Error() != err.Error() {
				t.Fatalf("parsing twice disagrees: %v / %v", err, err2)
			}
			return
		}
		if p.Revision() != api.SHA256Hex(src) {
			t.Fatalf("revision %s is not the sha256 of the source", p.Revision())
		}
		d := api.Desired{Tenant: api.TenantSpec{Name: "acme", Environment: api.EnvDevelopment, GatewayPort: 20020,
			SudoCommands: []string{"/usr/bin/systemctl restart missioncontrol-gateway@acme.service"}}}
		a := api.Allocation{User: "mc-acme", UID: 20001, GID: 20001, GatewayPort: 20020}
		first := p.CheckDesired(d, a)
		if again := p.CheckDesired(d, a); (first == nil) != (again == nil) || (first != nil && first.Error() != again.Error()) {
			t.Fatalf("CheckDesired not deterministic: %v / %v", first, again)
		}
		for _, st := range []api.Step{
			{Kind: api.StepEnsureUser, Argv: []string{"/usr/sbin/useradd", "mc-acme"}, UID: 20001},
			{Kind: api.StepEnsureFile, Path: "/srv/missioncontrol/tenants/acme/x", Mode: "0640"},
			{Kind: api.StepEnableUnit, Unit: "missioncontrol-gateway@acme.service", Argv: []string{"/usr/bin/systemctl", "enable", "--now", "missioncontrol-gateway@acme.service"}},
			{Kind: api.StepEnsureFile, Path: "/etc/shadow"},
		} {
			if d1, d2 := policy.Evaluate(p, st), policy.Evaluate(p, st); d1 != d2 {
				t.Fatalf("Evaluate not deterministic: %+v / %+v", d1, d2)
			}
		}
		if dec := policy.Evaluate(p, api.Step{Kind: api.StepEnsureFile, Path: "/etc/shadow", Mode: "0640"}); dec.Allowed &&
			!strings.Contains(string(src), "/etc") && !strings.Contains(string(src), `"/"`) {
			t.Fatalf("a policy that names no /etc path allows writing /etc/shadow: %+v", dec)
		}
	})
}

// leaves flattens an errors.Join tree.
func leaves(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, leaves(e)...)
		}
		return out
	}
	return []error{err}
}

// FuzzCheckDesired fuzzes the desired-state values a client controls under
// the reference policy. The property is that validation never accepts
// something that fails or misbehaves later: when CheckDesired accepts,
// "mc-<name>" is a valid user name, the workspace renders as an OpenClaw
// agent, a seeded file name resolves to an entry directly inside its
// workspace, the service environment renders into gateway.env with exactly
// the expected keys (no injected line), and every sudo command becomes one
// sudoers line.
func FuzzCheckDesired(f *testing.F) {
	f.Add("acme", "Acme", "main", "AGENTS.md", "MY_VAR", "value", "/usr/bin/systemctl restart missioncontrol-gateway@acme.service")
	f.Add("../x", "a\nb", "Main", "../x", "A=B", "a\nB=c", "/usr/bin/systemctl *")
	f.Add("acme", "", "m", ".hidden", "PATH", "x", "/usr/bin/systemctl restart missioncontrol-gateway@acme.service, /bin/sh")
	f.Add("root", "\u202e", "w-1", "a/b", "HOME", "\x00", "systemctl restart missioncontrol-gateway@acme.service")
	f.Add("ac\u0435me", "x", "ws", "-rf", "OPENCLAW_GATEWAY_TOKEN", "x", "/usr/bin/../bin/systemctl restart missioncontrol-gateway@acme.service")
	f.Add("a-very-long-tenant-name-abcdefghijklmnop", "x", "a", "AGENTS.md\r", "MISSIONCONTROL_X", "x", "/usr/bin/systemctl  restart missioncontrol-gateway@acme.service")
	src, err := os.ReadFile(filepath.Join("..", "..", "examples", "executor", "policy.hcl"))
	if err != nil {
		f.Fatal(err)
	}
	p, err := policy.Parse(src, "policy.hcl")
	if err != nil {
		f.Skipf("reference policy does not parse here: %v", err)
	}
	f.Fuzz(func(t *testing.T, name, display, workspace, file, envKey, envValue, sudo string) {
		d := api.Desired{
			Tenant:     api.TenantSpec{Name: name, DisplayName: display, Environment: api.EnvDevelopment, SudoCommands: []string{sudo}},
			Workspaces: []api.WorkspaceSpec{{Name: workspace, Files: map[string]string{file: "x"}}},
			Services:   []api.ServiceSpec{{Kind: api.ServiceGateway, Enabled: true, Environment: map[string]string{envKey: envValue}}},
		}
		if err := p.CheckDesired(d, api.Allocation{}); err != nil {
			if err.Code != api.CodePolicyDenied || err.Rule == "" || err.Field == "" || err.Message == "" {
				t.Fatalf("refusal without code, rule, field or message: %+v", err)
			}
			return
		}
		if user := "mc-" + name; len(user) > 32 || strings.ContainsAny(user, "/:\n\x00 ") {
			t.Fatalf("accepted tenant name %q gives a bad user name %q", name, user)
		}
		state := "/srv/missioncontrol/tenants/acme/.openclaw"
		ws := openclaw.WorkspaceDir(state, workspace)
		if filepath.Dir(ws) != state {
			t.Fatalf("workspace %q leaves the state dir: %s", workspace, ws)
		}
		if _, err := openclaw.RenderConfig(openclaw.TenantConfig{Port: 20020, StateDir: state, Agents: []openclaw.Agent{{ID: workspace}}}); err != nil {
			t.Fatalf("accepted workspace %q does not render: %v", workspace, err)
		}
		if p := filepath.Join(ws, file); filepath.Dir(p) != ws || filepath.Base(p) != file {
			t.Fatalf("accepted file name %q resolves to %s", file, p)
		}
		env, err := openclaw.RenderEnv(openclaw.Env{Home: "/srv/missioncontrol/tenants/acme", StateDir: state,
			ConfigPath: state + "/openclaw.json", Port: 20020, Extra: map[string]string{envKey: envValue}})
		if err != nil {
			// The renderer reserves some keys itself; planning reports that
			// as an invalid request, so it is refused either way.
			return
		}
		keys := map[string]int{}
		sc := bufio.NewScanner(bytes.NewReader(env))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if k, _, ok := strings.Cut(sc.Text(), "="); ok && !strings.HasPrefix(sc.Text(), "#") {
				keys[k]++
			}
		}
		if keys[envKey] != 1 || len(keys) != 11 {
			t.Fatalf("gateway.env for %q=%q has keys %v:\n%s", envKey, envValue, keys, env)
		}
		if strings.ContainsAny(sudo, "\n\r\x00*?[],:=\\#\"") || !strings.HasPrefix(sudo, "/") {
			t.Fatalf("accepted sudo command %q", sudo)
		}
	})
}
