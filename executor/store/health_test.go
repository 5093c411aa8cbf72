package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/store"
)

func TestHealthTransitions(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := context.Background()
	at := func(m int, st api.HealthStatus) api.HealthTransition {
		return api.HealthTransition{Tenant: "acme", Time: t0.Add(time.Duration(m) * time.Minute), Status: st}
	}
	for _, tr := range []api.HealthTransition{at(0, api.HealthHealthy), at(10, api.HealthDown), at(20, api.HealthHealthy),
		{Tenant: "globex", Time: t0.Add(15 * time.Minute), Status: api.HealthDown}, at(30, api.HealthSuspended)} {
		if err := s.AppendHealthTransition(ctx, tr); err != nil {
			t.Fatal(err)
		}
	}
	// [15m, 30m): the one in force at 15m, then the one at 20m.
	got, err := s.HealthTransitions(ctx, "acme", t0.Add(15*time.Minute), t0.Add(30*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]api.HealthTransition{at(10, api.HealthDown), at(20, api.HealthHealthy)}, got); diff != "" {
		t.Errorf("HealthTransitions mismatch (-want +got):\n%s", diff)
	}
	last, ok, err := s.LastHealthTransition(ctx, "acme")
	if err != nil || !ok || !cmp.Equal(last, at(30, api.HealthSuspended)) {
		t.Errorf("LastHealthTransition = %+v, %v, %v", last, ok, err)
	}
	if _, ok, err := s.LastHealthTransition(ctx, "nobody"); ok || err != nil {
		t.Errorf("LastHealthTransition(nobody) = %v, %v", ok, err)
	}
}

func TestIncidents(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := context.Background()
	probe := api.Probe{Time: t0, Status: api.HealthDown, Cause: api.CauseUnitFailed, Unit: api.UnitState{Unit: "u", NRestarts: 2}}
	inc := api.Incident{Tenant: "acme", Cause: api.CauseUnitFailed, Status: api.HealthDown, Start: t0, Open: true, Evidence: []api.Probe{probe}}
	id, err := s.OpenIncident(ctx, inc)
	if err != nil {
		t.Fatal(err)
	}
	inc.ID = id
	open, err := s.Incidents(ctx, "acme", true, 0)
	if err != nil || !cmp.Equal([]api.Incident{inc}, open) {
		t.Fatalf("open incidents = %+v, %v", open, err)
	}
	inc.End, inc.Open, inc.Cause, inc.Restarts = t0.Add(time.Minute), false, api.CauseCrashLoop, 3
	if err := s.UpdateIncident(ctx, inc); err != nil {
		t.Fatal(err)
	}
	closed, err := s.Incidents(ctx, "acme", false, 10)
	if err != nil || !cmp.Equal([]api.Incident{inc}, closed) {
		t.Fatalf("closed incidents = %+v, %v", closed, err)
	}
	if open, _ := s.Incidents(ctx, "acme", true, 0); len(open) != 0 {
		t.Errorf("still open: %+v", open)
	}
	if err := s.UpdateIncident(ctx, api.Incident{ID: 999}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UpdateIncident(999) = %v, want ErrNotFound", err)
	}
}
