package health_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/config"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/health"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/openclaw"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/store"
)

// fakeUnits is systemd as a table the test sets between ticks.
type fakeUnits struct {
	mu    sync.Mutex
	units map[string]api.UnitState
	err   error
	calls [][]string
}

func (f *fakeUnits) UnitStates(_ context.Context, units ...string) (map[string]api.UnitState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, units)
	if f.err != nil {
		return nil, f.err
	}
	out := map[string]api.UnitState{}
	for _, u := range units {
		st, ok := f.units[u]
		if !ok {
			st = api.UnitState{Unit: u, LoadState: "not-found", ActiveState: "inactive", SubState: "dead"}
		}
		out[u] = st
	}
	return out, nil
}

func (f *fakeUnits) set(unit, active, sub string, restarts int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.units[unit] = api.UnitState{Unit: unit, LoadState: "loaded", ActiveState: active, SubState: sub, Enabled: "enabled", NRestarts: restarts}
}

// clock is a fixed clock moved by the test.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time            { return c.now }
func (c *clock) Add(d time.Duration)       { c.now = c.now.Add(d) }
func unitOf(tenant string) string          { return "missioncontrol-gateway@" + tenant + ".service" }
func noJitter(time.Duration) time.Duration { return 0 }

type fixture struct {
	st    *store.Store
	units *fakeUnits
	clock *clock
	cfg   config.Health
	http  func(ctx context.Context, port int) (openclaw.Health, error)
}

func newFixture(t *testing.T, tenants ...string) *fixture {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "executor.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{st: st, units: &fakeUnits{units: map[string]api.UnitState{}},
		clock: &clock{now: time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)}, cfg: config.Default().Health}
	f.cfg.HTTP = false // systemd state only, unless a test says otherwise
	for i, name := range tenants {
		f.put(t, name, i, false)
	}
	return f
}

