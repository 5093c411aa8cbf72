package ingest_test

import (
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/ingest"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/metrics"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/store"
)

// fixtures are the real OpenClaw 2026.9.6 stores of the usage package.
const fixtures = "../usage/testdata/openclaw"

type expectedTotals struct {
	Total struct {
		Input       int64   `json:"input"`
		Output      int64   `json:"output"`
		CacheRead   int64   `json:"cacheRead"`
		CacheWrite  int64   `json:"cacheWrite"`
		TotalTokens int64   `json:"totalTokens"`
		CostTotal   float64 `json:"costTotal"`
		Messages    int64   `json:"messages"`
		Errors      int64   `json:"errors"`
	} `json:"total"`
}

func readExpected(t *testing.T, tenant string) api.UsageRow {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtures, tenant, "expected-totals.json"))
	if err != nil {
		t.Fatal(err)
	}
	var e expectedTotals
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	nano := int64(math.Round(e.Total.CostTotal * 1e9))
	return api.UsageRow{Input: e.Total.Input, Output: e.Total.Output, CacheRead: e.Total.CacheRead, CacheWrite: e.Total.CacheWrite,
		TotalTokens: e.Total.TotalTokens, NanoUSD: nano, CostUSD: float64(nano) / 1e9, Messages: e.Total.Messages, Errors: e.Total.Errors}
}

// copyTree copies a fixture tenant's state dir (agents/...) to dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(filepath.Join(src, "agents"), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.Create(target)
		if err != nil {
			return err
		}
		_, err = io.Copy(out, in)
		return errorsJoin(err, out.Close())
	})
	if err != nil {
		t.Fatal(err)
	}
}

func errorsJoin(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

var fixedNow = time.Date(2026, 12, 20, 12, 0, 0, 0, time.UTC)

func register(t *testing.T, st *store.Store, name, stateDir string) {
	t.Helper()
	if err := st.PutTenant(context.Background(), store.TenantRecord{
		Name: name, Desired: api.Desired{Tenant: api.TenantSpec{Name: name}},
		Allocation: api.Allocation{StateDir: stateDir}, UpdatedAt: fixedNow,
	}); err != nil {
		t.Fatal(err)
	}
}

func totals(t *testing.T, st *store.Store, q api.UsageQuery) api.UsageRow {
	t.Helper()
	rep, err := st.QueryUsage(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	tot := rep.Totals
	tot.PriceVersions = nil
	return tot
}

// TestIngestFixturesExactlyOnce ingests the real stores of two tenants and
// checks the totals OpenClaw's own records give, across repeated ticks, a
// lost cursor and a restart.
func TestIngestFixturesExactlyOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "executor.db")
	st, err := store.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, tenant := range []string{"acme", "globex"} {
		sd := filepath.Join(dir, tenant, ".openclaw")
		copyTree(t, filepath.Join(fixtures, tenant), sd)
		register(t, st, tenant, sd)
	}
	// A registered tenant that was never bootstrapped has nothing to count.
	register(t, st, "initech", filepath.Join(dir, "initech", ".openclaw"))

	check := func(when string, st *store.Store) {
		t.Helper()
		for _, tenant := range []string{"acme", "globex"} {
			want := readExpected(t, tenant)
			if d := cmp.Diff(want, totals(t, st, api.UsageQuery{Tenant: tenant})); d != "" {
				t.Errorf("%s: %s totals (-want +got):\n%s", when, tenant, d)
			}
		}
	}
	opts := ingest.Options{Now: func() time.Time { return fixedNow }, BatchSize: 2}
	in := ingest.New(st, opts)
	for i := range 2 {
		if err := in.Tick(ctx); err != nil {
			t.Fatalf("tick %d: %v", i, err)
		}
	}
	check("after two ticks", st)
	if got := in.Status()["acme"]; got.Added != 6 || got.LastError != nil || got.LastSuccess != fixedNow {
		t.Errorf("acme status %+v, want 6 added, no error, scanned at %v", got, fixedNow)
	}

	// Metrics: the registry sees the counters.
	reg := metrics.New()
	if err := reg.Register(in); err != nil {
		t.Fatal(err)
	}
	if n, err := testutil.GatherAndCount(reg.Gatherer(), "missioncontrol_usage_cost_usd_total"); err != nil || n != 3 {
		t.Errorf("cost series = %d, %v; want 3 (acme main, acme ops, globex main)", n, err)
	}
	wantMetric := `
# HELP missioncontrol_usage_messages_total Assistant messages with usage, failed turns included.
# TYPE missioncontrol_usage_messages_total counter
missioncontrol_usage_messages_total{agent="main",model="fake-model-1",provider="fake",tenant="acme"} 4
missioncontrol_usage_messages_total{agent="main",model="fake-model-1",provider="fake",tenant="globex"} 2
missioncontrol_usage_messages_total{agent="ops",model="fake-model-2",provider="fake",tenant="acme"} 2
`
	if err := testutil.GatherAndCompare(reg.Gatherer(), strings.NewReader(wantMetric), "missioncontrol_usage_messages_total"); err != nil {
		t.Error(err)
	}

	// A crash after the records were committed but before the cursor was:
	// the re-scan reads everything again and counts nothing twice.
	if _, err := st.DB().ExecContext(ctx, `DELETE FROM usage_cursors`); err != nil {
		t.Fatal(err)
	}
	if err := in.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	check("after a lost cursor", st)

	// A restart: a new store and ingester over the same database.
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st2, err := store.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	in2 := ingest.New(st2, opts)
	if err := in2.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	check("after a restart", st2)
	if got := in2.Status()["acme"].Added; got != 0 {
		t.Errorf("after a restart the tick added %d records, want 0", got)
	}
	reg2 := metrics.New()
	if err := reg2.Register(in2); err != nil {
		t.Fatal(err)
	}
	if err := testutil.GatherAndCompare(reg2.Gatherer(), strings.NewReader(wantMetric), "missioncontrol_usage_messages_total"); err != nil {
		t.Errorf("counters after a restart: %v", err)
	}
}

