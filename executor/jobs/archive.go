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
