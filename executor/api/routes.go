package api

import "time"

// Version is the API version served under /v1.
const Version = "v1"

// Routes, in Go 1.22 ServeMux pattern syntax. Reads are GET, everything that
// may change the host is POST.
const (
	RouteInfo        = "GET /v1/info"
	RoutePlan        = "POST /v1/plans"           // dry run: PlanRequest -> Plan
	RouteSubmitJob   = "POST /v1/jobs"            // SubmitRequest -> Job
	RouteListJobs    = "GET /v1/jobs"             // ?tenant=NAME -> JobList
	RouteGetJob      = "GET /v1/jobs/{id}"        // -> Job with events; ?wait=DURATION&after=SEQ long-polls
	RouteRetryJob    = "POST /v1/jobs/{id}/retry" // -> new Job re-planned from a failed one
	RouteListTenants = "GET /v1/tenants"          // -> TenantList
	RouteGetTenant   = "GET /v1/tenants/{name}"   // -> Tenant (observed now)
)

// Paths for clients (the same routes without the method).
const (
	PathInfo    = "/v1/info"
	PathPlans   = "/v1/plans"
	PathJobs    = "/v1/jobs"
	PathTenants = "/v1/tenants"
)

// Long polls of RouteGetJob: with QueryWait (a Go duration up to MaxJobWait),
// the executor answers once the job has an event after sequence number
// QueryAfter (-1 for any), is in a terminal state, or the wait is over; so a
// client following a job sees each change when it happens instead of at its
// next poll. With QueryUntil set to UntilEnd it answers only once the job is
// in a terminal state or the wait is over, with every event so far: one
// request per job, instead of one per event, for a client that needs the
// outcome more than each step as it happens.
const (
	QueryWait  = "wait"
	QueryAfter = "after"
	QueryUntil = "until"
	UntilEnd   = "end"
	MaxJobWait = 20 * time.Second
)

// HeaderRequestID carries a client-chosen id that the executor logs and audits.
const HeaderRequestID = "X-Request-Id"

// MaxBodyBytes bounds every request body the executor reads.
const MaxBodyBytes = 1 << 20
