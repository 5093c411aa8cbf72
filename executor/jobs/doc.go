// Package jobs runs reviewed plans. A submitted plan is planned again and
// must have the reviewed digest; then its steps run one by one, each audited
// before it runs and recorded as events (argv, exit code, bounded output,
// duration). One job runs per tenant at a time; a job left running by a
// crash is marked failed (interrupted) on start-up, and a retry plans again
// and converges because every step is idempotent.
//
// It never runs a step the policy denied, never runs a step whose audit
// record could not be written, and never changes the host outside a job.
package jobs
