package jobs

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/plan"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/policy"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/steps"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/store"
)

// TestRequiredApprovals: the example policy asks development 0, staging 1,
// production 2 approvers.
func TestRequiredApprovals(t *testing.T) {
	t.Parallel()
	pol, err := policy.Load("../../examples/executor/policy.hcl")
	if err != nil {
		t.Fatal(err)
	}
	desired := func(env api.Environment) api.Desired {
		return api.Desired{Tenant: api.TenantSpec{Name: "acme", Environment: env}}
	}
	step := []*steps.Action{{Step: api.Step{Kind: api.StepEnsureUser, Summary: "create user mc-acme"}}}
	testCases := map[string]struct {
		registered *api.Desired // the registry's record, if any
		res        plan.Result
		want       int
	}{
		"new production tenant":  {res: plan.Result{Plan: api.Plan{Tenant: "acme", Desired: desired(api.EnvProduction)}, Actions: step}, want: 2},
		"new staging tenant":     {res: plan.Result{Plan: api.Plan{Tenant: "acme", Desired: desired(api.EnvStaging)}, Actions: step}, want: 1},
		"new development tenant": {res: plan.Result{Plan: api.Plan{Tenant: "acme", Desired: desired(api.EnvDevelopment)}, Actions: step}, want: 0},
		"nothing to do for an unknown tenant": {
			res: plan.Result{Plan: api.Plan{Tenant: "acme", Desired: desired(api.EnvProduction)}}, want: 0},
		"registered and unchanged": {registered: ptr(desired(api.EnvProduction)),
			res: plan.Result{Plan: api.Plan{Tenant: "acme", Desired: desired(api.EnvProduction)}}, want: 0},
		"moved out of production without host steps": {registered: ptr(desired(api.EnvProduction)),
			res: plan.Result{Plan: api.Plan{Tenant: "acme", Desired: desired(api.EnvDevelopment)}}, want: 2},
		"moved into production": {registered: ptr(desired(api.EnvDevelopment)),
			res: plan.Result{Plan: api.Plan{Tenant: "acme", Desired: desired(api.EnvProduction)}, Actions: step}, want: 2},
		"decommission of a production tenant": {registered: ptr(desired(api.EnvProduction)),
			res: plan.Result{Plan: api.Plan{Tenant: "acme", Desired: api.Desired{Tenant: api.TenantSpec{Name: "acme"}}}, Actions: step, Decommission: true}, want: 2},
	}
	for name, tc := range testCases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			st, err := store.Open(filepath.Join(t.TempDir(), "executor.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			if tc.registered != nil {
				if err := st.PutTenant(ctx, store.TenantRecord{Name: "acme", Desired: *tc.registered, UpdatedAt: time.Now()}); err != nil {
					t.Fatal(err)
				}
			}
			q := New(st, &plan.Planner{Policy: func() *policy.Policy { return pol }}, nil, nil, time.Now, slog.New(slog.NewTextHandler(io.Discard, nil)))
			defer q.Close()
			if got := q.requiredApprovals(ctx, &tc.res); got != tc.want {
				t.Errorf("required approvals %d, want %d", got, tc.want)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }
