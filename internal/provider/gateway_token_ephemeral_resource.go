package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

var _ ephemeral.EphemeralResourceWithConfigure = &GatewayTokenEphemeralResource{}

// GatewayTokenEphemeralResource is missioncontrol_gateway_token: a tenant's
// gateway token, which Terraform never writes to plan or state.
type GatewayTokenEphemeralResource struct{ data *providerData }

// NewGatewayTokenEphemeralResource is the constructor the provider lists.
func NewGatewayTokenEphemeralResource() ephemeral.EphemeralResource {
	return &GatewayTokenEphemeralResource{}
}

// GatewayTokenModel is missioncontrol_gateway_token.
type GatewayTokenModel struct {
	Tenant types.String `tfsdk:"tenant"`
	Token  types.String `tfsdk:"token"`
	Port   types.Int64  `tfsdk:"port"`
	URL    types.String `tfsdk:"url"`
}

func (r *GatewayTokenEphemeralResource) Metadata(_ context.Context, req ephemeral.MetadataRequest, resp *ephemeral.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_gateway_token"
}

func (r *GatewayTokenEphemeralResource) Schema(_ context.Context, _ ephemeral.SchemaRequest, resp *ephemeral.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The bearer token of a tenant's OpenClaw gateway, read from the host when Terraform needs it. " +
			"As an ephemeral resource (Terraform 1.10 or later) it is never stored in the plan or state; pass it to " +
			"write-only or ephemeral arguments, e.g. a secret store. The executor generates the token once per tenant " +
			"(`token.env`, root only) and audits every read.",
		Attributes: map[string]schema.Attribute{
			"tenant": schema.StringAttribute{
				MarkdownDescription: "The tenant's name.",
				Required:            true,
				Validators: []validator.String{stringvalidator.RegexMatches(tenantNamePattern,
					"must start with a lowercase letter and contain 2 to 29 lowercase letters, digits or hyphens")},
			},
			"token": schema.StringAttribute{MarkdownDescription: "The gateway's bearer token.", Computed: true, Sensitive: true},
			"port":  schema.Int64Attribute{MarkdownDescription: "The gateway's base port on the host's loopback.", Computed: true},
			"url":   schema.StringAttribute{MarkdownDescription: "The gateway's base URL on the host, e.g. `http://127.0.0.1:20020`.", Computed: true},
		},
	}
}

func (r *GatewayTokenEphemeralResource) Configure(_ context.Context, req ephemeral.ConfigureRequest, resp *ephemeral.ConfigureResponse) {
	if req.ProviderData == nil {
		return
	}
	data, ok := req.ProviderData.(*providerData)
	if !ok {
		resp.Diagnostics.AddError("Unexpected Ephemeral Resource Configure Type",
			fmt.Sprintf("Expected *providerData, got: %T. Please report this issue to the provider developers.", req.ProviderData))
		return
	}
	r.data = data
}

func (r *GatewayTokenEphemeralResource) Open(ctx context.Context, req ephemeral.OpenRequest, resp *ephemeral.OpenResponse) {
	var m GatewayTokenModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	tok, err := r.data.client.GatewayToken(ctx, m.Tenant.ValueString())
	if err != nil {
		addError(&resp.Diagnostics, target{kind: api.ObjectTenant, tenant: m.Tenant.ValueString()}, "read the gateway token of", err)
		return
	}
	m.Token, m.Port, m.URL = types.StringValue(tok.Token), types.Int64Value(int64(tok.Port)), types.StringValue(tok.URL)
	resp.Diagnostics.Append(resp.Result.Set(ctx, &m)...)
}
