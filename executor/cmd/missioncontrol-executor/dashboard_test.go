package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/audit"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/config"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/metrics"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/server"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/store"
)

const dashboardFile = "../../../examples/dashboards/missioncontrol.json"

type noUnits struct{}

func (noUnits) UnitStates(context.Context, ...string) (map[string]api.UnitState, error) {
	return map[string]api.UnitState{}, nil
}

// servedMetricNames registers the metrics exactly as serve does
// (startUsage, startHealth) and lists every name the registry can expose on
// /metrics, including per-tenant ones that need a tenant with data first.
func servedMetricNames(t *testing.T) []string {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "executor.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cfg := config.Default()
	cfg.Usage.Interval = 0 // no ingestion loop
	cfg.Health.Interval = time.Hour
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	reg := metrics.New()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stopUsage, err := startUsage(ctx, cfg, st, reg, logger, nil, audit.New(st.DB(), time.Now))
	if err != nil {
		t.Fatal(err)
	}
	defer stopUsage()
	stopHealth, err := startHealth(ctx, cfg, st, noUnits{}, &server.Server{}, reg, logger)
	if err != nil {
		t.Fatal(err)
	}
	defer stopHealth()
	return reg.Names()
}

// dashboard is the part of a Grafana dashboard the test reads.
type dashboard struct {
	Title      string `json:"title"`
	UID        string `json:"uid"`
	Templating struct {
		List []struct {
			Name       string `json:"name"`
			Definition string `json:"definition"`
		} `json:"list"`
	} `json:"templating"`
	Panels []struct {
		ID         int    `json:"id"`
		Type       string `json:"type"`
		Title      string `json:"title"`
		Datasource *struct {
			UID string `json:"uid"`
		} `json:"datasource"`
		GridPos struct{ H, W, X, Y int } `json:"gridPos"`
		Targets []struct {
			RefID string `json:"refId"`
			Expr  string `json:"expr"`
		} `json:"targets"`
	} `json:"panels"`
}

var metricName = regexp.MustCompile(`\b(?:missioncontrol|go|process)_[a-z0-9_]+\b`)

// TestDashboardMetrics: the Grafana dashboard is valid JSON in Grafana's
// shape, covers cost by tenant, model, agent and day, budget burn, health
// and incidents, and every metric its queries name exists on the
// executor's /metrics.
func TestDashboardMetrics(t *testing.T) {
	src, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	dec := json.NewDecoder(strings.NewReader(string(src)))
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	if d.UID == "" || d.Title == "" || len(d.Panels) == 0 {
		t.Fatalf("dashboard needs uid, title and panels: %q %q %d", d.UID, d.Title, len(d.Panels))
	}
	served := servedMetricNames(t)
	for _, want := range []string{"missioncontrol_usage_cost_usd_total", "missioncontrol_gateway_health_status", "missioncontrol_budget_ratio"} {
		if !slices.Contains(served, want) {
			t.Fatalf("the executor's registry lacks %s; it has %v", want, served)
		}
	}

	var exprs []string
	for _, v := range d.Templating.List {
		exprs = append(exprs, v.Definition)
	}
	ids := map[int]bool{}
	for _, p := range d.Panels {
		if ids[p.ID] {
			t.Errorf("panel id %d used twice", p.ID)
		}
		ids[p.ID] = true
		if p.GridPos.W <= 0 || p.GridPos.H <= 0 || p.GridPos.X+p.GridPos.W > 24 {
			t.Errorf("panel %q: gridPos %+v outside Grafana's 24 columns", p.Title, p.GridPos)
		}
		if p.Type == "row" {
			continue
		}
		if p.Datasource == nil || p.Datasource.UID != "${datasource}" || len(p.Targets) == 0 {
			t.Errorf("panel %q: needs targets on the ${datasource} variable", p.Title)
		}
		for _, tg := range p.Targets {
			if tg.RefID == "" || tg.Expr == "" {
				t.Errorf("panel %q: target without refId or expr", p.Title)
			}
			if strings.Count(tg.Expr, "(") != strings.Count(tg.Expr, ")") || strings.Count(tg.Expr, "{") != strings.Count(tg.Expr, "}") {
				t.Errorf("panel %q: unbalanced query %s", p.Title, tg.Expr)
			}
			exprs = append(exprs, tg.Expr)
		}
	}

	queried := map[string]bool{}
	for _, e := range exprs {
		for _, name := range metricName.FindAllString(e, -1) {
			queried[name] = true
			if !slices.Contains(served, name) {
				t.Errorf("the dashboard queries %s, which the executor does not serve (query %s)", name, e)
			}
		}
	}
	all := strings.Join(exprs, "\n")
	for what, re := range map[string]string{
		"cost by tenant per day": `sum by \(tenant\) \(increase\(missioncontrol_usage_cost_usd_total\{[^}]*\}\[1d\]\)\)`,
		"cost by model":          `sum by \(provider, model\) \(increase\(missioncontrol_usage_cost_usd_total`,
		"cost by agent":          `sum by \(tenant, agent\) \(increase\(missioncontrol_usage_cost_usd_total`,
		"budget burn":            `missioncontrol_budget_ratio`,
		"health":                 `missioncontrol_gateway_health_status`,
		"availability":           `missioncontrol_gateway_availability_ratio`,
		"incidents":              `missioncontrol_gateway_open_incidents`,
	} {
		if !regexp.MustCompile(re).MatchString(all) {
			t.Errorf("no panel shows %s (/%s/)", what, re)
		}
	}
	t.Logf("%d panels query %d metrics, all served", len(d.Panels), len(queried))
}
