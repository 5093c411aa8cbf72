package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/float64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/mapvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

var (
	_ resource.ResourceWithConfigure   = &TenantResource{}
	_ resource.ResourceWithModifyPlan  = &TenantResource{}
	_ resource.ResourceWithImportState = &TenantResource{}
)

// TenantResource is missioncontrol_tenant: the tenant's unix user and group,
// home and state dirs, rendered gateway config, limits and sudoers.
type TenantResource struct {
	data *providerData
}

// NewTenantResource returns the missioncontrol_tenant resource.
func NewTenantResource() resource.Resource {
	return &TenantResource{}
}

func (r *TenantResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_tenant"
}

func (r *TenantResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "A tenant: one isolated OpenClaw gateway host environment with its own unix user `mc-<name>`, " +
			"home and state directory, rendered gateway configuration, resource limits and optional sudoers fragment.\n\n" +
			"`terraform plan` asks the executor for a dry run on the host and shows the exact steps in `planned_steps` " +
			"together with `plan_digest`. `terraform apply` submits that digest; if the host or its policy changed since " +
			"the plan, the executor refuses and nothing runs. Destroying a tenant decommissions it: its services stop, its " +
			"home and configuration are archived (checksum recorded) and then its user and files are removed. The archive stays.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "The tenant's name.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"name": schema.StringAttribute{
				MarkdownDescription: "The tenant's name, unique on the host. Must match `^[a-z][a-z0-9-]{1,28}$` so that the unix " +
					"user `mc-<name>` fits the 32-character limit; the host's policy may restrict names further (a denial names " +
					"the rule). Changing it replaces the tenant: the old one is decommissioned and archived.",
				Required:      true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators: []validator.String{stringvalidator.RegexMatches(tenantNamePattern,
					"must start with a lowercase letter and contain 2 to 29 lowercase letters, digits or hyphens")},
			},
			"display_name": schema.StringAttribute{
				MarkdownDescription: "A human-readable name, kept in the executor's registry; it changes nothing on the host. " +
					"1 to 128 characters. No default.",
				Optional:   true,
				Validators: []validator.String{stringvalidator.LengthBetween(1, 128)},
			},
			"environment": schema.StringAttribute{
				MarkdownDescription: "The tenant's stage: `development`, `staging` or `production`. The host's policy decides " +
					"from it how many distinct approvers each change needs (by default one for development and two for " +
					"production). Required, no default.",
				Required: true,
				Validators: []validator.String{stringvalidator.OneOf(
					string(api.EnvDevelopment), string(api.EnvStaging), string(api.EnvProduction))},
			},
			"labels": schema.MapAttribute{
				MarkdownDescription: "Free-form labels kept with the tenant in the executor's registry, e.g. for dashboards; " +
					"they change nothing on the host. Keys are lowercase (`^[a-z0-9]([a-z0-9._/-]{0,61}[a-z0-9])?$`), values " +
					"at most 256 characters, at most 64 labels. Defaults to none.",
				ElementType: types.StringType,
				Optional:    true,
				Validators: []validator.Map{
					mapvalidator.SizeAtMost(64),
					mapvalidator.KeysAre(stringvalidator.RegexMatches(labelKeyPattern,
						"must be lowercase letters, digits, '.', '_', '/' or '-', starting and ending with a letter or digit, at most 63 characters")),
					mapvalidator.ValueStringsAre(stringvalidator.LengthAtMost(256)),
				},
			},
			"suspended": schema.BoolAttribute{
				MarkdownDescription: "When `true`, the executor stops and disables the tenant's services but keeps its user, " +
					"files and allocation; setting it back to `false` starts them again. Defaults to `false`.",
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(false),
			},
			"gateway_port": schema.Int64Attribute{
				MarkdownDescription: "Base port of the tenant's OpenClaw gateway on loopback; OpenClaw also uses base+2 and " +
					"base+4. When omitted, the executor allocates a free base from its configured range (stride 20) and the " +
					"plan shows it; it keeps it while the tenant exists. Between 1024 and 65535; the host's policy also checks the port against its range, " +
					"stride and other tenants' ports, and a denial names the rule.",
				Optional:   true,
				Computed:   true,
				Validators: []validator.Int64{int64validator.Between(1024, 65535)},
			},
			"limits": schema.SingleNestedAttribute{
				MarkdownDescription: "systemd resource limits for the tenant's services, installed as drop-ins. An omitted " +
					"limit uses the executor's default; the host's policy may cap each one, and a denial names the rule.",
				Optional: true,
				Attributes: map[string]schema.Attribute{
					"memory_max_mb": schema.Int64Attribute{
						MarkdownDescription: "`MemoryMax=` in MiB, between 64 and 1048576. Defaults to the executor's default.",
						Optional:            true,
						Validators:          []validator.Int64{int64validator.Between(64, 1048576)},
					},
					"cpu_quota_percent": schema.Int64Attribute{
						MarkdownDescription: "`CPUQuota=` in percent of one CPU (200 is two CPUs), between 1 and 10000. " +
							"Defaults to the executor's default.",
						Optional:   true,
						Validators: []validator.Int64{int64validator.Between(1, 10000)},
					},
					"tasks_max": schema.Int64Attribute{
						MarkdownDescription: "`TasksMax=`, the most processes and threads, between 16 and 65535. " +
							"Defaults to the executor's default.",
						Optional:   true,
						Validators: []validator.Int64{int64validator.Between(16, 65535)},
					},
				},
			},
			"budget": schema.SingleNestedAttribute{
				MarkdownDescription: "The tenant's monthly model budget in USD, counted over the UTC calendar month from " +
					"OpenClaw's own cost records (`month_to_date_usd`). The executor checks it after every usage ingestion " +
					"pass: at `soft_limit_percent` it records a soft breach (an audit event and the " +
					"`missioncontrol_budget_breaches_total` metric), at 100% a hard breach. With `action = \"suspend\"` a " +
					"hard breach also suspends the tenant through an audited job, if the host's policy allows it (rule " +
					"`budget.suspend`, policy block `budget { suspend = true }`); `status` then reads `suspended (budget)` " +
					"and the tenant stays suspended, whatever `suspended` says, until a plan finds its budget no longer " +
					"exceeded (raised above the spend, `action = \"alert\"`, or a new month) and that plan is applied with " +
					"the approvals the policy requires. Defaults to no budget.",
				Optional: true,
				Attributes: map[string]schema.Attribute{
					"monthly_usd": schema.Float64Attribute{
						MarkdownDescription: "The budget in USD per UTC calendar month, greater than 0 and at most 1e9. Required.",
						Required:            true,
						Validators:          []validator.Float64{budgetUSDValidator{}},
					},
					"soft_limit_percent": schema.Int64Attribute{
						MarkdownDescription: fmt.Sprintf("The share of `monthly_usd` where a soft breach is recorded, between 1 and 100. "+
							"Defaults to `%d`.", defaultSoftLimitPercent),
						Optional:   true,
						Computed:   true,
						Default:    int64default.StaticInt64(defaultSoftLimitPercent),
						Validators: []validator.Int64{int64validator.Between(1, 100)},
					},
					"action": schema.StringAttribute{
						MarkdownDescription: "What a hard breach does: `alert` records it only; `suspend` also suspends the " +
							"tenant (its gateway stops, its account is locked, its files stay) when the host's policy allows " +
							"budget suspensions, else the denial is audited. Defaults to `" + string(defaultBudgetAction) + "`.",
						Optional:   true,
						Computed:   true,
						Default:    stringdefault.StaticString(string(defaultBudgetAction)),
						Validators: []validator.String{stringvalidator.OneOf(string(api.BudgetAlert), string(api.BudgetSuspend))},
					},
				},
			},
			"model_providers": schema.ListNestedAttribute{
				MarkdownDescription: "LLM endpoints the tenant's OpenClaw gateway may call, rendered into its `openclaw.json`. A " +
					"workspace's `model` names one of their models as `<provider>/<model id>`. Prices are USD per 1M tokens and " +
					"drive OpenClaw's own cost records. API keys are not part of this list: see `api_keys_wo`. Defaults to none " +
					"(the gateway then answers health probes but cannot run turns). Whether gateways may reach non-loopback " +
					"endpoints is the executor's `gateway.egress` setting.",
				Optional:   true,
				Validators: []validator.List{listvalidator.SizeAtMost(16)},
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"name": schema.StringAttribute{
						MarkdownDescription: "Provider name, `^[a-z][a-z0-9-]{0,62}$`, e.g. `anthropic`.",
						Required:            true,
						Validators:          []validator.String{stringvalidator.RegexMatches(providerNamePattern, "must be lowercase letters, digits or hyphens, starting with a letter")},
					},
					"base_url": schema.StringAttribute{
						MarkdownDescription: "The endpoint, an http(s) URL without credentials, e.g. `https://api.anthropic.com` " +
							"(without `/v1` for `anthropic-messages`).",
						Required: true,
					},
					"api": schema.StringAttribute{
						MarkdownDescription: "The wire protocol: `openai-completions`, `openai-responses` or `anthropic-messages`.",
						Required:            true,
						Validators:          []validator.String{stringvalidator.OneOf("openai-completions", "openai-responses", "anthropic-messages")},
					},
					"models": schema.ListNestedAttribute{
						MarkdownDescription: "The provider's models, at least one.",
						Required:            true,
						Validators:          []validator.List{listvalidator.SizeBetween(1, 64)},
						NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
							"id": schema.StringAttribute{MarkdownDescription: "The model id the endpoint expects.", Required: true,
								Validators: []validator.String{stringvalidator.LengthBetween(1, 200)}},
							"cost": schema.SingleNestedAttribute{
								MarkdownDescription: "Price in USD per 1M tokens by kind; each defaults to 0.",
								Optional:            true,
								Attributes: map[string]schema.Attribute{
									"input":       priceAttribute("input"),
									"output":      priceAttribute("output"),
									"cache_read":  priceAttribute("cache read"),
									"cache_write": priceAttribute("cache write"),
								},
							},
							"context_window": schema.Int64Attribute{MarkdownDescription: "Context window in tokens; OpenClaw's default when omitted.",
								Optional: true, Validators: []validator.Int64{int64validator.Between(1, 100000000)}},
							"max_tokens": schema.Int64Attribute{MarkdownDescription: "Most output tokens per turn; OpenClaw's default when omitted.",
								Optional: true, Validators: []validator.Int64{int64validator.Between(1, 100000000)}},
						}},
					},
				}},
			},
			"api_keys_wo": schema.MapAttribute{
				MarkdownDescription: "API keys by model provider name. Write-only: Terraform never stores them in the plan or " +
					"state (needs Terraform 1.11 or later). The executor writes them to the tenant's root-only " +
					"`credentials.env`, which the gateway unit loads; a plan says when they change, never what they are. " +
					"When omitted, the credentials file is left as it is.",
				ElementType: types.StringType,
				Optional:    true,
				Sensitive:   true,
				WriteOnly:   true,
			},
			"cron": schema.BoolAttribute{
				MarkdownDescription: "Enables OpenClaw's scheduler (skill reviews, memory dreaming, stored schedules). Defaults " +
					"to `false`: those jobs make unprompted model calls that cost money.",
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(false),
			},
			"heartbeat_every": schema.StringAttribute{
				MarkdownDescription: "OpenClaw's heartbeat interval, e.g. `30m`; omitted or `0m` is off (the default), since " +
					"every heartbeat is a model call.",
				Optional:   true,
				Validators: []validator.String{stringvalidator.RegexMatches(heartbeatPattern, `must be a duration such as "30m", "1h" or "0m"`)},
			},
			"sudo_commands": schema.ListAttribute{
				MarkdownDescription: "Command lines the tenant user may run as root through sudo, each starting with an " +
					"absolute path (e.g. `/usr/bin/systemctl restart nginx.service`), at most 32. When set, the executor checks " +
					"the sudoers fragment with `visudo -cf` and installs it; when omitted, the tenant has no sudo rights. " +
					"Every command must be on the host policy's sudoers command list, and a denial names the rule.",
				ElementType: types.StringType,
				Optional:    true,
				Validators: []validator.List{
					listvalidator.SizeBetween(1, 32),
					listvalidator.UniqueValues(),
					listvalidator.ValueStringsAre(absoluteCommandValidator{}),
				},
			},
			"unix_user": schema.StringAttribute{
				MarkdownDescription: "The tenant's unix user and group, `mc-<name>`.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"uid": schema.Int64Attribute{
				MarkdownDescription: "The user's uid, allocated by the executor from its configured range (never below 1000, " +
					"never reused while an archive of its previous owner exists). Known at plan time.",
				Computed:      true,
				PlanModifiers: []planmodifier.Int64{int64planmodifier.UseStateForUnknown()},
			},
			"gid": schema.Int64Attribute{
				MarkdownDescription: "The group's gid, allocated like `uid`.",
				Computed:            true,
				PlanModifiers:       []planmodifier.Int64{int64planmodifier.UseStateForUnknown()},
			},
			"home": schema.StringAttribute{
				MarkdownDescription: "The tenant's home directory (mode 0750), by default `/srv/missioncontrol/tenants/<name>`.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"state_dir": schema.StringAttribute{
				MarkdownDescription: "The OpenClaw state directory (`OPENCLAW_STATE_DIR`), by default `<home>/.openclaw`.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"unit_name": schema.StringAttribute{
				MarkdownDescription: "The systemd unit of the tenant's gateway, e.g. `missioncontrol-gateway@<name>.service`.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"status": schema.StringAttribute{
				MarkdownDescription: "The tenant as the executor observed it at the last refresh: `active`, `suspended`, " +
					"`suspended (budget)` (the executor suspended it for spending its `budget`), `degraded` (a unit failed " +
					"or is not running), `drifted` (the host differs from the desired state) or `absent`.",
				Computed: true,
			},
			"month_to_date_usd": schema.Float64Attribute{
				MarkdownDescription: "The tenant's model cost in USD since the start of the current UTC month, as the executor " +
					"counted it from OpenClaw's records at the last refresh (see the `missioncontrol_usage` data source for details " +
					"and for messages whose cost is unknown).",
				Computed: true,
			},
			"last_job_id": schema.StringAttribute{
				MarkdownDescription: "The executor job that last changed the tenant.",
				Computed:            true,
			},
			"planned_steps": plannedStepsAttribute("tenant"),
			"plan_digest":   planDigestAttribute("tenant"),
		},
		Blocks: map[string]schema.Block{
			"timeouts": timeouts.Block(ctx, timeouts.Opts{
				Create: true, Update: true, Delete: true,
				CreateDescription: "How long to wait for the create job, e.g. `15m`. Defaults to `10m`.",
				UpdateDescription: "How long to wait for an update job. Defaults to `10m`.",
				DeleteDescription: "How long to wait for the decommission job (archiving a large home takes longer). Defaults to `10m`.",
			}),
		},
	}
}

