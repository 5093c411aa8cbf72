package provider

import (
	"context"
	"reflect"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

// TenantResourceModel is missioncontrol_tenant.
type TenantResourceModel struct {
	ID           types.String `tfsdk:"id"`
	Name         types.String `tfsdk:"name"`
	DisplayName  types.String `tfsdk:"display_name"`
	Environment  types.String `tfsdk:"environment"`
	Labels       types.Map    `tfsdk:"labels"`
	Suspended    types.Bool   `tfsdk:"suspended"`
	GatewayPort  types.Int64  `tfsdk:"gateway_port"`
	Limits       types.Object `tfsdk:"limits"`
	Budget       types.Object `tfsdk:"budget"`
	SudoCommands types.List   `tfsdk:"sudo_commands"`
	// ModelProviders is a list of ModelProviderModel.
	ModelProviders types.List     `tfsdk:"model_providers"`
	APIKeys        types.Map      `tfsdk:"api_keys_wo"` // write-only: only ever set in req.Config
	Cron           types.Bool     `tfsdk:"cron"`
	HeartbeatEvery types.String   `tfsdk:"heartbeat_every"`
	UnixUser       types.String   `tfsdk:"unix_user"`
	UID            types.Int64    `tfsdk:"uid"`
	GID            types.Int64    `tfsdk:"gid"`
	Home           types.String   `tfsdk:"home"`
	StateDir       types.String   `tfsdk:"state_dir"`
	UnitName       types.String   `tfsdk:"unit_name"`
	Status         types.String   `tfsdk:"status"`
	MonthToDateUSD types.Float64  `tfsdk:"month_to_date_usd"`
	LastJobID      types.String   `tfsdk:"last_job_id"`
	PlannedSteps   types.List     `tfsdk:"planned_steps"`
	PlanDigest     types.String   `tfsdk:"plan_digest"`
	Timeouts       timeouts.Value `tfsdk:"timeouts"`
}

// LimitsModel is the tenant's limits attribute.
type LimitsModel struct {
	MemoryMaxMB     types.Int64 `tfsdk:"memory_max_mb"`
	CPUQuotaPercent types.Int64 `tfsdk:"cpu_quota_percent"`
	TasksMax        types.Int64 `tfsdk:"tasks_max"`
}

var limitsAttrTypes = map[string]attr.Type{
	"memory_max_mb":     types.Int64Type,
	"cpu_quota_percent": types.Int64Type,
	"tasks_max":         types.Int64Type,
}

// BudgetModel is the tenant's budget attribute.
type BudgetModel struct {
	MonthlyUSD       types.Float64 `tfsdk:"monthly_usd"`
	SoftLimitPercent types.Int64   `tfsdk:"soft_limit_percent"`
	Action           types.String  `tfsdk:"action"`
}

var budgetAttrTypes = map[string]attr.Type{
	"monthly_usd":        types.Float64Type,
	"soft_limit_percent": types.Int64Type,
	"action":             types.StringType,
}

// Budget defaults. Spec reads the configuration, where the schema's defaults
// are not applied yet, so it fills them in itself.
const (
	defaultSoftLimitPercent = 80
	defaultBudgetAction     = api.BudgetAlert
)

// ModelProviderModel is one element of model_providers.
type ModelProviderModel struct {
	Name    types.String `tfsdk:"name"`
	BaseURL types.String `tfsdk:"base_url"`
	API     types.String `tfsdk:"api"`
	Models  []ModelModel `tfsdk:"models"`
}

// ModelModel is one model of a provider.
type ModelModel struct {
	ID            types.String `tfsdk:"id"`
	Cost          *PriceModel  `tfsdk:"cost"`
	ContextWindow types.Int64  `tfsdk:"context_window"`
	MaxTokens     types.Int64  `tfsdk:"max_tokens"`
}

// PriceModel is a model's price in USD per 1M tokens.
type PriceModel struct {
	Input      types.Float64 `tfsdk:"input"`
	Output     types.Float64 `tfsdk:"output"`
	CacheRead  types.Float64 `tfsdk:"cache_read"`
	CacheWrite types.Float64 `tfsdk:"cache_write"`
}

var (
	priceAttrTypes = map[string]attr.Type{
		"input": types.Float64Type, "output": types.Float64Type, "cache_read": types.Float64Type, "cache_write": types.Float64Type,
	}
	modelAttrTypes = map[string]attr.Type{
		"id": types.StringType, "cost": types.ObjectType{AttrTypes: priceAttrTypes},
		"context_window": types.Int64Type, "max_tokens": types.Int64Type,
	}
	modelProviderType = types.ObjectType{AttrTypes: map[string]attr.Type{
		"name": types.StringType, "base_url": types.StringType, "api": types.StringType,
		"models": types.ListType{ElemType: types.ObjectType{AttrTypes: modelAttrTypes}},
	}}
)

func (m TenantResourceModel) target() target {
	return target{kind: api.ObjectTenant, tenant: m.Name.ValueString()}
}

// Spec converts the configuration to the executor's spec. Call it on the
// configuration (not the plan) so that ModifyPlan and apply send the same
// request: an unset gateway_port is 0, which asks the executor to allocate.
func (m TenantResourceModel) Spec(ctx context.Context) (api.TenantSpec, diag.Diagnostics) {
	var diags diag.Diagnostics
	spec := api.TenantSpec{
		Name:           m.Name.ValueString(),
		DisplayName:    m.DisplayName.ValueString(),
		Environment:    api.Environment(m.Environment.ValueString()),
		GatewayPort:    int(m.GatewayPort.ValueInt64()),
		Suspended:      m.Suspended.ValueBool(),
		Cron:           m.Cron.ValueBool(),
		HeartbeatEvery: m.HeartbeatEvery.ValueString(),
	}
	if !m.ModelProviders.IsNull() && !m.ModelProviders.IsUnknown() {
		var providers []ModelProviderModel
		diags.Append(m.ModelProviders.ElementsAs(ctx, &providers, false)...)
		for _, p := range providers {
			mp := api.ModelProvider{Name: p.Name.ValueString(), BaseURL: p.BaseURL.ValueString(), API: p.API.ValueString()}
			for _, md := range p.Models {
				m := api.Model{ID: md.ID.ValueString(), ContextWindow: int(md.ContextWindow.ValueInt64()), MaxTokens: int(md.MaxTokens.ValueInt64())}
				if md.Cost != nil {
					m.Cost = api.Price{Input: md.Cost.Input.ValueFloat64(), Output: md.Cost.Output.ValueFloat64(),
						CacheRead: md.Cost.CacheRead.ValueFloat64(), CacheWrite: md.Cost.CacheWrite.ValueFloat64()}
				}
				mp.Models = append(mp.Models, m)
			}
			spec.ModelProviders = append(spec.ModelProviders, mp)
		}
	}
	if !m.Labels.IsNull() {
		diags.Append(m.Labels.ElementsAs(ctx, &spec.Labels, false)...)
	}
	if !m.SudoCommands.IsNull() {
		diags.Append(m.SudoCommands.ElementsAs(ctx, &spec.SudoCommands, false)...)
	}
	if !m.Limits.IsNull() {
		var l LimitsModel
		diags.Append(m.Limits.As(ctx, &l, basetypes.ObjectAsOptions{})...)
		spec.Limits = api.Limits{
			MemoryMaxMB:     int(l.MemoryMaxMB.ValueInt64()),
			CPUQuotaPercent: int(l.CPUQuotaPercent.ValueInt64()),
			TasksMax:        int(l.TasksMax.ValueInt64()),
		}
	}
	if !m.Budget.IsNull() && !m.Budget.IsUnknown() {
		var b BudgetModel
		diags.Append(m.Budget.As(ctx, &b, basetypes.ObjectAsOptions{})...)
		spec.Budget = &api.Budget{MonthlyUSD: b.MonthlyUSD.ValueFloat64(), SoftLimitPercent: defaultSoftLimitPercent, Action: defaultBudgetAction}
		if !b.SoftLimitPercent.IsNull() && !b.SoftLimitPercent.IsUnknown() {
			spec.Budget.SoftLimitPercent = int(b.SoftLimitPercent.ValueInt64())
		}
		if !b.Action.IsNull() && !b.Action.IsUnknown() {
			spec.Budget.Action = api.BudgetAction(b.Action.ValueString())
		}
	}
	return spec, diags
}

// ApplyRequest is the dry run / submission of the configured tenant. Called
// on the configuration, it carries the write-only API keys, which the plan
// and state never hold.
func (m TenantResourceModel) ApplyRequest(ctx context.Context) (api.PlanRequest, diag.Diagnostics) {
	spec, diags := m.Spec(ctx)
	change := api.Change{Kind: api.ObjectTenant, Action: api.ActionApply, Tenant: &spec}
	if !m.APIKeys.IsNull() && !m.APIKeys.IsUnknown() {
		diags.Append(m.APIKeys.ElementsAs(ctx, &change.APIKeys, false)...)
	}
	return api.PlanRequest{Tenant: spec.Name, Changes: []api.Change{change}}, diags
}

// DestroyRequest decommissions the tenant (the executor archives it first).
func (m TenantResourceModel) DestroyRequest() api.PlanRequest {
	name := m.Name.ValueString()
	return api.PlanRequest{
		Tenant:  name,
		Changes: []api.Change{{Kind: api.ObjectTenant, Action: api.ActionDestroy, Name: name}},
	}
}

// SetPlanned writes a dry run into the plan: the steps and digest, and the
// values the executor allocates (known at plan time because allocation is
// deterministic). Status and last_job_id change when the job runs.
func (m *TenantResourceModel) SetPlanned(p *api.Plan) {
	m.ID = m.Name
	m.PlannedSteps = stringList(p.Summaries())
	m.PlanDigest = types.StringValue(p.Digest)
	m.setAllocation(p.Allocation)
	if m.GatewayPort.IsUnknown() || m.GatewayPort.IsNull() {
		m.GatewayPort = int64OrNull(p.Allocation.GatewayPort)
	}
	m.Status = types.StringUnknown()
	m.MonthToDateUSD = types.Float64Unknown()
	m.LastJobID = types.StringUnknown()
}

// SetDeferred marks the dry-run results unknown until apply; see
// providerData.modifyPlan. Allocated values stay as Terraform planned them:
// unknown for a new tenant, kept from state otherwise.
func (m *TenantResourceModel) SetDeferred() {
	m.ID = m.Name
	m.PlannedSteps = types.ListUnknown(types.StringType)
	m.PlanDigest = types.StringUnknown()
	m.Status = types.StringUnknown()
	m.MonthToDateUSD = types.Float64Unknown()
	m.LastJobID = types.StringUnknown()
}

// SetObserved completes the planned model after a job with what the
// executor observes; t may be nil when the read-back failed. The configured
// attributes, planned_steps and plan_digest stay as planned.
func (m *TenantResourceModel) SetObserved(t *api.Tenant, jobID string) {
	m.ID = m.Name
	if t != nil {
		m.setAllocation(t.Allocation)
		if m.GatewayPort.IsUnknown() {
			m.GatewayPort = int64OrNull(t.Allocation.GatewayPort)
		}
		m.Status = types.StringValue(string(t.Status))
		m.MonthToDateUSD = types.Float64Value(t.MonthToDateUSD)
	}
	m.LastJobID = stringOrNull(jobID)
	m.nullUnknowns()
}

// SetFrom writes the executor's registered desired state and its
// observation of the host, as Read and import need. planned_steps and
// plan_digest keep the last applied plan (an import starts with none): a
// refresh must not change them, or every plan after an apply would show
// changed outputs.
func (m *TenantResourceModel) SetFrom(t *api.Tenant) {
	m.ID = types.StringValue(t.Name)
	m.Name = types.StringValue(t.Name)
	if t.Registered {
		d := t.Desired.Tenant
		m.DisplayName = stringOrNull(d.DisplayName)
		m.Environment = types.StringValue(string(d.Environment))
		m.Labels = stringMap(d.Labels, m.Labels)
		m.Suspended = types.BoolValue(d.Suspended)
		m.Limits = limitsValue(d.Limits, m.Limits)
		m.Budget = budgetValue(d.Budget)
		m.SudoCommands = stringListOrNull(d.SudoCommands, m.SudoCommands)
		m.GatewayPort = int64OrNull(d.GatewayPort)
		m.Cron = types.BoolValue(d.Cron)
		m.HeartbeatEvery = stringOrNull(d.HeartbeatEvery)
		m.ModelProviders = modelProvidersValue(d.ModelProviders, m.ModelProviders)
	}
	m.setAllocation(t.Allocation)
	if t.Allocation.GatewayPort != 0 {
		m.GatewayPort = types.Int64Value(int64(t.Allocation.GatewayPort))
	}
	m.Status = types.StringValue(string(t.Status))
	m.MonthToDateUSD = types.Float64Value(t.MonthToDateUSD)
	m.LastJobID = stringOrNull(t.LastJobID)
	m.nullUnknowns()
}

func (m *TenantResourceModel) setAllocation(a api.Allocation) {
	m.UnixUser = stringOrNull(a.User)
	m.UID = int64OrNull(a.UID)
	m.GID = int64OrNull(a.GID)
	m.Home = stringOrNull(a.Home)
	m.StateDir = stringOrNull(a.StateDir)
	m.UnitName = stringOrNull(a.Unit)
}

// nullUnknowns replaces what is still unknown with null: state never holds
// unknown values.
func (m *TenantResourceModel) nullUnknowns() {
	for _, v := range []*types.String{&m.UnixUser, &m.Home, &m.StateDir, &m.UnitName, &m.Status, &m.LastJobID, &m.PlanDigest} {
		if v.IsUnknown() {
			*v = types.StringNull()
		}
	}
	for _, v := range []*types.Int64{&m.UID, &m.GID, &m.GatewayPort} {
		if v.IsUnknown() {
			*v = types.Int64Null()
		}
	}
	if m.MonthToDateUSD.IsUnknown() {
		m.MonthToDateUSD = types.Float64Null()
	}
	if m.PlannedSteps.IsUnknown() || m.PlannedSteps.IsNull() {
		m.PlannedSteps = stringList(nil)
	}
}

// limitsValue converts API limits for state, keeping an omitted limits
// attribute null when no limit is set.
func limitsValue(l api.Limits, prior types.Object) types.Object {
	if l == (api.Limits{}) && (prior.IsNull() || prior.IsUnknown()) {
		return types.ObjectNull(limitsAttrTypes)
	}
	return types.ObjectValueMust(limitsAttrTypes, map[string]attr.Value{
		"memory_max_mb":     int64OrNull(l.MemoryMaxMB),
		"cpu_quota_percent": int64OrNull(l.CPUQuotaPercent),
		"tasks_max":         int64OrNull(l.TasksMax),
	})
}

// budgetValue converts a registered budget for state; no budget is null.
func budgetValue(b *api.Budget) types.Object {
	if b == nil {
		return types.ObjectNull(budgetAttrTypes)
	}
	return types.ObjectValueMust(budgetAttrTypes, map[string]attr.Value{
		"monthly_usd":        types.Float64Value(b.MonthlyUSD),
		"soft_limit_percent": types.Int64Value(int64(b.SoftLimitPercent)),
		"action":             types.StringValue(string(b.Action)),
	})
}

// modelProvidersValue converts registered model providers for state,
// keeping an omitted attribute null when there are none.
func modelProvidersValue(ps []api.ModelProvider, prior types.List) types.List {
	if len(ps) == 0 && (prior.IsNull() || prior.IsUnknown()) {
		return types.ListNull(modelProviderType)
	}
	// Keep the prior value when it says the same (an omitted cost and a
	// cost of zeros are the same to the executor), so a refresh adds no diff.
	if !prior.IsNull() && !prior.IsUnknown() {
		was, diags := TenantResourceModel{ModelProviders: prior}.Spec(context.Background())
		if !diags.HasError() && reflect.DeepEqual(was.ModelProviders, ps) {
			return prior
		}
	}
	elems := make([]attr.Value, 0, len(ps))
	for _, p := range ps {
		models := make([]attr.Value, 0, len(p.Models))
		for _, m := range p.Models {
			cost := types.ObjectValueMust(priceAttrTypes, map[string]attr.Value{
				"input": types.Float64Value(m.Cost.Input), "output": types.Float64Value(m.Cost.Output),
				"cache_read": types.Float64Value(m.Cost.CacheRead), "cache_write": types.Float64Value(m.Cost.CacheWrite),
			})
			models = append(models, types.ObjectValueMust(modelAttrTypes, map[string]attr.Value{
				"id": types.StringValue(m.ID), "cost": cost,
				"context_window": int64OrNull(m.ContextWindow), "max_tokens": int64OrNull(m.MaxTokens),
			}))
		}
		elems = append(elems, types.ObjectValueMust(modelProviderType.AttrTypes, map[string]attr.Value{
			"name": types.StringValue(p.Name), "base_url": types.StringValue(p.BaseURL), "api": types.StringValue(p.API),
			"models": types.ListValueMust(types.ObjectType{AttrTypes: modelAttrTypes}, models),
		}))
	}
	return types.ListValueMust(modelProviderType, elems)
}
