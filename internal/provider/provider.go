// Package provider is the missioncontrol Terraform provider: tenants,
// workspaces and services on hosts run by missioncontrol-executor.
//
// It only translates between Terraform and the executor's API
// (executor/api, through internal/client). Plan is the executor's dry run,
// apply submits the reviewed plan by digest, and read is the executor's
// observation of the host. Nothing here touches a host directly.
package provider

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/client"
)

// Environment variables that stand in for provider settings. A value in the
// provider block wins over the environment.
const (
	EnvEndpoint       = "MISSIONCONTROL_ENDPOINT"
	EnvRequestTimeout = "MISSIONCONTROL_REQUEST_TIMEOUT"
	EnvSigningKey     = "MISSIONCONTROL_SIGNING_KEY"
	EnvSigningKeyFile = "MISSIONCONTROL_SIGNING_KEY_FILE"
	EnvApprovals      = "MISSIONCONTROL_APPROVALS"
	EnvCAFile         = "MISSIONCONTROL_CA_FILE"
	EnvCertFile       = "MISSIONCONTROL_CERT_FILE"
	EnvKeyFile        = "MISSIONCONTROL_KEY_FILE"
)

var _ provider.Provider = &MissionControlProvider{}

// MissionControlProvider is the provider. Configure builds the executor
// client but never connects, so planning a configuration that has no
// missioncontrol resources does not need an executor.
type MissionControlProvider struct {
	version string
	// getenv and readFile are os.Getenv and os.ReadFile outside tests.
	getenv   func(string) string
	readFile func(string) ([]byte, error)
}

// New returns a constructor of the provider for providerserver.
func New(version string) func() provider.Provider {
	return func() provider.Provider {
		return &MissionControlProvider{version: version, getenv: os.Getenv, readFile: os.ReadFile}
	}
}

// providerModel is the provider block.
type providerModel struct {
	Endpoint       types.String `tfsdk:"endpoint"`
	RequestTimeout types.String `tfsdk:"request_timeout"`
	SigningKey     types.String `tfsdk:"signing_key"`
	Approvals      types.List   `tfsdk:"approvals"`
	CAFile         types.String `tfsdk:"ca_file"`
	CertFile       types.String `tfsdk:"cert_file"`
	KeyFile        types.String `tfsdk:"key_file"`
}

// providerData is what resources get in Configure.
type providerData struct {
	client *client.Client
	// approvals are sent with every job submission.
	approvals []string
	// signingKey is the key the client signs requests with (PEM).
	signingKey []byte
	// observed shares tenant observations within this operation.
	observed *observations
}

func (p *MissionControlProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "missioncontrol"
	resp.Version = p.version
}

