package plan

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/steps"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/store"
)

// archiveOf resolves a change's archive, given as a path in the archive dir
// or a file name there, to its registry record of tenant.
func (p *Planner) archiveOf(ctx context.Context, tenant, id string) (store.ArchiveRecord, steps.Anchor, error) {
	dir := p.Config.Tenants.ArchiveDir
	bad := &api.Error{Code: api.CodeInvalidRequest, Field: "archive", Value: id,
		Message: fmt.Sprintf("archive %q must be a file name in %s or its path there, as `archive list` shows it", id, dir)}
	name := id
	if filepath.IsAbs(id) {
		if filepath.Clean(id) != id || filepath.Dir(id) != filepath.Clean(dir) {
			return store.ArchiveRecord{}, steps.Anchor{}, bad
		}
		name = filepath.Base(id)
	}
	if name == "" || name != filepath.Base(name) || !filepath.IsLocal(name) {
		return store.ArchiveRecord{}, steps.Anchor{}, bad
	}
	an := steps.Anchor{Base: dir, Rel: name}
	a, err := p.Registry.GetArchive(ctx, an.Path())
	if errors.Is(err, store.ErrNotFound) {
		return a, an, &api.Error{Code: api.CodeNotFound, Field: "archive", Value: id,
			Message: fmt.Sprintf("no archive %s is recorded on this host; `missioncontrol-executor archive list` shows the recorded ones", an.Path())}
	}
	if err != nil {
		return a, an, fmt.Errorf("read archive registry: %w", err)
	}
	if a.Tenant != tenant {
		return a, an, &api.Error{Code: api.CodeInvalidRequest, Field: "tenant", Value: tenant,
			Message: fmt.Sprintf("archive %s is of tenant %q, not %q", an.Path(), a.Tenant, tenant)}
	}
	return a, an, nil
}

// restore plans recreating a decommissioned tenant from one of its
// archives: its group and user with the archived uid and gid, its home and
// configuration directory extracted with their ownership, then whatever
// else its archived desired state needs (units, drop-ins, sudoers), exactly
// as an apply of that state would. The tenant is registered again as it
// was archived, and is live once the job's steps all succeeded.
func (p *Planner) restore(ctx context.Context, name, id string, rec store.TenantRecord, registered bool) (*Result, error) {
	a, src, err := p.archiveOf(ctx, name, id)
	if err != nil {
		return nil, err
	}
	if registered && !rec.Decommissioned {
		return nil, &api.Error{Code: api.CodeConflict, Field: "tenant", Value: name,
			Message: fmt.Sprintf("tenant %q is live on this host; only a decommissioned tenant can be restored (destroying it archives it first)", name)}
	}
	desired, alloc := a.Desired, a.Allocation
	l := NewLayout(p.Config, name)
	if alloc.UID == 0 || alloc.GID == 0 || desired.Tenant.Name != name {
		return nil, &api.Error{Code: api.CodeConflict, Field: "archive", Value: id,
			Message: fmt.Sprintf("archive %s records no uid or spec of tenant %q, so it cannot be restored", src.Path(), name)}
	}
	obs, err := p.observe(ctx, name)
	if err != nil {
		return nil, err
	}
	// The files are owned by the archived ids, so those are the ids the
	// tenant gets back; a host that gave them away must free them first.
	if u, ok := steps.LookupID(obs.users, alloc.UID); ok && u.Name != l.User {
		return nil, &api.Error{Code: api.CodeConflict, Field: "tenant.uid", Value: fmt.Sprint(alloc.UID),
			Message: fmt.Sprintf("uid %d of archived tenant %q is taken by user %s; the archived files are owned by that uid, so free it before restoring", alloc.UID, name, u.Name)}
	}
	if g, ok := steps.LookupID(obs.groups, alloc.GID); ok && g.Name != l.User {
		return nil, &api.Error{Code: api.CodeConflict, Field: "tenant.gid", Value: fmt.Sprint(alloc.GID),
			Message: fmt.Sprintf("gid %d of archived tenant %q is taken by group %s; free it before restoring", alloc.GID, name, g.Name)}
	}
	if desired.Tenant.GatewayPort == 0 {
		// A port given away since (the registry keeps it reserved, so only
		// by hand) is allocated anew; a port the spec names is checked by
		// allocate as on every apply.
		reserved, err := p.Registry.ReservedPorts(ctx)
		if err != nil {
			return nil, fmt.Errorf("read reserved ports: %w", err)
		}
		if owner, ok := reserved[alloc.GatewayPort]; ok && owner != name {
			alloc.GatewayPort = 0
		}
	}
	alloc, err = p.allocate(ctx, store.TenantRecord{Allocation: alloc}, true, desired.Tenant, obs)
	if err != nil {
		return nil, err
	}
	pol := p.Policy()
	if apiErr := pol.CheckDesired(desired, alloc); apiErr != nil {
		return nil, apiErr
	}
	actions, paths, err := p.build(ctx, desired, alloc, obs, nil)
	if err != nil {
		return nil, err
	}
	owner := steps.Owner{User: l.User, Group: l.User, UID: alloc.UID, GID: alloc.GID}
	home, conf := l.homeAnchor(), l.configAnchor(l.ConfigDir)
	var extract []*steps.Action
	for _, dirs := range [][2]steps.Anchor{{home, conf}, {conf, home}} {
		act, err := steps.Restore(src, a.SHA256, dirs[0], []steps.Anchor{dirs[1]}, owner)
		if err != nil {
			return nil, unrestorable(src, err)
		}
		extract = append(extract, objectOf("tenant", act))
	}
	// Extract right after the account exists, before the directory and
	// file steps that correct what the archive brings back.
	at := 0
	for at < len(actions) && (actions[at].Step.Kind == api.StepEnsureGroup || actions[at].Step.Kind == api.StepEnsureUser) {
		at++
	}
	actions = append(actions[:at], append(extract, actions[at:]...)...)
	// Registered before the steps (reserving the ids) but decommissioned
	// until they all succeeded, so a failed restore is retried as a restore.
	rec.Decommissioned = true
	res, err := p.finish(pol, name, desired, alloc, actions, paths, obs, rec, false, nil)
	if err != nil {
		return nil, err
	}
	res.Restore = &a
	return res, nil
}

