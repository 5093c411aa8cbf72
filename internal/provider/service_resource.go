package provider

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/mapvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

var (
	_ resource.ResourceWithConfigure   = &ServiceResource{}
	_ resource.ResourceWithModifyPlan  = &ServiceResource{}
	_ resource.ResourceWithImportState = &ServiceResource{}
)

// ServiceResource is missioncontrol_service: one systemd service instance of
// a tenant, today its OpenClaw gateway.
type ServiceResource struct {
	data *providerData
}

// NewServiceResource returns the missioncontrol_service resource.
func NewServiceResource() resource.Resource {
	return &ServiceResource{}
}

func (r *ServiceResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_service"
}

func (r *ServiceResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "A systemd service of a tenant: today its OpenClaw gateway, an instance of the executor's " +
			"hardened template unit (`missioncontrol-gateway@<tenant>.service`) with the tenant's limits. A unit stopped or " +
			"disabled by hand is drift: the next plan shows the steps that start it again.\n\n" +
			"Like every missioncontrol resource, `terraform plan` shows the executor's dry run in `planned_steps` and " +
			"`plan_digest`. When the tenant is created in the same apply, the service's steps are known only after the " +
			"tenant exists.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "`<tenant>/<kind>`.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"tenant": schema.StringAttribute{
				MarkdownDescription: "The name of the tenant the service belongs to, usually `missioncontrol_tenant.<x>.name`. " +
					"Must match `^[a-z][a-z0-9-]{1,28}$`. Changing it replaces the service.",
				Required:      true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators: []validator.String{stringvalidator.RegexMatches(tenantNamePattern,
					"must be a tenant name: a lowercase letter, then 1 to 28 lowercase letters, digits or hyphens")},
			},
			"kind": schema.StringAttribute{
				MarkdownDescription: "The kind of service. `gateway` (the only kind so far) is the tenant's OpenClaw gateway, " +
					"listening on the tenant's `gateway_port`. The host's policy lists the units and verbs the executor may " +
					"use. Changing it replaces the service.",
				Required:      true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators:    []validator.String{stringvalidator.OneOf(string(api.ServiceGateway))},
			},
			"enabled": schema.BoolAttribute{
				MarkdownDescription: "Whether the unit is enabled and running (`systemctl enable --now`); `false` stops and " +
					"disables it but keeps its files. Defaults to `true`.",
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(true),
			},
			"environment": schema.MapAttribute{
				MarkdownDescription: "Extra `KEY=VALUE` pairs the executor writes to the service's environment file " +
					"(`/etc/missioncontrol/tenants/<tenant>/gateway.env` for the gateway), readable by root and the tenant's " +
					"group only. Keys must match `^[A-Z_][A-Z0-9_]*$`, values must not contain newlines, at most 64 pairs. " +
					"Defaults to none.",
				ElementType: types.StringType,
				Optional:    true,
				Validators: []validator.Map{
					mapvalidator.SizeAtMost(64),
					mapvalidator.KeysAre(stringvalidator.RegexMatches(envKeyPattern,
						"must be an environment variable name: uppercase letters, digits and underscores, not starting with a digit")),
					mapvalidator.ValueStringsAre(
						stringvalidator.RegexMatches(regexp.MustCompile(`^[^\n\r\x00]*$`), "must not contain newlines or NUL"),
						stringvalidator.LengthAtMost(4096),
					),
				},
			},
			"unit_name": schema.StringAttribute{
				MarkdownDescription: "The systemd unit, e.g. `missioncontrol-gateway@acme.service`.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"active_state": schema.StringAttribute{
				MarkdownDescription: "systemd's `ActiveState` of the unit at the last refresh (`active`, `inactive`, " +
					"`failed`, ...).",
				Computed: true,
			},
			"last_job_id": schema.StringAttribute{
				MarkdownDescription: "The executor job that last changed this service through Terraform.",
				Computed:            true,
			},
			"planned_steps": plannedStepsAttribute("service"),
			"plan_digest":   planDigestAttribute("service"),
		},
		Blocks: map[string]schema.Block{
			"timeouts": timeouts.Block(ctx, timeouts.Opts{
				Create: true, Update: true, Delete: true,
				CreateDescription: "How long to wait for the create job (includes starting the unit). Defaults to `10m`.",
				UpdateDescription: "How long to wait for an update job. Defaults to `10m`.",
				DeleteDescription: "How long to wait for the removal job. Defaults to `10m`.",
			}),
		},
	}
}

