package plan

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"regexp"
	"sort"
	"time"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/config"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/policy"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/steps"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/store"
)

// Registry is the part of the store the planner reads.
type Registry interface {
	GetTenant(ctx context.Context, name string) (store.TenantRecord, bool, error)
	ReservedUIDs(ctx context.Context) (map[int]string, error)
	ReservedPorts(ctx context.Context) (map[int]string, error)
	GetArchive(ctx context.Context, path string) (store.ArchiveRecord, error)
	BudgetHold(ctx context.Context, tenant string) (api.BudgetHold, bool, error)
	MonthToDate(ctx context.Context, tenant string, now time.Time) (nanoUSD, unpriced int64, err error)
}

// Planner computes plans. All fields are required.
type Planner struct {
	Config   config.Config
	Policy   func() *policy.Policy // the policy in force now
	Host     *steps.Host
	Registry Registry
	Render   Renderer
	HostID   string
	holds    allocHolds // uids and ports of tenants planned but not registered yet
	// Now is the clock budget holds are judged by (nil: time.Now).
	Now func() time.Time

	hashes steps.FileHashes // of the gateway's pinned files
}

// Result is a plan together with what executing it needs.
type Result struct {
	Plan    api.Plan
	Actions []*steps.Action
	// Record is the registry entry a job writes before running the steps.
	Record store.TenantRecord
	// Registered says whether the tenant was registered before this plan.
	Registered bool
	// Decommission says the plan removes the tenant: a job marks it
	// decommissioned after the steps instead of registering Record first.
	// Prior is then the tenant as registered before, for its archive record.
	Decommission bool
	Prior        store.TenantRecord
	// Restore is the archive a restore plan extracts; the job registers
	// Record (the tenant as archived) before its steps, as any apply does.
	Restore *store.ArchiveRecord
	// Purge is the archive a purge plan deletes; the job registers nothing
	// and removes the archive's registry entry after its steps.
	Purge *store.ArchiveRecord
	// UserExists and Unit are what planning observed of the tenant's
	// account and gateway unit, so callers need not observe again.
	UserExists bool
	Unit       api.UnitState
	// Lifts is the budget hold this plan lifts (the tenant's budget is no
	// longer exceeded): a job that runs it to the end deletes it.
	Lifts *api.BudgetHold
}

// Registers says whether a job of the plan registers Record before its
// steps: every plan but a decommission or an archive purge.
func (r *Result) Registers() bool { return !r.Decommission && r.Purge == nil }

// Plan computes the dry run of req. Errors are *api.Error for anything the
// caller got wrong or the policy denies, and plain errors for host failures.
func (p *Planner) Plan(ctx context.Context, req api.PlanRequest) (*Result, error) {
	if err := validateRequest(req); err != nil {
		return nil, err
	}
	rec, registered, err := p.Registry.GetTenant(ctx, req.Tenant)
	if err != nil {
		return nil, fmt.Errorf("read registry: %w", err)
	}
	switch c := req.Changes[0]; c.Action {
	case api.ActionRestore:
		return p.restore(ctx, req.Tenant, c.Archive, rec, registered)
	case api.ActionPurge:
		return p.purge(ctx, req.Tenant, c.Archive, rec, registered)
	}
	if registered && rec.Decommissioned {
		registered = false
		rec = store.TenantRecord{}
	}
	if req.Changes[0].Kind == api.ObjectTenant && req.Changes[0].Action == api.ActionDestroy {
		return p.decommission(ctx, req.Tenant, rec, registered)
	}
	base := rec.Desired
	if !registered {
		base = api.Desired{}
	}
	desired, err := merge(base, req)
	if err != nil {
		return nil, err
	}
	if !registered && desired.Tenant.Name == "" {
		return nil, &api.Error{Code: api.CodeNotFound, Field: "tenant",
			Message: fmt.Sprintf("tenant %q is not registered on this host; apply the tenant before its workspaces and services", req.Tenant)}
	}
	pol := p.Policy()
	in := scopeOf(req.Changes)
	hold, err := p.hold(ctx, req.Tenant, registered, desired.Tenant.Budget, in.has("tenant"))
	if err != nil {
		return nil, err
	}
	obs, err := p.observe(ctx, req.Tenant)
	if err != nil {
		return nil, err
	}
	alloc, err := p.allocate(ctx, rec, registered, desired.Tenant, obs)
	if err != nil {
		return nil, err
	}
	if apiErr := pol.CheckDesired(desired, alloc); apiErr != nil {
		return nil, apiErr
	}
	actions, paths, err := p.build(ctx, hold.apply(desired, hold.keeps), alloc, obs, apiKeys(req))
	if err != nil {
		return nil, err
	}
	// Scope the plan to the changed objects and what the change causes:
	// drift elsewhere in the tenant shows in the plans of its own objects.
	// The registered state a held tenant was left in is suspended, so
	// lifting a hold causes the resume steps.
	var before []*steps.Action
	if registered {
		if before, _, err = p.build(ctx, hold.apply(rec.Desired, hold.held), rec.Allocation, obs, nil); err != nil {
			return nil, err
		}
	}
	if registered {
		actions = in.filter(actions, before)
	}
	res, err := p.finish(pol, req.Tenant, desired, alloc, actions, paths, obs, rec, registered, in)
	if err != nil {
		return nil, err
	}
	if hold.keeps {
		res.Plan.BudgetHold = &hold.BudgetHold
	}
	if hold.held && !hold.keeps {
		res.Lifts = &hold.BudgetHold
	}
	return res, nil
}