func unrestorable(src steps.Anchor, err error) error {
	msg := fmt.Sprintf("archive %s cannot be restored: %v", src.Path(), err)
	if errors.Is(err, fs.ErrNotExist) {
		msg = fmt.Sprintf("archive %s is recorded but its file is missing (`missioncontrol-executor archive verify` checks every archive)", src.Path())
	}
	return &api.Error{Code: api.CodeConflict, Field: "archive", Value: src.Path(), Message: msg}
}

// purge plans deleting an archive of a decommissioned tenant. The job then
// removes its registry entry; with the tenant's last archive gone, its uid,
// gid and port are free again.
func (p *Planner) purge(ctx context.Context, name, id string, rec store.TenantRecord, registered bool) (*Result, error) {
	a, src, err := p.archiveOf(ctx, name, id)
	if err != nil {
		return nil, err
	}
	if registered && !rec.Decommissioned {
		return nil, &api.Error{Code: api.CodeConflict, Field: "archive", Value: id,
			Message: fmt.Sprintf("tenant %q is live again (restored or applied since archive %s was written) and holds uid %d; only archives of decommissioned tenants can be purged",
				name, src.Path(), rec.Allocation.UID)}
	}
	obs, err := p.observe(ctx, name)
	if err != nil {
		return nil, err
	}
	var actions []*steps.Action
	act, err := steps.RemoveFile(src, "the archive is purged; the tenant's uid is freed with its last archive")
	if err != nil {
		return nil, conflict(err)
	}
	if act != nil {
		actions = append(actions, objectOf("tenant", act))
	}
	res, err := p.finish(p.Policy(), name, a.Desired, a.Allocation, actions, []ownedPath{{"tenant", src}}, obs, rec, false, nil)
	if err != nil {
		return nil, err
	}
	res.Purge = &a
	return res, nil
}
