package jobs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/audit"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/plan"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/store"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/trust"
)

// DefaultApprovalTTL is how long a job may await approvals by default.
const DefaultApprovalTTL = 24 * time.Hour

// gate records the job's trust (submitter, required approvals, deadline),
// counts the approval tokens that came with the request (and those carried
// over from a retried job), and leaves the job queued when enough distinct
// approvers other than the submitter approved its digest, or
// awaiting_approval with an event that says what it waits for. Tokens that
// do not count (another digest, host, expired, the submitter's own) are
// named in that event; they are not errors, because a provider sends the
// same tokens with every resource's job.
func (q *Queue) gate(ctx context.Context, job api.Job, req api.SubmitRequest, who Actor, required int, carried map[string]string) (api.Job, error) {
	submitter := ""
	if who.Key != nil {
		submitter = who.Key.ID
	}
	ttl := q.ApprovalTTL
	if ttl == 0 {
		ttl = DefaultApprovalTTL
	}
	deadline := job.CreatedAt.Add(ttl)
	if err := q.store.SetJobTrust(ctx, job.ID, store.JobTrust{Submitter: submitter, Required: required, ApprovalDeadline: deadline}); err != nil {
		return job, err
	}
	job.Submitter, job.RequiredApprovals, job.ApprovalDeadline = submitter, required, deadline
	if required == 0 {
		return job, nil
	}
	tokens := append([]string(nil), req.Approvals...)
	for _, t := range carried {
		tokens = append(tokens, t)
	}
	var ignored []string
	for _, tok := range tokens {
		if err := q.approve(ctx, job, tok); err != nil {
			var apiErr *api.Error
			if errors.As(err, &apiErr) {
				ignored = append(ignored, apiErr.Message)
				continue
			}
			return job, err
		}
	}
	q.mu.Lock()
	q.waiting[job.ID] = req
	q.mu.Unlock()
	cur, err := q.store.GetJob(ctx, job.ID)
	if err != nil {
		return job, err
	}
	if len(cur.Approvals) >= required {
		if err := q.store.SetJobState(ctx, job.ID, api.JobQueued, "", q.now()); err != nil {
			return cur, err
		}
		q.mu.Lock()
		delete(q.waiting, job.ID)
		q.mu.Unlock()
		q.event(ctx, job.ID, api.Event{Type: api.EventJobState, Step: -1, Message: fmt.Sprintf("approved by %s", approvers(cur))})
		cur.State = api.JobQueued
		return cur, nil
	}
	msg := WaitingMessage(cur)
	if len(ignored) > 0 {
		msg += "; tokens that did not count: " + strings.Join(ignored, "; ")
	}
	q.event(ctx, job.ID, api.Event{Type: api.EventJobState, Step: -1, Message: msg})
	return cur, nil
}

// WaitingMessage says what a job awaiting approval waits for and how to
// give it.
func WaitingMessage(j api.Job) string {
	return fmt.Sprintf("awaiting_approval: %d of %d approvals of digest %s by distinct approve-keys other than the submitter's "+
		"(have: %s); approve with `missioncontrol-executor approve %s --key KEY`, or make a token with "+
		"`missioncontrol-executor approve --digest %s --key KEY` for the provider's approvals; expires %s",
		len(j.Approvals), j.RequiredApprovals, j.Digest, approvers(j), j.ID, j.Digest, j.ApprovalDeadline.UTC().Format("2006-01-02T15:04:05Z"))
}

func approvers(j api.Job) string {
	if len(j.Approvals) == 0 {
		return "none"
	}
	names := make([]string, len(j.Approvals))
	for i, a := range j.Approvals {
		names[i] = a.Name
		if names[i] == "" {
			names[i] = a.KeyID
		}
	}
	return strings.Join(names, ", ")
}

// approve verifies one token for the job and records it. Errors are
// *api.Error (CodeForbidden with the trust rule, CodeConflict for a second
// approval by the same key) or store failures.
func (q *Queue) approve(ctx context.Context, job api.Job, token string) error {
	if q.Trust == nil {
		return &api.Error{Code: api.CodeForbidden, Rule: trust.RuleApprovalKey, Message: "this executor has no keys, so no approval can count"}
	}
	key, _, err := q.Trust.VerifyApproval(token, job.Digest)
	if err != nil {
		return err
	}
	if key.ID == job.Submitter {
		return &api.Error{Code: api.CodeForbidden, Rule: trust.RuleApprovalSelf, Field: "approvals",
			Message: fmt.Sprintf("key %s submitted job %s and cannot approve it: the submitter never counts as its own approver", key, job.ID)}
	}
	if err := trust.Scope(key, q.jobEnvironment(ctx, job)); err != nil {
		return err
	}
	err = q.store.AddApproval(ctx, job.ID, api.JobApproval{KeyID: key.ID, Name: key.Name, Time: q.now()}, token)
	if errors.Is(err, store.ErrDuplicateApproval) {
		return &api.Error{Code: api.CodeConflict, Rule: trust.RuleApprovalDuplicate, Field: "approvals",
			Message: fmt.Sprintf("key %s already approved job %s; two approvals by the same key count once", key, job.ID)}
	}
	if err != nil {
		return err
	}
	_, err = q.record(ctx, audit.Record{Type: "approval", Actor: "key " + key.String(), Tenant: job.Tenant, JobID: job.ID,
		Outcome: "counted", Data: mustJSON(map[string]string{"digest": job.Digest, "key_id": key.ID})})
	return err
}

