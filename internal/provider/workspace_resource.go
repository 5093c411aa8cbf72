package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/mapvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

var (
	_ resource.ResourceWithConfigure   = &WorkspaceResource{}
	_ resource.ResourceWithModifyPlan  = &WorkspaceResource{}
	_ resource.ResourceWithImportState = &WorkspaceResource{}
)

// maxWorkspaceFileBytes bounds one seeded file; a whole request must stay
// under api.MaxBodyBytes.
const maxWorkspaceFileBytes = 256 << 10

// WorkspaceResource is missioncontrol_workspace: one agent workspace in a
// tenant's state dir, with seeded files.
type WorkspaceResource struct {
	data *providerData
}

// NewWorkspaceResource returns the missioncontrol_workspace resource.
func NewWorkspaceResource() resource.Resource {
	return &WorkspaceResource{}
}

func (r *WorkspaceResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_workspace"
}

func (r *WorkspaceResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "An OpenClaw agent workspace inside a tenant's state directory, with seeded files such as " +
			"`AGENTS.md`. The executor renders the workspace into the tenant's `openclaw.json` as an agent and keeps the " +
			"listed files' content: a file changed on the host is drift that the next plan shows and the next apply repairs.\n\n" +
			"Like every missioncontrol resource, `terraform plan` shows the executor's dry run in `planned_steps` and " +
			"`plan_digest`. When the tenant is created in the same apply, the workspace's steps are known only after the " +
			"tenant exists, so the plan shows them as known after apply.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "`<tenant>/<name>`.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"tenant": schema.StringAttribute{
				MarkdownDescription: "The name of the tenant the workspace belongs to, usually `missioncontrol_tenant.<x>.name`. " +
					"Must match `^[a-z][a-z0-9-]{1,28}$`. Changing it replaces the workspace.",
				Required:      true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators: []validator.String{stringvalidator.RegexMatches(tenantNamePattern,
					"must be a tenant name: a lowercase letter, then 1 to 28 lowercase letters, digits or hyphens")},
			},
			"name": schema.StringAttribute{
				MarkdownDescription: "The workspace's name, unique in its tenant. It is the OpenClaw agent id and names the " +
					"directory `<state_dir>/workspace-<name>`. Must match `^[a-z][a-z0-9-]{0,31}$`; the host's policy checks " +
					"the resulting path. Changing it replaces the workspace.",
				Required:      true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators: []validator.String{stringvalidator.RegexMatches(workspaceNamePattern,
					"must start with a lowercase letter and contain at most 32 lowercase letters, digits or hyphens")},
			},
			"model": schema.StringAttribute{
				MarkdownDescription: "The model the workspace's agent uses, as `<provider>/<model id>`, rendered into " +
					"the tenant's `openclaw.json`. Must match `^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,199}$`, and the executor refuses " +
					"a model of a provider the tenant does not declare (tenant model providers are not configurable yet, so " +
					"leave it unset for now). When omitted, OpenClaw's default model applies.",
				Optional: true,
				Validators: []validator.String{stringvalidator.RegexMatches(modelPattern,
					"must be a model reference such as anthropic/claude-sonnet-4-5, without spaces")},
			},
			"files": schema.MapAttribute{
				MarkdownDescription: "Files seeded into the workspace: relative file name (e.g. `AGENTS.md`, `SOUL.md`, " +
					"`today.md`, no `..`) to content, at most 256 KiB each. The executor writes them atomically as the " +
					"tenant user and keeps their content as given here. Defaults to none.",
				ElementType: types.StringType,
				Optional:    true,
				Validators: []validator.Map{
					mapvalidator.SizeAtMost(64),
					mapvalidator.KeysAre(relativeFileValidator{}),
					mapvalidator.ValueStringsAre(stringvalidator.LengthAtMost(maxWorkspaceFileBytes)),
				},
			},
			"path": schema.StringAttribute{
				MarkdownDescription: "The workspace directory, `<state_dir>/workspace-<name>`.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"last_job_id": schema.StringAttribute{
				MarkdownDescription: "The executor job that last changed this workspace through Terraform.",
				Computed:            true,
			},
			"planned_steps": plannedStepsAttribute("workspace"),
			"plan_digest":   planDigestAttribute("workspace"),
		},
		Blocks: map[string]schema.Block{
			"timeouts": timeouts.Block(ctx, timeouts.Opts{
				Create: true, Update: true, Delete: true,
				CreateDescription: "How long to wait for the create job. Defaults to `10m`.",
				UpdateDescription: "How long to wait for an update job. Defaults to `10m`.",
				DeleteDescription: "How long to wait for the removal job. Defaults to `10m`.",
			}),
		},
	}
}

func (r *WorkspaceResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = configureData(req, resp)
}

// ModifyPlan runs the executor's dry run of the workspace; see
// TenantResource.ModifyPlan.
func (r *WorkspaceResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || r.data == nil || r.data.unchangedAndSettled(ctx, req, "tenant", "") {
		return // destroy, the provider is not configured yet, or nothing to plan
	}
	var plan, config WorkspaceResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	r.data.modifyPlan(ctx, req, resp, &plan, &config)
}

func (r *WorkspaceResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan, config WorkspaceResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	r.apply(ctx, opCreate, plan, config, plan.Timeouts.Create, &resp.State, &resp.Diagnostics)
}

func (r *WorkspaceResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, config WorkspaceResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	r.apply(ctx, opUpdate, plan, config, plan.Timeouts.Update, &resp.State, &resp.Diagnostics)
}

// Read looks the workspace up in the tenant's registered desired state.
func (r *WorkspaceResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state WorkspaceResourceModel
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
	ws, ok := findWorkspace(t, state.Name.ValueString())
	if !t.Registered || !ok {
		resp.State.RemoveResource(ctx)
		return
	}
	state.SetFrom(t, ws)
	resp.Diagnostics.Append(resp.State.Set(ctx, state)...)
}

func (r *WorkspaceResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state WorkspaceResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	jobCtx, cancel, diags := withTimeout(ctx, state.Timeouts.Delete)
	defer cancel()
	resp.Diagnostics.Append(diags...)
	destroy(jobCtx, r.data, state.target(), state.DestroyRequest(), &resp.Diagnostics)
}

// ImportState takes "<tenant>/<name>".
func (r *WorkspaceResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	tenant, name, ok := strings.Cut(req.ID, "/")
	if !ok || tenant == "" || name == "" {
		resp.Diagnostics.AddError("Invalid Import ID",
			fmt.Sprintf("Expected <tenant>/<name>, such as acme/main, got %q.", req.ID))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), req.ID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("tenant"), tenant)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("name"), name)...)
}

func (r *WorkspaceResource) apply(ctx context.Context, op operation, plan, config WorkspaceResourceModel,
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
