package health_test

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestCollector(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "acme")
	m := f.monitor()
	f.units.set(unitOf("acme"), "failed", "failed", 4)
	for range 3 {
		f.tick(t, m)
	}
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(m); err != nil {
		t.Fatal(err)
	}
	want := `
# HELP missioncontrol_gateway_health_status 1 for the gateway's current health status, 0 for the others.
# TYPE missioncontrol_gateway_health_status gauge
missioncontrol_gateway_health_status{status="degraded",tenant="acme"} 0
missioncontrol_gateway_health_status{status="down",tenant="acme"} 1
missioncontrol_gateway_health_status{status="healthy",tenant="acme"} 0
missioncontrol_gateway_health_status{status="maintenance",tenant="acme"} 0
missioncontrol_gateway_health_status{status="suspended",tenant="acme"} 0
missioncontrol_gateway_health_status{status="unknown",tenant="acme"} 0
# HELP missioncontrol_gateway_open_incidents Open health incidents of the tenant (0 or 1).
# TYPE missioncontrol_gateway_open_incidents gauge
missioncontrol_gateway_open_incidents{tenant="acme"} 1
# HELP missioncontrol_gateway_restarts systemd's NRestarts of the gateway unit at the last probe.
# TYPE missioncontrol_gateway_restarts gauge
missioncontrol_gateway_restarts{tenant="acme"} 4
# HELP missioncontrol_gateway_availability_ratio Healthy time / (window - suspended, maintenance and unobserved time); absent when nothing of the window counts.
# TYPE missioncontrol_gateway_availability_ratio gauge
missioncontrol_gateway_availability_ratio{tenant="acme",window="24h"} 0
missioncontrol_gateway_availability_ratio{tenant="acme",window="30d"} 0
missioncontrol_gateway_availability_ratio{tenant="acme",window="7d"} 0
# HELP missioncontrol_health_probe_rounds_total Probe rounds run since the executor started.
# TYPE missioncontrol_health_probe_rounds_total counter
missioncontrol_health_probe_rounds_total 3
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"missioncontrol_gateway_health_status", "missioncontrol_gateway_open_incidents", "missioncontrol_gateway_restarts",
		"missioncontrol_gateway_availability_ratio", "missioncontrol_health_probe_rounds_total"); err != nil {
		t.Error(err)
	}
}
