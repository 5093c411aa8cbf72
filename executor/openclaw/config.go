package openclaw

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
)

// Agent is one OpenClaw agent of a tenant (agents.entries.<ID>).
type Agent struct {
	// ID is the agent id: lower case letters, digits, '-' and '_'. HTTP
	// callers pick it with model "openclaw/<ID>"; its store is
	// <state>/agents/<ID>/agent/openclaw-agent.sqlite.
	ID string
	// Workspace is the absolute workspace dir; empty means
	// WorkspaceDir(StateDir, ID).
	Workspace string
	// Model is "<provider>/<model id>" of a declared provider; empty means
	// the tenant's default model.
	Model string
}

// Price is a model's price in USD per 1M tokens.
type Price struct {
	Input, Output, CacheRead, CacheWrite float64
}

// Model is one model a provider serves.
type Model struct {
	ID            string
	Cost          Price
	ContextWindow int // tokens; 0 leaves OpenClaw's default
	MaxTokens     int // output tokens; 0 leaves OpenClaw's default
}

// ModelProvider is one model endpoint (models.providers.<Name>). Its API key
// is not part of the config: OpenClaw reads it from the environment variable
// ProviderKeyEnv(Name), which RenderCredentialsEnv writes.
type ModelProvider struct {
	Name    string
	BaseURL string // e.g. http://127.0.0.1:18999/v1; without /v1 for anthropic-messages
	API     string // one of APIs
	Models  []Model
}

// TenantConfig is everything a tenant's openclaw.json says.
type TenantConfig struct {
	// Port is the gateway's base port; OpenClaw may also use Port+2 and
	// Port+4, so ports are allocated with a stride of 20.
	Port int
	// StateDir is OPENCLAW_STATE_DIR, e.g. /srv/missioncontrol/tenants/acme/.openclaw.
	StateDir string
	// LogFile is OpenClaw's JSON-lines log; empty means <StateDir>/logs/gateway.log.
	LogFile string
	// Agents in order; the first is the default and system agent.
	Agents []Agent
	// Providers in order; the first model of the first provider is the
	// default model when the first agent names none.
	Providers []ModelProvider
	// Cron enables OpenClaw's scheduler (skill reviews, memory dreaming,
	// stored schedules). Off by default: those jobs make unprompted model calls.
	Cron bool
	// HeartbeatEvery is the heartbeat interval, e.g. "30m"; empty or "0m" is off.
	HeartbeatEvery string
	// OpenResponses also enables POST /v1/responses (chat completions is
	// always on).
	OpenResponses bool
}

// APIs are the provider API kinds RenderConfig accepts.
var APIs = []string{"openai-completions", "openai-responses", "anthropic-messages"}

// FieldError says which field of the input is wrong and why.
type FieldError struct {
	Field  string // e.g. "agents[1].id"
	Value  string
	Reason string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("%s: %s (got %q)", e.Field, e.Reason, e.Value)
}

func fieldErr(field, value, format string, args ...any) error {
	return &FieldError{Field: field, Value: value, Reason: fmt.Sprintf(format, args...)}
}

var (
	agentIDRE   = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)
	providerRE  = regexp.MustCompile(`^[a-z][a-z0-9-]{0,62}$`)
	heartbeatRE = regexp.MustCompile(`^([0-9]{1,6}[smhd]){1,4}$`)
)

// WorkspaceDir is the default workspace of an agent: <state>/workspace-<id>.
func WorkspaceDir(stateDir, agentID string) string {
	return filepath.Join(stateDir, "workspace-"+agentID)
}

// AgentStore is the SQLite store OpenClaw keeps per agent, holding its
// transcripts and usage records.
func AgentStore(stateDir, agentID string) string {
	return filepath.Join(stateDir, "agents", agentID, "agent", "openclaw-agent.sqlite")
}

// DefaultLogFile is the log file used when TenantConfig.LogFile is empty.
func DefaultLogFile(stateDir string) string {
	return filepath.Join(stateDir, "logs", "gateway.log")
}

