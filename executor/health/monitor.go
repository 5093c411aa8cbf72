package health

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/config"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/openclaw"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/store"
)

// UnitReader reads systemd's view of units in one call (steps.Host does).
type UnitReader interface {
	UnitStates(ctx context.Context, units ...string) (map[string]api.UnitState, error)
}

// SuspendBudget is the reason SuspendReason gives for a tenant suspended
// because it exceeded its budget; it opens a budget_suspension incident.
const SuspendBudget = "budget"

// recentIncidents is how many closed incidents TenantHealth lists.
const recentIncidents = 10

// concurrentHTTP bounds the HTTP probes of one round that run at once.
const concurrentHTTP = 16

// Options are what a Monitor uses. Config, Store, Units and UnitName are
// required.
type Options struct {
	Config config.Health
	Store  *store.Store
	Units  UnitReader
	// UnitName derives a tenant's gateway unit (plan.GatewayUnit).
	UnitName func(tenant string) string
	// HTTP probes the gateway on 127.0.0.1:port; nil means openclaw.Probe
	// with a client of its own. Only called when Config.HTTP is set.
	HTTP func(ctx context.Context, port int) (openclaw.Health, error)
	// SuspendReason says why a tenant is suspended, every round: SuspendBudget
	// (the executor holds it suspended for its budget, whatever its desired
	// state says) opens a budget_suspension incident. nil: suspensions are
	// deliberate.
	SuspendReason func(ctx context.Context, tenant string) string
	// Clock is the time source (nil: time.Now).
	Clock func() time.Time
	// Jitter returns a random duration in [0, n) (nil: math/rand/v2).
	Jitter func(n time.Duration) time.Duration
	Logger *slog.Logger
}

// Monitor probes gateways and keeps their health. Its methods are safe for
// concurrent use; Tick must not run concurrently with itself (Run calls it
// from one goroutine).
type Monitor struct {
	o Options

	mu     sync.Mutex
	state  map[string]*tenantState
	rounds int64
	errors int64
}

// tenantState is what the monitor remembers of one tenant between rounds.
type tenantState struct {
	loaded bool // status, cause, since and the open incident come from the store
	last   *api.Probe
	status api.HealthStatus
	cause  api.Cause
	since  time.Time

	badRun  []api.Probe // the current run of bad probes (the last OpenAfter)
	bad     int
	goodRun []api.Probe // the current run of healthy probes while an incident is open
	good    int

	incident *api.Incident // open, or nil
	incBase  int           // NRestarts when the incident's first bad probe was taken

	restarts []restartObs // NRestarts seen within the crash-loop window
}

type restartObs struct {
	at time.Time
	n  int
}

