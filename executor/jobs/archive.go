package jobs

import (
	"context"
	"fmt"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/audit"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/plan"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/steps"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/store"
)

// recordArchive writes a verified archive to the audit log and the registry,
// with the tenant as it was registered, so that it can be listed, verified
// and restored with the same uid and spec.
func (q *Queue) recordArchive(ctx context.Context, jobID, tenant string, res *plan.Result, a *steps.ArchiveFile) error {
	rec := store.ArchiveRecord{Path: a.Path, Tenant: tenant, SHA256: a.SHA256, Size: a.Size, JobID: jobID,
		Desired: res.Prior.Desired, Allocation: res.Prior.Allocation, CreatedAt: q.now()}
	if rec.Allocation.User == "" {
		rec.Allocation = res.Plan.Allocation
	}
	if _, err := q.record(ctx, audit.Record{Type: "result", Actor: "executor", Tenant: tenant, JobID: jobID, Outcome: "archived",
		Data: mustJSON(map[string]any{"path": a.Path, "sha256": a.SHA256, "size": a.Size})}); err != nil {
		return err
	}
	if err := q.store.PutArchive(ctx, rec); err != nil {
		return fmt.Errorf("record archive: %w", err)
	}
	return nil
}

// finishArchive records what a restore or purge did to its archive: a
// restored tenant is registered live (until then it stayed decommissioned,
// so a failed restore is retried as one) and audited with the archive it
// came from (the archive stays, and so does the uid); a purge removes the
// archive's registry entry, which frees the tenant's uid with its last
// archive.
func (q *Queue) finishArchive(ctx context.Context, jobID, tenant string, res *plan.Result) error {
	switch {
	case res.Restore != nil:
		a, rec := res.Restore, res.Record
		rec.Decommissioned, rec.LastJobID, rec.UpdatedAt = false, jobID, q.now()
		q.alloc.Lock()
		err := q.store.PutTenant(ctx, rec)
		q.alloc.Unlock()
		if err != nil {
			return fmt.Errorf("register the restored tenant: %w", err)
		}
		_, err = q.record(ctx, audit.Record{Type: "result", Actor: "executor", Tenant: tenant, JobID: jobID, Outcome: "restored",
			Data: mustJSON(map[string]any{"archive": a.Path, "sha256": a.SHA256, "uid": res.Plan.Allocation.UID})})
		return err
	case res.Purge != nil:
		a := res.Purge
		freed, err := q.store.DeleteArchive(ctx, a.Path)
		if err != nil {
			return fmt.Errorf("remove archive from the registry: %w", err)
		}
		_, err = q.record(ctx, audit.Record{Type: "result", Actor: "executor", Tenant: tenant, JobID: jobID, Outcome: "purged",
			Data: mustJSON(map[string]any{"archive": a.Path, "sha256": a.SHA256, "uid": a.Allocation.UID, "uid_freed": freed})})
		return err
	}
	return nil
}