// The JSON shape of openclaw.json. Struct field order is output order; maps
// are sorted by encoding/json. Only keys of the 2026.9.6 schema appear
// (TestRenderConfigKeysInSchema checks them against `openclaw config schema`).
type (
	fileConfig struct {
		Gateway   gatewayConf   `json:"gateway"`
		Update    updateConf    `json:"update"`
		Discovery discoveryConf `json:"discovery"`
		Cron      enabledConf   `json:"cron"`
		Logging   loggingConf   `json:"logging"`
		Models    modelsConf    `json:"models"`
		Agents    agentsConf    `json:"agents"`
	}
	enabledConf struct {
		Enabled bool `json:"enabled"`
	}
	gatewayConf struct {
		Mode      string      `json:"mode"`
		Port      int         `json:"port"`
		Bind      string      `json:"bind"`
		Auth      authConf    `json:"auth"`
		ControlUI enabledConf `json:"controlUi"`
		Terminal  enabledConf `json:"terminal"`
		HTTP      httpConf    `json:"http"`
		Nodes     nodesConf   `json:"nodes"`
	}
	authConf struct {
		// Mode only: with no token here OpenClaw falls back to
		// OPENCLAW_GATEWAY_TOKEN from the environment (token.env).
		Mode string `json:"mode"`
	}
	httpConf struct {
		Endpoints endpointsConf `json:"endpoints"`
	}
	endpointsConf struct {
		ChatCompletions enabledConf  `json:"chatCompletions"`
		Responses       *enabledConf `json:"responses,omitempty"`
	}
	nodesConf struct {
		Pairing pairingConf `json:"pairing"`
	}
	pairingConf struct {
		// SSHVerify false: the gateway never opens SSH connections back to
		// a pairing host.
		SSHVerify bool `json:"sshVerify"`
	}
	updateConf struct {
		CheckOnStart bool        `json:"checkOnStart"`
		Auto         enabledConf `json:"auto"`
	}
	discoveryConf struct {
		MDNS mdnsConf `json:"mdns"`
	}
	mdnsConf struct {
		Mode string `json:"mode"`
	}
	loggingConf struct {
		File string `json:"file"`
	}
	modelsConf struct {
		Mode           string                  `json:"mode"`
		CatalogRefresh enabledConf             `json:"catalogRefresh"`
		Providers      map[string]providerConf `json:"providers,omitempty"`
	}
	providerConf struct {
		BaseURL string      `json:"baseUrl"`
		APIKey  secretRef   `json:"apiKey"`
		API     string      `json:"api"`
		Models  []modelConf `json:"models"`
	}
	secretRef struct {
		Source   string `json:"source"`
		Provider string `json:"provider"`
		ID       string `json:"id"`
	}
	modelConf struct {
		ID            string   `json:"id"`
		Name          string   `json:"name"`
		Reasoning     bool     `json:"reasoning"`
		Input         []string `json:"input"`
		Cost          costConf `json:"cost"`
		ContextWindow int      `json:"contextWindow,omitempty"`
		MaxTokens     int      `json:"maxTokens,omitempty"`
	}
	costConf struct {
		Input      float64 `json:"input"`
		Output     float64 `json:"output"`
		CacheRead  float64 `json:"cacheRead"`
		CacheWrite float64 `json:"cacheWrite"`
	}
	agentsConf struct {
		// Ownership "explicit" with more than one agent: nothing ambient
		// picks an agent implicitly; HTTP callers name it.
		Ownership string                `json:"ownership,omitempty"`
		Defaults  agentDefaults         `json:"defaults"`
		Entries   map[string]agentEntry `json:"entries,omitempty"`
	}
	agentDefaults struct {
		Workspace   string          `json:"workspace,omitempty"`
		Model       *modelRef       `json:"model,omitempty"`
		Heartbeat   heartbeatConf   `json:"heartbeat"`
		SystemAgent *systemAgentRef `json:"systemAgent,omitempty"`
	}
	agentEntry struct {
		Workspace string    `json:"workspace"`
		Model     *modelRef `json:"model,omitempty"`
	}
	modelRef struct {
		Primary string `json:"primary"`
	}
	heartbeatConf struct {
		Every string `json:"every"`
	}
	systemAgentRef struct {
		AgentID string `json:"agentId"`
	}
)

