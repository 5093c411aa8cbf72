package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/openclaw"
	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/fakellm"
	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/testhost"
)

// usageFixtures are real state dirs written by OpenClaw 2026.9.6 gateways.
const usageFixtures = "../usage/testdata/openclaw"

// usageConfig is the example executor config with ingestion every second
// and metrics on loopback.
func usageConfig(t *testing.T) []byte {
	t.Helper()
	src, err := os.ReadFile("../../examples/executor/executor.hcl")
	if err != nil {
		t.Fatal(err)
	}
	f, diags := hclwrite.ParseConfig(src, "executor.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	block := func(name string) *hclwrite.Body {
		if b := f.Body().FirstMatchingBlock(name, nil); b != nil {
			return b.Body()
		}
		return f.Body().AppendNewBlock(name, nil).Body()
	}
	block("usage").SetAttributeValue("interval", cty.StringVal("1s"))
	block("metrics").SetAttributeValue("listen", cty.StringVal("127.0.0.1:9464"))
	return f.Bytes()
}

// putAgent copies agents/<agent> of a fixture state dir into the tenant's
// state dir as agents/<as>, owned by the tenant, with one rename so that
// ingestion never sees a half-copied store.
func putAgent(t *testing.T, h *testhost.Host, fixture, agent, tenant, as string) {
	t.Helper()
	stage := filepath.Join(h.Share, "usage-stage", as)
	if err := os.MkdirAll(filepath.Dir(stage), 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("cp", "-a", filepath.Join(usageFixtures, fixture, "agents", agent), stage).CombinedOutput(); err != nil {
		t.Fatalf("stage fixture: %v: %s", err, out)
	}
	state := "/srv/missioncontrol/tenants/" + tenant + "/.openclaw"
	h.Run(t, "sh", "-c", `set -e
mkdir -p "$1/agents"
tmp="$1/.incoming-$2"
cp -a "/share/usage-stage/$2" "$tmp"
chown -R "$3:$3" "$tmp"
mv "$tmp" "$1/agents/$2"`, "sh", state, as, "mc-"+tenant)
}

func (c *apiClient) usage(q api.UsageQuery) api.UsageReport {
	c.t.Helper()
	var rep api.UsageReport
	p := api.PathUsage
	if v := q.Values().Encode(); v != "" {
		p += "?" + v
	}
	if err := c.do("GET", p, nil, &rep); err != nil {
		c.t.Fatalf("usage: %v", err)
	}
	return rep
}

// waitMessages waits until the tenant has exactly n messages counted and
// fails at once if it has more.
func (c *apiClient) waitMessages(tenant string, n int64) api.UsageReport {
	c.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		rep := c.usage(api.UsageQuery{Tenant: tenant})
		switch {
		case rep.Totals.Messages == n:
			return rep
		case rep.Totals.Messages > n:
			c.t.Fatalf("tenant %s: %d messages counted, want %d", tenant, rep.Totals.Messages, n)
		case time.Now().After(deadline):
			c.t.Fatalf("tenant %s: %d messages counted after 30s, want %d", tenant, rep.Totals.Messages, n)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// fixtureTotals is the ground truth of a fixture (expected-totals.json).
func fixtureTotals(t *testing.T, fixture string) api.UsageRow {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(usageFixtures, fixture, "expected-totals.json"))
	if err != nil {
		t.Fatal(err)
	}
	var e struct {
		Total struct {
			Input, Output, CacheRead, CacheWrite, TotalTokens, Messages, Errors int64
			CostTotal                                                           float64
		}
	}
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	nano := int64(math.Round(e.Total.CostTotal * 1e9))
	return api.UsageRow{Input: e.Total.Input, Output: e.Total.Output, CacheRead: e.Total.CacheRead, CacheWrite: e.Total.CacheWrite,
		TotalTokens: e.Total.TotalTokens, NanoUSD: nano, CostUSD: float64(nano) / 1e9, Messages: e.Total.Messages, Errors: e.Total.Errors}
}

func sameTotals(t *testing.T, what string, got, want api.UsageRow) {
	t.Helper()
	got.PriceVersions = nil
	if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
		t.Errorf("%s: totals\n got %+v\nwant %+v", what, got, want)
	}
}

// TestUsageIngestion: OpenClaw's own stores appear in a bootstrapped
// tenant's state dir → the API, the tenant observation and /metrics show
// exactly their totals; a restart counts nothing twice; a new agent's store
// adds exactly its own.
func TestUsageIngestion(t *testing.T) {
	t.Parallel()
	testhost.Require(t)
	seed, err := testhost.SudoSeed(context.Background())
	if err != nil {
		t.Fatalf("sudo seed: %v", err)
	}
	h := testhost.Boot(t, testhost.Options{Seeds: []string{seed}})
	ex := testhost.BootExecutor(t, h, testhost.ExecutorOptions{Config: usageConfig(t)})
	c := newClient(t, ex.Socket).withKey(t, ex, testhost.KeyOperator)

	// The tenant and its workspace, without a gateway: the records are
	// OpenClaw's, copied in; what runs the gateway does not matter here.
	req := bootstrapChanges("acme")
	var changes []api.Change
	for _, ch := range req.Changes {
		if ch.Kind != api.ObjectService {
			changes = append(changes, ch)
		}
	}
	req.Changes = changes
	c.apply(req)
	if rep := c.usage(api.UsageQuery{Tenant: "acme"}); rep.Totals.Messages != 0 || len(rep.Rows) != 0 {
		t.Fatalf("a new tenant has usage: %+v", rep)
	}

	putAgent(t, h, "acme", "main", "acme", "main")
	putAgent(t, h, "acme", "ops", "acme", "ops")
	want := fixtureTotals(t, "acme")
	rep := c.waitMessages("acme", want.Messages)
	sameTotals(t, "after ingestion", rep.Totals, want)

	byAgent := c.usage(api.UsageQuery{Tenant: "acme", GroupBy: []string{api.UsageByDay, api.UsageByAgent, api.UsageByModel}})
	var rows []string
	for _, r := range byAgent.Rows {
		rows = append(rows, fmt.Sprintf("%s %s %s/%s %d %.6f", r.Day, r.Agent, r.Provider, r.Model, r.Messages, r.CostUSD))
	}
	if got, wantRows := strings.Join(rows, "\n"), "2026-12-04 main fake/fake-model-1 4 0.016008\n2026-12-04 ops fake/fake-model-2 2 0.013634"; got != wantRows {
		t.Errorf("rows by day, agent and model:\n%s\nwant\n%s", got, wantRows)
	}

	var tenant api.Tenant
	if err := c.do("GET", api.PathTenants+"/acme", nil, &tenant); err != nil {
		t.Fatal(err)
	}
	if now := time.Now().UTC(); now.Year() == 2026 && now.Month() == time.December && tenant.MonthToDateUSD != want.CostUSD {
		t.Errorf("tenant month_to_date_usd = %v, want %v", tenant.MonthToDateUSD, want.CostUSD)
	}

	metrics := func() string {
		t.Helper()
		out, err := h.Try("python3", "-c", `import urllib.request; print(urllib.request.urlopen("http://127.0.0.1:9464/metrics").read().decode())`)
		if err != nil {
			t.Fatalf("GET /metrics: %v: %s", err, out)
		}
		return out
	}
	m := metrics()
	for _, re := range []string{
		`(?m)^missioncontrol_usage_messages_total\{agent="main",model="fake-model-1",provider="fake",tenant="acme"\} 4$`,
		`(?m)^missioncontrol_usage_tokens_total\{agent="ops",kind="cache_write",model="fake-model-2",provider="fake",tenant="acme"\} 100$`,
		`(?m)^missioncontrol_usage_cost_usd_total\{agent="ops",model="fake-model-2",provider="fake",tenant="acme"\} 0.013634$`,
		`(?m)^missioncontrol_usage_ingest_lag_seconds\{tenant="acme"\} \d`,
		`(?m)^missioncontrol_usage_ingest_errors_total\{tenant="acme"\} 0$`,
	} {
		if !regexp.MustCompile(re).MatchString(m) {
			t.Errorf("/metrics has no line matching %s", re)
		}
	}

	// A restart re-reads nothing twice: the cursor and the records were
	// committed together.
	h.Run(t, "systemctl", "restart", testhost.ExecutorUnit)
	waitSocket(t, ex.Socket)
	time.Sleep(3 * time.Second) // several ticks
	rep = c.waitMessages("acme", want.Messages)
	sameTotals(t, "after a restart", rep.Totals, want)
	if m := metrics(); !regexp.MustCompile(`(?m)^missioncontrol_usage_messages_total\{agent="main",model="fake-model-1",provider="fake",tenant="acme"\} 4$`).MatchString(m) {
		t.Errorf("after a restart the counters do not continue from the store:\n%s", grepLines(m, "missioncontrol_usage_messages_total"))
	}

	// Another agent's store appears: exactly its messages are added.
	putAgent(t, h, "globex", "main", "acme", "support")
	extra := fixtureTotals(t, "globex")
	rep = c.waitMessages("acme", want.Messages+extra.Messages)
	support := c.usage(api.UsageQuery{Tenant: "acme", Agent: "support"})
	sameTotals(t, "the new agent", support.Totals, extra)

	// A bad query is refused with the parameter named.
	err = c.do("GET", api.PathUsage+"?"+url.Values{"group_by": {"week"}}.Encode(), nil, nil)
	if e, ok := err.(*api.Error); !ok || e.Code != api.CodeInvalidRequest || e.Field != "group_by" {
		t.Errorf("group_by=week: %v, want invalid_request on group_by", err)
	}
}

func grepLines(s, substr string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestUsageFromRealGateway drives real turns through a real OpenClaw
// gateway (a fake LLM stands in for the model API) and checks that the
// executor counts exactly what the gateway recorded: the turns' tokens and
// OpenClaw's own usage.cost, priced from the tenant's model prices.
func TestUsageFromRealGateway(t *testing.T) {
	if testing.Short() {
		t.Skip("SKIPPED (loud): real OpenClaw gateways are not started with -short")
	}
	rt := openclawRuntime(t)
	testhost.Require(t)
	llm := fakellm.Start(t)
	st := llm.Settings()
	st.APIKey = "sk-e2e-acme"
	llm.Set(st)
	seed, err := testhost.SudoSeed(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	h := testhost.Boot(t, testhost.Options{Seeds: []string{seed}, Net: "host"})
	cfg, diags := hclwrite.ParseConfig(realGatewayConfig(t, rt), "executor.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	usage := cfg.Body().FirstMatchingBlock("usage", nil)
	if usage == nil {
		usage = cfg.Body().AppendNewBlock("usage", nil)
	}
	usage.Body().SetAttributeValue("interval", cty.StringVal("1s"))
	ex := testhost.BootExecutor(t, h, testhost.ExecutorOptions{Config: cfg.Bytes()})
	c := newClient(t, ex.Socket).withKey(t, ex, testhost.KeyOperator)

	p, _ := c.apply(gatewayTenant("acme", llm.BaseURL()))
	tok, err := openclaw.ParseTokenEnv([]byte(h.Run(t, "cat", "/etc/missioncontrol/tenants/acme/token.env")))
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: 2 * time.Minute}
	const turns = 2
	for i := range turns {
		if code, body := chatTurn(t, client, p.Allocation.GatewayPort, tok); code != http.StatusOK {
			t.Fatalf("turn %d: %d %s", i, code, body)
		}
	}
	rep := c.waitMessages("acme", turns)

	// The gateway's own records, read by `usage scan` inside the host.
	scan := h.Run(t, "/share/bin/missioncontrol-executor", "usage", "scan", "/srv/missioncontrol/tenants/acme/.openclaw")
	var want api.UsageRow
	for _, line := range strings.Split(strings.TrimSpace(scan), "\n") {
		var r struct {
			Input, Output, Messages, Errors, Unpriced int64
			CacheReadJSON                             int64   `json:"cache_read"`
			CacheWriteJSON                            int64   `json:"cache_write"`
			TotalJSON                                 int64   `json:"total_tokens"`
			CostUSD                                   float64 `json:"cost_usd"`
		}
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("usage scan line %q: %v", line, err)
		}
		want.Input += r.Input
		want.Output += r.Output
		want.CacheRead += r.CacheReadJSON
		want.CacheWrite += r.CacheWriteJSON
		want.TotalTokens += r.TotalJSON
		want.Messages += r.Messages
		want.Errors += r.Errors
		want.Unpriced += r.Unpriced
		want.NanoUSD += int64(math.Round(r.CostUSD * 1e9))
	}
	want.CostUSD = float64(want.NanoUSD) / 1e9
	sameTotals(t, "ingested vs the gateway's records", rep.Totals, want)
	if rep.Totals.Output != turns*56 || rep.Totals.NanoUSD <= 0 || rep.Totals.Unpriced != 0 {
		t.Errorf("totals %+v: want %d output tokens (the fake LLM's 56 per turn) and a recorded cost", rep.Totals, turns*56)
	}
	t.Logf("%d real turns: %d input, %d output tokens, %.6f USD as OpenClaw recorded", turns, rep.Totals.Input, rep.Totals.Output, rep.Totals.CostUSD)
}
