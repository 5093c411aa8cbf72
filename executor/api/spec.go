package api

// Environment is a tenant's stage; the policy decides how many approvals
// each one needs.
type Environment string

const (
	EnvDevelopment Environment = "development"
	EnvStaging     Environment = "staging"
	EnvProduction  Environment = "production"
)

// Environments lists the valid environments in order.
var Environments = []Environment{EnvDevelopment, EnvStaging, EnvProduction}

// TenantSpec is the desired state of a tenant's own parts: unix user and group,
// home and state dirs, rendered gateway config and env file, limits, sudoers.
// Workspaces and services are separate objects (see Change).
type TenantSpec struct {
	Name        string            `json:"name"`
	DisplayName string            `json:"display_name,omitempty"`
	Environment Environment       `json:"environment"`
	Labels      map[string]string `json:"labels,omitempty"`
	// GatewayPort is the gateway's base port; 0 asks the executor to allocate
	// one from its configured range (stride 20).
	GatewayPort int    `json:"gateway_port,omitempty"`
	Limits      Limits `json:"limits"`
	Suspended   bool   `json:"suspended,omitempty"`
	// SudoCommands, when non-empty, installs a sudoers fragment that lets the
	// tenant user run exactly these absolute command lines as root.
	SudoCommands []string `json:"sudo_commands,omitempty"`
	// ModelProviders are the LLM endpoints the tenant's gateway may use; a
	// workspace's model names one of their models as "<provider>/<model id>".
	ModelProviders []ModelProvider `json:"model_providers,omitempty"`
	// Cron enables OpenClaw's scheduler; HeartbeatEvery (e.g. "30m") its
	// heartbeat. Both are off by default: they make unprompted model calls.
	Cron           bool   `json:"cron,omitempty"`
	HeartbeatEvery string `json:"heartbeat_every,omitempty"`
	// Budget, when set, is checked after every usage ingestion pass.
	Budget *Budget `json:"budget,omitempty"`
}

// ModelProvider is an LLM endpoint of a tenant. Its API key is not part of
// the spec (see the provider's write-only attribute); it lives only in the
// tenant's credentials file on the host.
type ModelProvider struct {
	Name    string  `json:"name"`
	BaseURL string  `json:"base_url"`
	API     string  `json:"api"` // openai-completions, openai-responses or anthropic-messages
	Models  []Model `json:"models"`
}

// Model is one model of a provider with its price in USD per 1M tokens.
type Model struct {
	ID            string `json:"id"`
	Cost          Price  `json:"cost"`
	ContextWindow int    `json:"context_window,omitempty"`
	MaxTokens     int    `json:"max_tokens,omitempty"`
}

// Price is USD per 1M tokens by kind.
type Price struct {
	Input      float64 `json:"input"`
	Output     float64 `json:"output"`
	CacheRead  float64 `json:"cache_read"`
	CacheWrite float64 `json:"cache_write"`
}

// Limits are systemd resource limits for the tenant's services; zero means
// the executor's default.
type Limits struct {
	MemoryMaxMB     int `json:"memory_max_mb,omitempty"`
	CPUQuotaPercent int `json:"cpu_quota_percent,omitempty"`
	TasksMax        int `json:"tasks_max,omitempty"`
}

// WorkspaceSpec is one agent workspace inside a tenant's state dir.
type WorkspaceSpec struct {
	Name  string `json:"name"`
	Model string `json:"model,omitempty"`
	// Files are seeded into the workspace (relative file name -> content).
	Files map[string]string `json:"files,omitempty"`
}

// ServiceKind names a kind of tenant service.
type ServiceKind string

// ServiceGateway is the tenant's OpenClaw gateway.
const ServiceGateway ServiceKind = "gateway"

// ServiceSpec is one systemd service instance of a tenant.
type ServiceSpec struct {
	Kind    ServiceKind `json:"kind"`
	Enabled bool        `json:"enabled"`
	// Environment is extra KEY=VALUE pairs written to the service's env file.
	Environment map[string]string `json:"environment,omitempty"`
}

// ObjectKind names what a Change applies to.
type ObjectKind string

const (
	ObjectTenant    ObjectKind = "tenant"
	ObjectWorkspace ObjectKind = "workspace"
	ObjectService   ObjectKind = "service"
)

// Action is what a Change does to its object.
type Action string

const (
	ActionApply   Action = "apply"   // create or update to the given spec
	ActionDestroy Action = "destroy" // remove (tenant: decommission with archive)
	// ActionRestore (tenant only) recreates a decommissioned tenant from the
	// archive Change.Archive names: same uid, files extracted with their
	// ownership, the registered spec as it was archived.
	ActionRestore Action = "restore"
	// ActionPurge (tenant only) deletes the archive Change.Archive names and
	// its registry entry; the tenant's uid and port are freed with its last
	// archive.
	ActionPurge Action = "purge"
)

// Change is one desired change to one object of a tenant. Exactly one of
// Tenant, Workspace or Service is set for ActionApply, matching Kind; for
// ActionDestroy of a workspace or service, Name names it; ActionRestore and
// ActionPurge of a tenant name the archive in Archive.
type Change struct {
	Kind      ObjectKind     `json:"kind"`
	Action    Action         `json:"action"`
	Tenant    *TenantSpec    `json:"tenant,omitempty"`
	Workspace *WorkspaceSpec `json:"workspace,omitempty"`
	Service   *ServiceSpec   `json:"service,omitempty"`
	Name      string         `json:"name,omitempty"`
	// Archive is an archive's path or its file name in the archive dir, as
	// `archive list` shows it (ActionRestore and ActionPurge).
	Archive string `json:"archive,omitempty"`
	// APIKeys (tenant changes only) are model provider API keys by provider
	// name. They are written to the tenant's root-only credentials file and
	// are never registered, stored with a job, audited or shown in a plan;
	// nil leaves the credentials file as it is.
	APIKeys map[string]string `json:"api_keys,omitempty"`
}

// PlanRequest asks for a dry run of changes to one tenant. The executor
// merges the changes into the tenant's registered desired state and plans the
// steps that bring the host there.
type PlanRequest struct {
	Tenant  string   `json:"tenant"`
	Changes []Change `json:"changes"`
}