func (p *MissionControlProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Hosts isolated OpenClaw agent gateways (tenants) on Linux through `missioncontrol-executor`, " +
			"the privileged daemon on each host. `terraform plan` is the executor's dry run on the real host: every resource " +
			"shows the exact host steps (`planned_steps`) and a `plan_digest`. `terraform apply` submits exactly that plan; " +
			"the executor refuses if the host or its policy changed since.\n\n" +
			"Every setting can also come from the environment (`MISSIONCONTROL_*`); a value in the provider block wins. " +
			"Configuring the provider does not connect to the executor.",
		Attributes: map[string]schema.Attribute{
			"endpoint": schema.StringAttribute{
				MarkdownDescription: "Where the executor listens: `unix:///absolute/path.sock` or `https://host:port` (mutual TLS, " +
					"see `ca_file`, `cert_file`, `key_file`). When unset, `" + EnvEndpoint + "`; defaults to `" + client.DefaultEndpoint + "`. " +
					"The socket is `0660` root:missioncontrol and the executor checks the caller's user and group, so Terraform " +
					"must run as root or a member of `missioncontrol`.",
				Optional:   true,
				Validators: []validator.String{endpointValidator{}},
			},
			"request_timeout": schema.StringAttribute{
				MarkdownDescription: "How long one request to the executor may take, as a duration such as `30s`. When unset, " +
					"`" + EnvRequestTimeout + "`; defaults to `30s`. Waiting for a job is bounded by each resource's `timeouts` instead.",
				Optional:   true,
				Validators: []validator.String{durationValidator{}},
			},
			"signing_key": schema.StringAttribute{
				MarkdownDescription: "The Ed25519 private key (PKCS#8 PEM) written by `missioncontrol-executor keygen --out FILE`. " +
					"Every plan and apply request is a signed envelope; the executor's configuration must list the key's public key " +
					"with role `plan` (for `terraform plan`) and `apply` (for `terraform apply`). When unset, `" + EnvSigningKey +
					"`, else the contents of the file named by `" + EnvSigningKeyFile + "`; no default (the executor then refuses " +
					"every plan and apply).",
				Optional:  true,
				Sensitive: true,
			},
			"approvals": schema.ListAttribute{
				MarkdownDescription: "Approval tokens (`missioncontrol-executor approve --digest D --key K`) sent with every job " +
					"submission. Each token approves one plan digest, so collect them after reviewing `terraform plan`; the host's " +
					"policy decides how many distinct approvers a tenant's `environment` needs. When unset, `" + EnvApprovals +
					"` (comma-separated); defaults to none.",
				ElementType: types.StringType,
				Optional:    true,
				Sensitive:   true,
			},
			"ca_file": schema.StringAttribute{
				MarkdownDescription: "PEM file of the CA that signed the executor's certificate, for `https` endpoints. " +
					"When unset, `" + EnvCAFile + "`; defaults to the system roots.",
				Optional: true,
			},
			"cert_file": schema.StringAttribute{
				MarkdownDescription: "PEM client certificate for mutual TLS with `https` endpoints; set together with `key_file`. " +
					"When unset, `" + EnvCertFile + "`; no default.",
				Optional: true,
			},
			"key_file": schema.StringAttribute{
				MarkdownDescription: "PEM private key of `cert_file`. When unset, `" + EnvKeyFile + "`; no default.",
				Optional:            true,
			},
		},
	}
}

func (p *MissionControlProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var config providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	s, diags := config.settings(ctx, p.getenv, p.readFile)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	if strings.HasPrefix(s.endpoint, "unix://") && s.caFile+s.certFile+s.keyFile != "" {
		resp.Diagnostics.AddWarning("TLS Settings Ignored",
			fmt.Sprintf("ca_file, cert_file and key_file apply to https endpoints only; the endpoint is %s, so they are ignored.", s.endpoint))
		s.caFile, s.certFile, s.keyFile = "", "", ""
	}
	var signingKey ed25519.PrivateKey
	if len(s.signingKey) > 0 {
		k, err := client.ParseSigningKey(s.signingKey)
		if err != nil {
			resp.Diagnostics.AddAttributeError(path.Root("signing_key"), "Invalid Signing Key",
				fmt.Sprintf("The signing key is not usable: %v.\n\nUse the file written by missioncontrol-executor keygen --out FILE "+
					"(a PKCS#8 PEM Ed25519 key), in signing_key, %s or %s.", err, EnvSigningKey, EnvSigningKeyFile))
			return
		}
		signingKey = k
	}
	c, err := client.New(client.Config{
		SigningKey: signingKey,
		Endpoint:   s.endpoint,
		Timeout:    s.timeout,
		CAFile:     s.caFile,
		CertFile:   s.certFile,
		KeyFile:    s.keyFile,
		UserAgent:  "terraform-provider-missioncontrol/" + p.version + " (+terraform " + req.TerraformVersion + ")",
	})
	if err != nil {
		resp.Diagnostics.AddError("Invalid Executor Connection Settings",
			fmt.Sprintf("Unable to set up the executor client: %v.", err))
		return
	}
	data := &providerData{client: c, approvals: s.approvals, signingKey: s.signingKey, observed: newObservations(c)}
	resp.ResourceData = data
	resp.DataSourceData = data
	resp.EphemeralResourceData = data
}

func (p *MissionControlProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		NewTenantResource,
		NewWorkspaceResource,
		NewServiceResource,
	}
}

// EphemeralResources lists values Terraform uses without storing them.
func (p *MissionControlProvider) EphemeralResources(context.Context) []func() ephemeral.EphemeralResource {
	return []func() ephemeral.EphemeralResource{
		NewGatewayTokenEphemeralResource,
	}
}

func (p *MissionControlProvider) DataSources(context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{
		NewUsageDataSource,
		NewHostDataSource,
		NewArchivesDataSource,
		NewTenantHealthDataSource,
	}
}

