package provider

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

func TestWorkspaceModel(t *testing.T) {
	t.Parallel()
	config := WorkspaceResourceModel{
		ID: types.StringUnknown(), Tenant: types.StringValue("acme"), Name: types.StringValue("main"),
		Model: types.StringNull(), Path: types.StringUnknown(), LastJobID: types.StringUnknown(),
		Files:        types.MapValueMust(types.StringType, map[string]attr.Value{"AGENTS.md": types.StringValue("# hi\n")}),
		PlannedSteps: types.ListUnknown(types.StringType), PlanDigest: types.StringUnknown(),
	}
	req, diags := config.ApplyRequest(context.Background())
	if diags.HasError() {
		t.Fatal(diags)
	}
	want := api.PlanRequest{Tenant: "acme", Changes: []api.Change{{Kind: api.ObjectWorkspace, Action: api.ActionApply,
		Workspace: &api.WorkspaceSpec{Name: "main", Files: map[string]string{"AGENTS.md": "# hi\n"}}}}}
	if diff := cmp.Diff(want, req); diff != "" {
		t.Errorf("request (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(api.PlanRequest{Tenant: "acme", Changes: []api.Change{{Kind: api.ObjectWorkspace, Action: api.ActionDestroy, Name: "main"}}},
		config.DestroyRequest()); diff != "" {
		t.Errorf("destroy request (-want +got):\n%s", diff)
	}

	planned := config
	planned.SetPlanned(&api.Plan{Allocation: acmeAllocation, Digest: "sha256:d", Steps: []api.Step{{Summary: "write AGENTS.md"}}})
	if got := planned.Path.ValueString(); got != "/srv/missioncontrol/tenants/acme/.openclaw/workspace-main" {
		t.Errorf("path = %q", got)
	}
	if planned.ID.ValueString() != "acme/main" || !planned.LastJobID.IsUnknown() {
		t.Errorf("id = %s, last_job_id = %s", planned.ID, planned.LastJobID)
	}

	// Import: only tenant and name are known; the registered spec fills
	// the rest, and an omitted model stays null.
	imported := WorkspaceResourceModel{
		ID: types.StringValue("acme/main"), Tenant: types.StringValue("acme"), Name: types.StringValue("main"),
		Model: types.StringNull(), Files: types.MapNull(types.StringType), Path: types.StringNull(),
		LastJobID: types.StringNull(), PlannedSteps: types.ListNull(types.StringType), PlanDigest: types.StringNull(),
	}
	tenant := &api.Tenant{Name: "acme", Registered: true, Allocation: acmeAllocation,
		Desired: api.Desired{Workspaces: []api.WorkspaceSpec{{Name: "main", Files: map[string]string{"AGENTS.md": "# hi\n"}}}}}
	ws, ok := findWorkspace(tenant, "main")
	if !ok {
		t.Fatal("workspace main not found")
	}
	imported.SetFrom(tenant, ws)
	wantImported := config
	wantImported.ID, wantImported.Path = types.StringValue("acme/main"), planned.Path
	wantImported.LastJobID, wantImported.PlanDigest = types.StringNull(), types.StringNull()
	wantImported.PlannedSteps = stringList(nil)
	checkModel(t, wantImported, imported)
}
