package openclaw

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const acmeState = "/srv/missioncontrol/tenants/acme/.openclaw"

func fakeProvider(baseURL string) ModelProvider {
	return ModelProvider{Name: "fake", BaseURL: baseURL, API: "openai-completions", Models: []Model{
		{ID: "fake-model-1", Cost: Price{Input: 3, Output: 15, CacheRead: 0.3, CacheWrite: 3.75}, ContextWindow: 128000, MaxTokens: 4096},
		{ID: "fake-model-2", Cost: Price{Input: 1, Output: 5, CacheRead: 0.1, CacheWrite: 1.25}, ContextWindow: 128000, MaxTokens: 4096},
	}}
}

// configCases are rendered to testdata/config-<name>.golden and, when the
// runtime is installed, validated by OpenClaw itself.
var configCases = map[string]TenantConfig{
	"single-agent": {
		Port: 20000, StateDir: acmeState,
		Agents:    []Agent{{ID: "main"}},
		Providers: []ModelProvider{fakeProvider("http://127.0.0.1:18999/v1")},
	},
	"multi-agent": {
		Port: 20020, StateDir: acmeState, LogFile: "/srv/missioncontrol/tenants/acme/.openclaw/logs/custom.log",
		Agents: []Agent{{ID: "main"}, {ID: "ops", Model: "fake/fake-model-2"},
			{ID: "research", Workspace: "/srv/missioncontrol/tenants/acme/.openclaw/workspace-lab", Model: "anthropic/claude-x"}},
		Providers: []ModelProvider{
			fakeProvider("http://127.0.0.1:18999/v1"),
			{Name: "anthropic", BaseURL: "https://api.anthropic.example", API: "anthropic-messages",
				Models: []Model{{ID: "claude-x", Cost: Price{Input: 3, Output: 15}}}},
		},
		OpenResponses: true,
	},
	"zero-agents": {Port: 20040, StateDir: acmeState},
	"cron-heartbeat": {
		Port: 20060, StateDir: acmeState, Cron: true, HeartbeatEvery: "30m",
		Agents:    []Agent{{ID: "main", Model: "fake/fake-model-2"}},
		Providers: []ModelProvider{fakeProvider("http://127.0.0.1:18999/v1")},
	},
}

func TestRenderConfigGolden(t *testing.T) {
	for name, c := range configCases {
		t.Run(name, func(t *testing.T) {
			got, err := RenderConfig(c)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, "config-"+name+".json", got)
		})
	}
}

func TestRenderConfigNoSecrets(t *testing.T) {
	t.Parallel()
	b, err := RenderConfig(configCases["multi-agent"])
	if err != nil {
		t.Fatal(err)
	}
	var f map[string]any
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	auth := f["gateway"].(map[string]any)["auth"].(map[string]any)
	if d := cmp.Diff(map[string]any{"mode": "token"}, auth); d != "" {
		t.Errorf("gateway.auth must carry no token (-want +got):\n%s", d)
	}
	key := f["models"].(map[string]any)["providers"].(map[string]any)["anthropic"].(map[string]any)["apiKey"]
	want := map[string]any{"source": "env", "provider": "default", "id": "MISSIONCONTROL_PROVIDER_ANTHROPIC_API_KEY"}
	if d := cmp.Diff(want, key); d != "" {
		t.Errorf("apiKey must be an env SecretRef (-want +got):\n%s", d)
	}
}