func (q *Queue) jobEnvironment(ctx context.Context, job api.Job) api.Environment {
	req, err := q.store.GetJobRequest(ctx, job.ID)
	if err != nil {
		return ""
	}
	for _, c := range req.Changes {
		if c.Tenant != nil {
			return c.Tenant.Environment
		}
	}
	if rec, ok, err := q.store.GetTenant(ctx, job.Tenant); err == nil && ok {
		return rec.Desired.Tenant.Environment
	}
	return ""
}

// Approve gives approval tokens to a job awaiting approval; when the job
// then has enough distinct approvers it is queued and runs. Outcomes: the
// job as it is now; *api.Error not_found; CodeConflict when the job does
// not await approval (or the key approved it before); CodeForbidden for a
// token that does not verify, is for another digest or host, has expired,
// or is the submitter's own. Every refusal is audited.
func (q *Queue) Approve(ctx context.Context, id string, tokens []string, who Actor) (api.Job, error) {
	job, err := q.waitingJob(ctx, id, who, "approved")
	if err != nil {
		return job, err
	}
	if len(tokens) == 0 {
		return job, &api.Error{Code: api.CodeInvalidRequest, Field: "approvals", Message: "no approval token given"}
	}
	for _, tok := range tokens {
		if err := q.approve(ctx, job, tok); err != nil {
			q.deny(ctx, job.Tenant, who, err)
			return job, err
		}
	}
	return q.release(ctx, id)
}

// release queues and launches a waiting job that has enough approvals.
func (q *Queue) release(ctx context.Context, id string) (api.Job, error) {
	q.mu.Lock()
	job, err := q.store.GetJob(ctx, id)
	if err != nil || job.State != api.JobAwaitingApproval || len(job.Approvals) < job.RequiredApprovals {
		q.mu.Unlock()
		return job, err
	}
	req, ok := q.waiting[id]
	delete(q.waiting, id)
	if err := q.store.SetJobState(ctx, id, api.JobQueued, "", q.now()); err != nil {
		q.mu.Unlock()
		return job, err
	}
	q.mu.Unlock()
	if !ok {
		// The executor restarted while the job waited: the stored request
		// has no API keys, so the credentials file stays as it is.
		if req, err = q.store.GetJobRequest(ctx, id); err != nil {
			return job, err
		}
	}
	q.event(ctx, id, api.Event{Type: api.EventJobState, Step: -1, Message: "approved by " + approvers(job)})
	q.launch(id, req, Actor{Name: "executor (approved by " + approvers(job) + ")"})
	return q.store.GetJob(ctx, id)
}

// waitingJob loads a job that must await approval, expiring it if its
// deadline passed.
func (q *Queue) waitingJob(ctx context.Context, id string, who Actor, done string) (api.Job, error) {
	job, err := q.store.GetJob(ctx, id)
	if err != nil {
		return job, err
	}
	if job.State == api.JobAwaitingApproval && !job.ApprovalDeadline.IsZero() && !q.now().Before(job.ApprovalDeadline) {
		q.expire(ctx, job)
		job.State = api.JobExpired
	}
	if job.State != api.JobAwaitingApproval {
		err := &api.Error{Code: api.CodeConflict, Field: "id", Value: id,
			Message: fmt.Sprintf("job %s is %s; only a job awaiting approval can be %s", id, job.State, done)}
		q.deny(ctx, job.Tenant, who, err)
		return job, err
	}
	return job, nil
}

// Reject ends a job awaiting approval as rejected.
func (q *Queue) Reject(ctx context.Context, id, reason string, who Actor) (api.Job, error) {
	job, err := q.waitingJob(ctx, id, who, "rejected")
	if err != nil {
		return job, err
	}
	msg := "rejected by " + who.Name
	if reason != "" {
		msg += ": " + reason
	}
	return q.end(ctx, job, api.JobRejected, msg, who)
}

