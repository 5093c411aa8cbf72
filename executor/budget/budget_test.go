package budget_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/audit"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/budget"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/store"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/usage"
)

// suspender records the suspensions asked for and, like the job queue,
// holds the tenant; deny makes it refuse as a policy without budget.suspend
// does.
type suspender struct {
	st    *store.Store
	deny  bool
	calls []api.BudgetHold
}

func (s *suspender) SuspendForBudget(ctx context.Context, tenant string, h api.BudgetHold) (*api.Job, error) {
	s.calls = append(s.calls, h)
	if s.deny {
		return nil, &api.Error{Code: api.CodePolicyDenied, Rule: "budget.suspend", Message: "not allowed"}
	}
	if err := s.st.PutBudgetHold(ctx, tenant, h); err != nil {
		return nil, err
	}
	return &api.Job{ID: fmt.Sprintf("job-%d", len(s.calls)), Tenant: tenant, State: api.JobQueued}, nil
}

type fixture struct {
	st   *store.Store
	log  *audit.Log
	now  time.Time
	sus  *suspender
	chk  *budget.Checker
	msgs int
}

func newFixture(t *testing.T, b api.Budget) *fixture {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "executor.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{st: st, now: time.Date(2026, 12, 20, 12, 0, 0, 0, time.UTC), sus: &suspender{st: st}}
	f.log = audit.New(st.DB(), func() time.Time { return f.now })
	f.chk = budget.New(budget.Options{Store: st, Audit: f.log, Suspender: f.sus, Now: func() time.Time { return f.now }})
	f.setBudget(t, b)
	return f
}