// Drift plans the registered desired state of a tenant without a change: the
// steps that would repair the host. A tenant that is not registered gives a
// nil result.
func (p *Planner) Drift(ctx context.Context, name string) (*Result, error) {
	rec, ok, err := p.Registry.GetTenant(ctx, name)
	if err != nil || !ok || rec.Decommissioned {
		return nil, err
	}
	// A hold is lifted only by a plan of the tenant's own change, never
	// by a drift repair.
	hold, err := p.hold(ctx, name, true, nil, false)
	if err != nil {
		return nil, err
	}
	obs, err := p.observe(ctx, name)
	if err != nil {
		return nil, err
	}
	actions, paths, err := p.build(ctx, hold.apply(rec.Desired, hold.held), rec.Allocation, obs, nil)
	if err != nil {
		return nil, err
	}
	res, err := p.finish(p.Policy(), name, rec.Desired, rec.Allocation, actions, paths, obs, rec, true, nil)
	if err != nil {
		return nil, err
	}
	if hold.held {
		res.Plan.BudgetHold = &hold.BudgetHold
	}
	return res, nil
}

func (p *Planner) finish(pol *policy.Policy, tenant string, desired api.Desired, alloc api.Allocation,
	actions []*steps.Action, paths []ownedPath, obs *observation, rec store.TenantRecord, registered bool, in scope) (*Result, error) {
	stepList := make([]api.Step, 0, len(actions))
	for i, a := range actions {
		if d := policy.Evaluate(pol, a.Step); !d.Allowed {
			return nil, &api.Error{Code: api.CodePolicyDenied, Rule: d.Rule, Value: a.Step.Summary,
				Field: fmt.Sprintf("steps[%d]", i), Message: fmt.Sprintf("step %q denied: %s", a.Step.Summary, d.Reason)}
		}
		stepList = append(stepList, a.Step)
	}
	fp, err := fingerprint(obs, alloc, paths, in)
	if err != nil {
		return nil, err
	}
	pl := api.Plan{
		Tenant: tenant, HostID: p.HostID, PolicyRevision: pol.Revision(), Fingerprint: fp,
		Desired: desired, Allocation: alloc, Steps: stepList,
	}
	view := in.view(pl)
	if pl.Digest, err = api.ComputeDigest(&view); err != nil {
		return nil, err
	}
	rec.Name, rec.Desired, rec.Allocation = tenant, desired, alloc
	_, userExists := steps.Lookup(obs.users, alloc.User)
	return &Result{Plan: pl, Actions: actions, Record: rec, Registered: registered,
		UserExists: userExists, Unit: obs.units[GatewayUnit(p.Config, tenant)]}, nil
}

