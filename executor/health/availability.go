package health

import (
	"time"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

// Window is one availability window.
type Window struct {
	Name     string // "24h", "7d", "30d"
	Duration time.Duration
}

// Windows are the windows the API reports.
var Windows = []Window{{"24h", 24 * time.Hour}, {"7d", 7 * 24 * time.Hour}, {"30d", 30 * 24 * time.Hour}}

// Availability computes the time spent in each status during [to-w.Duration,
// to) from transitions sorted by time: a tenant is in a transition's status
// from its time until the next transition, and in the last one until to.
// The status at the window's start is the last transition at or before it;
// time before the first transition is unknown.
//
// Ratio = healthy / (window - suspended - maintenance - unknown): suspension,
// maintenance and time nobody observed neither count for nor against the
// tenant. It is nil when nothing of the window counts.
func Availability(trs []api.HealthTransition, w Window, to time.Time) api.Availability {
	from := to.Add(-w.Duration)
	a := api.Availability{Window: w.Name, WindowSeconds: w.Duration.Seconds()}
	cur, at := api.HealthUnknown, from
	add := func(until time.Time) {
		if !until.After(at) {
			return
		}
		d := until.Sub(at).Seconds()
		switch cur {
		case api.HealthHealthy:
			a.HealthySeconds += d
		case api.HealthDegraded:
			a.DegradedSeconds += d
		case api.HealthDown:
			a.DownSeconds += d
		case api.HealthSuspended:
			a.SuspendedSeconds += d
		case api.HealthMaintenance:
			a.MaintenanceSeconds += d
		default:
			a.UnknownSeconds += d
		}
		at = until
	}
	for _, tr := range trs {
		if !tr.Time.After(from) {
			cur = tr.Status
			continue
		}
		if !tr.Time.Before(to) {
			break
		}
		add(tr.Time)
		cur = tr.Status
	}
	add(to)
	counted := a.WindowSeconds - a.SuspendedSeconds - a.MaintenanceSeconds - a.UnknownSeconds
	if counted > 0 {
		r := a.HealthySeconds / counted
		a.Ratio = &r
	}
	return a
}
