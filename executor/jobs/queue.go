package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/audit"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/logctx"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/plan"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/steps"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/store"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/trust"
)

// Queue accepts, runs and recovers jobs.
type Queue struct {
	store   *store.Store
	planner *plan.Planner
	host    *steps.Host
	audit   *audit.Log
	now     func() time.Time
	log     *slog.Logger

	// StepDelay pauses before every step. Tests use it to stop the executor
	// in the middle of a job; it is zero in production.
	StepDelay time.Duration
	// CrashPoint, when set, is called right before each step runs (after
	// its audit record and start event) and right after it ran and verified
	// (before its outcome is recorded). Crash tests (package fault) kill the
	// executor there; it is nil in production.
	CrashPoint func(tenant string, step int, after bool)

	// Trust verifies approval tokens; nil means no token ever counts, so
	// only environments that need no approvals can run.
	Trust *trust.Verifier
	// ApprovalTTL is how long a job may await approvals before it expires
	// (DefaultApprovalTTL when zero).
	ApprovalTTL time.Duration
	// cancels holds the ids of running jobs asked to stop at their next
	// step boundary, with who asked.
	cancels map[string]string
	// waiting holds the full requests (with API keys, which the store never
	// sees) of jobs awaiting approval.
	waiting map[string]api.SubmitRequest

	mu      sync.Mutex
	tenants map[string]*sync.Mutex
	alloc   sync.Mutex // serialises registry writes that reserve uids and ports
	submit  sync.Mutex // serialises the duplicate check and creation of jobs (duplicate.go)
	wg      sync.WaitGroup
	ctx     context.Context
	cancel  context.CancelFunc

	changesMu sync.Mutex
	changes   map[string]chan struct{} // by job id, closed at its next event (Changes)
}

// New returns a queue. Jobs run in the background until Close.
func New(st *store.Store, planner *plan.Planner, host *steps.Host, log *audit.Log, now func() time.Time, logger *slog.Logger) *Queue {
	ctx, cancel := context.WithCancel(context.Background())
	return &Queue{
		store: st, planner: planner, host: host, audit: log, now: now, log: logger,
		tenants: map[string]*sync.Mutex{}, ctx: ctx, cancel: cancel, cancels: map[string]string{},
		waiting: map[string]api.SubmitRequest{}, changes: map[string]chan struct{}{},
	}
}

// Changes returns a channel that is closed when job id records its next
// event (every state change comes with one). Long polls take it before
// they read the job, then wait on it.
func (q *Queue) Changes(id string) <-chan struct{} {
	q.changesMu.Lock()
	defer q.changesMu.Unlock()
	ch, ok := q.changes[id]
	if !ok {
		ch = make(chan struct{})
		q.changes[id] = ch
	}
	return ch
}

// notifyChange wakes the long polls of job id.
func (q *Queue) notifyChange(id string) {
	q.changesMu.Lock()
	if ch, ok := q.changes[id]; ok {
		close(ch)
		delete(q.changes, id)
	}
	q.changesMu.Unlock()
}

// Close stops accepting work, cancels running jobs at their next step
// boundary and waits for them.
func (q *Queue) Close() {
	q.cancel()
	q.wg.Wait()
}

// Actor identifies who asked for something, for the audit log.
type Actor struct {
	Name      string // the key and the peer, e.g. "key ci (3f2a…) uid:0"
	RequestID string
	// Key is the key that signed the request; nil for the executor itself.
	Key *trust.Key
	// Budget marks the executor's own suspension of a tenant over budget:
	// the policy's budget.approvals say how many approvers it needs.
	Budget bool
}

// jobContext carries the job's id, tenant and originating request id (when
// known) for every log line about the job (package logctx).
func jobContext(ctx context.Context, id, tenant, requestID string) context.Context {
	attrs := []slog.Attr{slog.String(logctx.KeyJob, id)}
	if tenant != "" {
		attrs = append(attrs, slog.String(logctx.KeyTenant, tenant))
	}
	if requestID != "" {
		attrs = append(attrs, slog.String(logctx.KeyRequestID, requestID))
	}
	return logctx.With(ctx, attrs...)
}

