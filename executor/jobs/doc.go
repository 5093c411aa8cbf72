// Package jobs runs reviewed plans. A submitted plan is planned again and
// must have the reviewed digest; then its steps run one by one, each audited
// before it runs and recorded as events (argv, exit code, bounded output,
// duration). One job runs per tenant at a time; a job left running by a
// crash is marked failed (interrupted) on start-up, and a retry plans again
// and converges because every step is idempotent.
//
// Approvals: a job whose tenant's environment needs approvers (the policy's
// approvals block; the stricter of the planned and the registered
// environment) waits in awaiting_approval until that many distinct
// approve-keys other than the submitter's have signed its digest, given
// with the submission or later (Approve). It can be rejected, cancelled
// (before it runs, or at a step boundary while it runs) or expire. A retry
// keeps the approvals only if it plans the same digest.
//
// It never runs a step the policy denied, never runs a step whose audit
// record could not be written, and never changes the host outside a job.
package jobs