func TestRenderConfigErrors(t *testing.T) {
	t.Parallel()
	ok := configCases["single-agent"]
	for name, tc := range map[string]struct {
		mut   func(c *TenantConfig)
		field string
	}{
		"low port":           {func(c *TenantConfig) { c.Port = 80 }, "port"},
		"port without +4":    {func(c *TenantConfig) { c.Port = 65533 }, "port"},
		"relative state":     {func(c *TenantConfig) { c.StateDir = "srv/x" }, "state_dir"},
		"unclean state":      {func(c *TenantConfig) { c.StateDir = "/srv/x/../y" }, "state_dir"},
		"env substitution":   {func(c *TenantConfig) { c.StateDir = "/srv/${HOME}" }, "state_dir"},
		"newline in log":     {func(c *TenantConfig) { c.LogFile = "/srv/a\nb" }, "log_file"},
		"bad heartbeat":      {func(c *TenantConfig) { c.HeartbeatEvery = "soon" }, "heartbeat_every"},
		"bad agent id":       {func(c *TenantConfig) { c.Agents = []Agent{{ID: "Main"}} }, "agents[0].id"},
		"duplicate agent":    {func(c *TenantConfig) { c.Agents = []Agent{{ID: "a"}, {ID: "a"}} }, "agents[1].id"},
		"undeclared model":   {func(c *TenantConfig) { c.Agents = []Agent{{ID: "a", Model: "openai/gpt"}} }, "agents[0].model"},
		"relative workspace": {func(c *TenantConfig) { c.Agents = []Agent{{ID: "a", Workspace: "ws"}} }, "agents[0].workspace"},
		"bad provider name":  {func(c *TenantConfig) { c.Providers[0].Name = "Fake" }, "providers[0].name"},
		"bad url":            {func(c *TenantConfig) { c.Providers[0].BaseURL = "ftp://x" }, "providers[0].base_url"},
		"url with key":       {func(c *TenantConfig) { c.Providers[0].BaseURL = "https://u:sk@x/v1" }, "providers[0].base_url"},
		"unknown api":        {func(c *TenantConfig) { c.Providers[0].API = "grpc" }, "providers[0].api"},
		"no models":          {func(c *TenantConfig) { c.Providers[0].Models = nil }, "providers[0].models"},
		"negative price":     {func(c *TenantConfig) { c.Providers[0].Models[0].Cost.Output = -1 }, "providers[0].models[0].cost.output"},
		"NaN price":          {func(c *TenantConfig) { c.Providers[0].Models[1].Cost.Input = math.NaN() }, "providers[0].models[1].cost.input"},
		"duplicate model":    {func(c *TenantConfig) { c.Providers[0].Models[1].ID = "fake-model-1" }, "providers[0].models[1].id"},
		"duplicate provider": {func(c *TenantConfig) { c.Providers = append(c.Providers, c.Providers[0]) }, "providers[1].name"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := ok
			c.Agents = append([]Agent(nil), ok.Agents...)
			c.Providers = []ModelProvider{ok.Providers[0]}
			c.Providers[0].Models = append([]Model(nil), ok.Providers[0].Models...)
			tc.mut(&c)
			_, err := RenderConfig(c)
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tc.field {
				t.Fatalf("err = %v, want a *FieldError for %s", err, tc.field)
			}
		})
	}
}

// allowedPaths are the only key paths RenderConfig may emit ("*" is a map
// key chosen by the input, "[]" an array element). Every one is in the
// OpenClaw 2026.9.6 schema (TestRenderConfigKeysInSchema).
var allowedPaths = map[string]bool{
	"gateway.mode": true, "gateway.port": true, "gateway.bind": true, "gateway.auth.mode": true,
	"gateway.controlUi.enabled": true, "gateway.terminal.enabled": true,
	"gateway.http.endpoints.chatCompletions.enabled": true, "gateway.http.endpoints.responses.enabled": true,
	"gateway.nodes.pairing.sshVerify": true,
	"update.checkOnStart":             true, "update.auto.enabled": true,
	"discovery.mdns.mode": true, "cron.enabled": true, "logging.file": true,
	"models.mode": true, "models.catalogRefresh.enabled": true,
	"models.providers.*.baseUrl": true, "models.providers.*.api": true,
	"models.providers.*.apiKey.source": true, "models.providers.*.apiKey.provider": true, "models.providers.*.apiKey.id": true,
	"models.providers.*.models.[].id": true, "models.providers.*.models.[].name": true,
	"models.providers.*.models.[].reasoning": true, "models.providers.*.models.[].input": true,
	"models.providers.*.models.[].contextWindow": true, "models.providers.*.models.[].maxTokens": true,
	"models.providers.*.models.[].cost.input": true, "models.providers.*.models.[].cost.output": true,
	"models.providers.*.models.[].cost.cacheRead": true, "models.providers.*.models.[].cost.cacheWrite": true,
	"agents.ownership": true, "agents.defaults.workspace": true, "agents.defaults.model.primary": true,
	"agents.defaults.heartbeat.every": true, "agents.defaults.systemAgent.agentId": true,
	"agents.entries.*.workspace": true, "agents.entries.*.model.primary": true,
}

