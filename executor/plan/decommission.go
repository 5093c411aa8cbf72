package plan

import (
	"context"
	"path/filepath"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/steps"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/store"
)

// decommission plans the removal of a tenant: stop its gateway, archive its
// home and configuration and verify the archive, and only then remove the
// sudoers fragment, drop-ins, configuration, account and files. The uid and
// port stay reserved in the registry while the archive exists.
func (p *Planner) decommission(ctx context.Context, name string, rec store.TenantRecord, registered bool) (*Result, error) {
	obs, err := p.observe(ctx, name)
	if err != nil {
		return nil, err
	}
	l := NewLayout(p.Config, name)
	alloc := rec.Allocation
	if !registered {
		if u, ok := steps.Lookup(obs.users, l.User); ok {
			alloc = l.Allocation(u.ID, u.GID, 0)
		} else {
			alloc = l.Allocation(0, 0, 0)
		}
	}
	h := p.Host
	var (
		out   []*steps.Action
		paths []ownedPath
	)
	add := func(a *steps.Action, err error) error {
		if err != nil {
			return conflict(err)
		}
		if a != nil {
			a.Step.Object = "tenant"
			out = append(out, a)
		}
		return nil
	}
	if err := add(steps.StopUnit(h, l.Unit, obs.units[l.Unit]), nil); err != nil {
		return nil, err
	}
	archive := steps.Anchor{Base: p.Config.Tenants.ArchiveDir, Rel: steps.FreeName(p.Config.Tenants.ArchiveDir, name, ".tar.gz")}
	if err := add(steps.Archive(h, archive, []string{l.Home, l.ConfigDir})); err != nil {
		return nil, err
	}
	for _, an := range []steps.Anchor{l.sudoersAnchor()} {
		paths = append(paths, ownedPath{"tenant", an})
		if err := add(steps.RemoveFile(an, "the tenant is being decommissioned")); err != nil {
			return nil, err
		}
	}
	for _, an := range []steps.Anchor{l.unitAnchor(l.DropInDir), l.configAnchor(l.ConfigDir)} {
		paths = append(paths, ownedPath{"tenant", an})
		if err := add(steps.RemoveDir(an, "the tenant is being decommissioned")); err != nil {
			return nil, err
		}
	}
	if err := add(steps.RemoveUser(h, obs.users, l.User), nil); err != nil {
		return nil, err
	}
	if err := add(steps.RemoveGroup(h, obs.groups, l.User), nil); err != nil {
		return nil, err
	}
	paths = append(paths, ownedPath{"tenant", l.homeAnchor()})
	if err := add(steps.RemoveDir(l.homeAnchor(), "archived in "+filepath.Base(archive.Rel))); err != nil {
		return nil, err
	}
	res, err := p.finish(p.Policy(), name, api.Desired{Tenant: api.TenantSpec{Name: name}}, alloc, out, paths, obs, rec, registered, nil)
	if err != nil {
		return nil, err
	}
	res.Decommission, res.Prior = true, rec
	return res, nil
}
