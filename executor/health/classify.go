package health

import (
	"fmt"
	"strings"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

// classify turns systemd's view of the gateway unit and, when it was asked,
// the gateway's HTTP health into a status, a cause and a short detail.
// crashLoop says whether NRestarts rose enough within the crash-loop window;
// it turns the cause of a bad status into crash_loop but never makes a
// running, ready gateway bad.
func classify(u api.UnitState, httpProbe *api.HTTPProbe, crashLoop bool) (api.HealthStatus, api.Cause, string) {
	status, cause, detail := classifyUnit(u, httpProbe)
	if crashLoop && (status == api.HealthDegraded || status == api.HealthDown) && cause != api.CauseNotReady {
		cause = api.CauseCrashLoop
		detail = fmt.Sprintf("crash loop: %d restarts; %s", u.NRestarts, detail)
	}
	return status, cause, detail
}

func classifyUnit(u api.UnitState, h *api.HTTPProbe) (api.HealthStatus, api.Cause, string) {
	state := u.ActiveState + "/" + u.SubState
	switch {
	case u.LoadState == "" || u.LoadState == "not-found":
		return api.HealthDown, api.CauseUnitStopped, "unit not loaded"
	case u.ActiveState == "failed":
		return api.HealthDown, api.CauseUnitFailed, "unit " + state
	case u.ActiveState == "inactive" || u.ActiveState == "deactivating":
		return api.HealthDown, api.CauseUnitStopped, "unit " + state
	case u.ActiveState == "activating" && u.SubState == "auto-restart":
		return api.HealthDegraded, api.CauseUnitFailed, "process exited; unit " + state
	case u.ActiveState == "activating":
		return api.HealthDegraded, api.CauseNotReady, "starting; unit " + state
	case u.ActiveState != "active" && u.ActiveState != "reloading":
		return api.HealthDegraded, api.CauseNotReady, "unit " + state
	}
	switch {
	case h == nil:
		return api.HealthHealthy, "", "unit " + state
	case h.Error != "":
		return api.HealthDegraded, api.CauseHealthTimeout, h.Error
	case !h.Live:
		return api.HealthDegraded, api.CauseHealthTimeout, "/healthz did not report live"
	case !h.Ready:
		d := "/readyz: not ready"
		if len(h.Failing) > 0 {
			d += " (failing: " + strings.Join(h.Failing, ", ") + ")"
		}
		return api.HealthDegraded, api.CauseNotReady, d
	}
	return api.HealthHealthy, "", "unit " + state + "; live and ready"
}

// bad reports whether a status counts towards opening an incident.
func bad(s api.HealthStatus) bool { return s == api.HealthDegraded || s == api.HealthDown }
