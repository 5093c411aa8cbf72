package budget

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/audit"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/store"
)

// Breach kinds, as audited and counted.
const (
	Soft = "soft"
	Hard = "hard"
	// suspend marks the one suspension attempt per tenant, month and budget.
	suspend = "suspend"
)

// Suspender starts the job that suspends a tenant over budget
// (jobs.Queue).
type Suspender interface {
	SuspendForBudget(ctx context.Context, tenant string, hold api.BudgetHold) (*api.Job, error)
}

// Options are what a Checker uses. Store, Audit and Suspender are required.
type Options struct {
	Store     *store.Store
	Audit     *audit.Log
	Suspender Suspender
	// Now is the clock; months are UTC (nil: time.Now).
	Now    func() time.Time
	Logger *slog.Logger
}

// Checker checks budgets. It is safe for concurrent use; Check calls run
// one at a time.
type Checker struct {
	o       Options
	checkMu sync.Mutex

	mu          sync.Mutex
	ratio       map[string]float64
	breaches    map[[2]string]float64 // tenant, kind
	suspensions map[string]float64
}

// New returns a Checker. It starts nothing: call Check after each
// ingestion pass.
func New(o Options) *Checker {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Checker{o: o, ratio: map[string]float64{}, breaches: map[[2]string]float64{}, suspensions: map[string]float64{}}
}

// Check compares every registered tenant's month-to-date cost with its
// budget. Outcomes: nil; or errors.Join of each tenant's failure (audit,
// store, or a suspension the policy denied), the other tenants checked.
func (c *Checker) Check(ctx context.Context) error {
	c.checkMu.Lock()
	defer c.checkMu.Unlock()
	now := c.o.Now().UTC()
	tenants, err := c.o.Store.ListTenants(ctx)
	if err != nil {
		return fmt.Errorf("check budgets: %w", err)
	}
	var errs []error
	seen := map[string]bool{}
	for _, t := range tenants {
		b := t.Desired.Tenant.Budget
		if t.Decommissioned || b == nil {
			continue
		}
		seen[t.Name] = true
		if err := c.check(ctx, t.Name, *b, now); err != nil {
			errs = append(errs, fmt.Errorf("budget of %s: %w", t.Name, err))
		}
	}
	c.mu.Lock()
	for name := range c.ratio {
		if !seen[name] {
			delete(c.ratio, name)
		}
	}
	c.mu.Unlock()
	return errors.Join(errs...)
}

func (c *Checker) check(ctx context.Context, tenant string, b api.Budget, now time.Time) error {
	nano, _, err := c.o.Store.MonthToDate(ctx, tenant, now)
	if err != nil {
		return err
	}
	month, spent := api.BudgetMonth(now), float64(nano)/1e9
	c.mu.Lock()
	c.ratio[tenant] = spent / b.MonthlyUSD
	c.mu.Unlock()
	if b.SoftBreached(nano) {
		if err := c.breach(ctx, tenant, Soft, b, month, spent, now); err != nil {
			return err
		}
	}
	if !b.Exceeded(nano) {
		return nil
	}
	if err := c.breach(ctx, tenant, Hard, b, month, spent, now); err != nil {
		return err
	}
	if b.Action != api.BudgetSuspend {
		return nil
	}
	if h, ok, err := c.o.Store.BudgetHold(ctx, tenant); err != nil || (ok && h.Month == month) {
		return err // held this month already
	}
	// One attempt per month and budget: a denied or failed suspension is
	// audited once, not at every pass; raising the budget re-arms it.
	first, err := c.o.Store.MarkBudgetBreach(ctx, tenant, month, suspend, b.MonthlyUSD, now)
	if err != nil || !first {
		return err
	}
	job, err := c.o.Suspender.SuspendForBudget(ctx, tenant, api.BudgetHold{Month: month, SpentUSD: spent, LimitUSD: b.MonthlyUSD, Since: now})
	if err != nil {
		return err
	}
	if job != nil {
		c.mu.Lock()
		c.suspensions[tenant]++
		c.mu.Unlock()
		c.o.Logger.Warn("tenant over budget: suspending", "tenant", tenant, "month", month, "spent_usd", spent, "limit_usd", b.MonthlyUSD,
			"job", job.ID, "state", string(job.State))
	}
	return nil
}

// breach audits and counts a breach of kind once per tenant, month and
// budget. If the audit record cannot be written, the breach is not marked,
// so the next pass tries again.
func (c *Checker) breach(ctx context.Context, tenant, kind string, b api.Budget, month string, spent float64, now time.Time) error {
	first, err := c.o.Store.MarkBudgetBreach(ctx, tenant, month, kind, b.MonthlyUSD, now)
	if err != nil || !first {
		return err
	}
	data, err := api.CanonicalJSON(map[string]any{
		"month": month, "spent_usd": spent, "limit_usd": b.MonthlyUSD,
		"soft_limit_percent": b.SoftLimitPercent, "action": b.Action,
	})
	if err == nil {
		_, err = c.o.Audit.Append(ctx, audit.Record{Type: "budget", Actor: "executor", Tenant: tenant, Rule: "budget." + kind, Outcome: kind + "_breach", Data: data})
	}
	if err != nil {
		if uerr := c.o.Store.UnmarkBudgetBreach(ctx, tenant, month, kind, b.MonthlyUSD); uerr != nil {
			err = errors.Join(err, uerr)
		}
		return fmt.Errorf("audit %s breach: %w", kind, err)
	}
	c.mu.Lock()
	c.breaches[[2]string{tenant, kind}]++
	c.mu.Unlock()
	c.o.Logger.Warn("tenant budget breach", "tenant", tenant, "kind", kind, "month", month, "spent_usd", spent, "limit_usd", b.MonthlyUSD)
	return nil
}

var (
	descRatio       = prometheus.NewDesc("missioncontrol_budget_ratio", "Month-to-date model cost (UTC month) divided by the tenant's monthly budget, at the last check.", []string{"tenant"}, nil)
	descBreaches    = prometheus.NewDesc("missioncontrol_budget_breaches_total", "Budget breaches recorded (kind soft or hard; once per tenant, month and budget), since the executor started.", []string{"tenant", "kind"}, nil)
	descSuspensions = prometheus.NewDesc("missioncontrol_budget_suspensions_total", "Suspensions of tenants over budget the executor asked for, since it started.", []string{"tenant"}, nil)
)

// Describe implements prometheus.Collector.
func (c *Checker) Describe(ch chan<- *prometheus.Desc) {
	ch <- descRatio
	ch <- descBreaches
	ch <- descSuspensions
}

// Collect implements prometheus.Collector from memory; a scrape never
// touches the database.
func (c *Checker) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for t, r := range c.ratio {
		ch <- prometheus.MustNewConstMetric(descRatio, prometheus.GaugeValue, r, t)
	}
	for k, n := range c.breaches {
		ch <- prometheus.MustNewConstMetric(descBreaches, prometheus.CounterValue, n, k[0], k[1])
	}
	for t, n := range c.suspensions {
		ch <- prometheus.MustNewConstMetric(descSuspensions, prometheus.CounterValue, n, t)
	}
}
