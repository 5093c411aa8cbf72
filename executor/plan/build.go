package plan

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/openclaw"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/steps"
)

// observation is what planning reads from the host once per plan.
type observation struct {
	users, groups []steps.Account
	expiry        string // of the tenant's account in the shadow file
	units         map[string]api.UnitState
	listening     map[int]bool
	// gateway says whether the running gateway runs its current files.
	gateway steps.Freshness
}

func (p *Planner) observe(ctx context.Context, tenant string) (*observation, error) {
	users, err := p.Host.Users()
	if err != nil {
		return nil, err
	}
	groups, err := p.Host.Groups()
	if err != nil {
		return nil, err
	}
	expiry, _, err := p.Host.AccountExpiry(NewLayout(p.Config, tenant).User)
	if err != nil {
		return nil, err
	}
	unit := GatewayUnit(p.Config, tenant)
	units, err := p.Host.UnitStates(ctx, unit)
	if err != nil {
		return nil, err
	}
	obs := &observation{users: users, groups: groups, expiry: expiry, units: units, listening: listeningPorts()}
	if units[unit].ActiveState == "active" {
		l := NewLayout(p.Config, tenant)
		// The files the gateway reads when it starts. Not the limits
		// drop-in: systemd applies it to the running unit on daemon-reload.
		files := []steps.Anchor{l.inHome(l.ConfigFile), l.configAnchor(l.EnvFile), l.configAnchor(l.TokenFile),
			l.configAnchor(l.CredentialsFile)}
		if obs.gateway, err = p.Host.UnitFreshness(ctx, unit, files); err != nil {
			return nil, err
		}
	}
	return obs, nil
}

