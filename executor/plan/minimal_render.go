package plan

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/config"
)

// MinimalRenderer renders a small but valid OpenClaw configuration and the
// gateway unit from the executor configuration. It is what the executor uses
// until the OpenClaw-specific renderer (executor/openclaw) is wired in.
type MinimalRenderer struct{ Config config.Config }

func (r MinimalRenderer) GatewayConfig(l Layout, d api.Desired, port int) ([]byte, error) {
	agents := map[string]any{}
	for _, w := range d.Workspaces {
		e := map[string]any{"workspace": l.Workspace(w.Name)}
		if w.Model != "" {
			e["model"] = map[string]any{"primary": w.Model}
		}
		agents[w.Name] = e
	}
	cfg := map[string]any{
		"gateway": map[string]any{
			"mode": "local", "port": port, "bind": "loopback",
			"auth": map[string]any{"mode": "token"},
		},
		"update":    map[string]any{"checkOnStart": false},
		"discovery": map[string]any{"mdns": map[string]any{"mode": "off"}},
		"cron":      map[string]any{"enabled": false},
		"logging":   map[string]any{"file": l.LogDir + "/gateway.log"},
		"agents":    map[string]any{"entries": agents, "defaults": map[string]any{"heartbeat": map[string]any{"every": "0m"}}},
	}
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("render openclaw.json: %w", err)
	}
	return append(b, '\n'), nil
}

func (r MinimalRenderer) GatewayEnv(l Layout, d api.Desired, port int) ([]byte, error) {
	env := map[string]string{}
	for _, s := range d.Services {
		for k, v := range s.Environment {
			env[k] = v
		}
	}
	for k, v := range map[string]string{
		"HOME": l.Home, "OPENCLAW_STATE_DIR": l.StateDir, "OPENCLAW_CONFIG_PATH": l.ConfigFile,
		"OPENCLAW_DISABLE_BONJOUR": "1", "OPENCLAW_NO_AUTO_UPDATE": "1", "OPENCLAW_NO_RESPAWN": "1",
		"OPENCLAW_SKIP_CHANNELS": "1", "PORT": strconv.Itoa(port),
	} {
		env[k] = v
	}
	return envLines(env)
}

func (r MinimalRenderer) TokenEnv(secret string) []byte {
	return []byte("OPENCLAW_GATEWAY_TOKEN=" + secret + "\n")
}

func (r MinimalRenderer) UnitTemplate() ([]byte, error) {
	c := r.Config
	var b strings.Builder
	fmt.Fprintf(&b, `[Unit]
Description=OpenClaw gateway of missioncontrol tenant %%i
After=network.target

[Service]
Type=simple
User=mc-%%i
Group=mc-%%i
EnvironmentFile=%s/%%i/gateway.env
EnvironmentFile=%s/%%i/token.env
WorkingDirectory=%s/%%i
ExecStart=%s
Restart=on-failure
RestartSec=2
UMask=0077
NoNewPrivileges=yes
ProtectSystem=strict
ReadWritePaths=%s/%%i
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes

[Install]
WantedBy=multi-user.target
`, c.Tenants.ConfigRoot, c.Tenants.ConfigRoot, c.Tenants.Root, strings.Join(c.Gateway.Command, " "), c.Tenants.Root)
	return []byte(b.String()), nil
}

func (r MinimalRenderer) LimitsDropIn(l api.Limits) []byte {
	if l == (api.Limits{}) {
		return nil
	}
	var b strings.Builder
	b.WriteString("[Service]\n")
	if l.MemoryMaxMB > 0 {
		fmt.Fprintf(&b, "MemoryMax=%dM\n", l.MemoryMaxMB)
	}
	if l.CPUQuotaPercent > 0 {
		fmt.Fprintf(&b, "CPUQuota=%d%%\n", l.CPUQuotaPercent)
	}
	if l.TasksMax > 0 {
		fmt.Fprintf(&b, "TasksMax=%d\n", l.TasksMax)
	}
	return []byte(b.String())
}