// New returns a Monitor; it probes nothing until Tick or Run.
func New(o Options) *Monitor {
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Jitter == nil {
		o.Jitter = func(n time.Duration) time.Duration {
			if n <= 0 {
				return 0
			}
			return rand.N(n)
		}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.HTTP == nil {
		client := &http.Client{Timeout: o.Config.ProbeTimeout, Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
		o.HTTP = func(ctx context.Context, port int) (openclaw.Health, error) { return openclaw.Probe(ctx, client, port) }
	}
	return &Monitor{o: o, state: map[string]*tenantState{}}
}

// Run probes every health.interval plus up to a tenth of it of jitter until
// ctx ends, then records every tenant as unknown (the executor no longer
// observes it) and returns nil. A failed round is logged and the loop goes
// on; its tenants read unknown with the error as detail.
func (m *Monitor) Run(ctx context.Context) error {
	for {
		if err := m.Tick(ctx); err != nil && ctx.Err() == nil {
			m.o.Logger.Warn("health probe round failed", "error", err)
		}
		wait := m.o.Config.Interval + m.o.Jitter(m.o.Config.Interval/10)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			m.stop(context.WithoutCancel(ctx))
			return nil
		case <-t.C:
		}
	}
}

// stop records every known tenant as unknown from now on.
func (m *Monitor) stop(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	now := m.o.Clock()
	m.mu.Lock()
	defer m.mu.Unlock()
	for name, st := range m.state {
		if st.status == api.HealthUnknown {
			continue
		}
		tr := api.HealthTransition{Tenant: name, Time: now, Status: api.HealthUnknown, Detail: "executor stopped"}
		if err := m.o.Store.AppendHealthTransition(ctx, tr); err != nil {
			m.o.Logger.Warn("record health on stop", "tenant", name, "error", err)
		}
	}
}

// Tick runs one probe round over every registered tenant. Outcomes: nil; or
// the error that kept the round from observing (the tenants then read
// unknown with it as detail) or from storing what it observed.
func (m *Monitor) Tick(ctx context.Context) error {
	now := m.o.Clock()
	recs, err := m.o.Store.ListTenants(ctx)
	if err != nil {
		return m.failed(err)
	}
	busy, err := m.o.Store.JobsInState(ctx, api.JobRunning)
	if err != nil {
		return m.failed(err)
	}
	inJob := map[string]bool{}
	for _, j := range busy {
		inJob[j.Tenant] = true
	}
	var live []store.TenantRecord
	var units []string
	for _, r := range recs {
		if !r.Decommissioned {
			live = append(live, r)
			units = append(units, m.o.UnitName(r.Name))
		}
	}
	// One query for every tenant's unit: its time grows with the tenants
	// (0.3 s for 1,000 over D-Bus, about 4 s in the round after a
	// daemon-reload, while systemd re-reads unit file states), so it may
	// take half the interval rather than one probe's timeout.
	uctx, cancel := context.WithTimeout(ctx, max(m.o.Config.ProbeTimeout, m.o.Config.Interval/2))
	states, uerr := m.o.Units.UnitStates(uctx, units...)
	cancel()

	probes := make([]api.Probe, len(live))
	var wg sync.WaitGroup
	sem := make(chan struct{}, concurrentHTTP)
	for i, r := range live {
		p := &probes[i]
		*p = api.Probe{Time: now}
		if uerr == nil {
			p.Unit = states[m.o.UnitName(r.Name)]
		}
		// A budget hold suspends the tenant whatever its desired state says.
		budget := m.o.SuspendReason != nil && m.o.SuspendReason(ctx, r.Name) == SuspendBudget
		switch {
		case budget:
			p.Status, p.Cause, p.Detail = api.HealthSuspended, api.CauseBudgetSuspension, "suspended: budget exceeded"
		case suspended(r.Desired):
			p.Status, p.Detail = api.HealthSuspended, "tenant suspended or gateway disabled"
		case inJob[r.Name]:
			p.Status, p.Detail = api.HealthMaintenance, "a job is changing the tenant"
		case uerr != nil:
			p.Status, p.Detail = api.HealthUnknown, "probe failed: "+uerr.Error()
		default:
			port := r.Allocation.GatewayPort
			if !m.o.Config.HTTP || p.Unit.ActiveState != "active" || port == 0 {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				p.HTTP = m.probeHTTP(ctx, port)
			}()
		}
	}
	wg.Wait()

	m.mu.Lock()
	defer m.mu.Unlock()
	m.rounds++
	var errs []error
	seen := map[string]bool{}
	for i, r := range live {
		seen[r.Name] = true
		if err := m.observe(ctx, r.Name, probes[i]); err != nil {
			errs = append(errs, err)
		}
	}
	for name := range m.state {
		if !seen[name] {
			delete(m.state, name)
		}
	}
	if uerr != nil {
		errs = append(errs, uerr)
	}
	if err := errors.Join(errs...); err != nil {
		m.errors++
		return err
	}
	return nil
}

func (m *Monitor) failed(err error) error {
	m.mu.Lock()
	m.rounds++
	m.errors++
	m.mu.Unlock()
	return err
}

// suspended: the tenant is suspended, or it has no enabled gateway service.
func suspended(d api.Desired) bool {
	if d.Tenant.Suspended {
		return true
	}
	for _, s := range d.Services {
		if s.Kind == api.ServiceGateway {
			return !s.Enabled
		}
	}
	return true
}

func (m *Monitor) probeHTTP(ctx context.Context, port int) *api.HTTPProbe {
	ctx, cancel := context.WithTimeout(ctx, m.o.Config.ProbeTimeout)
	defer cancel()
	start := m.o.Clock()
	h, err := m.o.HTTP(ctx, port)
	out := &api.HTTPProbe{Live: h.Live, Ready: h.Ready, Failing: h.Failing, LatencyMS: m.o.Clock().Sub(start).Milliseconds()}
	if err != nil {
		out.Error = err.Error()
		if errors.Is(err, context.DeadlineExceeded) {
			out.Error = fmt.Sprintf("no answer within %v: %v", m.o.Config.ProbeTimeout, err)
		}
	}
	return out
}

// observe feeds one probe into tenant's state: it finishes the
// classification (crash loops need the restart history), stores a
// transition when the status or cause changed, and opens, updates or
// closes the incident. m.mu is held.
func (m *Monitor) observe(ctx context.Context, tenant string, p api.Probe) error {
	st, err := m.load(ctx, tenant)
	if err != nil {
		return err
	}
	if p.Status == "" {
		p.Status, p.Cause, p.Detail = classify(p.Unit, p.HTTP, st.crashLoop(p.Time, p.Unit.NRestarts, m.o.Config))
	}
	st.last = &p
	if p.Status != st.status || p.Cause != st.cause {
		tr := api.HealthTransition{Tenant: tenant, Time: p.Time, Status: p.Status, Cause: p.Cause, Detail: p.Detail}
		if err := m.o.Store.AppendHealthTransition(ctx, tr); err != nil {
			return err
		}
		st.status, st.cause, st.since = p.Status, p.Cause, p.Time
	}

	switch {
	case bad(p.Status):
		st.good, st.goodRun = 0, nil
		st.bad++
		st.badRun = append(st.badRun, p)
		if len(st.badRun) > m.o.Config.OpenAfter {
			st.badRun = st.badRun[len(st.badRun)-m.o.Config.OpenAfter:]
		}
		if st.bad == 1 {
			st.incBase = p.Unit.NRestarts
		}
		switch {
		case st.incident == nil && st.bad >= m.o.Config.OpenAfter:
			start := p.Time
			if st.bad == len(st.badRun) {
				start = st.badRun[0].Time
			}
			inc := api.Incident{Tenant: tenant, Cause: p.Cause, Status: p.Status, Start: start, Open: true,
				Restarts: max(0, p.Unit.NRestarts-st.incBase), Evidence: append([]api.Probe(nil), st.badRun...)}
			id, err := m.o.Store.OpenIncident(ctx, inc)
			if err != nil {
				return err
			}
			inc.ID = id
			st.incident = &inc
			m.o.Logger.Warn("incident opened", "tenant", tenant, "incident", id, "cause", inc.Cause, "status", inc.Status)
		case st.incident != nil && st.incident.Cause != api.CauseBudgetSuspension:
			if err := m.escalate(ctx, st, p); err != nil {
				return err
			}
		}
	case p.Status == api.HealthHealthy:
		st.bad, st.badRun = 0, nil
		if st.incident == nil {
			break
		}
		if st.incident.Cause == api.CauseBudgetSuspension {
			return m.close(ctx, tenant, st, p.Time, []api.Probe{p})
		}
		st.good++
		st.goodRun = append(st.goodRun, p)
		if st.good >= m.o.Config.CloseAfter {
			return m.close(ctx, tenant, st, st.goodRun[0].Time, st.goodRun)
		}
	case p.Status == api.HealthSuspended:
		st.bad, st.badRun, st.good, st.goodRun = 0, nil, 0, nil
		if st.incident != nil && (st.incident.Cause != api.CauseBudgetSuspension || p.Cause != api.CauseBudgetSuspension) {
			// Suspending a tenant ends its outage (what follows is
			// excluded); a budget suspension ends when the reason does.
			if err := m.close(ctx, tenant, st, p.Time, []api.Probe{p}); err != nil {
				return err
			}
		}
		if st.incident == nil && p.Cause == api.CauseBudgetSuspension {
			inc := api.Incident{Tenant: tenant, Cause: p.Cause, Status: p.Status, Start: p.Time, Open: true, Evidence: []api.Probe{p}}
			id, err := m.o.Store.OpenIncident(ctx, inc)
			if err != nil {
				return err
			}
			inc.ID = id
			st.incident = &inc
			m.o.Logger.Warn("incident opened", "tenant", tenant, "incident", id, "cause", inc.Cause, "status", inc.Status)
		}
	default:
		// maintenance or unknown: neither bad nor good; runs keep counting
		// from where they were.
		if st.incident != nil && st.incident.Cause == api.CauseBudgetSuspension {
			return m.close(ctx, tenant, st, p.Time, []api.Probe{p})
		}
	}
	return nil
}

// escalate records a worse cause (a crash loop) and the restarts of an
// open incident.
func (m *Monitor) escalate(ctx context.Context, st *tenantState, p api.Probe) error {
	inc := st.incident
	restarts := max(inc.Restarts, p.Unit.NRestarts-st.incBase)
	cause := inc.Cause
	if p.Cause == api.CauseCrashLoop {
		cause = api.CauseCrashLoop
	}
	if restarts == inc.Restarts && cause == inc.Cause {
		return nil
	}
	next := *inc
	next.Restarts, next.Cause = restarts, cause
	if cause != inc.Cause {
		next.Evidence = append(append([]api.Probe(nil), inc.Evidence...), p)
	}
	if err := m.o.Store.UpdateIncident(ctx, next); err != nil {
		return err
	}
	*inc = next
	return nil
}

func (m *Monitor) close(ctx context.Context, tenant string, st *tenantState, end time.Time, evidence []api.Probe) error {
	inc := *st.incident
	inc.End, inc.Open = end, false
	if last := evidence[len(evidence)-1]; last.Unit.LoadState != "" {
		inc.Restarts = max(inc.Restarts, last.Unit.NRestarts-st.incBase)
	}
	inc.Evidence = append(append([]api.Probe(nil), inc.Evidence...), evidence...)
	if err := m.o.Store.UpdateIncident(ctx, inc); err != nil {
		return err
	}
	m.o.Logger.Info("incident closed", "tenant", tenant, "incident", inc.ID, "cause", inc.Cause, "duration", end.Sub(inc.Start).String())
	st.incident, st.good, st.goodRun = nil, 0, nil
	return nil
}

// load returns tenant's state, reading its last status and open incident
// from the store the first time (after an executor restart).
func (m *Monitor) load(ctx context.Context, tenant string) (*tenantState, error) {
	st := m.state[tenant]
	if st != nil && st.loaded {
		return st, nil
	}
	st = &tenantState{status: api.HealthUnknown}
	tr, ok, err := m.o.Store.LastHealthTransition(ctx, tenant)
	if err != nil {
		return nil, err
	}
	if ok {
		st.status, st.cause, st.since = tr.Status, tr.Cause, tr.Time
	}
	open, err := m.o.Store.Incidents(ctx, tenant, true, 0)
	if err != nil {
		return nil, err
	}
	if len(open) > 0 {
		inc := open[0]
		st.incident = &inc
		if len(inc.Evidence) > 0 {
			st.incBase = inc.Evidence[0].Unit.NRestarts
		}
		// An incident open across a restart keeps counting from zero bad
		// probes; it closes after CloseAfter healthy ones as usual.
	}
	st.loaded = true
	m.state[tenant] = st
	return st, nil
}

// crashLoop records n (NRestarts at time at) and reports whether it rose by
// at least CrashLoopRestarts within the window.
func (st *tenantState) crashLoop(at time.Time, n int, c config.Health) bool {
	if k := len(st.restarts); k > 0 && n < st.restarts[k-1].n {
		st.restarts = nil // the counter was reset (unit restarted by hand)
	}
	st.restarts = append(st.restarts, restartObs{at, n})
	cut := at.Add(-c.CrashLoopWindow)
	i := sort.Search(len(st.restarts), func(i int) bool { return !st.restarts[i].at.Before(cut) })
	if i > 0 {
		// The newest observation before the window is the baseline.
		st.restarts = st.restarts[i-1:]
	}
	base := st.restarts[0]
	return n-base.n >= c.CrashLoopRestarts
}
