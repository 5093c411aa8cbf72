package policy

import (
	"fmt"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

// Decision is the verdict on one step. Rule names the rule that decided it
// ("paths.deny", "units.verbs", ...; "actions.allow" for an allowed step)
// and Reason says why, quoting the offending value. Both are audited.
type Decision struct {
	Allowed bool   `json:"allowed"`
	Rule    string `json:"rule"`
	Reason  string `json:"reason"`
}

// unitVerbs is the systemctl verb each unit step kind runs.
var unitVerbs = map[api.StepKind]string{
	api.StepDaemonReload: "daemon-reload",
	api.StepEnableUnit:   "enable",
	api.StepRestartUnit:  "restart",
	api.StepStopUnit:     "disable",
}

// systemctlFlags are the only options a unit step's argv may carry; others
// (--root, --host, --runtime, ...) change what the verb acts on.
var systemctlFlags = map[string]bool{
	"--now": true, "--no-block": true, "--quiet": true, "-q": true, "--no-ask-password": true,
	"--no-reload": true, // enable/disable only: skips the implicit daemon-reload
}

// fileKinds are the step kinds that must name the Path they act on.
var fileKinds = map[api.StepKind]bool{
	api.StepEnsureDir: true, api.StepEnsureFile: true, api.StepEnsureSecret: true,
	api.StepInstallUnit: true, api.StepSudoers: true, api.StepRemoveFile: true,
	api.StepArchive: true, api.StepRemoveDir: true, api.StepRestore: true,
}

var unitNameRE = regexp.MustCompile(`^[A-Za-z0-9:_.\\@-]{1,255}$`)

// Evaluate decides whether step may run under p. It denies by default: a nil
// policy, a kind not in actions.allow, or any value no allow rule covers is
// denied, and a deny rule (paths.deny) overrides allow rules. The checks, in
// order, with the rule each denial names:
//   - actions.allow: the kind is allowed;
//   - commands.argv, commands.pin: argv has no NUL or line breaks, and
//     argv[0] is a command block with a sha256 pin (the runner verifies the
//     file against Pins when it executes);
//   - paths.allow, paths.deny: Path (required for file kinds) is absolute and
//     clean, starts with a paths.allow prefix and with no paths.deny prefix;
//   - paths.mode: Mode is octal, neither setuid/setgid nor world-writable;
//   - uids.range: UID and GID (required for ensure_user, GID for
//     ensure_group) are inside uids;
//   - ports.range: Port..Port+4 is inside ports;
//   - units.allow, units.verbs: Unit (required for enable, restart and stop)
//     matches a units.allow glob; the kind's systemctl verb is in units.verbs,
//     and argv runs systemctl with exactly that verb, allowed flags only and
//     allowed units.
func Evaluate(p *Policy, step api.Step) Decision {
	if p == nil {
		return Decision{Rule: "policy", Reason: "no policy is loaded"}
	}
	checks := []func(api.Step) (rule, reason string){
		p.checkAction, p.checkArgv, p.checkPath, p.checkMode, p.checkIDs, p.checkPort, p.checkUnit,
	}
	for _, check := range checks {
		if rule, reason := check(step); rule != "" {
			return Decision{Rule: rule, Reason: reason}
		}
	}
	return Decision{Allowed: true, Rule: "actions.allow", Reason: fmt.Sprintf("%s allowed by policy %s", step.Kind, p.Revision())}
}

func (p *Policy) checkAction(s api.Step) (string, string) {
	if !p.actions[s.Kind] {
		return "actions.allow", fmt.Sprintf("step kind %q is not in actions.allow", s.Kind)
	}
	return "", ""
}

func (p *Policy) checkArgv(s api.Step) (string, string) {
	if len(s.Argv) == 0 {
		return "", ""
	}
	for i, a := range s.Argv {
		if strings.ContainsAny(a, "\x00\n\r") {
			return "commands.argv", fmt.Sprintf("argv[%d] %q contains NUL or a line break", i, a)
		}
	}
	for _, c := range p.commands {
		if c.path != s.Argv[0] {
			continue
		}
		if c.sha256 == "" {
			return "commands.pin", fmt.Sprintf("command %q has no sha256 pin", c.path)
		}
		return "", ""
	}
	return "commands.pin", fmt.Sprintf("command %q is not a pinned command", s.Argv[0])
}

func (p *Policy) checkPath(s api.Step) (string, string) {
	if s.Path == "" {
		if fileKinds[s.Kind] {
			return "paths.allow", fmt.Sprintf("%s step names no path", s.Kind)
		}
		return "", ""
	}
	if !cleanAbs(s.Path) || strings.Contains(s.Path, "..") {
		return "paths.allow", fmt.Sprintf("path %q is not absolute and clean", s.Path)
	}
	allowed := false
	for _, prefix := range p.pathAllow {
		if strings.HasPrefix(s.Path, prefix) {
			allowed = true
			break
		}
	}
	if !allowed {
		return "paths.allow", fmt.Sprintf("path %q is outside paths.allow", s.Path)
	}
	for _, prefix := range p.pathDeny {
		if strings.HasPrefix(s.Path, prefix) {
			return "paths.deny", fmt.Sprintf("path %q matches paths.deny %q", s.Path, prefix)
		}
	}
	return "", ""
}

func (p *Policy) checkMode(s api.Step) (string, string) {
	if s.Mode == "" {
		return "", ""
	}
	m, err := strconv.ParseUint(s.Mode, 8, 32)
	switch {
	case err != nil || m > 0o7777:
		return "paths.mode", fmt.Sprintf("mode %q is not an octal permission", s.Mode)
	case m&0o6000 != 0:
		return "paths.mode", fmt.Sprintf("mode %q sets setuid or setgid", s.Mode)
	case m&0o002 != 0:
		return "paths.mode", fmt.Sprintf("mode %q is world-writable", s.Mode)
	}
	return "", ""
}

func (p *Policy) checkIDs(s api.Step) (string, string) {
	switch {
	case s.Kind == api.StepEnsureUser && s.UID == 0:
		return "uids.range", "ensure_user step has uid 0"
	case (s.Kind == api.StepEnsureUser || s.Kind == api.StepEnsureGroup) && s.GID == 0:
		return "uids.range", fmt.Sprintf("%s step has gid 0", s.Kind)
	}
	for _, id := range []struct {
		name  string
		value int
	}{{"uid", s.UID}, {"gid", s.GID}} {
		if id.value == 0 {
			continue
		}
		if p.uids == nil {
			return "uids.range", fmt.Sprintf("%s %d: the policy allows no uids", id.name, id.value)
		}
		if id.value < p.uids.min || id.value > p.uids.max {
			return "uids.range", fmt.Sprintf("%s %d is outside uids %d..%d", id.name, id.value, p.uids.min, p.uids.max)
		}
	}
	return "", ""
}

func (p *Policy) checkPort(s api.Step) (string, string) {
	if s.Port == 0 {
		return "", ""
	}
	return p.portRule(s.Port)
}

// portRule checks that a gateway's ports base..base+4 are inside ports.
func (p *Policy) portRule(base int) (string, string) {
	if p.ports == nil {
		return "ports.range", fmt.Sprintf("port %d: the policy allows no ports", base)
	}
	if base < p.ports.min || base+4 > p.ports.max {
		return "ports.range", fmt.Sprintf("ports %d..%d are outside ports %d..%d", base, base+4, p.ports.min, p.ports.max)
	}
	return "", ""
}

func (p *Policy) checkUnit(s api.Step) (string, string) {
	verb, isUnitKind := unitVerbs[s.Kind]
	if s.Unit == "" && isUnitKind && s.Kind != api.StepDaemonReload {
		return "units.allow", fmt.Sprintf("%s step names no unit", s.Kind)
	}
	if s.Unit != "" && !p.unitAllowed(s.Unit) {
		return "units.allow", fmt.Sprintf("unit %q is not in units.allow", s.Unit)
	}
	if !isUnitKind {
		return "", ""
	}
	if !p.verbs[verb] {
		return "units.verbs", fmt.Sprintf("verb %q is not in units.verbs", verb)
	}
	if len(s.Argv) == 0 {
		return "", ""
	}
	if filepath.Base(s.Argv[0]) != "systemctl" {
		return "units.verbs", fmt.Sprintf("%s step runs %q, not systemctl", s.Kind, s.Argv[0])
	}
	gotVerb := ""
	for _, a := range s.Argv[1:] {
		switch {
		case strings.HasPrefix(a, "-"):
			if !systemctlFlags[a] {
				return "units.verbs", fmt.Sprintf("systemctl option %q is not allowed", a)
			}
		case gotVerb == "":
			gotVerb = a
			if a != verb {
				return "units.verbs", fmt.Sprintf("systemctl verb %q, want %q for %s", a, verb, s.Kind)
			}
		case verb == "daemon-reload":
			return "units.allow", fmt.Sprintf("daemon-reload takes no unit, got %q", a)
		case !p.unitAllowed(a):
			return "units.allow", fmt.Sprintf("unit %q is not in units.allow", a)
		}
	}
	if gotVerb == "" {
		return "units.verbs", fmt.Sprintf("systemctl argv has no verb, want %q", verb)
	}
	return "", ""
}

func (p *Policy) unitAllowed(unit string) bool {
	if !unitNameRE.MatchString(unit) {
		return false
	}
	for _, glob := range p.unitAllow {
		if ok, _ := path.Match(glob, unit); ok {
			return true
		}
	}
	return false
}