// build lists every action that brings the host to the desired state, in
// order, and every path it looked at (for the fingerprint).
//
// keys are model provider API keys from the request; nil leaves the tenant's
// credentials file alone (plans that carry no keys must not remove them).
func (p *Planner) build(ctx context.Context, d api.Desired, a api.Allocation, obs *observation, keys map[string]string) ([]*steps.Action, []ownedPath, error) {
	l := NewLayout(p.Config, d.Tenant.Name)
	h := p.Host
	var (
		out   []*steps.Action
		paths []ownedPath
	)
	add := func(object string, act *steps.Action, err error) error {
		if err != nil {
			return conflict(err)
		}
		if act != nil {
			out = append(out, objectOf(object, act))
		}
		return nil
	}
	tenant := steps.Owner{User: l.User, Group: l.User, UID: a.UID, GID: a.GID}
	root := steps.Owner{User: "root", Group: "root"}
	rootTenant := steps.Owner{User: "root", Group: l.User, GID: a.GID}

	grp, err := steps.EnsureGroup(h, obs.groups, l.User, a.GID)
	if err := add("tenant", grp, err); err != nil {
		return nil, nil, err
	}
	usr, err := steps.EnsureUser(h, obs.users, l.User, a.UID, a.GID, l.Home, p.Config.Tenants.NologinShell)
	if err := add("tenant", usr, err); err != nil {
		return nil, nil, err
	}
	// A suspended tenant keeps every file but its account is locked.
	if err := add("tenant", steps.EnsureExpired(h, l.User, a.UID, a.GID, obs.expiry, d.Tenant.Suspended), nil); err != nil {
		return nil, nil, err
	}
	dir := func(object string, an steps.Anchor, o steps.Owner, mode os.FileMode) error {
		paths = append(paths, ownedPath{object, an})
		act, err := steps.EnsureDir(an, o, mode)
		return add(object, act, err)
	}
	file := func(object string, kind api.StepKind, an steps.Anchor, content []byte, o steps.Owner, mode os.FileMode) (bool, error) {
		paths = append(paths, ownedPath{object, an})
		act, err := steps.EnsureFile(kind, an, content, o, mode)
		return act != nil, add(object, act, err)
	}

	if err := dir("tenant", l.homeAnchor(), tenant, 0o750); err != nil {
		return nil, nil, err
	}
	if err := dir("tenant", l.inHome(l.StateDir), tenant, 0o750); err != nil {
		return nil, nil, err
	}
	if err := dir("tenant", l.inHome(l.LogDir), tenant, 0o750); err != nil {
		return nil, nil, err
	}
	cfg, err := p.Render.GatewayConfig(l, d, a.GatewayPort)
	if err != nil {
		return nil, nil, renderError(err)
	}
	configChanged, err := file("tenant", api.StepEnsureFile, l.inHome(l.ConfigFile), cfg, tenant, 0o640)
	if err != nil {
		return nil, nil, err
	}
	if err := dir("tenant", l.configAnchor(l.ConfigDir), rootTenant, 0o750); err != nil {
		return nil, nil, err
	}
	env, err := p.Render.GatewayEnv(l, d, a.GatewayPort)
	if err != nil {
		return nil, nil, &api.Error{Code: api.CodeInvalidRequest, Field: "services[0].environment", Message: err.Error()}
	}
	envChanged, err := file("tenant", api.StepEnsureFile, l.configAnchor(l.EnvFile), env, rootTenant, 0o640)
	if err != nil {
		return nil, nil, err
	}
	tok := l.configAnchor(l.TokenFile)
	paths = append(paths, ownedPath{"tenant", tok})
	secret, err := steps.EnsureSecret(tok, p.Render.TokenEnv, root, 0o600)
	if err := add("tenant", secret, err); err != nil {
		return nil, nil, err
	}
	tokenChanged := secret != nil

	credsChanged := false
	if keys != nil {
		creds := l.configAnchor(l.CredentialsFile)
		paths = append(paths, ownedPath{"tenant", creds})
		content, err := openclaw.RenderCredentialsEnv(keys)
		if err != nil {
			return nil, nil, &api.Error{Code: api.CodeInvalidRequest, Field: "tenant.api_keys", Message: err.Error()}
		}
		var act *steps.Action
		if content == nil {
			act, err = steps.RemoveFile(creds, "no model provider API keys are given")
		} else if act, err = steps.EnsureFile(api.StepEnsureSecret, creds, content, root, 0o600); act != nil {
			// The keys are secrets: the plan says that they change, never
			// what they are or hash to.
			act.Step.ContentSHA256 = ""
			act.Step.Summary = "write model provider API keys to " + creds.Path() + " (root:root 0600, not shown)"
			act.Step.Reason = "the API keys differ from the ones on the host"
		}
		if err := add("tenant", act, err); err != nil {
			return nil, nil, err
		}
		credsChanged = act != nil
	}

	// sudoers fragment: present exactly when the spec lists commands
	sud := l.sudoersAnchor()
	paths = append(paths, ownedPath{"tenant", sud})
	if len(d.Tenant.SudoCommands) > 0 {
		act, err := steps.Sudoers(h, sud, sudoersFragment(l.User, d.Tenant.SudoCommands))
		if err := add("tenant", act, err); err != nil {
			return nil, nil, err
		}
	} else {
		act, err := steps.RemoveFile(sud, "the tenant has no sudo commands")
		if err := add("tenant", act, err); err != nil {
			return nil, nil, err
		}
	}

	// limits drop-in
	unitFilesChanged := false
	dropIn := l.unitAnchor(l.DropInDir + "/limits.conf")
	if content := p.Render.LimitsDropIn(d.Tenant.Limits); content != nil {
		if err := dir("tenant", l.unitAnchor(l.DropInDir), root, 0o755); err != nil {
			return nil, nil, err
		}
		changed, err := file("tenant", api.StepInstallUnit, dropIn, content, root, 0o644)
		if err != nil {
			return nil, nil, err
		}
		unitFilesChanged = unitFilesChanged || changed
	} else {
		paths = append(paths, ownedPath{"tenant", dropIn})
		act, err := steps.RemoveFile(dropIn, "the tenant has no resource limits")
		if err := add("tenant", act, err); err != nil {
			return nil, nil, err
		}
		unitFilesChanged = unitFilesChanged || act != nil
	}

	for _, w := range d.Workspaces {
		obj := "workspace:" + w.Name
		wdir := l.inHome(l.Workspace(w.Name))
		if err := dir(obj, wdir, tenant, 0o750); err != nil {
			return nil, nil, err
		}
		names := make([]string, 0, len(w.Files))
		for name := range w.Files {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			an := l.inHome(l.Workspace(w.Name) + "/" + name)
			if _, err := file(obj, api.StepEnsureFile, an, []byte(w.Files[name]), tenant, 0o640); err != nil {
				return nil, nil, err
			}
		}
	}

	// The drop-in is the only per-tenant unit file (the template is host
	// infrastructure the executor installs at start-up, shared by every
	// tenant, so no tenant's plan depends on it). systemd caches units it
	// was asked about, so a changed drop-in always needs a reload; and the
	// drop-in holds only resource limits (MemoryMax, CPUQuota, TasksMax),
	// which the reload applies to the running gateway's cgroup, so it needs
	// no restart.
	if unitFilesChanged {
		out = append(out, objectOf("tenant", steps.DaemonReload(h, "the tenant's unit drop-in changed")))
	} else if obs.gateway.NeedReload {
		// e.g. a crash between writing the drop-in and reloading
		out = append(out, objectOf("tenant", steps.DaemonReload(h, "systemd has not loaded the tenant's current unit files")))
	}
	// A gateway that started before its files last changed (a crash between
	// writing them and restarting) runs an old configuration.
	stale := obs.gateway.NeedReload || obs.gateway.StartedBefore != ""
	var gw *api.ServiceSpec
	for i := range d.Services {
		if d.Services[i].Kind == api.ServiceGateway {
			gw = &d.Services[i]
		}
	}
	st := obs.units[l.Unit]
	switch {
	case gw != nil && gw.Enabled && !d.Tenant.Suspended:
		object, act := "service:gateway", steps.EnableUnit(h, l.Unit, st)
		if act == nil && (configChanged || envChanged || tokenChanged || credsChanged || stale) {
			// A restart is caused by the tenant's files; a plan of a change
			// that rewrites them (a workspace added to openclaw.json, say)
			// carries it as a caused step.
			object, act = "tenant", steps.RestartUnit(h, l.Unit, "its configuration changed")
		}
		if act != nil {
			// systemd runs the gateway's files, not the executor's pinned
			// runner: a plan that starts them checks the policy's pins.
			if e := p.Policy().CheckGateway(p.Config.Gateway.Command, p.hashes.Sum); e != nil {
				return nil, nil, e
			}
			out = append(out, objectOf(object, p.ready(act, l.Unit, a.GatewayPort)))
		}
	default:
		if act := steps.StopUnit(h, l.Unit, st); act != nil {
			out = append(out, objectOf("service:gateway", act))
		}
	}
	return out, paths, nil
}