// keyPaths lists the leaf key paths of a decoded JSON document.
func keyPaths(prefix string, v any, out map[string]bool) {
	switch v := v.(type) {
	case map[string]any:
		for k, c := range v {
			seg := k
			if prefix == "models.providers" || prefix == "agents.entries" {
				seg = "*"
			}
			p := seg
			if prefix != "" {
				p = prefix + "." + seg
			}
			keyPaths(p, c, out)
		}
	case []any:
		for _, c := range v {
			if _, isObj := c.(map[string]any); isObj {
				keyPaths(prefix+".[]", c, out)
			} else {
				out[prefix] = true
			}
		}
	default:
		out[prefix] = true
	}
}

func newRand() *rand.Rand { return rand.New(rand.NewPCG(1, 2)) }

// randomConfig builds a valid TenantConfig from r.
func randomConfig(r *rand.Rand) TenantConfig {
	c := TenantConfig{Port: 1024 + r.IntN(60000), StateDir: fmt.Sprintf("/srv/t%d/.openclaw", r.IntN(100)),
		Cron: r.IntN(2) == 0, OpenResponses: r.IntN(2) == 0}
	if r.IntN(2) == 0 {
		c.HeartbeatEvery = []string{"0m", "30m", "1h", "1h30m"}[r.IntN(4)]
	}
	if r.IntN(3) == 0 {
		c.LogFile = "/var/log/x.log"
	}
	var refs []string
	for i := range r.IntN(4) {
		p := ModelProvider{Name: fmt.Sprintf("p%d", i), BaseURL: fmt.Sprintf("http://127.0.0.1:%d/v1", 1000+i),
			API: APIs[r.IntN(len(APIs))]}
		for j := range 1 + r.IntN(3) {
			m := Model{ID: fmt.Sprintf("m%d", j), Cost: Price{Input: r.Float64() * 10, Output: r.Float64() * 10}}
			if r.IntN(2) == 0 {
				m.ContextWindow, m.MaxTokens = 1+r.IntN(1e6), 1+r.IntN(1e5)
			}
			p.Models = append(p.Models, m)
			refs = append(refs, p.Name+"/"+m.ID)
		}
		c.Providers = append(c.Providers, p)
	}
	for i := range r.IntN(5) {
		a := Agent{ID: fmt.Sprintf("agent-%d", i)}
		if len(refs) > 0 && r.IntN(2) == 0 {
			a.Model = refs[r.IntN(len(refs))]
		}
		if r.IntN(3) == 0 {
			a.Workspace = fmt.Sprintf("/srv/ws/%d", i)
		}
		c.Agents = append(c.Agents, a)
	}
	return c
}

// Property: rendering is deterministic, and only allowed keys ever appear.
func TestRenderConfigProperties(t *testing.T) {
	t.Parallel()
	r := newRand()
	seen := map[string]bool{}
	for i := range 500 {
		c := randomConfig(r)
		a, err := RenderConfig(c)
		if err != nil {
			t.Fatalf("case %d: %v\n%+v", i, err, c)
		}
		b, err := RenderConfig(c)
		if err != nil || string(a) != string(b) {
			t.Fatalf("case %d: two renders differ", i)
		}
		var doc any
		if err := json.Unmarshal(a, &doc); err != nil {
			t.Fatalf("case %d: not JSON: %v", i, err)
		}
		paths := map[string]bool{}
		keyPaths("", doc, paths)
		for p := range paths {
			if !allowedPaths[p] {
				t.Fatalf("case %d: unexpected key path %s", i, p)
			}
			seen[p] = true
		}
		if strings.Contains(string(a), "token\":") {
			t.Fatalf("case %d: a token key was rendered", i)
		}
	}
	var never []string
	for p := range allowedPaths {
		if !seen[p] {
			never = append(never, p)
		}
	}
	sort.Strings(never)
	if len(never) > 0 {
		t.Errorf("generator never produced %v; widen randomConfig", never)
	}
}