var tenantName = regexp.MustCompile(`^[a-z][a-z0-9-]{1,28}$`)

func validateRequest(req api.PlanRequest) error {
	if req.Tenant == "" {
		return &api.Error{Code: api.CodeInvalidRequest, Field: "tenant", Message: "tenant is required"}
	}
	// The design's fixed name contract, checked before anything observes the
	// host with the name; the policy may narrow it further.
	if !tenantName.MatchString(req.Tenant) {
		return &api.Error{Code: api.CodePolicyDenied, Field: "tenant.name", Rule: "names.pattern", Value: req.Tenant,
			Message: fmt.Sprintf("tenant name %q must match %s", req.Tenant, tenantName)}
	}
	if len(req.Changes) == 0 {
		return &api.Error{Code: api.CodeInvalidRequest, Field: "changes", Message: "at least one change is required"}
	}
	for i, c := range req.Changes {
		field := fmt.Sprintf("changes[%d]", i)
		bad := func(msg string) error {
			return &api.Error{Code: api.CodeInvalidRequest, Field: field, Message: msg}
		}
		switch c.Action {
		case api.ActionApply:
			switch {
			case c.Kind == api.ObjectTenant && c.Tenant == nil,
				c.Kind == api.ObjectWorkspace && c.Workspace == nil,
				c.Kind == api.ObjectService && c.Service == nil:
				return bad(fmt.Sprintf("apply of a %s needs its spec", c.Kind))
			}
			if c.Kind == api.ObjectTenant && c.Tenant.Name != req.Tenant {
				return &api.Error{Code: api.CodeInvalidRequest, Field: "tenant.name", Value: c.Tenant.Name,
					Message: fmt.Sprintf("tenant spec name %q differs from the request's tenant %q", c.Tenant.Name, req.Tenant)}
			}
			if c.Kind == api.ObjectTenant {
				if err := validBudget(c.Tenant.Budget); err != nil {
					return err
				}
			}
		case api.ActionDestroy:
			if c.Kind == api.ObjectTenant && len(req.Changes) != 1 {
				return bad("decommissioning a tenant must be the only change of its plan")
			}
			if err := validDestroyName(field, c); err != nil {
				return err
			}
		case api.ActionRestore, api.ActionPurge:
			if c.Kind != api.ObjectTenant || len(req.Changes) != 1 {
				return bad(fmt.Sprintf("%s applies to a tenant and must be the only change of its plan", c.Action))
			}
			if c.Archive == "" {
				return &api.Error{Code: api.CodeInvalidRequest, Field: "archive", Message: fmt.Sprintf("%s needs the archive to use", c.Action)}
			}
		default:
			return bad(fmt.Sprintf("unknown action %q", c.Action))
		}
		switch c.Kind {
		case api.ObjectTenant, api.ObjectWorkspace, api.ObjectService:
		default:
			return bad(fmt.Sprintf("unknown kind %q", c.Kind))
		}
		if c.Service != nil && c.Service.Kind != api.ServiceGateway {
			return &api.Error{Code: api.CodeInvalidRequest, Field: "service.kind", Value: string(c.Service.Kind),
				Message: "the only service kind is \"gateway\""}
		}
	}
	return nil
}

var workspaceName = regexp.MustCompile(`^[a-z][a-z0-9-]{0,30}$`)

// validDestroyName refuses a workspace or service destroy whose name could
// never have been applied, so such a request is an error rather than a
// plan that quietly does nothing.
func validDestroyName(field string, c api.Change) error {
	switch {
	case c.Kind == api.ObjectWorkspace && !workspaceName.MatchString(c.Name):
		return &api.Error{Code: api.CodeInvalidRequest, Field: field + ".name", Value: c.Name,
			Message: fmt.Sprintf("workspace to destroy %q must be a workspace name matching %s", c.Name, workspaceName)}
	case c.Kind == api.ObjectService && c.Name != string(api.ServiceGateway):
		return &api.Error{Code: api.CodeInvalidRequest, Field: field + ".name", Value: c.Name,
			Message: fmt.Sprintf("service to destroy %q must be \"gateway\", the only service kind", c.Name)}
	}
	return nil
}