// Recover marks every job a previous process left unfinished as failed
// (interrupted). It must run before the server accepts requests.
func (q *Queue) Recover(ctx context.Context) (int, error) {
	stale, err := q.store.JobsInState(ctx, api.JobQueued, api.JobApproved, api.JobRunning)
	if err != nil {
		return 0, fmt.Errorf("find interrupted jobs: %w", err)
	}
	for _, j := range stale {
		msg := "interrupted: the executor stopped while the job was " + string(j.State) + "; retry it to converge"
		if _, err := q.record(ctx, audit.Record{Type: "recovery", Actor: "executor", Tenant: j.Tenant, JobID: j.ID, Outcome: "failed", Data: mustJSON(map[string]string{"was": string(j.State)})}); err != nil {
			return 0, err
		}
		if err := q.store.SetJobState(ctx, j.ID, api.JobFailed, msg, q.now()); err != nil {
			return 0, fmt.Errorf("mark job %s interrupted: %w", j.ID, err)
		}
		q.event(ctx, j.ID, api.Event{Type: api.EventJobState, Step: -1, Message: msg})
		q.log.WarnContext(jobContext(ctx, j.ID, j.Tenant, ""), "job interrupted", "was", j.State)
	}
	return len(stale), nil
}

// Submit checks a reviewed plan against a fresh one and starts a job for it.
// Outcomes: the job in state queued; *api.Error CodePlanChanged when the host
// or policy changed since review; any planning error (policy denial, invalid
// spec); CodeAuditFailed when the request could not be audited (nothing runs).
func (q *Queue) Submit(ctx context.Context, req api.SubmitRequest, who Actor) (api.Job, error) {
	release, held := q.settle(ctx, req.Tenant)
	res, err := q.planner.Plan(ctx, req.PlanRequest)
	if !held {
		release = nil
	}
	// start hands the lock to a job that runs at once; every other way
	// out of here releases it.
	defer func() {
		if release != nil {
			release()
		}
	}()
	if err != nil {
		q.deny(ctx, req.Tenant, who, err)
		return api.Job{}, err
	}
	if res.Plan.Digest != req.Digest {
		err := planChanged(req.Tenant, req.Digest, res.Plan.Digest)
		q.deny(ctx, req.Tenant, who, err)
		return api.Job{}, err
	}
	if who.Key != nil {
		if err := trust.Scope(*who.Key, q.environment(ctx, res)); err != nil {
			q.deny(ctx, req.Tenant, who, err)
			return api.Job{}, err
		}
	}
	job, err := q.start(ctx, req, res, who, "", nil, release)
	release = nil
	return job, err
}

// Retry plans a failed job's request again and runs it as a new job.
func (q *Queue) Retry(ctx context.Context, id string, who Actor) (api.Job, error) {
	old, err := q.store.GetJob(ctx, id)
	if err != nil {
		return api.Job{}, err
	}
	if old.State != api.JobFailed {
		return api.Job{}, &api.Error{Code: api.CodeConflict, Field: "id", Value: id,
			Message: fmt.Sprintf("job %s is %s; only failed jobs can be retried", id, old.State)}
	}
	req, err := q.store.GetJobRequest(ctx, id)
	if err != nil {
		return api.Job{}, err
	}
	release, _ := q.settle(ctx, req.Tenant)
	res, err := q.planner.Plan(ctx, req.PlanRequest)
	release()
	if err != nil {
		q.deny(ctx, req.Tenant, who, err)
		return api.Job{}, err
	}
	if who.Key != nil {
		if err := trust.Scope(*who.Key, q.environment(ctx, res)); err != nil {
			q.deny(ctx, req.Tenant, who, err)
			return api.Job{}, err
		}
	}
	// The approvals of the failed job still count if the plan is the same;
	// a new digest needs new approvals.
	var carried map[string]string
	if res.Plan.Digest == old.Digest {
		if carried, err = q.store.ApprovalTokens(ctx, id); err != nil {
			return api.Job{}, err
		}
	}
	req.Digest = res.Plan.Digest
	return q.start(ctx, req, res, who, id, carried, nil)
}

