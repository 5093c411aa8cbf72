package provider

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"

	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/client"
)

var _ datasource.DataSourceWithConfigure = &UsageDataSource{}

// NewUsageDataSource returns the missioncontrol_usage data source.
func NewUsageDataSource() datasource.DataSource { return &UsageDataSource{} }

// UsageDataSource reads the model usage the executor ingested from its
// tenants' OpenClaw records.
type UsageDataSource struct {
	client *client.Client
}

// UsageDataSourceModel is the data source's configuration and result.
type UsageDataSourceModel struct {
	Tenant   types.String    `tfsdk:"tenant"`
	From     types.String    `tfsdk:"from"`
	To       types.String    `tfsdk:"to"`
	Agent    types.String    `tfsdk:"agent"`
	Model    types.String    `tfsdk:"model"`
	GroupBy  []types.String  `tfsdk:"group_by"`
	Rows     []usageRowModel `tfsdk:"rows"`
	Totals   *usageRowModel  `tfsdk:"totals"`
	Unpriced types.Int64     `tfsdk:"unpriced"`
}

type usageRowModel struct {
	Tenant        types.String   `tfsdk:"tenant"`
	Day           types.String   `tfsdk:"day"`
	Agent         types.String   `tfsdk:"agent"`
	Provider      types.String   `tfsdk:"provider"`
	Model         types.String   `tfsdk:"model"`
	Input         types.Int64    `tfsdk:"input"`
	Output        types.Int64    `tfsdk:"output"`
	CacheRead     types.Int64    `tfsdk:"cache_read"`
	CacheWrite    types.Int64    `tfsdk:"cache_write"`
	TotalTokens   types.Int64    `tfsdk:"total_tokens"`
	CostUSD       types.Float64  `tfsdk:"cost_usd"`
	Messages      types.Int64    `tfsdk:"messages"`
	Errors        types.Int64    `tfsdk:"errors"`
	Unpriced      types.Int64    `tfsdk:"unpriced"`
	PriceVersions []types.String `tfsdk:"price_versions"`
}

// Query converts the filters to the API query.
func (m UsageDataSourceModel) Query() api.UsageQuery {
	q := api.UsageQuery{Tenant: m.Tenant.ValueString(), From: m.From.ValueString(), To: m.To.ValueString(),
		Agent: m.Agent.ValueString(), Model: m.Model.ValueString()}
	for _, g := range m.GroupBy {
		q.GroupBy = append(q.GroupBy, g.ValueString())
	}
	return q
}

// SetFrom writes the report into the result attributes.
func (m *UsageDataSourceModel) SetFrom(rep api.UsageReport) {
	m.Rows = make([]usageRowModel, 0, len(rep.Rows))
	for _, r := range rep.Rows {
		m.Rows = append(m.Rows, usageRow(r))
	}
	t := usageRow(rep.Totals)
	m.Totals = &t
	m.Unpriced = types.Int64Value(rep.Unpriced)
}

func usageRow(r api.UsageRow) usageRowModel {
	opt := func(s string) types.String {
		if s == "" {
			return types.StringNull()
		}
		return types.StringValue(s)
	}
	versions := make([]types.String, 0, len(r.PriceVersions))
	for _, v := range r.PriceVersions {
		versions = append(versions, types.StringValue(v))
	}
	return usageRowModel{
		Tenant: opt(r.Tenant), Day: opt(r.Day), Agent: opt(r.Agent), Provider: opt(r.Provider), Model: opt(r.Model),
		Input: types.Int64Value(r.Input), Output: types.Int64Value(r.Output), CacheRead: types.Int64Value(r.CacheRead),
		CacheWrite: types.Int64Value(r.CacheWrite), TotalTokens: types.Int64Value(r.TotalTokens),
		CostUSD: types.Float64Value(r.CostUSD), Messages: types.Int64Value(r.Messages), Errors: types.Int64Value(r.Errors),
		Unpriced: types.Int64Value(r.Unpriced), PriceVersions: versions,
	}
}

func (d *UsageDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_usage"
}

var dayPattern = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

