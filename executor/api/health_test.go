package api_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

func TestHealthRoundTrip(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	ratio := 0.75
	probe := api.Probe{Time: t0, Status: api.HealthDegraded, Cause: api.CauseNotReady, Detail: "/readyz: not ready",
		Unit: api.UnitState{Unit: "missioncontrol-gateway@acme.service", LoadState: "loaded", ActiveState: "active", SubState: "running", NRestarts: 2, MainPID: 42},
		HTTP: &api.HTTPProbe{Live: true, Failing: []string{"discord"}, LatencyMS: 3}}
	cases := map[string]any{
		"tenant health": api.TenantHealth{Tenant: "acme", Time: t0, Status: api.HealthDegraded, Cause: api.CauseNotReady, Since: t0,
			LastProbe: &probe, Restarts: 2,
			Availability:    []api.Availability{{Window: "24h", WindowSeconds: 86400, HealthySeconds: 3, DownSeconds: 1, Ratio: &ratio}, {Window: "7d", WindowSeconds: 604800}},
			OpenIncidents:   []api.Incident{{ID: 2, Tenant: "acme", Cause: api.CauseCrashLoop, Status: api.HealthDown, Start: t0, Open: true, Restarts: 3, Evidence: []api.Probe{probe}}},
			RecentIncidents: []api.Incident{{ID: 1, Tenant: "acme", Cause: api.CauseUnitFailed, Status: api.HealthDown, Start: t0, End: t0.Add(time.Minute), Evidence: []api.Probe{probe}}},
			Transitions:     []api.HealthTransition{{Tenant: "acme", Time: t0, Status: api.HealthDegraded, Cause: api.CauseNotReady}}},
		"host": api.Host{Version: "v1.2.3", HostID: "h1", PolicyRevision: "sha256:p", TenantCount: 3, PortsTotal: 500, PortsFree: 497,
			TenantRoot: "/srv/missioncontrol/tenants", TenantRootBytes: 1 << 20, DiskTotalBytes: 1 << 40, DiskFreeBytes: 1 << 39, DiskUsedPercent: 50},
	}
	for name, sent := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b, err := json.Marshal(sent)
			if err != nil {
				t.Fatal(err)
			}
			var back any
			switch sent.(type) {
			case api.TenantHealth:
				var h api.TenantHealth
				err = json.Unmarshal(b, &h)
				back = h
			case api.Host:
				var h api.Host
				err = json.Unmarshal(b, &h)
				back = h
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(sent, back); diff != "" {
				t.Fatalf("round trip (-sent +received):\n%s", diff)
			}
		})
	}
	// An open incident has no end on the wire; a window without counted
	// time has a null ratio.
	b, _ := json.Marshal(cases["tenant health"])
	if s := string(b); !strings.Contains(s, `"ratio":null`) || strings.Contains(s, `"end":"0001`) {
		t.Errorf("wire form: %s", s)
	}
}
