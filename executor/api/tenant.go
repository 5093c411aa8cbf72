package api

// TenantStatus summarises a tenant as observed.
type TenantStatus string

const (
	TenantActive    TenantStatus = "active"
	TenantSuspended TenantStatus = "suspended"
	TenantDegraded  TenantStatus = "degraded" // a unit failed or is not running
	TenantDrifted   TenantStatus = "drifted"  // the host differs from the desired state
	TenantAbsent    TenantStatus = "absent"   // not on this host

	// TenantSuspendedBudget: the executor suspended it for exceeding its
	// budget (BudgetHold), whatever the desired state says.
	TenantSuspendedBudget TenantStatus = "suspended (budget)"
)

// UnitState is systemd's view of one unit.
type UnitState struct {
	Unit        string `json:"unit"`
	LoadState   string `json:"load_state"`
	ActiveState string `json:"active_state"`
	SubState    string `json:"sub_state"`
	Enabled     string `json:"enabled"` // UnitFileState: enabled, disabled, ...
	NRestarts   int    `json:"n_restarts"`
	MainPID     int    `json:"main_pid,omitempty"` // 0 when no process runs
}

// Tenant is a tenant as the executor knows and observes it.
type Tenant struct {
	Name string `json:"name"`
	// Registered is false when the host has no record of the tenant.
	Registered bool         `json:"registered"`
	Desired    Desired      `json:"desired"`
	Allocation Allocation   `json:"allocation"`
	Status     TenantStatus `json:"status"`
	// UserExists, Units and PendingSteps are observed now. PendingSteps are the
	// steps a plan of the registered desired state would run (the drift).
	UserExists   bool        `json:"user_exists"`
	Units        []UnitState `json:"units,omitempty"`
	PendingSteps []Step      `json:"pending_steps,omitempty"`
	LastJobID    string      `json:"last_job_id,omitempty"`
	LastJobState JobState    `json:"last_job_state,omitempty"`
	// MonthToDateUSD is the tenant's ingested model cost since the start of
	// the current UTC month; MonthToDateUnpriced counts the messages of that
	// period whose cost is unknown (not in MonthToDateUSD).
	MonthToDateUSD      float64 `json:"month_to_date_usd"`
	MonthToDateUnpriced int64   `json:"month_to_date_unpriced,omitempty"`
	// BudgetHold is set while the executor holds the tenant suspended for
	// exceeding its budget.
	BudgetHold *BudgetHold `json:"budget_hold,omitempty"`
}

// TenantList is the answer to a tenant listing.
type TenantList struct {
	Tenants []Tenant `json:"tenants"`
}

// Info describes the executor.
type Info struct {
	Version        string `json:"version"`
	APIVersion     string `json:"api_version"`
	HostID         string `json:"host_id"`
	PolicyRevision string `json:"policy_revision"`
	TenantCount    int    `json:"tenant_count"`
}