func (f *fixture) put(t *testing.T, name string, i int, suspended bool) {
	t.Helper()
	rec := store.TenantRecord{Name: name, UpdatedAt: f.clock.now,
		Desired: api.Desired{Tenant: api.TenantSpec{Name: name, Environment: api.EnvDevelopment, Suspended: suspended},
			Services: []api.ServiceSpec{{Kind: api.ServiceGateway, Enabled: true}}},
		Allocation: api.Allocation{User: "mc-" + name, UID: 20000 + i, GID: 20000 + i, GatewayPort: 20000 + 20*i, Unit: unitOf(name)}}
	if err := f.st.PutTenant(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) monitor() *health.Monitor {
	return health.New(health.Options{Config: f.cfg, Store: f.st, Units: f.units, UnitName: unitOf,
		HTTP: f.http, Clock: f.clock.Now, Jitter: noJitter})
}

// tick runs one round and advances the clock by the interval.
func (f *fixture) tick(t *testing.T, m *health.Monitor) {
	t.Helper()
	if err := m.Tick(context.Background()); err != nil {
		t.Fatalf("Tick: %v", err)
	}
	f.clock.Add(f.cfg.Interval)
}

func (f *fixture) health(t *testing.T, m *health.Monitor, tenant string) api.TenantHealth {
	t.Helper()
	h, err := m.TenantHealth(context.Background(), tenant)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestKillRestartIncident(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "acme", "globex")
	m := f.monitor()
	u := unitOf("acme")
	f.units.set(u, "active", "running", 0)
	f.units.set(unitOf("globex"), "active", "running", 0)
	t0 := f.clock.now

	f.tick(t, m) // t0: healthy
	if h := f.health(t, m, "acme"); h.Status != api.HealthHealthy || !h.Since.Equal(t0) || h.LastProbe == nil {
		t.Fatalf("after the first probe: %+v", h)
	}
	// The process is killed: systemd waits RestartSec, restarts it (NRestarts
	// 1), and it fails again for a while.
	f.units.set(u, "activating", "auto-restart", 0)
	f.tick(t, m) // t0+15s
	f.units.set(u, "activating", "auto-restart", 0)
	f.tick(t, m) // t0+30s
	if h := f.health(t, m, "acme"); h.Status != api.HealthDegraded || h.Cause != api.CauseUnitFailed || len(h.OpenIncidents) != 0 {
		t.Fatalf("two bad probes: status %s cause %s incidents %d", h.Status, h.Cause, len(h.OpenIncidents))
	}
	f.units.set(u, "failed", "failed", 1)
	f.tick(t, m) // t0+45s: third bad probe opens the incident
	h := f.health(t, m, "acme")
	if h.Status != api.HealthDown || len(h.OpenIncidents) != 1 {
		t.Fatalf("three bad probes: status %s incidents %+v", h.Status, h.OpenIncidents)
	}
	inc := h.OpenIncidents[0]
	if inc.Cause != api.CauseUnitFailed || !inc.Start.Equal(t0.Add(15*time.Second)) || !inc.Open || len(inc.Evidence) != 3 || inc.Restarts != 1 {
		t.Fatalf("opened incident: %+v", inc)
	}
	f.units.set(u, "active", "running", 2)
	f.tick(t, m) // t0+60s: first good probe
	if h := f.health(t, m, "acme"); h.Status != api.HealthHealthy || len(h.OpenIncidents) != 1 {
		t.Fatalf("one good probe closes nothing: %s %d", h.Status, len(h.OpenIncidents))
	}
	f.tick(t, m) // t0+75s: second good probe closes it
	h = f.health(t, m, "acme")
	if len(h.OpenIncidents) != 0 || len(h.RecentIncidents) != 1 {
		t.Fatalf("after two good probes: open %d recent %d", len(h.OpenIncidents), len(h.RecentIncidents))
	}
	closed := h.RecentIncidents[0]
	if closed.Open || !closed.End.Equal(t0.Add(60*time.Second)) || closed.Restarts != 2 || len(closed.Evidence) != 5 {
		t.Fatalf("closed incident: %+v", closed)
	}
	// The other tenant was never touched.
	if g := f.health(t, m, "globex"); g.Status != api.HealthHealthy || len(g.RecentIncidents) != 0 {
		t.Errorf("globex: %+v", g)
	}
	// One systemctl call per round, for both units.
	if n := len(f.units.calls); n != 6 || len(f.units.calls[0]) != 2 {
		t.Errorf("systemctl calls: %q", f.units.calls)
	}

	// Availability at t0+90s (the clock moved on after the last round):
	// healthy 0..15s and 60..90s = 45s, degraded 30s, down 15s; the rest of
	// the day before t0 is unknown: 45 / 90 = 0.5.
	day := h.Availability[0]
	if day.HealthySeconds != 45 || day.DegradedSeconds != 30 || day.DownSeconds != 15 || day.Ratio == nil || *day.Ratio != 0.5 {
		t.Errorf("24h availability: %+v ratio %v", day, *day.Ratio)
	}
	// Transitions, not samples: healthy, degraded, down, healthy.
	var got []string
	for _, tr := range h.Transitions {
		got = append(got, fmt.Sprintf("%s/%s@%v", tr.Status, tr.Cause, tr.Time.Sub(t0)))
	}
	if want := "[healthy/@0s degraded/unit_failed@15s down/unit_failed@45s healthy/@1m0s]"; fmt.Sprint(got) != want {
		t.Errorf("transitions %s, want %s", got, want)
	}
}

func TestStoppedUnitIsDownAndCrashLoop(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "acme")
	f.cfg.OpenAfter, f.cfg.CloseAfter = 2, 1
	m := f.monitor()
	u := unitOf("acme")
	f.units.set(u, "inactive", "dead", 0)
	f.tick(t, m)
	f.tick(t, m)
	h := f.health(t, m, "acme")
	if h.Status != api.HealthDown || h.Cause != api.CauseUnitStopped || len(h.OpenIncidents) != 1 || h.OpenIncidents[0].Cause != api.CauseUnitStopped {
		t.Fatalf("stopped unit: %s %s %+v", h.Status, h.Cause, h.OpenIncidents)
	}
	// It comes back, then crashes every few seconds: NRestarts rises 1, 2, 3.
	f.units.set(u, "active", "running", 0)
	f.tick(t, m)
	for n := 1; n <= 3; n++ {
		f.units.set(u, "activating", "auto-restart", n)
		f.tick(t, m)
	}
	h = f.health(t, m, "acme")
	if h.Status != api.HealthDegraded || h.Cause != api.CauseCrashLoop || h.Restarts != 3 {
		t.Fatalf("crash loop: %s %s restarts %d (%s)", h.Status, h.Cause, h.Restarts, h.LastProbe.Detail)
	}
	if len(h.OpenIncidents) != 1 || h.OpenIncidents[0].Cause != api.CauseCrashLoop {
		t.Fatalf("crash loop incident: %+v", h.OpenIncidents)
	}
	// systemd gives up (start limit): still a crash loop, now down.
	f.units.set(u, "failed", "failed", 3)
	f.tick(t, m)
	if h := f.health(t, m, "acme"); h.Status != api.HealthDown || h.Cause != api.CauseCrashLoop {
		t.Fatalf("after the start limit: %s %s", h.Status, h.Cause)
	}
}