// settings are the provider's effective settings after the environment and
// defaults are applied.
type settings struct {
	endpoint                  string
	timeout                   time.Duration
	signingKey                []byte
	approvals                 []string
	caFile, certFile, keyFile string
}

// settings resolves the provider block against the environment: block
// value, else environment variable, else default. Values from the
// environment are validated like the block's, with the variable named.
func (m providerModel) settings(ctx context.Context, getenv func(string) string, readFile func(string) ([]byte, error)) (settings, diag.Diagnostics) {
	var diags diag.Diagnostics
	unknown := func(attr string, v interface{ IsUnknown() bool }) {
		if v.IsUnknown() {
			diags.AddAttributeError(path.Root(attr), "Unknown Provider Setting",
				fmt.Sprintf("The provider's %s depends on a value that is not known until apply. "+
					"Either target apply the source of the value first or set the value statically in the configuration.", attr))
		}
	}
	unknown("endpoint", m.Endpoint)
	unknown("request_timeout", m.RequestTimeout)
	unknown("signing_key", m.SigningKey)
	unknown("approvals", m.Approvals)
	unknown("ca_file", m.CAFile)
	unknown("cert_file", m.CertFile)
	unknown("key_file", m.KeyFile)
	if diags.HasError() {
		return settings{}, diags
	}

	str := func(v types.String, env, def string) (value, source string) {
		if !v.IsNull() {
			return v.ValueString(), "the provider block"
		}
		if e := getenv(env); e != "" {
			return e, env
		}
		return def, "the default"
	}
	var s settings

	endpoint, source := str(m.Endpoint, EnvEndpoint, client.DefaultEndpoint)
	if ep, err := client.ParseEndpoint(endpoint); err != nil {
		diags.AddAttributeError(path.Root("endpoint"), "Invalid Executor Endpoint",
			fmt.Sprintf("The endpoint from %s is invalid: %v.\n\nUse unix:///run/missioncontrol/executor.sock (the default) or https://host:port.", source, err))
	} else {
		s.endpoint = ep.String()
	}

	timeout, source := str(m.RequestTimeout, EnvRequestTimeout, client.DefaultTimeout.String())
	if d, err := parseDuration(timeout); err != nil {
		diags.AddAttributeError(path.Root("request_timeout"), "Invalid Duration",
			fmt.Sprintf("The request_timeout from %s is invalid: %v.", source, err))
	} else {
		s.timeout = d
	}

	switch {
	case !m.SigningKey.IsNull():
		s.signingKey = []byte(m.SigningKey.ValueString())
	case getenv(EnvSigningKey) != "":
		s.signingKey = []byte(getenv(EnvSigningKey))
	case getenv(EnvSigningKeyFile) != "":
		key, err := readFile(getenv(EnvSigningKeyFile))
		if err != nil {
			diags.AddAttributeError(path.Root("signing_key"), "Unreadable Signing Key",
				fmt.Sprintf("Unable to read the signing key named by %s: %v.", EnvSigningKeyFile, err))
		}
		s.signingKey = key
	}

	if !m.Approvals.IsNull() {
		diags.Append(m.Approvals.ElementsAs(ctx, &s.approvals, false)...)
	} else {
		for _, a := range strings.Split(getenv(EnvApprovals), ",") {
			if a = strings.TrimSpace(a); a != "" {
				s.approvals = append(s.approvals, a)
			}
		}
	}
	for i, a := range s.approvals {
		if !strings.HasPrefix(a, api.ApprovalTokenPrefix) {
			diags.AddAttributeError(path.Root("approvals"), "Invalid Approval Token",
				fmt.Sprintf("Approval token %d does not start with %q, so it is not a token printed by "+
					"missioncontrol-executor approve --digest D --key K. Pass the tokens as printed (in approvals, or "+
					"comma-separated in %s).", i+1, api.ApprovalTokenPrefix, EnvApprovals))
		}
	}

	s.caFile, _ = str(m.CAFile, EnvCAFile, "")
	s.certFile, _ = str(m.CertFile, EnvCertFile, "")
	s.keyFile, _ = str(m.KeyFile, EnvKeyFile, "")
	return s, diags
}