// start creates the job of a plan and launches it, unless it awaits
// approvals. held, when not nil, releases the tenant's lock that res was
// planned under, held since: a job that runs at once takes the lock over and
// runs res without planning again (nothing of the tenant's can have run in
// between); start releases it in every other case.
func (q *Queue) start(ctx context.Context, req api.SubmitRequest, res *plan.Result, who Actor, retryOf string, carried map[string]string, held func()) (api.Job, error) {
	defer func() {
		if held != nil {
			held()
		}
	}()
	now := q.now()
	job := api.Job{
		ID: newID(now), Tenant: req.Tenant, Digest: res.Plan.Digest, State: api.JobQueued,
		Steps: res.Plan.Steps, Allocation: res.Plan.Allocation, CreatedAt: now, UpdatedAt: now, RetryOf: retryOf,
	}
	q.submit.Lock()
	defer q.submit.Unlock()
	if err := q.refuseDuplicate(ctx, req.Tenant, res.Plan.Digest); err != nil {
		q.deny(ctx, req.Tenant, who, err)
		return api.Job{}, err
	}
	required := q.requiredApprovals(ctx, res)
	if who.Budget {
		required = q.planner.Policy().BudgetApprovals(q.environment(ctx, res))
	}
	if required > 0 {
		job.State = api.JobAwaitingApproval
	}
	if _, err := q.record(ctx, audit.Record{Type: "request", Actor: who.Name, RequestID: who.RequestID, Tenant: req.Tenant,
		JobID: job.ID, Outcome: "accepted", Data: mustJSON(map[string]any{"digest": job.Digest, "steps": res.Plan.Summaries(), "retry_of": retryOf})}); err != nil {
		return api.Job{}, err
	}
	if err := q.store.CreateJob(ctx, store.JobRecord{Job: job, Request: withoutSecrets(req)}); err != nil {
		return api.Job{}, fmt.Errorf("create job: %w", err)
	}
	q.log.InfoContext(jobContext(ctx, job.ID, req.Tenant, who.RequestID), "job accepted",
		"state", job.State, "approvals_required", required, "steps", len(res.Plan.Steps), "digest", job.Digest, "retry_of", retryOf)
	if job, err := q.gate(ctx, job, req, who, required, carried); err != nil || job.State != api.JobQueued {
		return job, err
	}
	if held != nil {
		q.launchPlanned(job.ID, req, who, res, held)
		held = nil
	} else {
		q.launch(job.ID, req, who)
	}
	return q.store.GetJob(ctx, job.ID)
}

// settleWait bounds how long a submission waits for a running job of the
// same tenant before it plans anyway.
const settleWait = 20 * time.Second

// settle waits, at most settleWait, until no job of tenant holds the
// tenant's lock, and holds it until the returned func is called; held
// says whether it got the lock (else release does nothing). A job
// mid-way (its gateway restarting, its files half written) shows a host
// that no review saw; a plan of another change to the tenant made then
// would differ from the reviewed one for no reason of its own (Terraform
// applies a tenant's workspaces in parallel). Whatever a job runs was
// planned under the lock.
func (q *Queue) settle(ctx context.Context, tenant string) (release func(), held bool) {
	lock := q.tenantLock(tenant)
	deadline := time.Now().Add(settleWait)
	for !lock.TryLock() {
		if time.Now().After(deadline) || ctx.Err() != nil {
			return func() {}, false
		}
		select {
		case <-time.After(20 * time.Millisecond):
		case <-ctx.Done():
		}
	}
	return lock.Unlock, true
}

// launch runs the job in the background.
func (q *Queue) launch(id string, req api.SubmitRequest, who Actor) {
	q.wg.Add(1)
	go func() {
		defer q.wg.Done()
		lock := q.tenantLock(req.Tenant)
		lock.Lock()
		defer lock.Unlock()
		q.run(id, req, who, nil)
	}()
}

// launchPlanned runs the job in the background with res, planned under the
// tenant's lock, which the caller holds and unlock releases.
func (q *Queue) launchPlanned(id string, req api.SubmitRequest, who Actor, res *plan.Result, unlock func()) {
	q.wg.Add(1)
	go func() {
		defer q.wg.Done()
		defer unlock()
		q.run(id, req, who, res)
	}()
}

func (q *Queue) tenantLock(name string) *sync.Mutex {
	q.mu.Lock()
	defer q.mu.Unlock()
	m, ok := q.tenants[name]
	if !ok {
		m = &sync.Mutex{}
		q.tenants[name] = m
	}
	return m
}

// The messages of a job's running event say which plan it runs: the one its
// submission made under the tenant's lock, held since, or one made again
// under the lock (it waited for approvals, another job of the tenant, or a
// restart).
const (
	RunningPlannedAtSubmission = "running (the submission's plan; tenant locked since)"
	RunningReplanned           = "running (planned again under the tenant's lock)"
)

