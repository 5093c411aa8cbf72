package plan_test

import (
	"context"
	"errors"
	"testing"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

// Tenants created together are all planned before any is applied. With
// room for exactly four tenants, four new tenants must be planned with four
// different uids and ports, each plan must stay the same when planned again,
// and stay the same while the others get registered in any order: the
// reviewed plan is the one that runs.
func TestNewTenantsPlannedTogetherKeepTheirPlans(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tr := &f.planner.Config.Tenants
	tr.UIDMin, tr.UIDMax = 20001, 20004 // 20000 is taken by "busy"
	tr.PortMin, tr.PortMax = 20000, 20000+3*20+4
	names := []string{"acme", "beta", "gamma", "delta"}
	digests := map[string]string{}
	uids, ports := map[int]string{}, map[int]string{}
	for _, n := range names {
		res, err := f.planner.Plan(ctx, tenantReq(api.TenantSpec{Name: n, Environment: api.EnvDevelopment}))
		if err != nil {
			t.Fatalf("plan %s: %v", n, err)
		}
		a := res.Plan.Allocation
		if other, ok := uids[a.UID]; ok {
			t.Fatalf("%s and %s both planned with uid %d", n, other, a.UID)
		}
		if other, ok := ports[a.GatewayPort]; ok {
			t.Fatalf("%s and %s both planned with port %d", n, other, a.GatewayPort)
		}
		uids[a.UID], ports[a.GatewayPort], digests[n] = n, n, res.Plan.Digest
	}
	// Register them in reverse order; every other plan must stay the same.
	for i := len(names) - 1; i >= 0; i-- {
		for _, n := range names {
			res, err := f.planner.Plan(ctx, tenantReq(api.TenantSpec{Name: n, Environment: api.EnvDevelopment}))
			if err != nil {
				t.Fatalf("plan %s again: %v", n, err)
			}
			if res.Registered {
				continue
			}
			if res.Plan.Digest != digests[n] {
				t.Fatalf("plan of %s changed after %d others registered: %s, reviewed %s", n, len(names)-1-i, res.Plan.Digest, digests[n])
			}
			if n == names[i] {
				if err := f.store.PutTenant(ctx, res.Record); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	// The range is full now: a fifth tenant gets a clear conflict.
	_, err := f.planner.Plan(ctx, tenantReq(api.TenantSpec{Name: "epsilon", Environment: api.EnvDevelopment}))
	if err == nil {
		t.Fatal("a fifth tenant was planned in a range of four")
	}
	var apiErr *api.Error
	if !errors.As(err, &apiErr) || apiErr.Code != api.CodeConflict {
		t.Fatalf("fifth tenant: %v", err)
	}
}