// merge applies the changes to a copy of the desired state.
func merge(d api.Desired, req api.PlanRequest) (api.Desired, error) {
	out := api.Desired{Tenant: d.Tenant}
	ws := map[string]api.WorkspaceSpec{}
	for _, w := range d.Workspaces {
		ws[w.Name] = w
	}
	svc := map[api.ServiceKind]api.ServiceSpec{}
	for _, s := range d.Services {
		svc[s.Kind] = s
	}
	for _, c := range req.Changes {
		switch {
		case c.Kind == api.ObjectTenant:
			out.Tenant = *c.Tenant
		case c.Kind == api.ObjectWorkspace && c.Action == api.ActionApply:
			ws[c.Workspace.Name] = *c.Workspace
		case c.Kind == api.ObjectWorkspace:
			delete(ws, c.Name)
		case c.Kind == api.ObjectService && c.Action == api.ActionApply:
			svc[c.Service.Kind] = *c.Service
		case c.Kind == api.ObjectService:
			delete(svc, api.ServiceKind(c.Name))
		}
	}
	for _, w := range ws {
		out.Workspaces = append(out.Workspaces, w)
	}
	sort.Slice(out.Workspaces, func(i, j int) bool { return out.Workspaces[i].Name < out.Workspaces[j].Name })
	for _, s := range svc {
		out.Services = append(out.Services, s)
	}
	sort.Slice(out.Services, func(i, j int) bool { return out.Services[i].Kind < out.Services[j].Kind })
	return out, nil
}

// probe returns the first free slot scanning from a start derived from key,
// so concurrent plans of different tenants rarely pick the same value.
func probe(key string, n int, free func(i int) bool) (int, bool) {
	h := fnv.New32a()
	h.Write([]byte(key))
	start := int(h.Sum32() % uint32(n))
	for i := 0; i < n; i++ {
		if k := (start + i) % n; free(k) {
			return k, true
		}
	}
	return 0, false
}

