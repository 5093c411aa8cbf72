package e2e_test

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/testhost"
)

// healthConfig is the example executor configuration with fast probes
// (every second, incidents after 3 bad and closed after 2 good ones, HTTP
// on) and testdata/fakegw.py, a gateway stand-in with the health endpoints,
// as the gateway command.
func healthConfig(t *testing.T) []byte {
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
	block("gateway").SetAttributeValue("command", cty.ListVal([]cty.Value{
		cty.StringVal("/usr/bin/python3"), cty.StringVal("/share/bin/fakegw.py"), cty.StringVal("${PORT}")}))
	h := block("health")
	h.SetAttributeValue("interval", cty.StringVal("1s"))
	h.SetAttributeValue("probe_timeout", cty.StringVal("500ms"))
	h.SetAttributeValue("open_after", cty.NumberIntVal(3))
	h.SetAttributeValue("close_after", cty.NumberIntVal(2))
	h.SetAttributeValue("http", cty.True)
	h.SetAttributeValue("crash_loop_restarts", cty.NumberIntVal(3))
	h.SetAttributeValue("crash_loop_window", cty.StringVal("2m"))
	block("metrics").SetAttributeValue("listen", cty.StringVal("127.0.0.1:9464"))
	return f.Bytes()
}

// bootHealth boots a throwaway host whose executor probes fast and runs
// the fake gateway.
func bootHealth(t *testing.T) *env {
	t.Helper()
	testhost.Require(t)
	seed, err := testhost.SudoSeed(context.Background())
	if err != nil {
		t.Fatalf("sudo seed: %v", err)
	}
	h := testhost.Boot(t, testhost.Options{Seeds: []string{seed}})
	gw, err := os.ReadFile("testdata/fakegw.py")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(h.Share, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(h.Share, "bin", "fakegw.py"), gw, 0o644); err != nil {
		t.Fatal(err)
	}
	e := testhost.BootExecutor(t, h, testhost.ExecutorOptions{Config: healthConfig(t)})
	c := newClient(t, e.Socket)
	return &env{host: h, exec: e, c: c.withKey(t, e, testhost.KeyOperator)}
}

func (c *apiClient) health(name string) api.TenantHealth {
	c.t.Helper()
	var h api.TenantHealth
	if err := c.do("GET", api.TenantHealthPath(name), nil, &h); err != nil {
		c.t.Fatalf("get health of %s: %v", name, err)
	}
	return h
}

