package policy

import (
	"fmt"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

// Bounds on desired-state values that end up in files the executor renders.
const (
	// MaxTenantName keeps the unix user "mc-<name>" within 32 characters.
	MaxTenantName     = 29
	MaxDisplayName    = 256
	MaxLabels         = 64
	MaxLabelKey       = 63
	MaxLabelValue     = 256
	MaxSudoCommands   = 32
	MaxSudoCommand    = 1024
	MaxFileName       = 128
	MaxEnvKey         = 128
	MaxEnvValue       = 4096
	MaxWorkspaceModel = 256
	MaxWorkspaces     = 100
	MaxWorkspaceFiles = 100
	MaxModelProviders = 16
	MaxModels         = 64
)

// Bounds on resource limits, the same as the provider's validators: zero
// means the executor's default, anything else must be a limit systemd can
// enforce and the gateway can live with.
const (
	MinMemoryMaxMB     = 64
	MaxMemoryMaxMB     = 1 << 20 // 1 TiB
	MinCPUQuotaPercent = 1
	MaxCPUQuotaPercent = 10000 // 100 cores
	MinTasksMax        = 16
	MaxTasksMax        = 65535
)

var (
	workspaceNameRE = regexp.MustCompile(`^[a-z][a-z0-9-]{0,30}$`)
	envKeyRE        = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// sudoWildcards are refused with their own message: a tenant's sudo command
// line must be exact.
const sudoWildcards = "*?[]"

// sudoSpecial are characters with a meaning in sudoers lines: ',' separates
// commands, ':' and '=' start another host and command spec in the same user
// spec, '\' escapes, '#' and '"' are comment and quoting syntax.
const sudoSpecial = `,:=\#"`

// CheckDesired checks a tenant's desired state and its allocation against p
// and returns nil, or the first violation as an *api.Error with Code
// api.CodePolicyDenied, the Field ("tenant.name", "tenant.gateway_port",
// "tenant.sudo_commands[1]", "workspaces[0].name", ...), the Rule and the
// offending Value. Checks run in a fixed order (maps in sorted key order), so
// the same input always gets the same answer:
//   - names.pattern, names.reserved: the tenant name matches names.pattern, is
//     at most 29 characters, and neither it nor "mc-<name>" is reserved;
//   - environments: the environment is listed;
//   - display_name, labels: printable and bounded;
//   - ports.range: a non-zero tenant.gateway_port and allocation.gateway_port
//     have base..base+4 inside ports;
//   - uids.range: non-zero allocation.uid and allocation.gid are inside uids
//     (zero means not allocated yet; Evaluate refuses uid 0 in steps);
//   - model_providers: at most 16 providers of at most 64 models each;
//   - limits: each limit is zero (the default) or within the bounds above;
//   - sudo.commands: every sudo command is an absolute command line without
//     wildcards or sudoers syntax, and matches a sudo.allow_commands pattern
//     word for word;
//   - workspaces.count, workspaces.name, workspaces.model, workspaces.files:
//     at most 100 workspaces, whose names match ^[a-z][a-z0-9-]{0,30}$ and
//     are unique, with at most 100 seeded files each under plain, visible,
//     relative names;
//   - services.environment: keys are identifiers, values single-line.
//
// The result is a typed nil when everything passes; do not assign it to an
// error variable before comparing with nil.
func (p *Policy) CheckDesired(d api.Desired, a api.Allocation) *api.Error {
	if p == nil {
		return deny("", "policy", "", "no policy is loaded")
	}
	checks := []func(api.Desired, api.Allocation) *api.Error{
		p.checkName, p.checkEnvironment, checkDisplay, checkLabels, p.checkPorts, p.checkUIDs,
		checkLimits, checkModelProviders, p.checkSudo, checkWorkspaces, checkServices,
	}
	for _, check := range checks {
		if err := check(d, a); err != nil {
			return err
		}
	}
	return nil
}

func deny(field, rule, value, format string, args ...any) *api.Error {
	return &api.Error{Code: api.CodePolicyDenied, Message: fmt.Sprintf(format, args...), Field: field, Rule: rule, Value: value}
}

func (p *Policy) checkName(d api.Desired, _ api.Allocation) *api.Error {
	name := d.Tenant.Name
	switch {
	case p.namePattern == nil:
		return deny("tenant.name", "names.pattern", name, "the policy allows no tenant names")
	case len(name) > MaxTenantName || !p.namePattern.MatchString(name):
		return deny("tenant.name", "names.pattern", name,
			"tenant name %q must match %s and be at most %d characters", name, p.namePattern, MaxTenantName)
	case p.reserved[name]:
		return deny("tenant.name", "names.reserved", name, "tenant name %q is reserved", name)
	case p.reserved["mc-"+name]:
		return deny("tenant.name", "names.reserved", name, "tenant user %q is reserved", "mc-"+name)
	}
	return nil
}

func (p *Policy) checkEnvironment(d api.Desired, _ api.Allocation) *api.Error {
	env := d.Tenant.Environment
	if !p.environments[env] {
		return deny("tenant.environment", "environments", string(env), "environment %q is not in environments", env)
	}
	return nil
}

func checkDisplay(d api.Desired, _ api.Allocation) *api.Error {
	if s := d.Tenant.DisplayName; len(s) > MaxDisplayName || hasControl(s) {
		return deny("tenant.display_name", "display_name", s,
			"display name must be at most %d characters without control characters", MaxDisplayName)
	}
	return nil
}

func checkLabels(d api.Desired, _ api.Allocation) *api.Error {
	labels := d.Tenant.Labels
	if len(labels) > MaxLabels {
		return deny("tenant.labels", "labels", strconv.Itoa(len(labels)), "at most %d labels are allowed", MaxLabels)
	}
	for _, k := range sortedKeys(labels) {
		field := "tenant.labels[" + strconv.Quote(k) + "]"
		if k == "" || len(k) > MaxLabelKey || hasControl(k) {
			return deny(field, "labels", k, "label keys must be 1-%d characters without control characters", MaxLabelKey)
		}
		if v := labels[k]; len(v) > MaxLabelValue || hasControl(v) {
			return deny(field, "labels", v, "label values must be at most %d characters without control characters", MaxLabelValue)
		}
	}
	return nil
}

func (p *Policy) checkPorts(d api.Desired, a api.Allocation) *api.Error {
	for _, port := range []struct {
		field string
		value int
	}{{"tenant.gateway_port", d.Tenant.GatewayPort}, {"allocation.gateway_port", a.GatewayPort}} {
		if port.value == 0 {
			continue
		}
		if rule, reason := p.portRule(port.value); rule != "" {
			return deny(port.field, rule, strconv.Itoa(port.value), "%s", reason)
		}
	}
	return nil
}

func (p *Policy) checkUIDs(_ api.Desired, a api.Allocation) *api.Error {
	for _, id := range []struct {
		field string
		value int
	}{{"allocation.uid", a.UID}, {"allocation.gid", a.GID}} {
		if id.value == 0 {
			continue
		}
		if p.uids == nil || id.value < p.uids.min || id.value > p.uids.max {
			return deny(id.field, "uids.range", strconv.Itoa(id.value), "%s %d is outside the policy's uids", id.field, id.value)
		}
	}
	return nil
}

func checkLimits(d api.Desired, _ api.Allocation) *api.Error {
	l := d.Tenant.Limits
	for _, lim := range []struct {
		field    string
		value    int
		min, max int
	}{
		{"tenant.limits.memory_max_mb", l.MemoryMaxMB, MinMemoryMaxMB, MaxMemoryMaxMB},
		{"tenant.limits.cpu_quota_percent", l.CPUQuotaPercent, MinCPUQuotaPercent, MaxCPUQuotaPercent},
		{"tenant.limits.tasks_max", l.TasksMax, MinTasksMax, MaxTasksMax},
	} {
		if lim.value != 0 && (lim.value < lim.min || lim.value > lim.max) {
			return deny(lim.field, "limits", strconv.Itoa(lim.value), "%s must be 0 (the default) or %d..%d (got %d)",
				lim.field, lim.min, lim.max, lim.value)
		}
	}
	return nil
}

func (p *Policy) checkSudo(d api.Desired, _ api.Allocation) *api.Error {
	cmds := d.Tenant.SudoCommands
	if len(cmds) > MaxSudoCommands {
		return deny("tenant.sudo_commands", "sudo.commands", strconv.Itoa(len(cmds)), "at most %d sudo commands are allowed", MaxSudoCommands)
	}
	for i, c := range cmds {
		field := fmt.Sprintf("tenant.sudo_commands[%d]", i)
		switch {
		case strings.ContainsAny(c, sudoWildcards):
			return deny(field, "sudo.commands", c, "wildcards are not allowed in sudo commands: %q", c)
		case len(c) > MaxSudoCommand || hasControl(c) || strings.ContainsAny(c, sudoSpecial):
			return deny(field, "sudo.commands", c,
				"sudo command %q must be at most %d characters without control characters or any of %s", c, MaxSudoCommand, sudoSpecial)
		case !validSudoCommand(c):
			return deny(field, "sudo.commands", c,
				"sudo command %q must be an absolute, clean program path and arguments separated by single spaces", c)
		case !p.sudoAllowed(c):
			return deny(field, "sudo.commands", c, "sudo command %q matches no sudo.allow_commands pattern", c)
		}
	}
	return nil
}

// validSudoCommand reports whether c is "/abs/program arg ..." with single
// spaces between words.
func validSudoCommand(c string) bool {
	words := strings.Split(c, " ")
	for _, w := range words {
		if w == "" {
			return false
		}
	}
	return cleanAbs(words[0])
}

// validSudoPattern reports whether a sudo.allow_commands entry is a valid
// command line whose words are valid globs.
func validSudoPattern(pattern string) bool {
	if !validSudoCommand(pattern) || strings.ContainsAny(pattern, sudoSpecial) {
		return false
	}
	for _, w := range strings.Split(pattern, " ") {
		if _, err := path.Match(w, ""); err != nil {
			return false
		}
	}
	return true
}

// sudoAllowed matches c against the sudo.allow_commands patterns word by
// word, so a wildcard never spans a space (an extra argument) or a '/'.
func (p *Policy) sudoAllowed(c string) bool {
	words := strings.Split(c, " ")
	for _, pattern := range p.sudoAllow {
		globs := strings.Split(pattern, " ")
		if len(globs) != len(words) {
			continue
		}
		ok := true
		for i := range globs {
			if m, _ := path.Match(globs[i], words[i]); !m {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// checkModelProviders bounds how many providers and models a tenant
// declares; their names and URLs are checked where they are rendered.
func checkModelProviders(d api.Desired, _ api.Allocation) *api.Error {
	mps := d.Tenant.ModelProviders
	if len(mps) > MaxModelProviders {
		return deny("tenant.model_providers", "model_providers", strconv.Itoa(len(mps)), "at most %d model providers are allowed", MaxModelProviders)
	}
	for i, mp := range mps {
		if len(mp.Models) > MaxModels {
			return deny(fmt.Sprintf("tenant.model_providers[%d].models", i), "model_providers", strconv.Itoa(len(mp.Models)),
				"at most %d models per provider are allowed", MaxModels)
		}
	}
	return nil
}

func checkWorkspaces(d api.Desired, _ api.Allocation) *api.Error {
	if len(d.Workspaces) > MaxWorkspaces {
		return deny("workspaces", "workspaces.count", strconv.Itoa(len(d.Workspaces)), "at most %d workspaces per tenant are allowed", MaxWorkspaces)
	}
	seen := map[string]bool{}
	for i, w := range d.Workspaces {
		prefix := fmt.Sprintf("workspaces[%d]", i)
		switch {
		case !workspaceNameRE.MatchString(w.Name):
			return deny(prefix+".name", "workspaces.name", w.Name, "workspace name %q must match %s", w.Name, workspaceNameRE)
		case seen[w.Name]:
			return deny(prefix+".name", "workspaces.name", w.Name, "workspace name %q is used twice", w.Name)
		case len(w.Model) > MaxWorkspaceModel || hasControl(w.Model):
			return deny(prefix+".model", "workspaces.model", w.Model,
				"model must be at most %d characters without control characters", MaxWorkspaceModel)
		}
		seen[w.Name] = true
		if len(w.Files) > MaxWorkspaceFiles {
			return deny(prefix+".files", "workspaces.files", strconv.Itoa(len(w.Files)), "at most %d seeded files per workspace are allowed", MaxWorkspaceFiles)
		}
		for _, name := range sortedKeys(w.Files) {
			if !plainFileName(name) {
				return deny(prefix+".files["+strconv.Quote(name)+"]", "workspaces.files", name,
					"file name %q must be a plain, visible name of at most %d characters (no '/', '\\', '..' or leading '.')", name, MaxFileName)
			}
		}
	}
	return nil
}

// plainFileName reports whether name can only mean a regular entry directly
// inside the workspace: no separators, no "..", not hidden, printable.
func plainFileName(name string) bool {
	return name != "" && len(name) <= MaxFileName &&
		!strings.ContainsAny(name, `/\`) && !strings.Contains(name, "..") &&
		!strings.HasPrefix(name, ".") && !strings.HasPrefix(name, "-") && !hasControl(name)
}

func checkServices(d api.Desired, _ api.Allocation) *api.Error {
	for i, s := range d.Services {
		for _, k := range sortedKeys(s.Environment) {
			field := fmt.Sprintf("services[%d].environment[%s]", i, strconv.Quote(k))
			if len(k) > MaxEnvKey || !envKeyRE.MatchString(k) {
				return deny(field, "services.environment", k, "environment key %q must be an identifier", k)
			}
			if v := s.Environment[k]; len(v) > MaxEnvValue || hasControl(v) {
				return deny(field, "services.environment", v,
					"environment value must be at most %d characters without control characters", MaxEnvValue)
			}
		}
	}
	return nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