func (p *Planner) allocate(ctx context.Context, rec store.TenantRecord, registered bool, spec api.TenantSpec, obs *observation) (api.Allocation, error) {
	t := p.Config.Tenants
	l := NewLayout(p.Config, spec.Name)
	uid, port := rec.Allocation.UID, rec.Allocation.GatewayPort
	defer p.holds.lock()()
	own := p.holds.own(spec.Name)
	if !registered || uid == 0 {
		if u, ok := steps.Lookup(obs.users, l.User); ok {
			uid = u.ID // adopt what a failed earlier job created
		} else {
			reserved, err := p.Registry.ReservedUIDs(ctx)
			if err != nil {
				return api.Allocation{}, fmt.Errorf("read reserved uids: %w", err)
			}
			free := func(id int) bool {
				_, takenU := steps.LookupID(obs.users, id)
				_, takenG := steps.LookupID(obs.groups, id)
				owner, res := reserved[id]
				return id >= t.UIDMin && id <= t.UIDMax && !takenU && !takenG && (!res || owner == spec.Name) &&
					!p.holds.heldUID(spec.Name, id)
			}
			if own.uid != 0 && free(own.uid) {
				uid = own.uid
			} else {
				k, ok := probe(spec.Name, t.UIDMax-t.UIDMin+1, func(k int) bool { return free(t.UIDMin + k) })
				if !ok {
					return api.Allocation{}, &api.Error{Code: api.CodeConflict, Field: "tenant.uid",
						Message: fmt.Sprintf("no free uid in %d..%d", t.UIDMin, t.UIDMax)}
				}
				uid = t.UIDMin + k
			}
		}
	}
	if spec.GatewayPort != 0 {
		port = spec.GatewayPort
		reserved, err := p.Registry.ReservedPorts(ctx)
		if err != nil {
			return api.Allocation{}, fmt.Errorf("read reserved ports: %w", err)
		}
		if owner, ok := reserved[port]; ok && owner != spec.Name {
			return api.Allocation{}, &api.Error{Code: api.CodePolicyDenied, Field: "tenant.gateway_port", Rule: "ports.unique",
				Value: fmt.Sprint(port), Message: fmt.Sprintf("gateway port %d is allocated to tenant %q", port, owner)}
		}
		if port < t.PortMin || port+4 > t.PortMax {
			return api.Allocation{}, &api.Error{Code: api.CodePolicyDenied, Field: "tenant.gateway_port", Rule: "ports.range",
				Value: fmt.Sprint(port), Message: fmt.Sprintf("gateway ports %d..%d are outside the executor's tenant ports %d..%d", port, port+4, t.PortMin, t.PortMax)}
		}
		if (port-t.PortMin)%t.PortStride != 0 {
			return api.Allocation{}, &api.Error{Code: api.CodePolicyDenied, Field: "tenant.gateway_port", Rule: "ports.stride",
				Value: fmt.Sprint(port), Message: fmt.Sprintf("gateway port %d is not on the %d-port grid starting at %d", port, t.PortStride, t.PortMin)}
		}
		if port != rec.Allocation.GatewayPort {
			for q := port; q <= port+4; q++ {
				if obs.listening[q] {
					return api.Allocation{}, &api.Error{Code: api.CodePolicyDenied, Field: "tenant.gateway_port", Rule: "ports.in_use",
						Value: fmt.Sprint(port), Message: fmt.Sprintf("port %d is already in use on this host", q)}
				}
			}
		}
	} else if port == 0 {
		reserved, err := p.Registry.ReservedPorts(ctx)
		if err != nil {
			return api.Allocation{}, fmt.Errorf("read reserved ports: %w", err)
		}
		slots := (t.PortMax-4-t.PortMin)/t.PortStride + 1
		free := func(base int) bool {
			if base < t.PortMin || base+4 > t.PortMax || (base-t.PortMin)%t.PortStride != 0 || p.holds.heldPort(spec.Name, base) {
				return false
			}
			if owner, ok := reserved[base]; ok && owner != spec.Name {
				return false
			}
			for q := base; q <= base+4; q++ {
				if obs.listening[q] {
					return false
				}
			}
			return true
		}
		if own.port != 0 && free(own.port) {
			port = own.port
		} else {
			k, ok := probe(spec.Name, slots, func(k int) bool { return free(t.PortMin + k*t.PortStride) })
			if !ok {
				return api.Allocation{}, &api.Error{Code: api.CodeConflict, Field: "tenant.gateway_port",
					Message: fmt.Sprintf("no free gateway port in %d..%d", t.PortMin, t.PortMax)}
			}
			port = t.PortMin + k*t.PortStride
		}
	}
	if registered {
		p.holds.drop(spec.Name)
	} else {
		p.holds.set(spec.Name, uid, port)
	}
	return l.Allocation(uid, uid, port), nil
}

// conflict turns an observation the executor refuses to overwrite into
// an API error.
func conflict(err error) error {
	var c *steps.ErrConflict
	if errors.As(err, &c) {
		return &api.Error{Code: api.CodeConflict, Message: c.What}
	}
	if errors.Is(err, steps.ErrSymlink) {
		return &api.Error{Code: api.CodePolicyDenied, Rule: "paths.symlink", Message: err.Error()}
	}
	return err
}

// InstallTemplate writes the shared gateway template unit when it differs
// from what the configuration renders, and reports whether systemd needs a
// daemon-reload. The executor calls it at start-up, outside any tenant plan.
func (p *Planner) InstallTemplate(ctx context.Context) (*steps.Action, error) {
	l := NewLayout(p.Config, "template")
	return steps.EnsureFile(api.StepInstallUnit, l.unitAnchor(l.UnitFile), p.Render.UnitTemplate(), steps.Owner{User: "root", Group: "root"}, 0o644)
}

// apiKeys are the model provider API keys of the request's tenant change;
// nil when it carries none.
func apiKeys(req api.PlanRequest) map[string]string {
	for _, c := range req.Changes {
		if c.Kind == api.ObjectTenant && c.APIKeys != nil {
			return c.APIKeys
		}
	}
	return nil
}
