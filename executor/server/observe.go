package server

import (
	"context"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/plan"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/steps"
)

// observe reports a tenant as registered and as found on the host now.
func (s *Server) observe(ctx context.Context, name string) (api.Tenant, error) {
	t := api.Tenant{Name: name, Status: api.TenantAbsent}
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
	if st, ok := units[l.Unit]; ok && st.LoadState != "not-found" {
		t.Units = []api.UnitState{st}
	}
	rec, ok, err := s.Store.GetTenant(ctx, name)
	if err != nil {
		return t, err
	}
	if !ok || rec.Decommissioned {
		return t, nil
	}
	t.Registered, t.Desired, t.Allocation, t.LastJobID = true, rec.Desired, rec.Allocation, rec.LastJobID
	if rec.LastJobID != "" {
		if j, err := s.Store.GetJob(ctx, rec.LastJobID); err == nil {
			t.LastJobState = j.State
		}
	}
	drift, err := s.Planner.Drift(ctx, name)
	if err != nil {
		return t, err
	}
	if drift != nil {
		t.PendingSteps = drift.Plan.Steps
	}
	t.Status = status(t)
	return t, nil
}

func status(t api.Tenant) api.TenantStatus {
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