func (f *fixture) setBudget(t *testing.T, b api.Budget) {
	t.Helper()
	rec := store.TenantRecord{Name: "acme", UpdatedAt: f.now,
		Desired: api.Desired{Tenant: api.TenantSpec{Name: "acme", Environment: api.EnvDevelopment, Budget: &b}}}
	if err := f.st.PutTenant(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
}

// spend records one message that cost usd now.
func (f *fixture) spend(t *testing.T, usd float64) {
	t.Helper()
	f.msgs++
	r := store.PricedRecord{
		Record: usage.Record{Agent: "main", Key: fmt.Sprint("msg-", f.msgs),
			Event: usage.Event{Time: f.now, Provider: "p", Model: "m", Tokens: usage.Tokens{Input: 1, Total: 1}, Cost: usd}},
		Cost: usage.Cost{NanoUSD: int64(usd * 1e9), Source: usage.CostRecorded},
	}
	if _, err := f.st.AddUsage(context.Background(), "acme", []store.PricedRecord{r}, nil, f.now); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) check(t *testing.T) error {
	t.Helper()
	return f.chk.Check(context.Background())
}

// outcomes are the budget audit records so far, as "outcome month limit".
func (f *fixture) outcomes(t *testing.T) []string {
	t.Helper()
	recs, err := audit.List(context.Background(), f.st.DB(), 0, "budget", 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range recs {
		var d struct {
			Month    string  `json:"month"`
			LimitUSD float64 `json:"limit_usd"`
		}
		_ = jsonUnmarshal(r.Data, &d)
		out = append(out, fmt.Sprintf("%s %s %g", r.Outcome, d.Month, d.LimitUSD))
	}
	return out
}

// metrics returns the samples of the named metrics in text format,
// without HELP and TYPE lines.
func (f *fixture) metrics(t *testing.T, names ...string) string {
	t.Helper()
	got, err := testutil.CollectAndFormat(f.chk, expfmt.TypeTextPlain, names...)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, l := range strings.Split(string(got), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

func TestAlertRecordsSoftAndHardOncePerMonth(t *testing.T) {
	t.Parallel()
	f := newFixture(t, api.Budget{MonthlyUSD: 10, SoftLimitPercent: 50, Action: api.BudgetAlert})
	f.spend(t, 4)
	if err := f.check(t); err != nil {
		t.Fatal(err)
	}
	if got := f.outcomes(t); len(got) != 0 {
		t.Fatalf("below the soft limit: %q", got)
	}
	f.spend(t, 1) // exactly 50%
	for range 3 {
		if err := f.check(t); err != nil {
			t.Fatal(err)
		}
	}
	f.spend(t, 6) // 110%
	for range 2 {
		if err := f.check(t); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff([]string{"soft_breach 2026-12 10", "hard_breach 2026-12 10"}, f.outcomes(t)); diff != "" {
		t.Errorf("audited breaches (-want +got):\n%s", diff)
	}
	if len(f.sus.calls) != 0 {
		t.Errorf("action alert suspended: %+v", f.sus.calls)
	}
	want := `missioncontrol_budget_breaches_total{kind="hard",tenant="acme"} 1
missioncontrol_budget_breaches_total{kind="soft",tenant="acme"} 1
missioncontrol_budget_ratio{tenant="acme"} 1.1
`
	if diff := cmp.Diff(want, f.metrics(t, "missioncontrol_budget_ratio", "missioncontrol_budget_breaches_total")); diff != "" {
		t.Errorf("metrics (-want +got):\n%s", diff)
	}
}

func TestSuspendOnHardBreachOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t, api.Budget{MonthlyUSD: 10, SoftLimitPercent: 80, Action: api.BudgetSuspend})
	f.spend(t, 9)
	if err := f.check(t); err != nil {
		t.Fatal(err)
	}
	if len(f.sus.calls) != 0 {
		t.Fatalf("soft breach suspended: %+v", f.sus.calls)
	}
	f.spend(t, 1) // exactly 100%
	for range 3 {
		if err := f.check(t); err != nil {
			t.Fatal(err)
		}
	}
	want := []api.BudgetHold{{Month: "2026-12", SpentUSD: 10, LimitUSD: 10, Since: f.now}}
	if diff := cmp.Diff(want, f.sus.calls); diff != "" {
		t.Fatalf("suspensions (-want +got):\n%s", diff)
	}
	if got := f.metrics(t, "missioncontrol_budget_suspensions_total"); got != "missioncontrol_budget_suspensions_total{tenant=\"acme\"} 1\n" {
		t.Errorf("suspension counter: %q", got)
	}

	// Raising the budget re-arms it: a new soft breach of the new budget,
	// and a suspension once that is spent too.
	f.setBudget(t, api.Budget{MonthlyUSD: 12, SoftLimitPercent: 80, Action: api.BudgetSuspend})
	if err := f.st.DeleteBudgetHold(context.Background(), "acme", time.Time{}); err != nil { // the resume job lifted it
		t.Fatal(err)
	}
	if err := f.check(t); err != nil {
		t.Fatal(err)
	}
	f.spend(t, 2)
	if err := f.check(t); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"soft_breach 2026-12 10", "hard_breach 2026-12 10", "soft_breach 2026-12 12", "hard_breach 2026-12 12"},
		f.outcomes(t)); diff != "" {
		t.Errorf("audited breaches (-want +got):\n%s", diff)
	}
	if len(f.sus.calls) != 2 || f.sus.calls[1].LimitUSD != 12 {
		t.Errorf("suspensions after raising the budget: %+v", f.sus.calls)
	}
}

func TestMonthBoundary(t *testing.T) {
	t.Parallel()
	f := newFixture(t, api.Budget{MonthlyUSD: 10, SoftLimitPercent: 50, Action: api.BudgetSuspend})
	f.now = time.Date(2026, 12, 31, 23, 59, 0, 0, time.UTC)
	f.spend(t, 15)
	if err := f.check(t); err != nil {
		t.Fatal(err)
	}
	// A minute later it is January (UTC): December's spend no longer
	// counts, nothing is breached, and the December hold stays until a
	// plan resumes the tenant.
	f.now = f.now.Add(2 * time.Minute)
	if err := f.check(t); err != nil {
		t.Fatal(err)
	}
	if got := f.metrics(t, "missioncontrol_budget_ratio"); got != "missioncontrol_budget_ratio{tenant=\"acme\"} 0\n" {
		t.Errorf("ratio in the new month: %q", got)
	}
	f.spend(t, 10)
	if err := f.check(t); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"soft_breach 2026-12 10", "hard_breach 2026-12 10", "soft_breach 2027-01 10", "hard_breach 2027-01 10"},
		f.outcomes(t)); diff != "" {
		t.Errorf("audited breaches (-want +got):\n%s", diff)
	}
	var months []string
	for _, h := range f.sus.calls {
		months = append(months, h.Month)
	}
	if diff := cmp.Diff([]string{"2026-12", "2027-01"}, months); diff != "" {
		t.Errorf("suspension months (-want +got):\n%s", diff)
	}
}

func TestDeniedSuspensionIsTriedOncePerMonth(t *testing.T) {
	t.Parallel()
	f := newFixture(t, api.Budget{MonthlyUSD: 10, SoftLimitPercent: 100, Action: api.BudgetSuspend})
	f.sus.deny = true
	f.spend(t, 11)
	if err := f.check(t); !api.IsCode(err, api.CodePolicyDenied) {
		t.Fatalf("first check = %v, want the policy denial", err)
	}
	if err := f.check(t); err != nil {
		t.Fatalf("second check = %v, want nil (denied once a month)", err)
	}
	if len(f.sus.calls) != 1 {
		t.Errorf("suspension tried %d times", len(f.sus.calls))
	}
	if diff := cmp.Diff([]string{"soft_breach 2026-12 10", "hard_breach 2026-12 10"}, f.outcomes(t)); diff != "" {
		t.Errorf("audited breaches (-want +got):\n%s", diff)
	}
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
