package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

var _ datasource.DataSourceWithConfigure = &ArchivesDataSource{}

// NewArchivesDataSource returns the missioncontrol_archives data source.
func NewArchivesDataSource() datasource.DataSource { return &ArchivesDataSource{} }

// ArchivesDataSource lists the archives decommissions left on the host.
type ArchivesDataSource struct{ data *providerData }

// ArchivesDataSourceModel is missioncontrol_archives.
type ArchivesDataSourceModel struct {
	Tenant   types.String   `tfsdk:"tenant"`
	Archives []ArchiveModel `tfsdk:"archives"`
}

// ArchiveModel is one archive.
type ArchiveModel struct {
	Path        types.String `tfsdk:"path"`
	Tenant      types.String `tfsdk:"tenant"`
	SHA256      types.String `tfsdk:"sha256"`
	Size        types.Int64  `tfsdk:"size"`
	JobID       types.String `tfsdk:"job_id"`
	UID         types.Int64  `tfsdk:"uid"`
	Environment types.String `tfsdk:"environment"`
	CreatedAt   types.String `tfsdk:"created_at"`
}

func (d *ArchivesDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_archives"
}

func (d *ArchivesDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The archives that decommissioning tenants left on the host, newest first. Each was read back " +
			"before anything of its tenant was removed; its uid stays reserved while it exists.",
		Attributes: map[string]schema.Attribute{
			"tenant": schema.StringAttribute{
				MarkdownDescription: "Only this tenant's archives. Defaults to every tenant's.",
				Optional:            true,
				Validators: []validator.String{stringvalidator.RegexMatches(tenantNamePattern,
					"must start with a lowercase letter and contain 2 to 29 lowercase letters, digits or hyphens")},
			},
			"archives": schema.ListNestedAttribute{
				MarkdownDescription: "The archives.",
				Computed:            true,
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"path":        schema.StringAttribute{Computed: true, MarkdownDescription: "The archive file on the host (tar, gzip)."},
					"tenant":      schema.StringAttribute{Computed: true, MarkdownDescription: "The decommissioned tenant."},
					"sha256":      schema.StringAttribute{Computed: true, MarkdownDescription: "SHA-256 of the archive file, as recorded when it was written."},
					"size":        schema.Int64Attribute{Computed: true, MarkdownDescription: "Size in bytes."},
					"job_id":      schema.StringAttribute{Computed: true, MarkdownDescription: "The decommission job that wrote it."},
					"uid":         schema.Int64Attribute{Computed: true, MarkdownDescription: "The tenant's uid, reserved while the archive exists."},
					"environment": schema.StringAttribute{Computed: true, MarkdownDescription: "The tenant's environment when it was decommissioned."},
					"created_at":  schema.StringAttribute{Computed: true, MarkdownDescription: "When it was written (RFC 3339, UTC)."},
				}},
			},
		},
	}
}

func (d *ArchivesDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = dataSourceData(req, resp)
}

func (d *ArchivesDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m ArchivesDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	list, err := d.data.client.ListArchives(ctx, m.Tenant.ValueString())
	if err != nil {
		addError(&resp.Diagnostics, target{kind: api.ObjectTenant, tenant: m.Tenant.ValueString()}, "list the archives of", err)
		return
	}
	m.Archives = []ArchiveModel{}
	for _, a := range list {
		m.Archives = append(m.Archives, ArchiveModel{
			Path: types.StringValue(a.Path), Tenant: types.StringValue(a.Tenant), SHA256: types.StringValue(a.SHA256),
			Size: types.Int64Value(a.Size), JobID: types.StringValue(a.JobID), UID: types.Int64Value(int64(a.UID)),
			Environment: types.StringValue(string(a.Environment)), CreatedAt: types.StringValue(a.CreatedAt.UTC().Format("2006-01-02T15:04:05Z")),
		})
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// dataSourceData is the provider's data for a data source, or nil before the
// provider is configured.
func dataSourceData(req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) *providerData {
	if req.ProviderData == nil {
		return nil
	}
	data, ok := req.ProviderData.(*providerData)
	if !ok {
		resp.Diagnostics.AddError("Unexpected Data Source Configure Type",
			fmt.Sprintf("Expected *providerData, got: %T. Please report this issue to the provider developers.", req.ProviderData))
		return nil
	}
	return data
}
