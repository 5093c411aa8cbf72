package plan_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

// bootstrapReq is a tenant with a workspace, as the provider sends it on a
// first apply. (The fixture's policy pins no gateway runtime, so the
// gateway service is left out: its steps are two more unit steps.)
func bootstrapReq(name string) api.PlanRequest {
	spec := api.TenantSpec{Name: name, Environment: api.EnvDevelopment, Limits: api.Limits{MemoryMaxMB: 1536, TasksMax: 256}}
	return api.PlanRequest{Tenant: name, Changes: []api.Change{
		{Kind: api.ObjectTenant, Action: api.ActionApply, Tenant: &spec},
		{Kind: api.ObjectWorkspace, Action: api.ActionApply, Workspace: &api.WorkspaceSpec{Name: "main", Files: map[string]string{"AGENTS.md": "# agent\n"}}},
	}}
}

// The planner alone: observe (passwd, group, shadow, files; `systemctl show`
// answered by the fixture's runner, so its process is not counted), allocate,
// build, evaluate the policy, fingerprint and digest. The host benchmark
// (bench/cost.sh) measures whole dry runs through the API.
func BenchmarkPlan(b *testing.B) {
	for _, registered := range []int{0, 400} {
		b.Run(fmt.Sprintf("new-tenant/registered=%d", registered), func(b *testing.B) {
			f := newFixture(b)
			ctx := context.Background()
			// The fixture's port range has 500 slots, so 400 is near full:
			// the allocation probe walks past taken slots.
			for i := range registered {
				res, err := f.planner.Plan(ctx, tenantReq(api.TenantSpec{Name: fmt.Sprintf("t%04d", i), Environment: api.EnvDevelopment}))
				if err != nil {
					b.Fatal(err)
				}
				if err := f.store.PutTenant(ctx, res.Record); err != nil {
					b.Fatal(err)
				}
			}
			req := bootstrapReq("acme")
			b.ReportAllocs()
			for b.Loop() {
				if _, err := f.planner.Plan(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