func (r *TenantResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = configureData(req, resp)
}

// ModifyPlan runs the executor's dry run and puts its steps, digest and
// allocation into the plan. It is read-only and deterministic, as Terraform
// calls it again during apply and compares the results.
func (r *TenantResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || r.data == nil || r.data.unchangedAndSettled(ctx, req, "name", "api_keys_wo") {
		return // destroy, the provider is not configured yet, or nothing to plan
	}
	var plan, config TenantResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	r.data.modifyPlan(ctx, req, resp, &plan, &config)
}

func (r *TenantResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan, config TenantResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	r.apply(ctx, opCreate, plan, config, plan.Timeouts.Create, &resp.State, &resp.Diagnostics)
}

func (r *TenantResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, config TenantResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	r.apply(ctx, opUpdate, plan, config, plan.Timeouts.Update, &resp.State, &resp.Diagnostics)
}

// Read observes the tenant through the executor. A tenant the host does not
// know and whose user does not exist is gone; anything else is kept, and the
// next plan shows the steps that repair it.
func (r *TenantResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state TenantResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	t, err := r.data.observed.tenant(ctx, state.Name.ValueString())
	if api.IsCode(err, api.CodeNotFound) || err == nil && !t.Registered && !t.UserExists {
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		addError(&resp.Diagnostics, state.target(), "read", err)
		return
	}
	state.SetFrom(t)
	resp.Diagnostics.Append(resp.State.Set(ctx, state)...)
}

// Delete decommissions the tenant: a dry run of the destroy, then the job
// with that digest.
func (r *TenantResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state TenantResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	jobCtx, cancel, diags := withTimeout(ctx, state.Timeouts.Delete)
	defer cancel()
	resp.Diagnostics.Append(diags...)
	destroy(jobCtx, r.data, state.target(), state.DestroyRequest(), &resp.Diagnostics)
}

func (r *TenantResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), req.ID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("name"), req.ID)...)
}

// apply submits the reviewed plan and records the result. On failure it
// still records what exists when a job ran, so the next plan repairs it.
func (r *TenantResource) apply(ctx context.Context, op operation, plan, config TenantResourceModel,
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
	t, err := r.data.observed.fresh(ctx, plan.Name.ValueString())
	if err != nil {
		addError(diags, plan.target(), "read back", err)
	}
	plan.SetObserved(t, job.ID)
	diags.Append(state.Set(ctx, plan)...)
}

func priceAttribute(kind string) schema.Float64Attribute {
	return schema.Float64Attribute{
		MarkdownDescription: "USD per 1M " + kind + " tokens, at least 0. Defaults to 0.",
		Optional:            true,
		Validators:          []validator.Float64{float64validator.AtLeast(0)},
	}
}