func TestQueryGroupsAndFilters(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "executor.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sd := filepath.Join(dir, "acme", ".openclaw")
	copyTree(t, filepath.Join(fixtures, "acme"), sd)
	register(t, st, "acme", sd)
	if err := ingest.New(st, ingest.Options{}).Tick(ctx); err != nil {
		t.Fatal(err)
	}
	testCases := map[string]struct {
		q    api.UsageQuery
		keys []string // tenant/day/agent/provider/model of each row
		msgs []int64
	}{
		"everything in one row": {q: api.UsageQuery{}, keys: []string{"////"}, msgs: []int64{6}},
		"by agent":              {q: api.UsageQuery{GroupBy: []string{"agent"}}, keys: []string{"//main//", "//ops//"}, msgs: []int64{4, 2}},
		"by model and day": {q: api.UsageQuery{GroupBy: []string{"model", "day"}},
			keys: []string{"/2026-12-04//fake/fake-model-1", "/2026-12-04//fake/fake-model-2"}, msgs: []int64{4, 2}},
		"filter by model":     {q: api.UsageQuery{Model: "fake-model-2", GroupBy: []string{"tenant"}}, keys: []string{"acme////"}, msgs: []int64{2}},
		"filter by agent":     {q: api.UsageQuery{Agent: "main"}, keys: []string{"////"}, msgs: []int64{4}},
		"a day with no usage": {q: api.UsageQuery{From: "2026-12-05", GroupBy: []string{"day"}}},
		"days around it":      {q: api.UsageQuery{From: "2026-12-04", To: "2026-12-04"}, keys: []string{"////"}, msgs: []int64{6}},
		"another tenant":      {q: api.UsageQuery{Tenant: "globex"}},
	}
	for name, tc := range testCases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			rep, err := st.QueryUsage(ctx, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			var keys []string
			var msgs []int64
			for _, r := range rep.Rows {
				keys = append(keys, strings.Join([]string{r.Tenant, r.Day, r.Agent, r.Provider, r.Model}, "/"))
				msgs = append(msgs, r.Messages)
			}
			if d := cmp.Diff(tc.keys, keys); d != "" {
				t.Errorf("rows (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tc.msgs, msgs); d != "" {
				t.Errorf("messages (-want +got):\n%s", d)
			}
		})
	}
}

func TestMonthToDate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "executor.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sd := filepath.Join(dir, "acme", ".openclaw")
	copyTree(t, filepath.Join(fixtures, "acme"), sd)
	register(t, st, "acme", sd)
	if err := ingest.New(st, ingest.Options{}).Tick(ctx); err != nil {
		t.Fatal(err)
	}
	want := readExpected(t, "acme").NanoUSD
	for now, w := range map[time.Time]int64{
		time.Date(2026, 12, 31, 23, 0, 0, 0, time.UTC): want,
		time.Date(2026, 12, 4, 23, 0, 0, 0, time.UTC):  want,
		time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC):    0,
		time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC):   0,
	} {
		got, _, err := st.MonthToDate(ctx, "acme", now)
		if err != nil || got != w {
			t.Errorf("MonthToDate at %v = %d, %v; want %d", now, got, err, w)
		}
	}
}
