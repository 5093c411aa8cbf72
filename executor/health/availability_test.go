package health_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/health"
)

func ratio(f float64) *float64 { return &f }

func TestAvailability(t *testing.T) {
	t.Parallel()
	end := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	at := func(ago time.Duration, s api.HealthStatus) api.HealthTransition {
		return api.HealthTransition{Tenant: "acme", Time: end.Add(-ago), Status: s}
	}
	h := time.Hour
	// 30h ago healthy, 20h down, 19h healthy, 10h suspended, 6h healthy,
	// 2h maintenance, 90m degraded, 1h healthy.
	timeline := []api.HealthTransition{
		at(30*h, api.HealthHealthy), at(20*h, api.HealthDown), at(19*h, api.HealthHealthy),
		at(10*h, api.HealthSuspended), at(6*h, api.HealthHealthy), at(2*h, api.HealthMaintenance),
		at(90*time.Minute, api.HealthDegraded), at(h, api.HealthHealthy),
	}
	tests := map[string]struct {
		trs    []api.HealthTransition
		window health.Window
		want   api.Availability
	}{
		// healthy 4+9+4+1 = 18h, down 1h, suspended 4h, maintenance and
		// degraded 30m each: 18 / (24 - 4 - 0.5) = 18/19.5.
		"24h": {timeline, health.Windows[0], api.Availability{Window: "24h", WindowSeconds: 86400,
			HealthySeconds: 18 * 3600, DownSeconds: 3600, SuspendedSeconds: 4 * 3600, MaintenanceSeconds: 1800,
			DegradedSeconds: 1800, Ratio: ratio(18.0 / 19.5)}},
		// the 138h before the first transition are unknown: healthy
		// 10+9+4+1 = 24h of 168 - 4 - 0.5 - 138 = 25.5h.
		"7d": {timeline, health.Windows[1], api.Availability{Window: "7d", WindowSeconds: 7 * 86400,
			HealthySeconds: 24 * 3600, DownSeconds: 3600, SuspendedSeconds: 4 * 3600, MaintenanceSeconds: 1800,
			DegradedSeconds: 1800, UnknownSeconds: 138 * 3600, Ratio: ratio(24.0 / 25.5)}},
		"never observed": {nil, health.Windows[0], api.Availability{Window: "24h", WindowSeconds: 86400, UnknownSeconds: 86400}},
		"suspended all day": {[]api.HealthTransition{at(48*h, api.HealthSuspended)}, health.Windows[0],
			api.Availability{Window: "24h", WindowSeconds: 86400, SuspendedSeconds: 86400}},
		"down since an hour, executor stopped 30m ago": {
			[]api.HealthTransition{at(25*h, api.HealthHealthy), at(h, api.HealthDown), at(30*time.Minute, api.HealthUnknown)},
			health.Windows[0], api.Availability{Window: "24h", WindowSeconds: 86400, HealthySeconds: 23 * 3600,
				DownSeconds: 1800, UnknownSeconds: 1800, Ratio: ratio(23.0 / 23.5)}},
		"transitions after the end are ignored": {
			[]api.HealthTransition{at(2*h, api.HealthHealthy), at(-h, api.HealthDown)}, health.Windows[0],
			api.Availability{Window: "24h", WindowSeconds: 86400, HealthySeconds: 2 * 3600, UnknownSeconds: 22 * 3600, Ratio: ratio(1)}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := health.Availability(tc.trs, tc.window, end)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Availability mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
