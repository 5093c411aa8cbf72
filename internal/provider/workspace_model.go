package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

// WorkspaceResourceModel is missioncontrol_workspace.
type WorkspaceResourceModel struct {
	ID           types.String   `tfsdk:"id"`
	Tenant       types.String   `tfsdk:"tenant"`
	Name         types.String   `tfsdk:"name"`
	Model        types.String   `tfsdk:"model"`
	Files        types.Map      `tfsdk:"files"`
	Path         types.String   `tfsdk:"path"`
	LastJobID    types.String   `tfsdk:"last_job_id"`
	PlannedSteps types.List     `tfsdk:"planned_steps"`
	PlanDigest   types.String   `tfsdk:"plan_digest"`
	Timeouts     timeouts.Value `tfsdk:"timeouts"`
}

func (m WorkspaceResourceModel) target() target {
	return target{kind: api.ObjectWorkspace, tenant: m.Tenant.ValueString(), name: m.Name.ValueString()}
}

// Spec converts the configuration to the executor's spec.
func (m WorkspaceResourceModel) Spec(ctx context.Context) (api.WorkspaceSpec, diag.Diagnostics) {
	var diags diag.Diagnostics
	spec := api.WorkspaceSpec{Name: m.Name.ValueString(), Model: m.Model.ValueString()}
	if !m.Files.IsNull() {
		diags.Append(m.Files.ElementsAs(ctx, &spec.Files, false)...)
	}
	return spec, diags
}

// ApplyRequest is the dry run / submission of the configured workspace.
func (m WorkspaceResourceModel) ApplyRequest(ctx context.Context) (api.PlanRequest, diag.Diagnostics) {
	spec, diags := m.Spec(ctx)
	return api.PlanRequest{
		Tenant:  m.Tenant.ValueString(),
		Changes: []api.Change{{Kind: api.ObjectWorkspace, Action: api.ActionApply, Workspace: &spec}},
	}, diags
}

// DestroyRequest removes the workspace from its tenant.
func (m WorkspaceResourceModel) DestroyRequest() api.PlanRequest {
	return api.PlanRequest{
		Tenant:  m.Tenant.ValueString(),
		Changes: []api.Change{{Kind: api.ObjectWorkspace, Action: api.ActionDestroy, Name: m.Name.ValueString()}},
	}
}

// SetPlanned writes a dry run into the plan.
func (m *WorkspaceResourceModel) SetPlanned(p *api.Plan) {
	m.ID = types.StringValue(workspaceID(m.Tenant.ValueString(), m.Name.ValueString()))
	m.PlannedSteps = stringList(p.Summaries())
	m.PlanDigest = types.StringValue(p.Digest)
	m.Path = stringOrNull(workspacePath(p.Allocation, m.Name.ValueString()))
	m.LastJobID = types.StringUnknown()
}

// SetDeferred marks the dry-run results unknown; see deferReason.
func (m *WorkspaceResourceModel) SetDeferred() {
	m.ID = types.StringValue(workspaceID(m.Tenant.ValueString(), m.Name.ValueString()))
	m.PlannedSteps = types.ListUnknown(types.StringType)
	m.PlanDigest = types.StringUnknown()
	m.LastJobID = types.StringUnknown()
}

// SetObserved completes the planned model after a job; t may be nil when
// the read-back failed.
func (m *WorkspaceResourceModel) SetObserved(t *api.Tenant, jobID string) {
	if t != nil && m.Path.IsUnknown() {
		m.Path = stringOrNull(workspacePath(t.Allocation, m.Name.ValueString()))
	}
	m.LastJobID = stringOrNull(jobID)
	m.nullUnknowns()
}

// SetFrom writes the workspace as the executor has it registered, for Read
// and import. last_job_id, planned_steps and plan_digest stay (see
// TenantResourceModel.SetFrom); the tenant's last job may be another
// object's.
func (m *WorkspaceResourceModel) SetFrom(t *api.Tenant, ws api.WorkspaceSpec) {
	m.ID = types.StringValue(workspaceID(t.Name, ws.Name))
	m.Tenant = types.StringValue(t.Name)
	m.Name = types.StringValue(ws.Name)
	m.Model = stringOrNull(ws.Model)
	m.Files = stringMap(ws.Files, m.Files)
	m.Path = stringOrNull(workspacePath(t.Allocation, ws.Name))
	m.nullUnknowns()
}

func (m *WorkspaceResourceModel) nullUnknowns() {
	for _, v := range []*types.String{&m.Path, &m.LastJobID, &m.PlanDigest} {
		if v.IsUnknown() {
			*v = types.StringNull()
		}
	}
	if m.PlannedSteps.IsUnknown() || m.PlannedSteps.IsNull() {
		m.PlannedSteps = stringList(nil)
	}
}

// findWorkspace returns the registered workspace of t named name.
func findWorkspace(t *api.Tenant, name string) (api.WorkspaceSpec, bool) {
	for _, ws := range t.Desired.Workspaces {
		if ws.Name == name {
			return ws, true
		}
	}
	return api.WorkspaceSpec{}, false
}

func workspaceID(tenant, name string) string { return tenant + "/" + name }

// workspacePath is where the executor puts a workspace, "<state>/workspace-
// <name>" in DESIGN.md's host model. The API does not carry the path, so
// this mirrors the executor's rule; it is empty while the state dir is.
func workspacePath(a api.Allocation, name string) string {
	if a.StateDir == "" {
		return ""
	}
	return a.StateDir + "/workspace-" + name
}
