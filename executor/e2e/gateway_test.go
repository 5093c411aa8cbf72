package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/openclaw"
	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/fakellm"
	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/testhost"
)

// realGatewayConfig is the example executor configuration running the real
// OpenClaw gateway and waiting for its readiness.
func realGatewayConfig(t *testing.T, rt openclaw.Runtime) []byte {
	t.Helper()
	src, err := os.ReadFile("../../examples/executor/executor.hcl")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := testhost.RealGatewayConfig(src, rt.GatewayCommand("${PORT}"))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func openclawRuntime(t *testing.T) openclaw.Runtime {
	t.Helper()
	rt := openclaw.Runtime{Prefix: openclaw.DefaultPrefix}
	if _, err := rt.ReadManifest(); err != nil {
		msg := fmt.Sprintf("SKIPPED (loud): no OpenClaw runtime in %s (%v); run `make openclaw-runtime` (CI installs it)", rt.Prefix, err)
		if os.Getenv("MISSIONCONTROL_OPENCLAW_REQUIRE") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return rt
}

func gatewayTenant(name, llmURL string) api.PlanRequest {
	spec := api.TenantSpec{Name: name, Environment: api.EnvDevelopment, ModelProviders: []api.ModelProvider{{
		Name: "fake", BaseURL: llmURL, API: "openai-completions",
		Models: []api.Model{{ID: "fake-model-1", Cost: api.Price{Input: 3, Output: 15, CacheRead: 0.3, CacheWrite: 3.75}}},
	}}}
	return api.PlanRequest{Tenant: name, Changes: []api.Change{
		{Kind: api.ObjectTenant, Action: api.ActionApply, Tenant: &spec, APIKeys: map[string]string{"fake": "sk-e2e-" + name}},
		{Kind: api.ObjectWorkspace, Action: api.ActionApply, Workspace: &api.WorkspaceSpec{Name: "main", Model: "fake/fake-model-1",
			Files: map[string]string{"AGENTS.md": "# " + name + " agent\n"}}},
		{Kind: api.ObjectService, Action: api.ActionApply, Service: &api.ServiceSpec{Kind: api.ServiceGateway, Enabled: true}},
	}}
}

// TestRealGateways applies two tenants whose services are real OpenClaw
// gateways (a fake LLM stands in for the paid model API) and checks what a
// tenant and a security reviewer expect of them.
func TestRealGateways(t *testing.T) {
	if testing.Short() {
		t.Skip("SKIPPED (loud): real OpenClaw gateways are not started with -short")
	}
	rt := openclawRuntime(t)
	testhost.Require(t)
	llm := fakellm.Start(t)
	st := llm.Settings()
	st.APIKey = "sk-e2e-gw-one" // only gw-one's key is accepted by the model API
	llm.Set(st)

	seed, err := testhost.SudoSeed(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// The machine's network, so the fake LLM and the gateways meet on
	// loopback. Other tests share it, so these tenants have names of their
	// own: their ports derive from the names.
	h := testhost.Boot(t, testhost.Options{Seeds: []string{seed}, Net: "host"})
	ex := testhost.BootExecutor(t, h, testhost.ExecutorOptions{Config: realGatewayConfig(t, rt)})
	c := newClient(t, ex.Socket)

	ports := map[string]int{}
	for _, name := range []string{"gw-one", "gw-two"} {
		start := time.Now()
		p, job := c.apply(gatewayTenant(name, llm.BaseURL()))
		ports[name] = p.Allocation.GatewayPort
		last := job.Steps[len(job.Steps)-1].Summary
		if !strings.HasSuffix(last, "and wait until it is ready") {
			t.Errorf("last step %q does not wait for readiness", last)
		}
		t.Logf("tenant %s: real gateway ready on port %d, %v after submit", name, p.Allocation.GatewayPort, time.Since(start).Round(100*time.Millisecond))
	}

	token := func(name string) string {
		b := h.Run(t, "cat", "/etc/missioncontrol/tenants/"+name+"/token.env")
		tok, err := openclaw.ParseTokenEnv([]byte(b))
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	client := &http.Client{Timeout: 2 * time.Minute}
	if code, body := chatTurn(t, client, ports["gw-one"], token("gw-one")); code != http.StatusOK {
		t.Fatalf("gw-one's turn with its own token: %d %s\n%s", code, body, h.Journal("-u", "missioncontrol-gateway@gw-one.service", "-n", "40"))
	}
	if code, _ := chatTurn(t, client, ports["gw-one"], token("gw-two")); code != http.StatusUnauthorized {
		t.Errorf("gw-one's gateway with gw-two's token: %d, want 401", code)
	}
	if got := len(llm.Requests()); got < 1 {
		t.Errorf("the model API saw %d requests", got)
	}

	// Tenants cannot read each other's files or their own secrets.
	for _, argv := range [][]string{
		{"runuser", "-u", "mc-gw-one", "--", "cat", "/srv/missioncontrol/tenants/gw-two/.openclaw/openclaw.json"},
		{"runuser", "-u", "mc-gw-one", "--", "ls", "/srv/missioncontrol/tenants/gw-two"},
		{"runuser", "-u", "mc-gw-one", "--", "cat", "/etc/missioncontrol/tenants/gw-one/credentials.env"},
		{"runuser", "-u", "mc-gw-one", "--", "cat", "/etc/missioncontrol/tenants/gw-one/token.env"},
	} {
		if out, err := h.Try(argv...); err == nil {
			t.Errorf("%q succeeded:\n%s", argv, out)
		}
	}

	// The unit's exposure, measured on the running gateway.
	out := h.Run(t, "systemd-analyze", "security", "--no-pager", "missioncontrol-gateway@gw-one.service")
	m := regexp.MustCompile(`Overall exposure level for \S+: ([0-9.]+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no exposure level in:\n%s", out)
	}
	exposure, _ := strconv.ParseFloat(m[1], 64)
	t.Logf("systemd-analyze security missioncontrol-gateway@gw-one.service: exposure %.1f", exposure)
	if exposure > 2.0 {
		t.Errorf("exposure %.1f > 2.0", exposure)
	}

	// OpenClaw wrote the turn's usage into its own store; the executor's
	// scanner reads it inside the host.
	var rows []map[string]any
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(time.Second) {
		rows = rows[:0]
		scan, _ := h.Try("/share/bin/missioncontrol-executor", "usage", "scan", "/srv/missioncontrol/tenants/gw-one/.openclaw")
		for _, line := range strings.Split(strings.TrimSpace(scan), "\n") {
			var r map[string]any
			if json.Unmarshal([]byte(line), &r) == nil {
				rows = append(rows, r)
			}
		}
		if len(rows) > 0 {
			break
		}
	}
	if len(rows) != 1 || rows[0]["agent"] != "main" || rows[0]["model"] != "fake-model-1" || rows[0]["messages"] != float64(1) || rows[0]["output"] != float64(56) {
		t.Errorf("usage rollups of gw-one: %v", rows)
	}

	// A running gateway leaves nothing to repair: planning again is empty.
	for _, name := range []string{"gw-one", "gw-two"} {
		req := gatewayTenant(name, llm.BaseURL())
		if p := c.mustPlan(req); len(p.Steps) != 0 {
			t.Errorf("re-plan of %s: %q", name, p.Summaries())
		}
	}
}

func chatTurn(t *testing.T, client *http.Client, port int, token string) (int, string) {
	t.Helper()
	body := `{"model":"openclaw/main","user":"alice","messages":[{"role":"user","content":"Say hello."}]}`
	req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:"+strconv.Itoa(port)+"/v1/chat/completions", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("chat turn: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// A gateway that does not come up fails its job with the unit's status and
// last log lines, not a bare timeout.
func TestGatewayThatFailsToStart(t *testing.T) {
	t.Parallel()
	testhost.Require(t)
	seed, err := testhost.SudoSeed(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("../../examples/executor/executor.hcl")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := testhost.RealGatewayConfig(src, []string{"/usr/bin/sh", "-c", "echo no model configured >&2; exit 3"})
	if err != nil {
		t.Fatal(err)
	}
	cfg = []byte(strings.Replace(string(cfg), "ready_timeout = 120", "ready_timeout = 8", 1))
	h := testhost.Boot(t, testhost.Options{Seeds: []string{seed}})
	ex := testhost.BootExecutor(t, h, testhost.ExecutorOptions{Config: cfg})
	c := newClient(t, ex.Socket)
	req := bootstrapChanges("broken")
	p := c.mustPlan(req)
	j, err := c.submit(req, p.Digest)
	if err != nil {
		t.Fatal(err)
	}
	j = c.wait(j.ID)
	if j.State != api.JobFailed || !strings.Contains(j.Error, "did not become ready") || !strings.Contains(j.Error, "no model configured") {
		t.Fatalf("job %s: %q", j.State, j.Error)
	}
}