// Cancel ends a job that has not run yet (awaiting approval or queued) at
// once, and asks a running one to stop at its next step boundary (the
// answer is then still running; it ends cancelled). Terminal jobs are a
// CodeConflict.
func (q *Queue) Cancel(ctx context.Context, id, reason string, who Actor) (api.Job, error) {
	q.mu.Lock()
	job, err := q.store.GetJob(ctx, id)
	if err != nil {
		q.mu.Unlock()
		return job, err
	}
	msg := "cancelled by " + who.Name
	if reason != "" {
		msg += ": " + reason
	}
	switch job.State {
	case api.JobAwaitingApproval, api.JobQueued, api.JobApproved, api.JobPlanned:
		delete(q.waiting, id)
		q.mu.Unlock()
		return q.end(ctx, job, api.JobCancelled, msg, who)
	case api.JobRunning:
		q.cancels[id] = who.Name
		q.mu.Unlock()
		q.event(ctx, id, api.Event{Type: api.EventJobState, Step: -1, Message: "cancel requested by " + who.Name + "; stopping at the next step boundary"})
		return q.store.GetJob(ctx, id)
	}
	q.mu.Unlock()
	err = &api.Error{Code: api.CodeConflict, Field: "id", Value: id, Message: fmt.Sprintf("job %s is already %s", id, job.State)}
	q.deny(ctx, job.Tenant, who, err)
	return job, err
}

func (q *Queue) end(ctx context.Context, job api.Job, state api.JobState, msg string, who Actor) (api.Job, error) {
	if _, err := q.record(ctx, audit.Record{Type: "result", Actor: who.Name, RequestID: who.RequestID, Tenant: job.Tenant, JobID: job.ID,
		Outcome: string(state), Data: mustJSON(map[string]string{"message": msg})}); err != nil {
		return job, err
	}
	if err := q.store.SetJobState(ctx, job.ID, state, msg, q.now()); err != nil {
		return job, err
	}
	q.event(ctx, job.ID, api.Event{Type: api.EventJobState, Step: -1, Message: msg})
	return q.store.GetJob(ctx, job.ID)
}

func (q *Queue) cancelRequested(id string) (string, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	by, ok := q.cancels[id]
	delete(q.cancels, id)
	return by, ok
}

func (q *Queue) finishCancelled(id, tenant, msg string) {
	ctx := context.Background()
	_, _ = q.record(ctx, audit.Record{Type: "result", Actor: "executor", Tenant: tenant, JobID: id, Outcome: string(api.JobCancelled),
		Data: mustJSON(map[string]string{"message": msg})})
	_ = q.store.SetJobState(ctx, id, api.JobCancelled, msg, q.now())
	q.event(ctx, id, api.Event{Type: api.EventJobState, Step: -1, Message: msg})
}

func (q *Queue) expire(ctx context.Context, job api.Job) {
	q.mu.Lock()
	delete(q.waiting, job.ID)
	q.mu.Unlock()
	_, _ = q.end(ctx, job, api.JobExpired, fmt.Sprintf("expired: no %d approvals by %s", job.RequiredApprovals,
		job.ApprovalDeadline.UTC().Format("2006-01-02T15:04:05Z")), Actor{Name: "executor"})
}

// ExpireWaiting ends every job whose approval deadline passed as expired
// and returns how many. The server calls it periodically.
func (q *Queue) ExpireWaiting(ctx context.Context) (int, error) {
	waiting, err := q.store.JobsInState(ctx, api.JobAwaitingApproval)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, j := range waiting {
		if !j.ApprovalDeadline.IsZero() && !q.now().Before(j.ApprovalDeadline) {
			q.expire(ctx, j)
			n++
		}
	}
	return n, nil
}

// environment is the environment of the tenant a plan changes: its desired
// state, or for a decommission (whose plan carries no spec) the one in the
// registry.
func (q *Queue) environment(ctx context.Context, res *plan.Result) api.Environment {
	if env := res.Plan.Desired.Tenant.Environment; env != "" {
		return env
	}
	if rec, ok, err := q.store.GetTenant(ctx, res.Plan.Tenant); err == nil && ok {
		return rec.Desired.Tenant.Environment
	}
	return ""
}

// requiredApprovals is how many distinct approvers the job of res needs:
// the policy's number for the tenant's environment, or for the registered
// environment if that asks for more (moving a tenant out of production
// needs production's approvals). A job that runs no step and leaves the
// registered desired state as it is changes nothing and needs none.
func (q *Queue) requiredApprovals(ctx context.Context, res *plan.Result) int {
	pol := q.planner.Policy()
	rec, registered, err := q.store.GetTenant(ctx, res.Plan.Tenant)
	if err != nil || rec.Decommissioned {
		registered = false
	}
	if len(res.Actions) == 0 && registered && !res.Decommission {
		a, errA := api.CanonicalJSON(rec.Desired)
		b, errB := api.CanonicalJSON(res.Plan.Desired)
		if errA == nil && errB == nil && string(a) == string(b) {
			return 0
		}
	}
	if len(res.Actions) == 0 && !registered {
		return 0 // nothing to run and nothing to register
	}
	n := pol.RequiredApprovals(q.environment(ctx, res))
	if registered {
		n = max(n, pol.RequiredApprovals(rec.Desired.Tenant.Environment))
	}
	return n
}