// RenderConfig renders <state>/openclaw.json for c: indented JSON (valid
// JSON5), keys in a fixed order, ending in a newline. Outcomes: the bytes,
// identical for identical input; or a *FieldError naming the first invalid
// field. The config has no secrets: token auth reads OPENCLAW_GATEWAY_TOKEN
// and each provider's apiKey is an env SecretRef to ProviderKeyEnv(name).
func RenderConfig(c TenantConfig) ([]byte, error) {
	f, err := build(c)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(f); err != nil {
		return nil, fmt.Errorf("encode openclaw config: %w", err)
	}
	return buf.Bytes(), nil
}

func build(c TenantConfig) (fileConfig, error) {
	var f fileConfig
	if c.Port < 1024 || c.Port > 65535-4 {
		return f, fieldErr("port", fmt.Sprint(c.Port), "must be in 1024..65531 (the gateway also uses port+2 and port+4)")
	}
	if err := checkPath("state_dir", c.StateDir); err != nil {
		return f, err
	}
	logFile := c.LogFile
	if logFile == "" {
		logFile = DefaultLogFile(c.StateDir)
	} else if err := checkPath("log_file", logFile); err != nil {
		return f, err
	}
	every := c.HeartbeatEvery
	if every == "" {
		every = "0m"
	}
	if !heartbeatRE.MatchString(every) {
		return f, fieldErr("heartbeat_every", every, `must be a duration such as "30m", "1h" or "0m" (off)`)
	}

	f.Gateway = gatewayConf{
		Mode: "local", Port: c.Port, Bind: "loopback",
		Auth:      authConf{Mode: "token"},
		ControlUI: enabledConf{Enabled: false}, // unknown paths answer 404, not 200 HTML; ~54 MB less state
		Terminal:  enabledConf{Enabled: false}, // no operator host shell over the gateway
		HTTP:      httpConf{Endpoints: endpointsConf{ChatCompletions: enabledConf{Enabled: true}}},
	}
	if c.OpenResponses {
		f.Gateway.HTTP.Endpoints.Responses = &enabledConf{Enabled: true}
	}
	f.Update = updateConf{CheckOnStart: false, Auto: enabledConf{Enabled: false}}
	f.Discovery = discoveryConf{MDNS: mdnsConf{Mode: "off"}}
	f.Cron = enabledConf{Enabled: c.Cron}
	f.Logging = loggingConf{File: logFile}
	f.Models = modelsConf{Mode: "replace", CatalogRefresh: enabledConf{Enabled: false}}

	models := map[string]bool{} // "provider/model" refs that exist
	var firstModel string
	for i, p := range c.Providers {
		field := fmt.Sprintf("providers[%d]", i)
		pc, err := buildProvider(field, p)
		if err != nil {
			return f, err
		}
		if f.Models.Providers == nil {
			f.Models.Providers = map[string]providerConf{}
		}
		if _, dup := f.Models.Providers[p.Name]; dup {
			return f, fieldErr(field+".name", p.Name, "duplicate provider name")
		}
		f.Models.Providers[p.Name] = pc
		for _, m := range p.Models {
			ref := p.Name + "/" + m.ID
			models[ref] = true
			if firstModel == "" {
				firstModel = ref
			}
		}
	}

	f.Agents.Defaults.Heartbeat = heartbeatConf{Every: every}
	for i, a := range c.Agents {
		field := fmt.Sprintf("agents[%d]", i)
		if !agentIDRE.MatchString(a.ID) {
			return f, fieldErr(field+".id", a.ID, "must match %s", agentIDRE)
		}
		ws := a.Workspace
		if ws == "" {
			ws = WorkspaceDir(c.StateDir, a.ID)
		} else if err := checkPath(field+".workspace", ws); err != nil {
			return f, err
		}
		e := agentEntry{Workspace: ws}
		if a.Model != "" {
			if !models[a.Model] {
				return f, fieldErr(field+".model", a.Model, "must be <provider>/<model id> of a declared provider model")
			}
			e.Model = &modelRef{Primary: a.Model}
		}
		if f.Agents.Entries == nil {
			f.Agents.Entries = map[string]agentEntry{}
		}
		if _, dup := f.Agents.Entries[a.ID]; dup {
			return f, fieldErr(field+".id", a.ID, "duplicate agent id")
		}
		f.Agents.Entries[a.ID] = e
	}
	if len(c.Agents) > 0 {
		f.Agents.Defaults.Workspace = f.Agents.Entries[c.Agents[0].ID].Workspace
		if m := c.Agents[0].Model; m != "" {
			firstModel = m
		}
	}
	if firstModel != "" {
		f.Agents.Defaults.Model = &modelRef{Primary: firstModel}
	}
	if len(c.Agents) > 1 {
		f.Agents.Ownership = "explicit"
		f.Agents.Defaults.SystemAgent = &systemAgentRef{AgentID: c.Agents[0].ID}
	}
	return f, nil
}