// run executes a job to its end. Its caller holds the tenant's lock
// throughout. Unless res was planned under that same hold, run plans again:
// the steps that run are the steps of the digest, on the host as it is now.
func (q *Queue) run(id string, req api.SubmitRequest, who Actor, res *plan.Result) {
	ctx := jobContext(q.ctx, id, req.Tenant, who.RequestID)

	fail := func(msg string) {
		q.log.ErrorContext(ctx, "job failed", "error", msg)
		_, _ = q.record(context.Background(), audit.Record{Type: "result", Actor: "executor", Tenant: req.Tenant, JobID: id, Outcome: "failed", Data: mustJSON(map[string]string{"error": msg})})
		_ = q.store.SetJobState(context.Background(), id, api.JobFailed, msg, q.now())
		q.event(context.Background(), id, api.Event{Type: api.EventJobState, Step: -1, Message: "failed: " + msg})
	}
	if cur, err := q.store.GetJob(ctx, id); err == nil && cur.State.Terminal() {
		return // cancelled while it waited for the tenant
	}
	var err error
	running := RunningPlannedAtSubmission
	if res == nil {
		running = RunningReplanned
		if res, err = q.planner.Plan(ctx, req.PlanRequest); err != nil {
			fail("plan again before running: " + err.Error())
			return
		}
	}
	if res.Plan.Digest != req.Digest {
		fail(planChanged(req.Tenant, req.Digest, res.Plan.Digest).Message)
		return
	}
	if err := q.store.SetJobState(ctx, id, api.JobRunning, "", q.now()); err != nil {
		fail("mark running: " + err.Error())
		return
	}
	q.event(ctx, id, api.Event{Type: api.EventJobState, Step: -1, Message: running})

	// Reserve the allocation before touching the host, so a crash after the
	// first step still leaves the uid and port owned by this tenant.
	if res.Registers() {
		res.Record.LastJobID = id
		q.alloc.Lock()
		err = q.store.PutTenant(ctx, res.Record)
		q.alloc.Unlock()
		if err != nil {
			fail("register tenant: " + err.Error())
			return
		}
	}

	for i, act := range res.Actions {
		if q.StepDelay > 0 {
			select {
			case <-time.After(q.StepDelay):
			case <-ctx.Done():
			}
		}
		if ctx.Err() != nil {
			fail(fmt.Sprintf("cancelled before step %d (%s): executor shutting down", i+1, act.Step.Summary))
			return
		}
		if by, ok := q.cancelRequested(id); ok {
			q.finishCancelled(id, req.Tenant, fmt.Sprintf("cancelled by %s before step %d (%s); steps 1..%d ran", by, i+1, act.Step.Summary, i))
			return
		}
		if _, err := q.record(ctx, audit.Record{Type: "step", Actor: who.Name, RequestID: who.RequestID, Tenant: req.Tenant, JobID: id,
			Outcome: "started", Data: mustJSON(map[string]any{"index": i, "step": act.Step})}); err != nil {
			fail(fmt.Sprintf("step %d (%s) not run: %v", i+1, act.Step.Summary, err))
			return
		}
		q.event(ctx, id, api.Event{Type: api.EventStepStart, Step: i, Argv: act.Step.Argv, Message: act.Step.Summary})
		q.crashPoint(req.Tenant, i+1, false)
		start := time.Now()
		out, err := act.Apply(ctx, q.host)
		if err == nil {
			err = act.Verify(ctx, q.host)
		}
		if err == nil {
			q.crashPoint(req.Tenant, i+1, true)
		}
		q.stepEvents(ctx, id, i, out, err, time.Since(start))
		if err == nil {
			q.log.InfoContext(ctx, "step done", "step", i+1, "kind", act.Step.Kind, "summary", act.Step.Summary, "duration", time.Since(start))
		}
		if err != nil {
			fail(fmt.Sprintf("step %d (%s): %v", i+1, act.Step.Summary, err))
			return
		}
		if out.Archive != nil {
			// Recorded before any later step removes what it holds.
			if err := q.recordArchive(ctx, id, req.Tenant, res, out.Archive); err != nil {
				fail(fmt.Sprintf("step %d (%s): %v", i+1, act.Step.Summary, err))
				return
			}
		}
	}
	if res.Decommission && res.Registered {
		if err := q.store.MarkDecommissioned(ctx, req.Tenant, q.now()); err != nil {
			fail("mark decommissioned: " + err.Error())
			return
		}
	}
	if err := q.liftHold(ctx, id, req.Tenant, res); err != nil {
		fail(err.Error())
		return
	}
	if err := q.finishArchive(ctx, id, req.Tenant, res); err != nil {
		fail(err.Error())
		return
	}
	if _, err := q.record(ctx, audit.Record{Type: "result", Actor: "executor", Tenant: req.Tenant, JobID: id, Outcome: "succeeded",
		Data: mustJSON(map[string]any{"digest": req.Digest, "steps": len(res.Actions)})}); err != nil {
		fail("audit result: " + err.Error())
		return
	}
	if err := q.store.SetJobState(ctx, id, api.JobSucceeded, "", q.now()); err != nil {
		q.log.ErrorContext(ctx, "mark job succeeded", "error", err)
	}
	q.event(ctx, id, api.Event{Type: api.EventJobState, Step: -1, Message: "succeeded"})
	q.log.InfoContext(ctx, "job succeeded", "steps", len(res.Actions))
}

