package server

import (
	"context"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/plan"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/steps"
)

// observe reports a tenant as registered and as found on the host now. For
// a registered tenant the drift plan is the observation; otherwise only the
// account and the unit are looked at.
func (s *Server) observe(ctx context.Context, name string) (api.Tenant, error) {
	t := api.Tenant{Name: name, Status: api.TenantAbsent}
	rec, ok, err := s.Store.GetTenant(ctx, name)
	if err != nil {
		return t, err
	}
	if !ok || rec.Decommissioned {
		l := plan.NewLayout(s.Planner.Config, name)
		users, err := s.Planner.Host.Users()
		if err != nil {
			return t, err
		}
		_, t.UserExists = steps.Lookup(users, l.User)
		units, err := s.Planner.Host.UnitStates(ctx, l.Unit)
		if err != nil {
			return t, err
		}
		t.Units = loaded(units[l.Unit])
		return t, nil
	}
	drift, err := s.Planner.Drift(ctx, name)
	if err != nil || drift == nil { // nil: decommissioned since the lookup
		return t, err
	}
	t.Registered, t.Desired, t.Allocation, t.LastJobID = true, rec.Desired, rec.Allocation, rec.LastJobID
	t.UserExists, t.Units, t.PendingSteps = drift.UserExists, loaded(drift.Unit), drift.Plan.Steps
	t.BudgetHold = drift.Plan.BudgetHold
	if rec.LastJobID != "" {
		if j, err := s.Store.GetJob(ctx, rec.LastJobID); err == nil {
			t.LastJobState = j.State
		}
	}
	t.Status = status(t)
	if err := s.monthToDate(ctx, &t); err != nil {
		return t, err
	}
	return t, nil
}

// loaded lists a unit systemd knows; an unknown unit is no unit.
func loaded(st api.UnitState) []api.UnitState {
	if st.Unit == "" || st.LoadState == "not-found" {
		return nil
	}
	return []api.UnitState{st}
}

func status(t api.Tenant) api.TenantStatus {
	if t.BudgetHold != nil {
		return api.TenantSuspendedBudget
	}
	if t.Desired.Tenant.Suspended {
		return api.TenantSuspended
	}
	for _, u := range t.Units {
		if u.ActiveState == "failed" {
			return api.TenantDegraded
		}
	}
	if len(t.PendingSteps) > 0 {
		return api.TenantDrifted
	}
	return api.TenantActive
}