func TestSuspensionExcludedFromAvailability(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "acme")
	f.cfg.Interval = time.Minute
	m := f.monitor()
	u := unitOf("acme")
	t0 := f.clock.now
	f.units.set(u, "active", "running", 0)
	f.tick(t, m) // 0m healthy
	f.tick(t, m) // 1m
	f.units.set(u, "failed", "failed", 0)
	f.tick(t, m) // 2m down
	f.tick(t, m) // 3m
	f.tick(t, m) // 4m: incident opens (start 2m)
	f.put(t, "acme", 0, true)
	f.units.set(u, "inactive", "dead", 0)
	for range 10 {
		f.tick(t, m) // 5m..14m suspended; the incident closes at 5m
	}
	f.put(t, "acme", 0, false)
	f.units.set(u, "active", "running", 0)
	for range 6 {
		f.tick(t, m) // 15m..20m healthy
	}
	h := f.health(t, m, "acme")
	if h.Status != api.HealthHealthy || len(h.OpenIncidents) != 0 || len(h.RecentIncidents) != 1 {
		t.Fatalf("after resume: %s open %d recent %d", h.Status, len(h.OpenIncidents), len(h.RecentIncidents))
	}
	if inc := h.RecentIncidents[0]; !inc.Start.Equal(t0.Add(2*time.Minute)) || !inc.End.Equal(t0.Add(5*time.Minute)) {
		t.Errorf("incident %v..%v, want 2m..5m", inc.Start.Sub(t0), inc.End.Sub(t0))
	}
	// At 21m: healthy 0..2m and 15..21m = 8m, down 2..5m = 3m, suspended
	// 5..15m = 10m; the rest of the day unknown. 8 / (8 + 3) = 0.7272...
	day := h.Availability[0]
	if day.HealthySeconds != 480 || day.DownSeconds != 180 || day.SuspendedSeconds != 600 || *day.Ratio != 8.0/11.0 {
		t.Errorf("24h availability: %+v ratio %v", day, *day.Ratio)
	}
}

