package jobs

import (
	"context"
	"fmt"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

// RuleSameDigest is the rule of a refused submission whose plan digest an
// unfinished job of the tenant already carries.
const RuleSameDigest = "jobs.same_digest"

// pendingStates are the states of a job that will run, or is running,
// without anyone acting on it again. A job awaiting approval is not one of
// them: it runs only when approved, and a second submission of its digest
// may carry the approvals it lacks.
var pendingStates = []api.JobState{api.JobQueued, api.JobApproved, api.JobRunning}

// refuseDuplicate returns a CodeConflict *api.Error when a job of tenant
// with digest is queued, approved or running, so that a plan submitted
// twice at once (a retried request, two CI runs of one review) runs once.
// The caller holds q.submit, so no such job can appear until it has created
// its own.
func (q *Queue) refuseDuplicate(ctx context.Context, tenant, digest string) error {
	pending, err := q.store.JobsInState(ctx, pendingStates...)
	if err != nil {
		return fmt.Errorf("find pending jobs: %w", err)
	}
	for _, j := range pending {
		if j.Tenant == tenant && j.Digest == digest {
			return &api.Error{Code: api.CodeConflict, Field: "digest", Rule: RuleSameDigest, Value: digest,
				Message: fmt.Sprintf("job %s for tenant %q already carries plan %s and is %s; follow it (GET /v1/jobs/%s) instead of submitting the plan again",
					j.ID, tenant, digest, j.State, j.ID)}
		}
	}
	return nil
}