// waitHealth polls the tenant's health until ok says so.
func (c *apiClient) waitHealth(name, what string, timeout time.Duration, ok func(api.TenantHealth) bool) api.TenantHealth {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		h := c.health(name)
		if ok(h) {
			return h
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("%s: %s not seen within %v; status %s cause %s last probe %+v open %+v",
				name, what, timeout, h.Status, h.Cause, h.LastProbe, h.OpenIncidents)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// byHand sums the seconds of [from, to) spent in each status, from the
// transitions, the way an operator would with a pencil.
func byHand(trs []api.HealthTransition, from, to time.Time) map[api.HealthStatus]float64 {
	out := map[api.HealthStatus]float64{}
	for i, tr := range trs {
		start, end := tr.Time, to
		if i+1 < len(trs) {
			end = trs[i+1].Time
		}
		if start.Before(from) {
			start = from
		}
		if end.After(start) {
			out[tr.Status] += end.Sub(start).Seconds()
		}
	}
	if len(trs) == 0 || trs[0].Time.After(from) {
		first := to
		if len(trs) > 0 {
			first = trs[0].Time
		}
		out[api.HealthUnknown] += first.Sub(from).Seconds()
	}
	return out
}

func TestGatewayHealthIncidentsAndAvailability(t *testing.T) {
	t.Parallel()
	e := bootHealth(t)
	h := e.host
	c := e.c
	const unit = "missioncontrol-gateway@acme.service"
	c.apply(bootstrapChanges("acme"))

	// A healthy gateway reads healthy, HTTP probed on its port.
	hl := c.waitHealth("acme", "healthy", 30*time.Second, func(h api.TenantHealth) bool { return h.Status == api.HealthHealthy })
	if p := hl.LastProbe; p == nil || p.HTTP == nil || !p.HTTP.Live || !p.HTTP.Ready || p.Unit.MainPID == 0 {
		t.Fatalf("healthy probe: %+v", hl.LastProbe)
	}

	// Not ready: /readyz answers 503.
	h.Run(t, "touch", "/srv/missioncontrol/tenants/acme/NOTREADY")
	c.waitHealth("acme", "not ready", 10*time.Second, func(h api.TenantHealth) bool { return h.Cause == api.CauseNotReady })
	h.Run(t, "rm", "/srv/missioncontrol/tenants/acme/NOTREADY")
	c.waitHealth("acme", "healthy again", 10*time.Second, func(h api.TenantHealth) bool {
		return h.Status == api.HealthHealthy && len(h.OpenIncidents) == 0
	})
	closedBefore := len(c.health("acme").RecentIncidents)

	// Killing its process opens an incident; systemd restarts it after
	// RestartSec (5s) and the incident closes.
	h.Run(t, "systemctl", "kill", "--signal=SIGKILL", unit)
	hl = c.waitHealth("acme", "incident opened", 15*time.Second, func(h api.TenantHealth) bool { return len(h.OpenIncidents) == 1 })
	if inc := hl.OpenIncidents[0]; inc.Cause != api.CauseUnitFailed || len(inc.Evidence) != 3 {
		t.Fatalf("kill incident: cause %s evidence %+v", inc.Cause, inc.Evidence)
	}
	hl = c.waitHealth("acme", "incident closed", 20*time.Second, func(h api.TenantHealth) bool {
		return len(h.OpenIncidents) == 0 && len(h.RecentIncidents) == closedBefore+1
	})
	kill := hl.RecentIncidents[0]
	if d := kill.End.Sub(kill.Start); kill.Cause != api.CauseUnitFailed || kill.Restarts < 1 || d < 3*time.Second || d > 10*time.Second {
		t.Errorf("kill incident: cause %s restarts %d lasted %v (RestartSec is 5s)", kill.Cause, kill.Restarts, d)
	}

	// Stopping the unit for longer reads down.
	h.Run(t, "systemctl", "stop", unit)
	stopped := time.Now()
	hl = c.waitHealth("acme", "down", 10*time.Second, func(h api.TenantHealth) bool {
		return h.Status == api.HealthDown && len(h.OpenIncidents) == 1
	})
	if hl.Cause != api.CauseUnitStopped || hl.OpenIncidents[0].Cause != api.CauseUnitStopped {
		t.Errorf("stopped unit: cause %s, incident %+v", hl.Cause, hl.OpenIncidents[0])
	}
	time.Sleep(3 * time.Second)
	h.Run(t, "systemctl", "start", unit)
	downFor := time.Since(stopped)
	c.waitHealth("acme", "recovered", 15*time.Second, func(h api.TenantHealth) bool {
		return h.Status == api.HealthHealthy && len(h.OpenIncidents) == 0
	})

	// Suspension: its time is excluded from availability.
	spec := *bootstrapChanges("acme").Changes[0].Tenant
	spec.Suspended = true
	c.apply(tenantChange(spec))
	suspended := time.Now()
	c.waitHealth("acme", "suspended", 10*time.Second, func(h api.TenantHealth) bool { return h.Status == api.HealthSuspended })
	time.Sleep(5 * time.Second)
	spec.Suspended = false
	c.apply(tenantChange(spec))
	suspendedFor := time.Since(suspended)
	hl = c.waitHealth("acme", "healthy after resume", 15*time.Second, func(h api.TenantHealth) bool { return h.Status == api.HealthHealthy })

	// The 24h availability matches a hand computation over the stored
	// transitions, and the wall clock of this test.
	day := hl.Availability[0]
	if day.Window != "24h" || day.Ratio == nil {
		t.Fatalf("24h availability: %+v", day)
	}
	sec := byHand(hl.Transitions, hl.Time.Add(-24*time.Hour), hl.Time)
	want := sec[api.HealthHealthy] / (86400 - sec[api.HealthSuspended] - sec[api.HealthMaintenance] - sec[api.HealthUnknown])
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-6 }
	if !near(*day.Ratio, want) || !near(day.HealthySeconds, sec[api.HealthHealthy]) || !near(day.SuspendedSeconds, sec[api.HealthSuspended]) ||
		!near(day.DownSeconds, sec[api.HealthDown]) || !near(day.DegradedSeconds, sec[api.HealthDegraded]) {
		t.Errorf("24h availability %+v (ratio %v), by hand %v (ratio %v)", day, *day.Ratio, sec, want)
	}
	if day.SuspendedSeconds < 4 || day.SuspendedSeconds > suspendedFor.Seconds()+1 {
		t.Errorf("suspended %.1fs; the test held the tenant suspended for %v", day.SuspendedSeconds, suspendedFor)
	}
	if day.DownSeconds < 2 || day.DownSeconds > downFor.Seconds()+1 {
		t.Errorf("down %.1fs; the unit was stopped for %v", day.DownSeconds, downFor)
	}
	if *day.Ratio >= 1 || *day.Ratio <= 0.1 {
		t.Errorf("availability %v after a kill and a stop", *day.Ratio)
	}
	t.Logf("24h: healthy %.1fs degraded %.1fs down %.1fs suspended %.1fs maintenance %.1fs unknown %.1fs ratio %.4f",
		day.HealthySeconds, day.DegradedSeconds, day.DownSeconds, day.SuspendedSeconds, day.MaintenanceSeconds, day.UnknownSeconds, *day.Ratio)

	// The host summary.
	var host api.Host
	if err := c.do("GET", api.PathHost, nil, &host); err != nil {
		t.Fatal(err)
	}
	if host.TenantCount != 1 || host.PortsTotal != 500 || host.PortsFree != 499 || host.TenantRootBytes == 0 || host.DiskTotalBytes == 0 || host.HostID == "" {
		t.Errorf("host: %+v", host)
	}
	// An unknown tenant has no health.
	if err := c.do("GET", api.TenantHealthPath("nobody"), nil, nil); !api.IsCode(err, api.CodeNotFound) {
		t.Errorf("health of an unknown tenant: %v", err)
	}
}

func TestGatewayCrashLoop(t *testing.T) {
	t.Parallel()
	e := bootHealth(t)
	c := e.c
	c.apply(bootstrapChanges("crashy"))
	c.waitHealth("crashy", "healthy", 30*time.Second, func(h api.TenantHealth) bool { return h.Status == api.HealthHealthy })
	// From now on the gateway exits at start; one kill starts the loop.
	e.host.Run(t, "touch", "/srv/missioncontrol/tenants/crashy/CRASH")
	e.host.Run(t, "systemctl", "kill", "--signal=SIGKILL", "missioncontrol-gateway@crashy.service")
	hl := c.waitHealth("crashy", "crash loop", 60*time.Second, func(h api.TenantHealth) bool {
		return h.Cause == api.CauseCrashLoop && len(h.OpenIncidents) == 1 && h.OpenIncidents[0].Cause == api.CauseCrashLoop
	})
	if hl.Restarts < 3 || (hl.Status != api.HealthDegraded && hl.Status != api.HealthDown) {
		t.Errorf("crash loop: status %s restarts %d", hl.Status, hl.Restarts)
	}
	if inc := hl.OpenIncidents[0]; inc.Restarts < 2 {
		t.Errorf("crash loop incident counts %d restarts", inc.Restarts)
	}
	// The same on /metrics.
	out, err := e.host.Try("python3", "-c", `import urllib.request; print(urllib.request.urlopen("http://127.0.0.1:9464/metrics").read().decode())`)
	if err != nil {
		t.Fatalf("GET /metrics: %v: %s", err, out)
	}
	for _, re := range []string{
		`missioncontrol_gateway_health_status\{status="(degraded|down)",tenant="crashy"\} 1`,
		`missioncontrol_gateway_health_status\{status="healthy",tenant="crashy"\} 0`,
		`missioncontrol_gateway_open_incidents\{tenant="crashy"\} 1`,
		`missioncontrol_gateway_restarts\{tenant="crashy"\} [3-9]`,
		`missioncontrol_gateway_availability_ratio\{tenant="crashy",window="24h"\} 0\.\d+`,
		`missioncontrol_health_probe_rounds_total [1-9]\d*`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("/metrics has no line matching %s", re)
		}
	}
}
