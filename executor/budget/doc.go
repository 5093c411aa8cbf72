// Package budget checks tenants' month-to-date model cost against their
// budgets after every usage ingestion pass. A soft breach (soft_limit_percent
// of the monthly budget) and a hard breach (100%) are each audited once per
// tenant, UTC month and budget, and counted in metrics; a hard breach of a
// budget whose action is "suspend" asks the job queue to suspend the tenant
// (jobs.Queue.SuspendForBudget), which the policy must allow.
//
// It never changes the host itself: suspensions are jobs like any other,
// audited and planned from the tenant's registered desired state.
package budget