func buildProvider(field string, p ModelProvider) (providerConf, error) {
	var pc providerConf
	if !providerRE.MatchString(p.Name) {
		return pc, fieldErr(field+".name", p.Name, "must match %s", providerRE)
	}
	u, err := url.Parse(p.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		u.RawQuery != "" || u.Fragment != "" || !cleanString(p.BaseURL) {
		return pc, fieldErr(field+".base_url", p.BaseURL, "must be an http(s) URL without credentials, query or fragment")
	}
	if !knownAPI(p.API) {
		return pc, fieldErr(field+".api", p.API, "must be one of %s", strings.Join(APIs, ", "))
	}
	if len(p.Models) == 0 {
		return pc, fieldErr(field+".models", "", "at least one model is required")
	}
	pc = providerConf{
		BaseURL: p.BaseURL,
		APIKey:  secretRef{Source: "env", Provider: "default", ID: ProviderKeyEnv(p.Name)},
		API:     p.API,
	}
	seen := map[string]bool{}
	for j, m := range p.Models {
		mf := fmt.Sprintf("%s.models[%d]", field, j)
		if m.ID == "" || len(m.ID) > 200 || !cleanString(m.ID) || strings.ContainsAny(m.ID, " \t") {
			return pc, fieldErr(mf+".id", m.ID, "must be a non-empty model id without spaces or control characters")
		}
		if seen[m.ID] {
			return pc, fieldErr(mf+".id", m.ID, "duplicate model id")
		}
		seen[m.ID] = true
		for name, v := range map[string]float64{"input": m.Cost.Input, "output": m.Cost.Output,
			"cache_read": m.Cost.CacheRead, "cache_write": m.Cost.CacheWrite} {
			if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
				return pc, fieldErr(mf+".cost."+name, fmt.Sprint(v), "must be a finite price >= 0 (USD per 1M tokens)")
			}
		}
		if m.ContextWindow < 0 {
			return pc, fieldErr(mf+".context_window", fmt.Sprint(m.ContextWindow), "must be >= 0")
		}
		if m.MaxTokens < 0 {
			return pc, fieldErr(mf+".max_tokens", fmt.Sprint(m.MaxTokens), "must be >= 0")
		}
		pc.Models = append(pc.Models, modelConf{
			ID: m.ID, Name: m.ID, Reasoning: false, Input: []string{"text"},
			Cost:          costConf{Input: m.Cost.Input, Output: m.Cost.Output, CacheRead: m.Cost.CacheRead, CacheWrite: m.Cost.CacheWrite},
			ContextWindow: m.ContextWindow, MaxTokens: m.MaxTokens,
		})
	}
	return pc, nil
}

func knownAPI(api string) bool {
	for _, a := range APIs {
		if a == api {
			return true
		}
	}
	return false
}

// checkPath accepts clean absolute paths that OpenClaw will not rewrite:
// no control characters and no "${", which OpenClaw would substitute from
// the environment.
func checkPath(field, p string) error {
	if p == "" || !filepath.IsAbs(p) || filepath.Clean(p) != p || !cleanString(p) {
		return fieldErr(field, p, "must be a clean absolute path without control characters or ${")
	}
	return nil
}

// cleanString: no control characters and no "${" (OpenClaw substitutes
// ${VAR} in every config string).
func cleanString(s string) bool {
	if strings.Contains(s, "${") {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}