func (r *ServiceResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = configureData(req, resp)
}

// ModifyPlan runs the executor's dry run of the service; see
// TenantResource.ModifyPlan.
func (r *ServiceResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || r.data == nil || r.data.unchangedAndSettled(ctx, req, "tenant", "") {
		return // destroy, the provider is not configured yet, or nothing to plan
	}
	var plan, config ServiceResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	r.data.modifyPlan(ctx, req, resp, &plan, &config)
}

func (r *ServiceResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan, config ServiceResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	r.apply(ctx, opCreate, plan, config, plan.Timeouts.Create, &resp.State, &resp.Diagnostics)
}

func (r *ServiceResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, config ServiceResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	r.apply(ctx, opUpdate, plan, config, plan.Timeouts.Update, &resp.State, &resp.Diagnostics)
}

// Read looks the service up in the tenant's registered desired state and
// its unit in the executor's observation. A service that is neither
// registered nor has a unit is gone.
func (r *ServiceResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state ServiceResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	t, err := r.data.observed.tenant(ctx, state.Tenant.ValueString())
	if api.IsCode(err, api.CodeNotFound) {
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		addError(&resp.Diagnostics, state.target(), "read", err)
		return
	}
	svc, ok := findService(t, state.Kind.ValueString())
	if !ok && !unitLoaded(t, serviceUnit(t.Allocation, api.ServiceKind(state.Kind.ValueString()))) {
		resp.State.RemoveResource(ctx)
		return
	}
	if !ok {
		// The unit exists but the registry lost the service: keep the
		// configured spec, so the next plan registers it again.
		svc = api.ServiceSpec{Kind: api.ServiceKind(state.Kind.ValueString()), Enabled: state.Enabled.ValueBool()}
		if !state.Environment.IsNull() {
			resp.Diagnostics.Append(state.Environment.ElementsAs(ctx, &svc.Environment, false)...)
		}
	}
	state.SetFrom(t, svc)
	resp.Diagnostics.Append(resp.State.Set(ctx, state)...)
}

func (r *ServiceResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state ServiceResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	jobCtx, cancel, diags := withTimeout(ctx, state.Timeouts.Delete)
	defer cancel()
	resp.Diagnostics.Append(diags...)
	destroy(jobCtx, r.data, state.target(), state.DestroyRequest(), &resp.Diagnostics)
}

// ImportState takes "<tenant>/<kind>".
func (r *ServiceResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	tenant, kind, ok := strings.Cut(req.ID, "/")
	if !ok || tenant == "" || kind == "" {
		resp.Diagnostics.AddError("Invalid Import ID",
			fmt.Sprintf("Expected <tenant>/<kind>, such as acme/gateway, got %q.", req.ID))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), req.ID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("tenant"), tenant)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("kind"), kind)...)
}

func (r *ServiceResource) apply(ctx context.Context, op operation, plan, config ServiceResourceModel,
	timeout timeoutFunc, state *tfsdk.State, diags *diag.Diagnostics) {
	jobCtx, cancel, d := withTimeout(ctx, timeout)
	defer cancel()
	diags.Append(d...)
	request, d := config.ApplyRequest(ctx)
	diags.Append(d...)
	if diags.HasError() {
		return
	}
	job, d := r.data.execute(jobCtx, op, plan.target(), request, plan.PlanDigest.ValueString())
	diags.Append(d...)
	if job == nil {
		return
	}
	t, err := r.data.observed.fresh(ctx, plan.Tenant.ValueString())
	if err != nil {
		addError(diags, plan.target(), "read back", err)
	}
	plan.SetObserved(t, job.ID)
	diags.Append(state.Set(ctx, plan)...)
}