func objectOf(obj string, a *steps.Action) *steps.Action {
	a.Step.Object = obj
	return a
}

// sudoersFragment lets the tenant user run exactly the listed commands as
// root without a password, and nothing else.
func sudoersFragment(user string, cmds []string) []byte {
	var b strings.Builder
	b.WriteString("# Managed by missioncontrol. Do not edit.\n")
	for _, c := range cmds {
		fmt.Fprintf(&b, "%s ALL=(root) NOPASSWD: %s\n", user, c)
	}
	return []byte(b.String())
}

// renderError places an error of the OpenClaw renderer on the spec field it
// came from: agents are rendered from workspaces, in the same order.
func renderError(err error) error {
	e := &api.Error{Code: api.CodeInvalidRequest, Field: "tenant", Message: err.Error()}
	var fe *openclaw.FieldError
	if errors.As(err, &fe) {
		e.Value = fe.Value
		switch {
		case strings.HasPrefix(fe.Field, "agents["):
			e.Field = "workspaces[" + strings.Replace(strings.TrimPrefix(fe.Field, "agents["), "].id", "].name", 1)
		case strings.HasPrefix(fe.Field, "providers["):
			e.Field = "tenant.model_providers[" + strings.TrimPrefix(fe.Field, "providers[")
		case fe.Field == "heartbeat_every":
			e.Field = "tenant.heartbeat_every"
		}
	}
	return e
}

// ready makes a start or restart of the gateway check the gateway's files
// against the policy's pins when it runs (the plan checked them too) and
// wait for its readiness, as the executor configuration says.
func (p *Planner) ready(act *steps.Action, unit string, port int) *steps.Action {
	g := p.Config.Gateway
	pol := p.Policy()
	act = steps.Guard(act, func(context.Context) error {
		if e := pol.CheckGateway(g.Command, p.hashes.Sum); e != nil {
			return e
		}
		return nil
	})
	if g.Readiness != "http" {
		return act
	}
	timeout := time.Duration(g.ReadyTimeout) * time.Second
	return steps.WithReady(act, unit, func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		client := &http.Client{Timeout: 5 * time.Second}
		_, err := openclaw.WaitHealthy(ctx, client, port, 500*time.Millisecond)
		return err
	})
}
