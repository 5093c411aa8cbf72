package jobs

import (
	"context"
	"fmt"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/audit"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/plan"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/store"
)

// budgetActor is who the executor's own budget suspensions are by.
const budgetActor = "executor (budget)"

// SuspendForBudget holds tenant suspended for its budget and starts the job
// that suspends it: the same steps as suspended = true (lock the account,
// stop the gateway), planned from the tenant's registered desired state,
// which keeps the user's wish. The policy must allow it (budget.suspend);
// the job needs budget.approvals approvers (default: the environment's).
//
// Outcomes: the job (queued, or awaiting approval); nil and nil when the
// tenant is already suspended (the hold is still recorded); *api.Error
// policy_denied (audited, nothing held) or not_found; CodeAuditFailed when
// the hold could not be audited (nothing held); store or planning errors.
func (q *Queue) SuspendForBudget(ctx context.Context, tenant string, hold api.BudgetHold) (*api.Job, error) {
	who := Actor{Name: budgetActor, Budget: true}
	d := q.planner.Policy().BudgetSuspend()
	if !d.Allowed {
		err := &api.Error{Code: api.CodePolicyDenied, Rule: d.Rule, Field: "tenant.budget.action", Value: string(api.BudgetSuspend),
			Message: fmt.Sprintf("tenant %q spent $%.2f of its $%.2f budget in %s but is not suspended: %s", tenant, hold.SpentUSD, hold.LimitUSD, hold.Month, d.Reason)}
		q.deny(ctx, tenant, who, err)
		return nil, err
	}
	rec, ok, err := q.store.GetTenant(ctx, tenant)
	if err != nil {
		return nil, err
	}
	if !ok || rec.Decommissioned {
		return nil, &api.Error{Code: api.CodeNotFound, Field: "tenant", Value: tenant, Message: fmt.Sprintf("tenant %q is not registered", tenant)}
	}
	if _, err := q.record(ctx, audit.Record{Type: "budget", Actor: who.Name, Tenant: tenant, Rule: d.Rule, Outcome: "hold",
		Data: mustJSON(hold)}); err != nil {
		return nil, err
	}
	if err := q.store.PutBudgetHold(ctx, tenant, hold); err != nil {
		return nil, err
	}
	req := registeredRequest(rec)
	res, err := q.planner.Plan(ctx, req)
	if err != nil {
		q.deny(ctx, tenant, who, err)
		return nil, fmt.Errorf("plan budget suspension of %s: %w", tenant, err)
	}
	if len(res.Actions) == 0 {
		return nil, nil
	}
	job, err := q.start(ctx, api.SubmitRequest{PlanRequest: req, Digest: res.Plan.Digest}, res, who, "", nil, nil)
	if err != nil {
		return nil, err
	}
	return &job, nil
}

// registeredRequest re-applies every object of a tenant as registered, so
// that its plan covers them all (the gateway's stop belongs to the service).
func registeredRequest(rec store.TenantRecord) api.PlanRequest {
	d := rec.Desired
	spec := d.Tenant
	changes := []api.Change{{Kind: api.ObjectTenant, Action: api.ActionApply, Tenant: &spec}}
	for i := range d.Workspaces {
		changes = append(changes, api.Change{Kind: api.ObjectWorkspace, Action: api.ActionApply, Workspace: &d.Workspaces[i]})
	}
	for i := range d.Services {
		changes = append(changes, api.Change{Kind: api.ObjectService, Action: api.ActionApply, Service: &d.Services[i]})
	}
	return api.PlanRequest{Tenant: rec.Name, Changes: changes}
}

// liftHold deletes the budget hold a job's plan lifted, once its steps
// resumed the tenant, and audits it. A newer hold placed while the job ran
// stays.
func (q *Queue) liftHold(ctx context.Context, id, tenant string, res *plan.Result) error {
	if res.Lifts == nil {
		return nil
	}
	if _, err := q.record(ctx, audit.Record{Type: "budget", Actor: "executor", Tenant: tenant, JobID: id, Outcome: "lifted",
		Data: mustJSON(res.Lifts)}); err != nil {
		return err
	}
	return q.store.DeleteBudgetHold(ctx, tenant, res.Lifts.Since)
}
