package plan

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

// budgetHold is what planning found of a tenant's budget hold.
type budgetHold struct {
	api.BudgetHold
	// held: the tenant has a hold (the executor suspended it for its
	// budget, and no job resumed it since).
	held bool
	// keeps: the hold still applies to this plan, so the tenant stays
	// suspended whatever its desired state says.
	keeps bool
}

// apply returns d as the steps must see it: suspended when on is set. The
// registered desired state itself keeps the user's wish.
func (h budgetHold) apply(d api.Desired, on bool) api.Desired {
	if on {
		d.Tenant.Suspended = true
	}
	return d
}

// hold reads the tenant's budget hold and decides whether it keeps the
// tenant suspended. A plan of the tenant's own change (lift) lifts it when
// its budget is no longer exceeded: the hold is from an earlier month, the
// budget no longer says "suspend", or the month-to-date cost is below the
// (raised) budget. Any other plan keeps a hold.
func (p *Planner) hold(ctx context.Context, tenant string, registered bool, budget *api.Budget, lift bool) (budgetHold, error) {
	if !registered {
		return budgetHold{}, nil
	}
	h, ok, err := p.Registry.BudgetHold(ctx, tenant)
	if err != nil || !ok {
		return budgetHold{}, err
	}
	out := budgetHold{BudgetHold: h, held: true, keeps: true}
	if !lift {
		return out, nil
	}
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	t := now()
	if h.Month != api.BudgetMonth(t) || budget == nil || budget.Action != api.BudgetSuspend {
		out.keeps = false
		return out, nil
	}
	nano, _, err := p.Registry.MonthToDate(ctx, tenant, t)
	if err != nil {
		return budgetHold{}, fmt.Errorf("budget of %s: %w", tenant, err)
	}
	out.keeps = budget.Exceeded(nano)
	return out, nil
}

// validBudget checks a budget's values; the provider's validators say the
// same.
func validBudget(b *api.Budget) error {
	if b == nil {
		return nil
	}
	bad := func(field, value, msg string) error {
		return &api.Error{Code: api.CodeInvalidRequest, Field: "tenant.budget." + field, Value: value, Message: msg}
	}
	switch {
	case !(b.MonthlyUSD > 0) || math.IsInf(b.MonthlyUSD, 0) || b.MonthlyUSD > 1e9:
		return bad("monthly_usd", fmt.Sprint(b.MonthlyUSD), "monthly_usd must be a positive amount of USD (at most 1e9)")
	case b.SoftLimitPercent < 1 || b.SoftLimitPercent > 100:
		return bad("soft_limit_percent", fmt.Sprint(b.SoftLimitPercent), "soft_limit_percent must be within 1..100")
	case b.Action != api.BudgetAlert && b.Action != api.BudgetSuspend:
		return bad("action", string(b.Action), `action must be "alert" or "suspend"`)
	}
	return nil
}
