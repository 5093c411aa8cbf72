package plan

import (
	"path/filepath"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/config"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/openclaw"
)

// Renderer renders the files a tenant's OpenClaw gateway needs, through
// executor/openclaw. Output is deterministic: the same input always gives
// the same bytes, because file content hashes are part of the plan digest.
type Renderer struct{ Config config.Config }

// GatewayConfig renders <state>/openclaw.json: one agent per workspace.
func (r Renderer) GatewayConfig(l Layout, d api.Desired, port int) ([]byte, error) {
	t := d.Tenant
	c := openclaw.TenantConfig{Port: port, StateDir: l.StateDir, LogFile: openclaw.DefaultLogFile(l.StateDir),
		Cron: t.Cron, HeartbeatEvery: t.HeartbeatEvery}
	for _, mp := range t.ModelProviders {
		p := openclaw.ModelProvider{Name: mp.Name, BaseURL: mp.BaseURL, API: mp.API}
		for _, m := range mp.Models {
			p.Models = append(p.Models, openclaw.Model{ID: m.ID, ContextWindow: m.ContextWindow, MaxTokens: m.MaxTokens,
				Cost: openclaw.Price{Input: m.Cost.Input, Output: m.Cost.Output, CacheRead: m.Cost.CacheRead, CacheWrite: m.Cost.CacheWrite}})
		}
		c.Providers = append(c.Providers, p)
	}
	for _, w := range d.Workspaces {
		c.Agents = append(c.Agents, openclaw.Agent{ID: w.Name, Workspace: l.Workspace(w.Name), Model: w.Model})
	}
	return openclaw.RenderConfig(c)
}

// GatewayEnv renders <config dir>/gateway.env with the gateway service's
// extra environment.
func (r Renderer) GatewayEnv(l Layout, d api.Desired, port int) ([]byte, error) {
	e := openclaw.Env{Home: l.Home, StateDir: l.StateDir, ConfigPath: l.ConfigFile, Port: port}
	// A gateway run by a pinned node gets that node first on PATH, so what
	// OpenClaw spawns runs on the same runtime.
	if cmd := r.Config.Gateway.Command; len(cmd) > 0 && filepath.Base(cmd[0]) == "node" {
		e.NodeBinDir = filepath.Dir(cmd[0])
	}
	for _, s := range d.Services {
		if s.Kind == api.ServiceGateway {
			e.Extra = s.Environment
		}
	}
	return openclaw.RenderEnv(e)
}

// TokenEnv renders <config dir>/token.env around a fresh secret.
func (r Renderer) TokenEnv(secret string) ([]byte, error) { return openclaw.RenderTokenEnv(secret) }

// UnitTemplate renders the shared, hardened gateway template unit.
func (r Renderer) UnitTemplate() []byte {
	return openclaw.UnitTemplate(openclaw.UnitOptions{
		ConfigRoot: r.Config.Tenants.ConfigRoot, TenantsRoot: r.Config.Tenants.Root, Command: r.Config.Gateway.Command,
		RemoteModels: r.Config.Gateway.Egress == "any",
	})
}

// LimitsDropIn renders the per-tenant limits drop-in; nil means none.
func (r Renderer) LimitsDropIn(l api.Limits) []byte { return openclaw.LimitsDropIn(l) }
