package plan

import (
	"fmt"
	"sort"
	"strings"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/steps"
)

// scope is the set of tenant objects a plan changes ("tenant",
// "workspace:<name>", "service:<kind>"); nil means every object (drift and
// decommission plans).
//
// Terraform plans every resource once, then plans each again just before
// applying it and requires the same result. A plan of one object must
// therefore not move when another object of the same tenant is applied
// first in the same run. So the digest of a scoped plan covers only the
// changed objects' specs, their own paths and accounts, and the steps of the
// plan, where a step caused on another object's file (a workspace added to
// the tenant's openclaw.json) is covered by what it does, not by the bytes
// the other object's pending change also shapes.
type scope map[string]bool

func scopeOf(changes []api.Change) scope {
	in := scope{}
	for _, c := range changes {
		switch c.Kind {
		case api.ObjectTenant:
			in["tenant"] = true
		case api.ObjectWorkspace:
			name := c.Name
			if c.Workspace != nil {
				name = c.Workspace.Name
			}
			in["workspace:"+name] = true
		case api.ObjectService:
			name := c.Name
			if c.Service != nil {
				name = string(c.Service.Kind)
			}
			in["service:"+name] = true
		}
	}
	return in
}

func (in scope) has(object string) bool { return in == nil || in[object] }

// filter keeps the actions of the changed objects and the actions the change
// causes: present now, absent from the plan of the registered state.
func (in scope) filter(after, before []*steps.Action) []*steps.Action {
	had := map[string]bool{}
	for _, a := range before {
		had[actionKey(a)] = true
	}
	var out []*steps.Action
	for _, a := range after {
		if in.has(a.Step.Object) || !had[actionKey(a)] {
			out = append(out, a)
		}
	}
	return out
}

func actionKey(a *steps.Action) string {
	return string(a.Step.Kind) + "\x00" + a.Step.Path + "\x00" + a.Step.Unit + "\x00" + a.Step.ContentSHA256 + "\x00" + strings.Join(a.Step.Argv, "\x00")
}

// view is the part of a plan its digest covers.
func (in scope) view(p api.Plan) api.Plan {
	if in == nil {
		return p
	}
	v := p
	v.Desired = api.Desired{Tenant: api.TenantSpec{Name: p.Tenant}}
	if in.has("tenant") {
		v.Desired.Tenant = p.Desired.Tenant
	} else {
		v.Allocation.GatewayPort = 0 // the tenant's, not this object's
	}
	for _, w := range p.Desired.Workspaces {
		if in.has("workspace:" + w.Name) {
			v.Desired.Workspaces = append(v.Desired.Workspaces, w)
		}
	}
	for _, s := range p.Desired.Services {
		if in.has("service:" + string(s.Kind)) {
			v.Desired.Services = append(v.Desired.Services, s)
		}
	}
	v.Steps = make([]api.Step, len(p.Steps))
	for i, s := range p.Steps {
		if !in.has(s.Object) {
			// The reason quotes the file's hashes, which the other
			// object's pending change moves too.
			s.ContentSHA256, s.Reason = "", ""
		}
		v.Steps[i] = s
	}
	return v
}

// ownedPath is a path the plan looked at and the object that owns it.
type ownedPath struct {
	object string
	anchor steps.Anchor
}

// fingerprint hashes every observed fact the changed objects depend on, so a
// host that changed in any of them gives another digest even when the steps
// agree.
func fingerprint(obs *observation, a api.Allocation, paths []ownedPath, in scope) (string, error) {
	type fact struct {
		Path   string `json:"path"`
		Exists bool   `json:"exists"`
		Type   uint32 `json:"type"`
		UID    int    `json:"uid"`
		GID    int    `json:"gid"`
		Mode   uint32 `json:"mode"`
		SHA256 string `json:"sha256,omitempty"`
	}
	var facts struct {
		Expiry string          `json:"expiry,omitempty"`
		Users  []steps.Account `json:"users"`
		Groups []steps.Account `json:"groups"`
		Units  []unitFact      `json:"units"`
		Paths  []fact          `json:"paths"`
	}
	if in.has("tenant") {
		facts.Expiry = obs.expiry
	}
	// Only this tenant's accounts: other tenants' changes must not move it.
	for _, u := range obs.users {
		if u.Name == a.User || u.ID == a.UID {
			facts.Users = append(facts.Users, u)
		}
	}
	for _, g := range obs.groups {
		if g.Name == a.Group || g.ID == a.GID {
			facts.Groups = append(facts.Groups, g)
		}
	}
	if in.has("tenant") || in.has("service:gateway") {
		for name, st := range obs.units {
			facts.Units = append(facts.Units, unitFact{Unit: name, Enabled: st.Enabled, Up: st.ActiveState == "active"})
		}
		sort.Slice(facts.Units, func(i, j int) bool { return facts.Units[i].Unit < facts.Units[j].Unit })
	}
	for _, op := range paths {
		if !in.has(op.object) {
			continue
		}
		st, err := steps.Stat(op.anchor)
		if err != nil {
			return "", fmt.Errorf("fingerprint: %w", err)
		}
		facts.Paths = append(facts.Paths, fact{Path: op.anchor.Path(), Exists: st.Exists, Type: uint32(st.Type), UID: st.UID, GID: st.GID, Mode: uint32(st.Mode), SHA256: st.SHA256})
	}
	b, err := api.CanonicalJSON(facts)
	if err != nil {
		return "", err
	}
	return api.SHA256Hex(b), nil
}

type unitFact struct {
	Unit    string `json:"unit"`
	Enabled string `json:"enabled"`
	Up      bool   `json:"up"`
}