func (q *Queue) crashPoint(tenant string, step int, after bool) {
	if q.CrashPoint != nil {
		q.CrashPoint(tenant, step, after)
	}
}

func (q *Queue) stepEvents(ctx context.Context, id string, i int, out steps.Outcome, err error, d time.Duration) {
	typ := api.EventStepDone
	if err != nil {
		typ = api.EventStepFailed
	}
	if len(out.Results) == 0 {
		ev := api.Event{Type: typ, Step: i, Message: out.Message, DurationMS: d.Milliseconds()}
		if err != nil {
			ev.Message, ev.ExitCode = err.Error(), -1
		}
		q.event(ctx, id, ev)
		return
	}
	for k, r := range out.Results {
		ev := api.Event{Type: api.EventStepDone, Step: i, Argv: r.Argv, ExitCode: r.ExitCode,
			Stdout: string(r.Stdout), Stderr: string(r.Stderr), DurationMS: r.Duration.Milliseconds(), Message: out.Message}
		if k == len(out.Results)-1 && err != nil {
			ev.Type, ev.Message = api.EventStepFailed, err.Error()
		}
		q.event(ctx, id, ev)
	}
}

func (q *Queue) event(ctx context.Context, id string, ev api.Event) {
	ev.Time = q.now()
	if _, err := q.store.AppendEvent(context.WithoutCancel(ctx), id, ev); err != nil {
		q.log.ErrorContext(jobContext(ctx, id, "", ""), "record job event", "error", err)
	}
	q.notifyChange(id)
}

// record appends to the audit log; failure is an api error the caller
// returns, because nothing may run unaudited.
func (q *Queue) record(ctx context.Context, r audit.Record) (audit.Record, error) {
	out, err := q.audit.Append(context.WithoutCancel(ctx), r)
	if err != nil {
		return out, &api.Error{Code: api.CodeAuditFailed, Message: "cannot write the audit record, so nothing runs: " + err.Error()}
	}
	return out, nil
}

func (q *Queue) deny(ctx context.Context, tenant string, who Actor, err error) {
	var apiErr *api.Error
	if !errors.As(err, &apiErr) {
		return
	}
	_, _ = q.record(ctx, audit.Record{Type: "denial", Actor: who.Name, RequestID: who.RequestID, Tenant: tenant,
		Rule: apiErr.Rule, Outcome: string(apiErr.Code), Data: mustJSON(apiErr)})
}

func planChanged(tenant, reviewed, now string) *api.Error {
	return &api.Error{Code: api.CodePlanChanged, Field: "digest", Value: reviewed,
		Message: fmt.Sprintf("host changed since plan: re-run plan (tenant %q was reviewed as %s, the executor now plans %s)", tenant, reviewed, now)}
}

func mustJSON(v any) json.RawMessage {
	b, err := api.CanonicalJSON(v)
	if err != nil {
		return json.RawMessage(`null`)
	}
	return b
}

func newID(now time.Time) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return "job-" + strconv.FormatInt(now.UnixMilli(), 36) + "-" + hex.EncodeToString(b)
}

// withoutSecrets is the request as stored with its job: API keys never reach
// the database (a retry plans without them and leaves the credentials file
// as the first run wrote it).
func withoutSecrets(req api.SubmitRequest) api.SubmitRequest {
	out := req
	out.Changes = make([]api.Change, len(req.Changes))
	for i, c := range req.Changes {
		c.APIKeys = nil
		out.Changes[i] = c
	}
	return out
}
