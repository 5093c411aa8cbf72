package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/client"
)

var _ datasource.DataSourceWithConfigure = &HostDataSource{}

// NewHostDataSource returns the missioncontrol_host data source.
func NewHostDataSource() datasource.DataSource { return &HostDataSource{} }

// HostDataSource reads the executor's summary of its host.
type HostDataSource struct {
	client *client.Client
}

// HostDataSourceModel is the data source's result.
type HostDataSourceModel struct {
	Version         types.String  `tfsdk:"version"`
	HostID          types.String  `tfsdk:"host_id"`
	PolicyRevision  types.String  `tfsdk:"policy_revision"`
	TenantCount     types.Int64   `tfsdk:"tenant_count"`
	PortsTotal      types.Int64   `tfsdk:"ports_total"`
	PortsFree       types.Int64   `tfsdk:"ports_free"`
	TenantRoot      types.String  `tfsdk:"tenant_root"`
	TenantRootBytes types.Int64   `tfsdk:"tenant_root_bytes"`
	DiskTotalBytes  types.Int64   `tfsdk:"disk_total_bytes"`
	DiskFreeBytes   types.Int64   `tfsdk:"disk_free_bytes"`
	DiskUsedPercent types.Float64 `tfsdk:"disk_used_percent"`
}

// SetFrom writes the executor's answer into the result attributes.
func (m *HostDataSourceModel) SetFrom(h api.Host) {
	m.Version, m.HostID, m.PolicyRevision = types.StringValue(h.Version), types.StringValue(h.HostID), types.StringValue(h.PolicyRevision)
	m.TenantCount = types.Int64Value(int64(h.TenantCount))
	m.PortsTotal, m.PortsFree = types.Int64Value(int64(h.PortsTotal)), types.Int64Value(int64(h.PortsFree))
	m.TenantRoot, m.TenantRootBytes = types.StringValue(h.TenantRoot), types.Int64Value(h.TenantRootBytes)
	m.DiskTotalBytes, m.DiskFreeBytes = types.Int64Value(h.DiskTotalBytes), types.Int64Value(h.DiskFreeBytes)
	m.DiskUsedPercent = types.Float64Value(h.DiskUsedPercent)
}

func (d *HostDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_host"
}

func (d *HostDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	str := func(desc string) schema.Attribute {
		return schema.StringAttribute{Computed: true, MarkdownDescription: desc}
	}
	i64 := func(desc string) schema.Attribute {
		return schema.Int64Attribute{Computed: true, MarkdownDescription: desc}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "The executor and the capacity of its host, read now: for dashboards and for checks before adding tenants.",
		Attributes: map[string]schema.Attribute{
			"version":           str("The executor's version."),
			"host_id":           str("The host id signed requests are addressed to (the executor's `host_id`, else `/etc/machine-id`)."),
			"policy_revision":   str("Revision of the policy the executor enforces."),
			"tenant_count":      i64("Tenants registered on the host, decommissioned ones not counted."),
			"ports_total":       i64("Gateway base ports on the configured grid (`tenants.port_min`..`port_max`, stride 20)."),
			"ports_free":        i64("Base ports no tenant holds; decommissioned tenants keep theirs while their archive exists."),
			"tenant_root":       str("The tenants' root directory (`tenants.root`)."),
			"tenant_root_bytes": i64("Bytes in regular files under `tenant_root` (every tenant's home and OpenClaw state)."),
			"disk_total_bytes":  i64("Size of the filesystem holding `tenant_root`."),
			"disk_free_bytes":   i64("Bytes of that filesystem available to unprivileged users."),
			"disk_used_percent": schema.Float64Attribute{Computed: true, MarkdownDescription: "Used share of that filesystem, 0..100, as `df` reports it."},
		},
	}
}

func (d *HostDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	if data := dataSourceData(req, resp); data != nil {
		d.client = data.client
	}
}

func (d *HostDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m HostDataSourceModel
	h, err := d.client.Host(ctx)
	if err != nil {
		addError(&resp.Diagnostics, target{kind: api.ObjectTenant, tenant: "*"}, "read the host summary for", err)
		return
	}
	m.SetFrom(*h)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}
