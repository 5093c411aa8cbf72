package api

import "time"

// Routes and paths of gateway health and the host summary.
const (
	RouteTenantHealth = "GET /v1/tenants/{name}/health" // -> TenantHealth
	RouteHost         = "GET /v1/host"                  // -> Host
	PathHost          = "/v1/host"
)

// TenantHealthPath is the path of a tenant's health, for clients; name must
// already be path-escaped.
func TenantHealthPath(name string) string { return PathTenants + "/" + name + "/health" }

// HealthStatus is what the executor's probes say about a tenant's gateway.
type HealthStatus string

const (
	// HealthHealthy: the unit runs and, when HTTP probes are on, the gateway
	// is live and ready.
	HealthHealthy HealthStatus = "healthy"
	// HealthDegraded: up but not ready (HTTP health failing or timing out),
	// or restarting after its process died, or crash looping.
	HealthDegraded HealthStatus = "degraded"
	// HealthDown: the unit is failed, stopped or missing although the
	// tenant should be running.
	HealthDown HealthStatus = "down"
	// HealthSuspended: the tenant is suspended or its gateway service is
	// disabled or absent; excluded from availability.
	HealthSuspended HealthStatus = "suspended"
	// HealthMaintenance: a job is changing the tenant; excluded from
	// availability.
	HealthMaintenance HealthStatus = "maintenance"
	// HealthUnknown: not probed yet, or the executor was not running;
	// excluded from availability.
	HealthUnknown HealthStatus = "unknown"
)

// Cause says why a probe was not healthy, and why an incident opened.
type Cause string

const (
	CauseUnitFailed       Cause = "unit_failed"       // the unit failed or its process died (restarting)
	CauseUnitStopped      Cause = "unit_stopped"      // inactive or not loaded although it should run
	CauseCrashLoop        Cause = "crash_loop"        // NRestarts rose health.crash_loop_restarts times within the window
	CauseHealthTimeout    Cause = "health_timeout"    // /healthz did not answer (in time) or not as a gateway
	CauseNotReady         Cause = "not_ready"         // live, but /readyz says not ready; or still starting
	CauseBudgetSuspension Cause = "budget_suspension" // suspended because its budget was exceeded
)

// HTTPProbe is what the gateway's health endpoints said.
type HTTPProbe struct {
	Live      bool     `json:"live"`
	Ready     bool     `json:"ready"`
	Failing   []string `json:"failing,omitempty"`
	Error     string   `json:"error,omitempty"`
	LatencyMS int64    `json:"latency_ms"`
}

// Probe is one observation of a tenant's gateway.
type Probe struct {
	Time   time.Time    `json:"time"`
	Status HealthStatus `json:"status"`
	Cause  Cause        `json:"cause,omitempty"`
	Detail string       `json:"detail,omitempty"`
	Unit   UnitState    `json:"unit"`
	// HTTP is nil when HTTP probes are off or the unit was not running.
	HTTP *HTTPProbe `json:"http,omitempty"`
}

// HealthTransition is a change of a tenant's status (or of its cause);
// availability is computed from these, not from every probe.
type HealthTransition struct {
	Tenant string       `json:"tenant"`
	Time   time.Time    `json:"time"`
	Status HealthStatus `json:"status"`
	Cause  Cause        `json:"cause,omitempty"`
	Detail string       `json:"detail,omitempty"`
}

// Incident is a stretch of bad probes: opened after health.open_after bad
// probes in a row, closed after health.close_after good ones. Start is the
// time of the first bad probe, End that of the first good probe of the
// closing run (zero while open).
type Incident struct {
	ID     int64        `json:"id"`
	Tenant string       `json:"tenant"`
	Cause  Cause        `json:"cause"`
	Status HealthStatus `json:"status"` // the status of the probe that opened it
	Start  time.Time    `json:"start"`
	End    time.Time    `json:"end,omitzero"`
	Open   bool         `json:"open"`
	// Restarts is how much NRestarts rose while the incident was open.
	Restarts int `json:"restarts"`
	// Evidence are the probes that opened the incident and, once closed,
	// the ones that closed it.
	Evidence []Probe `json:"evidence"`
}

// Availability is the share of a window a tenant was healthy:
// healthy / (window - suspended - maintenance - unknown).
type Availability struct {
	Window string `json:"window"` // "24h", "7d", "30d"
	// Seconds of the window in each state.
	WindowSeconds      float64 `json:"window_seconds"`
	HealthySeconds     float64 `json:"healthy_seconds"`
	DegradedSeconds    float64 `json:"degraded_seconds"`
	DownSeconds        float64 `json:"down_seconds"`
	SuspendedSeconds   float64 `json:"suspended_seconds"`
	MaintenanceSeconds float64 `json:"maintenance_seconds"`
	UnknownSeconds     float64 `json:"unknown_seconds"`
	// Ratio is 0..1; nil when no time of the window counts (all of it
	// suspended, in maintenance or unobserved).
	Ratio *float64 `json:"ratio"`
}

// TenantHealth is the answer to GET /v1/tenants/{name}/health.
type TenantHealth struct {
	Tenant string `json:"tenant"`
	// Time is when the executor computed this answer: the end of every
	// availability window.
	Time   time.Time    `json:"time"`
	Status HealthStatus `json:"status"`
	Cause  Cause        `json:"cause,omitempty"`
	// Since is when the tenant entered Status (zero when never probed).
	Since time.Time `json:"since,omitzero"`
	// LastProbe is nil before the first probe.
	LastProbe *Probe `json:"last_probe,omitempty"`
	// Restarts is the unit's NRestarts at the last probe.
	Restarts        int            `json:"restarts"`
	Availability    []Availability `json:"availability"`
	OpenIncidents   []Incident     `json:"open_incidents"`
	RecentIncidents []Incident     `json:"recent_incidents"` // closed, newest first
	// Transitions are the status changes of the last 24 hours, oldest
	// first (at most 200), preceded by the one in force 24 hours ago.
	Transitions []HealthTransition `json:"transitions,omitempty"`
}

// Host is the answer to GET /v1/host: the executor and the host's capacity.
type Host struct {
	Version        string `json:"version"`
	HostID         string `json:"host_id"`
	PolicyRevision string `json:"policy_revision"`
	TenantCount    int    `json:"tenant_count"` // registered, not decommissioned
	// PortsTotal is how many gateway base ports the configured range holds
	// (stride 20); PortsFree how many of them no tenant holds.
	PortsTotal int `json:"ports_total"`
	PortsFree  int `json:"ports_free"`
	// TenantRoot is tenants.root; TenantRootBytes the size of the regular
	// files under it; the Disk fields describe its filesystem.
	TenantRoot      string  `json:"tenant_root"`
	TenantRootBytes int64   `json:"tenant_root_bytes"`
	DiskTotalBytes  int64   `json:"disk_total_bytes"`
	DiskFreeBytes   int64   `json:"disk_free_bytes"`
	DiskUsedPercent float64 `json:"disk_used_percent"`
}
