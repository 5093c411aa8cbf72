package provider

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

func TestServiceModel(t *testing.T) {
	t.Parallel()
	// enabled is null in the configuration when omitted: the default, true.
	config := ServiceResourceModel{
		Tenant: types.StringValue("acme"), Kind: types.StringValue("gateway"), Enabled: types.BoolNull(),
		Environment: types.MapNull(types.StringType),
	}
	req, diags := config.ApplyRequest(context.Background())
	if diags.HasError() {
		t.Fatal(diags)
	}
	want := api.PlanRequest{Tenant: "acme", Changes: []api.Change{{Kind: api.ObjectService, Action: api.ActionApply,
		Service: &api.ServiceSpec{Kind: api.ServiceGateway, Enabled: true}}}}
	if diff := cmp.Diff(want, req); diff != "" {
		t.Errorf("request (-want +got):\n%s", diff)
	}

	tenant := &api.Tenant{
		Name: "acme", Registered: true, Allocation: acmeAllocation,
		Desired: api.Desired{Services: []api.ServiceSpec{{Kind: api.ServiceGateway, Enabled: true}}},
		Units:   []api.UnitState{{Unit: acmeAllocation.Unit, LoadState: "loaded", ActiveState: "failed"}},
	}
	svc, ok := findService(tenant, "gateway")
	if !ok || !unitLoaded(tenant, acmeAllocation.Unit) || unitLoaded(tenant, "other.service") {
		t.Fatalf("findService ok=%t, unitLoaded=%t", ok, unitLoaded(tenant, acmeAllocation.Unit))
	}
	state := config
	state.ID, state.UnitName, state.ActiveState = types.StringNull(), types.StringNull(), types.StringNull()
	state.LastJobID, state.PlannedSteps, state.PlanDigest = types.StringValue("job-3"), stringList([]string{"x"}), types.StringValue("sha256:3")
	state.SetFrom(tenant, svc)
	if state.ID.ValueString() != "acme/gateway" || state.UnitName.ValueString() != acmeAllocation.Unit ||
		state.ActiveState.ValueString() != "failed" || !state.Enabled.ValueBool() || !state.Environment.IsNull() {
		t.Errorf("after read: id %s unit %s active %s enabled %s environment %s",
			state.ID, state.UnitName, state.ActiveState, state.Enabled, state.Environment)
	}
	// A read keeps what the last apply recorded.
	if state.LastJobID.ValueString() != "job-3" || state.PlanDigest.ValueString() != "sha256:3" || len(state.PlannedSteps.Elements()) != 1 {
		t.Errorf("read changed the last apply: job %s digest %s steps %s", state.LastJobID, state.PlanDigest, state.PlannedSteps)
	}
}