func usageRowAttributes(grouping bool) map[string]schema.Attribute {
	key := func(desc string) schema.Attribute {
		if grouping {
			desc += " Null unless the rows are grouped by it."
		} else {
			desc = "Always null in totals."
		}
		return schema.StringAttribute{MarkdownDescription: desc, Computed: true}
	}
	count := func(desc string) schema.Attribute {
		return schema.Int64Attribute{MarkdownDescription: desc, Computed: true}
	}
	return map[string]schema.Attribute{
		"tenant":       key("Tenant name (group `tenant`)."),
		"day":          key("UTC day, `YYYY-MM-DD` (group `day`)."),
		"agent":        key("OpenClaw agent id (group `agent`)."),
		"provider":     key("Model provider as OpenClaw recorded it (group `model`)."),
		"model":        key("Model as OpenClaw recorded it (group `model`)."),
		"input":        count("Input tokens, excluding cache reads and writes."),
		"output":       count("Output tokens."),
		"cache_read":   count("Cache read tokens."),
		"cache_write":  count("Cache write tokens."),
		"total_tokens": count("Total tokens as OpenClaw recorded them."),
		"cost_usd": schema.Float64Attribute{Computed: true, MarkdownDescription: "Cost in USD: OpenClaw's recorded " +
			"`usage.cost.total` where above zero, else priced from the executor's price table. Unpriced messages add nothing."},
		"messages": count("Assistant messages with usage, failed turns included."),
		"errors":   count("Messages of failed model turns (`stopReason` `error`)."),
		"unpriced": count("Messages with tokens but neither a recorded cost nor a price: `cost_usd` under-states the cost when this is above zero."),
		"price_versions": schema.ListAttribute{ElementType: types.StringType, Computed: true,
			MarkdownDescription: "Versions of the price table used for messages without a recorded cost; empty when every cost was recorded."},
	}
}

func (d *UsageDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	day := []validator.String{stringvalidator.RegexMatches(dayPattern, "must be a UTC day like 2026-12-01")}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Model usage and cost of the host's tenants, from OpenClaw's own records in each tenant's state dir, " +
			"as the executor ingested them (every `usage.interval`, 30s by default). Rows are summed over the filters and " +
			"grouped by `group_by`; each message is counted once, whatever restarts or re-reads happen.",
		Attributes: map[string]schema.Attribute{
			"tenant": schema.StringAttribute{Optional: true, MarkdownDescription: "Only this tenant. Defaults to every tenant on the host."},
			"from": schema.StringAttribute{Optional: true, Validators: day,
				MarkdownDescription: "First UTC day, `YYYY-MM-DD`, inclusive. Defaults to the first day with usage."},
			"to": schema.StringAttribute{Optional: true, Validators: day,
				MarkdownDescription: "Last UTC day, `YYYY-MM-DD`, inclusive; not before `from`. Defaults to the last day with usage."},
			"agent": schema.StringAttribute{Optional: true, MarkdownDescription: "Only this OpenClaw agent id. Defaults to every agent."},
			"model": schema.StringAttribute{Optional: true, MarkdownDescription: "Only this model, as OpenClaw recorded it (e.g. `claude-sonnet-4-5`). Defaults to every model."},
			"group_by": schema.ListAttribute{
				ElementType: types.StringType, Optional: true,
				MarkdownDescription: "Keys to group rows by, any of `tenant`, `day`, `agent`, `model` (model groups by provider " +
					"and model); rows come sorted by tenant, day, agent, provider and model. Defaults to none: one row with the totals.",
				Validators: []validator.List{
					listvalidator.UniqueValues(),
					listvalidator.ValueStringsAre(stringvalidator.OneOf(api.UsageGroupKeys...)),
				},
			},
			"rows": schema.ListNestedAttribute{
				Computed:            true,
				MarkdownDescription: "One element per group; empty when nothing matched.",
				NestedObject:        schema.NestedAttributeObject{Attributes: usageRowAttributes(true)},
			},
			"totals": schema.SingleNestedAttribute{
				Computed:            true,
				MarkdownDescription: "Sums over all rows.",
				Attributes:          usageRowAttributes(false),
			},
			"unpriced": schema.Int64Attribute{Computed: true,
				MarkdownDescription: "Messages whose cost is unknown, over all rows (`totals.unpriced`). Add prices for their models " +
					"to the executor's `usage.prices_file` when this is above zero."},
		},
	}
}

func (d *UsageDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	if data := dataSourceData(req, resp); data != nil {
		d.client = data.client
	}
}

func (d *UsageDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m UsageDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	rep, err := d.client.Usage(ctx, m.Query())
	if err != nil {
		addUsageError(&resp.Diagnostics, m.Tenant.ValueString(), err)
		return
	}
	m.SetFrom(*rep)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// addUsageError maps an invalid query to its attribute and everything else
// to the provider's usual diagnostics.
func addUsageError(diags *diag.Diagnostics, tenant string, err error) {
	var apiErr *api.Error
	if errors.As(err, &apiErr) && apiErr.Code == api.CodeInvalidRequest &&
		slices.Contains([]string{"tenant", "from", "to", "agent", "model", "group_by"}, apiErr.Field) {
		diags.AddAttributeError(path.Root(apiErr.Field), "Invalid Usage Query",
			fmt.Sprintf("The executor rejected the usage query: %s.%s\n\nCorrect the value and run terraform plan again.", apiErr.Message, quoteRule(apiErr)))
		return
	}
	if tenant == "" {
		tenant = "*"
	}
	addError(diags, target{kind: api.ObjectTenant, tenant: tenant}, "read the usage of", err)
}