func TestHTTPProbes(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "acme")
	f.cfg.HTTP = true
	var answer openclaw.Health
	var answerErr error
	var port int
	f.http = func(_ context.Context, p int) (openclaw.Health, error) { port = p; return answer, answerErr }
	m := f.monitor()
	f.units.set(unitOf("acme"), "active", "running", 0)
	for name, tc := range map[string]struct {
		h     openclaw.Health
		err   error
		s     api.HealthStatus
		cause api.Cause
	}{
		"ready":       {openclaw.Health{Live: true, Ready: true}, nil, api.HealthHealthy, ""},
		"not ready":   {openclaw.Health{Live: true, Failing: []string{"discord"}}, nil, api.HealthDegraded, api.CauseNotReady},
		"unreachable": {openclaw.Health{}, fmt.Errorf("probe: %w", openclaw.ErrUnreachable), api.HealthDegraded, api.CauseHealthTimeout},
		"timeout":     {openclaw.Health{}, fmt.Errorf("probe: %w", context.DeadlineExceeded), api.HealthDegraded, api.CauseHealthTimeout},
	} {
		answer, answerErr = tc.h, tc.err
		f.tick(t, m)
		h := f.health(t, m, "acme")
		if h.Status != tc.s || h.Cause != tc.cause || h.LastProbe.HTTP == nil {
			t.Errorf("%s: %s %s %+v", name, h.Status, h.Cause, h.LastProbe)
		}
	}
	if port != 20000 {
		t.Errorf("probed port %d, want the allocated 20000", port)
	}
}

func TestRoundFailureReadsUnknownAndRestartKeepsIncident(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "acme")
	m := f.monitor()
	f.units.set(unitOf("acme"), "failed", "failed", 0)
	for range 3 {
		f.tick(t, m)
	}
	f.units.err = errors.New("systemctl show: exit 1")
	if err := m.Tick(context.Background()); err == nil {
		t.Fatal("a failed systemctl call is no error")
	}
	if h := f.health(t, m, "acme"); h.Status != api.HealthUnknown || len(h.OpenIncidents) != 1 {
		t.Fatalf("after a failed round: %s open %d", h.Status, len(h.OpenIncidents))
	}
	// A new executor process picks the open incident up and closes it.
	f.units.err = nil
	f.units.set(unitOf("acme"), "active", "running", 0)
	m2 := f.monitor()
	f.tick(t, m2)
	f.tick(t, m2)
	h := f.health(t, m2, "acme")
	if len(h.OpenIncidents) != 0 || len(h.RecentIncidents) != 1 {
		t.Fatalf("after restart: open %d recent %d", len(h.OpenIncidents), len(h.RecentIncidents))
	}
}

func TestRunStopsAndRecordsUnknown(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "acme")
	f.cfg.Interval = time.Second
	m := f.monitor()
	f.units.set(unitOf("acme"), "active", "running", 0)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for f.health(t, m, "acme").Status != api.HealthHealthy {
		if time.Now().After(deadline) {
			t.Fatal("Run did not probe")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v", err)
	}
	tr, ok, err := f.st.LastHealthTransition(context.Background(), "acme")
	if err != nil || !ok || tr.Status != api.HealthUnknown {
		t.Fatalf("last transition after stop: %+v %v %v", tr, ok, err)
	}
}

func TestBudgetSuspensionIncident(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "acme")
	budget := false
	m := health.New(health.Options{Config: f.cfg, Store: f.st, Units: f.units, UnitName: unitOf, Clock: f.clock.Now, Jitter: noJitter,
		SuspendReason: func(context.Context, string) string {
			if budget {
				return health.SuspendBudget
			}
			return ""
		}})
	f.units.set(unitOf("acme"), "active", "running", 0)
	f.tick(t, m)
	// The hold suspends the tenant while its desired state still says
	// active (the user's wish is kept; the executor holds it).
	budget = true
	f.units.set(unitOf("acme"), "inactive", "dead", 0)
	f.tick(t, m)
	h := f.health(t, m, "acme")
	if h.Status != api.HealthSuspended || h.Cause != api.CauseBudgetSuspension || len(h.OpenIncidents) != 1 ||
		h.OpenIncidents[0].Cause != api.CauseBudgetSuspension {
		t.Fatalf("budget suspension: %s %s %+v", h.Status, h.Cause, h.OpenIncidents)
	}
	budget = false
	f.units.set(unitOf("acme"), "active", "running", 0)
	f.tick(t, m)
	if h := f.health(t, m, "acme"); len(h.OpenIncidents) != 0 || len(h.RecentIncidents) != 1 || h.Availability[0].SuspendedSeconds != 15 {
		t.Fatalf("after resume: %+v", h)
	}
}
