package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

// ServiceResourceModel is missioncontrol_service.
type ServiceResourceModel struct {
	ID           types.String   `tfsdk:"id"`
	Tenant       types.String   `tfsdk:"tenant"`
	Kind         types.String   `tfsdk:"kind"`
	Enabled      types.Bool     `tfsdk:"enabled"`
	Environment  types.Map      `tfsdk:"environment"`
	UnitName     types.String   `tfsdk:"unit_name"`
	ActiveState  types.String   `tfsdk:"active_state"`
	LastJobID    types.String   `tfsdk:"last_job_id"`
	PlannedSteps types.List     `tfsdk:"planned_steps"`
	PlanDigest   types.String   `tfsdk:"plan_digest"`
	Timeouts     timeouts.Value `tfsdk:"timeouts"`
}

func (m ServiceResourceModel) target() target {
	return target{kind: api.ObjectService, tenant: m.Tenant.ValueString(), name: m.Kind.ValueString()}
}

// Spec converts the configuration to the executor's spec. An unset enabled
// is true, the schema's default.
func (m ServiceResourceModel) Spec(ctx context.Context) (api.ServiceSpec, diag.Diagnostics) {
	var diags diag.Diagnostics
	spec := api.ServiceSpec{
		Kind:    api.ServiceKind(m.Kind.ValueString()),
		Enabled: m.Enabled.IsNull() || m.Enabled.ValueBool(),
	}
	if !m.Environment.IsNull() {
		diags.Append(m.Environment.ElementsAs(ctx, &spec.Environment, false)...)
	}
	return spec, diags
}

// ApplyRequest is the dry run / submission of the configured service.
func (m ServiceResourceModel) ApplyRequest(ctx context.Context) (api.PlanRequest, diag.Diagnostics) {
	spec, diags := m.Spec(ctx)
	return api.PlanRequest{
		Tenant:  m.Tenant.ValueString(),
		Changes: []api.Change{{Kind: api.ObjectService, Action: api.ActionApply, Service: &spec}},
	}, diags
}

// DestroyRequest stops, disables and removes the service.
func (m ServiceResourceModel) DestroyRequest() api.PlanRequest {
	return api.PlanRequest{
		Tenant:  m.Tenant.ValueString(),
		Changes: []api.Change{{Kind: api.ObjectService, Action: api.ActionDestroy, Name: m.Kind.ValueString()}},
	}
}

// SetPlanned writes a dry run into the plan.
func (m *ServiceResourceModel) SetPlanned(p *api.Plan) {
	m.ID = types.StringValue(serviceID(m.Tenant.ValueString(), m.Kind.ValueString()))
	m.PlannedSteps = stringList(p.Summaries())
	m.PlanDigest = types.StringValue(p.Digest)
	m.UnitName = stringOrNull(serviceUnit(p.Allocation, api.ServiceKind(m.Kind.ValueString())))
	m.ActiveState = types.StringUnknown()
	m.LastJobID = types.StringUnknown()
}

// SetDeferred marks the dry-run results unknown; see deferReason.
func (m *ServiceResourceModel) SetDeferred() {
	m.ID = types.StringValue(serviceID(m.Tenant.ValueString(), m.Kind.ValueString()))
	m.PlannedSteps = types.ListUnknown(types.StringType)
	m.PlanDigest = types.StringUnknown()
	m.ActiveState = types.StringUnknown()
	m.LastJobID = types.StringUnknown()
}

// SetObserved completes the planned model after a job; t may be nil when
// the read-back failed.
func (m *ServiceResourceModel) SetObserved(t *api.Tenant, jobID string) {
	if t != nil {
		if m.UnitName.IsUnknown() {
			m.UnitName = stringOrNull(serviceUnit(t.Allocation, api.ServiceKind(m.Kind.ValueString())))
		}
		m.ActiveState = activeState(t, m.UnitName.ValueString())
	}
	m.LastJobID = stringOrNull(jobID)
	m.nullUnknowns()
}

// SetFrom writes the service as registered and observed, for Read and
// import. last_job_id, planned_steps and plan_digest stay (see
// TenantResourceModel.SetFrom); the tenant's last job may be another
// object's.
func (m *ServiceResourceModel) SetFrom(t *api.Tenant, svc api.ServiceSpec) {
	m.ID = types.StringValue(serviceID(t.Name, string(svc.Kind)))
	m.Tenant = types.StringValue(t.Name)
	m.Kind = types.StringValue(string(svc.Kind))
	m.Enabled = types.BoolValue(svc.Enabled)
	m.Environment = stringMap(svc.Environment, m.Environment)
	m.UnitName = stringOrNull(serviceUnit(t.Allocation, svc.Kind))
	m.ActiveState = activeState(t, m.UnitName.ValueString())
	m.nullUnknowns()
}

func (m *ServiceResourceModel) nullUnknowns() {
	for _, v := range []*types.String{&m.UnitName, &m.ActiveState, &m.LastJobID, &m.PlanDigest} {
		if v.IsUnknown() {
			*v = types.StringNull()
		}
	}
	if m.PlannedSteps.IsUnknown() || m.PlannedSteps.IsNull() {
		m.PlannedSteps = stringList(nil)
	}
}

// findService returns the registered service of t of the given kind.
func findService(t *api.Tenant, kind string) (api.ServiceSpec, bool) {
	for _, s := range t.Desired.Services {
		if string(s.Kind) == kind {
			return s, true
		}
	}
	return api.ServiceSpec{}, false
}

// unitLoaded reports whether systemd knows the unit at all.
func unitLoaded(t *api.Tenant, unit string) bool {
	for _, u := range t.Units {
		if u.Unit == unit {
			return u.LoadState != "" && u.LoadState != "not-found"
		}
	}
	return false
}

func activeState(t *api.Tenant, unit string) types.String {
	for _, u := range t.Units {
		if u.Unit == unit {
			return stringOrNull(u.ActiveState)
		}
	}
	return types.StringNull()
}

func serviceID(tenant, kind string) string { return tenant + "/" + kind }

// serviceUnit is the systemd unit of a service kind. The gateway is the
// tenant's allocated unit; the API names no other kind yet.
func serviceUnit(a api.Allocation, kind api.ServiceKind) string {
	if kind == api.ServiceGateway {
		return a.Unit
	}
	return ""
}
