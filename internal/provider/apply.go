package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

// defaultTimeout bounds waiting for a job when the resource's timeouts block
// does not say otherwise.
const defaultTimeout = 10 * time.Minute

// stderrTailLines bounds how much of a failed step's stderr a diagnostic
// quotes; the executor keeps up to api.MaxOutputBytes.
const stderrTailLines = 15

// configureData extracts the provider's data for a resource's Configure. It
// is nil until the provider is configured (e.g. during validation).
func configureData(req resource.ConfigureRequest, resp *resource.ConfigureResponse) *providerData {
	if req.ProviderData == nil {
		return nil
	}
	data, ok := req.ProviderData.(*providerData)
	if !ok {
		resp.Diagnostics.AddError("Unexpected Resource Configure Type",
			fmt.Sprintf("Expected *providerData, got: %T. Please report this issue to the provider developers.", req.ProviderData))
		return nil
	}
	return data
}

// dryRun asks the executor for the plan of req. It changes nothing on the
// host and reserves nothing, so ModifyPlan may call it on every plan.
func (d *providerData) dryRun(ctx context.Context, t target, req api.PlanRequest) (*api.Plan, error) {
	p, err := d.client.Plan(ctx, req)
	if err != nil {
		return nil, err
	}
	tflog.Debug(ctx, "executor plan", map[string]any{
		"target": t.String(), "digest": p.Digest, "steps": p.Summaries(), "policy_revision": p.PolicyRevision,
	})
	return p, nil
}

// isNoOp reports whether ModifyPlan should leave the plan alone: the
// configuration did not change and the host needs no step. The planned_steps
// and plan_digest in state then stay as they are, so the plan is empty
// instead of showing a fresh digest every time.
func isNoOp(req resource.ModifyPlanRequest, p *api.Plan) bool {
	return len(p.Steps) == 0 && req.Plan.Raw.Equal(req.State.Raw)
}

// withTimeout bounds ctx by a timeouts block value (create, update or
// delete), defaulting to defaultTimeout.
func withTimeout(ctx context.Context, get timeoutFunc) (context.Context, context.CancelFunc, diag.Diagnostics) {
	d, diags := get(ctx, defaultTimeout)
	c, cancel := context.WithTimeout(ctx, d)
	return c, cancel, diags
}

// timeoutFunc is a timeouts block getter such as timeouts.Value.Create.
type timeoutFunc = func(context.Context, time.Duration) (time.Duration, diag.Diagnostics)

// destroy runs a dry run of the removal in req and submits it with that
// digest. An object the executor does not know is already gone.
func destroy(ctx context.Context, d *providerData, t target, req api.PlanRequest, diags *diag.Diagnostics) {
	p, err := d.dryRun(ctx, t, req)
	if api.IsCode(err, api.CodeNotFound) {
		return
	}
	if err != nil {
		addError(diags, t, "plan the removal of", err)
		return
	}
	_, d2 := d.execute(ctx, opDestroy, t, req, p.Digest)
	diags.Append(d2...)
}

// operation is what an apply does, for repair advice in diagnostics.
type operation string

const (
	opCreate  operation = "create"
	opUpdate  operation = "update"
	opDestroy operation = "delete"
)

// execute submits the reviewed plan of req by its digest, with the
// provider's approvals, and waits for the job, logging each step.
//
// It returns the job whenever steps may have run or may still run (the job
// succeeded, failed, or was still going when ctx ended), so that the caller
// records what exists; then the diagnostics say what went wrong. It returns
// nil when nothing ran: the submission was refused (plan_changed, policy,
// approvals) or the job was rejected, expired or cancelled before a step.
func (d *providerData) execute(ctx context.Context, op operation, t target, req api.PlanRequest, digest string) (*api.Job, diag.Diagnostics) {
	var diags diag.Diagnostics
	if digest == "" {
		diags.AddAttributeError(path.Root("plan_digest"), "Missing Plan Digest",
			fmt.Sprintf("There is no reviewed plan of %s to submit. Run terraform plan again; "+
				"if this persists, please report it to the provider developers.", t))
		return nil, diags
	}
	// The job changes the tenant: later checks in this operation look again.
	d.observed.forget(t.tenant)
	defer d.observed.forget(t.tenant)
	job, err := d.client.SubmitJob(ctx, api.SubmitRequest{PlanRequest: req, Digest: digest, Approvals: d.approvals})
	if api.IsCode(err, api.CodePlanChanged) {
		d.addPlanChanged(ctx, &diags, t, req, digest, err)
		return nil, diags
	}
	if err != nil {
		addError(&diags, t, "submit the reviewed plan of", err)
		return nil, diags
	}
	tflog.Info(ctx, "executor job submitted", map[string]any{
		"target": t.String(), "job_id": job.ID, "digest": digest, "state": string(job.State), "steps": len(job.Steps),
	})

	final, err := d.client.WaitJob(ctx, job.ID, logEvent(ctx, job.ID, job.Steps))
	if final == nil {
		final = job
	}
	if err != nil {
		if ctx.Err() != nil {
			if final.State == api.JobAwaitingApproval {
				// Nothing ran; do not leave a job that a late approval
				// would run behind Terraform's back.
				d.cancelWaiting(ctx, final)
			}
			addTimedOut(&diags, op, t, final)
		} else {
			addError(&diags, t, fmt.Sprintf("follow job %s of", job.ID), err)
		}
		return final, diags
	}

	switch final.State {
	case api.JobSucceeded:
		return final, diags
	case api.JobFailed:
		diags.AddError("Job Failed", jobFailure(op, t, final))
		return final, diags
	}
	diags.AddError("Job "+titleState(final.State),
		fmt.Sprintf("Job %s for %s ended %s: %s.\n\nRun terraform plan to see what the host needs now.",
			final.ID, t, final.State, orNone(final.Error)))
	if final.State == api.JobCancelled && stepsStarted(final) {
		return final, diags
	}
	return nil, diags
}

// addPlanChanged explains a plan_changed refusal with both digests. The
// executor's new digest comes from the error's value or, failing that, from
// a fresh dry run.
func (d *providerData) addPlanChanged(ctx context.Context, diags *diag.Diagnostics, t target, req api.PlanRequest, reviewed string, err error) {
	var apiErr *api.Error
	errors.As(err, &apiErr)
	current := apiErr.Value
	if !strings.HasPrefix(current, "sha256:") {
		current = "a different digest"
		if p, perr := d.client.Plan(ctx, req); perr == nil {
			current = p.Digest
		}
	}
	diags.AddAttributeError(path.Root("plan_digest"), "Plan Changed Since Review",
		fmt.Sprintf("The executor re-planned %s and got digest %s, but the reviewed plan was %s. "+
			"The host or its policy changed after terraform plan, so nothing was run.\n\n"+
			"Run terraform plan again and collect approvals for the new digest.", t, current, reviewed))
}

func addTimedOut(diags *diag.Diagnostics, op operation, t target, job *api.Job) {
	if job.State == api.JobAwaitingApproval {
		diags.AddAttributeError(path.Root("plan_digest"), "Approvals Required",
			fmt.Sprintf("Job %s for %s waited for approvals of digest %s (%d of %d distinct approvers), and the %s "+
				"timeout ran out, so nothing ran and the job was cancelled.\n\n"+
				"The host's policy requires approvals for this tenant's environment, by approve-keys other than the "+
				"one that signs this apply. Either approve the digest offline "+
				"(missioncontrol-executor approve --digest %s --key KEY, once per approver) and pass the tokens in the "+
				"provider's approvals or MISSIONCONTROL_APPROVALS, or, while terraform apply waits, approve its job on "+
				"the host (missioncontrol-executor approve JOB --key KEY; jobs list shows the job). Then run terraform apply again.",
				job.ID, t, job.Digest, len(job.Approvals), job.RequiredApprovals, op, job.Digest))
		return
	}
	diags.AddError("Timed Out Waiting For Job",
		fmt.Sprintf("Job %s for %s was still %s when the %s timeout ran out. The job goes on on the host "+
			"(missioncontrol-executor jobs shows it); Terraform records what exists now, and the next "+
			"terraform plan shows what is left.\n\nRaise timeouts.%s if the steps need longer.",
			job.ID, t, job.State, op, op))
}

// jobFailure describes a failed job: the failing step, its command, exit
// code and the tail of its stderr, and how the next run repairs it.
func jobFailure(op operation, t target, job *api.Job) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Job %s for %s failed", job.ID, t)
	var failed *api.Event
	for i := range job.Events {
		if job.Events[i].Type == api.EventStepFailed {
			failed = &job.Events[i]
		}
	}
	if failed != nil && failed.Step >= 0 && failed.Step < len(job.Steps) {
		fmt.Fprintf(&b, " at step %d of %d, %q, with exit code %d", failed.Step+1, len(job.Steps), job.Steps[failed.Step].Summary, failed.ExitCode)
		if len(failed.Argv) > 0 {
			fmt.Fprintf(&b, ".\n\nCommand: %s", strings.Join(failed.Argv, " "))
		}
		if tail := lastLines(failed.Stderr, stderrTailLines); tail != "" {
			fmt.Fprintf(&b, "\n\nstderr (last lines):\n%s", tail)
		}
	}
	if job.Error != "" {
		fmt.Fprintf(&b, "\n\nExecutor: %s", job.Error)
	}
	b.WriteString("\n\nThe steps before the failed one stay applied, and Terraform records what exists on the host. ")
	switch op {
	case opCreate:
		b.WriteString("Terraform marks the new object tainted, so the next apply replaces it (destroying a tenant archives it first). " +
			"To repair it in place instead, run terraform untaint on the resource; terraform plan then shows only the remaining steps.")
	case opUpdate:
		b.WriteString("The next terraform plan shows the remaining steps as the repair.")
	case opDestroy:
		b.WriteString("The resource stays in Terraform's state; the next terraform destroy plans the remaining steps.")
	}
	return b.String()
}

// logEvent logs job events as they arrive, one line per step event.
func logEvent(ctx context.Context, jobID string, steps []api.Step) func(api.Event) {
	return func(ev api.Event) {
		fields := map[string]any{"job_id": jobID, "seq": ev.Seq, "event": string(ev.Type)}
		msg := "job " + string(ev.Type)
		if ev.Message != "" {
			msg += ": " + ev.Message
		}
		if ev.Step >= 0 && ev.Step < len(steps) {
			msg = fmt.Sprintf("step %d/%d %s: %s", ev.Step+1, len(steps), ev.Type, steps[ev.Step].Summary)
			fields["argv"] = ev.Argv
			fields["exit_code"] = ev.ExitCode
			fields["duration_ms"] = ev.DurationMS
		}
		if ev.Type == api.EventStepFailed {
			fields["stderr"] = lastLines(ev.Stderr, stderrTailLines)
			tflog.Warn(ctx, msg, fields)
			return
		}
		tflog.Info(ctx, msg, fields)
	}
}

func stepsStarted(job *api.Job) bool {
	for _, ev := range job.Events {
		if ev.Step >= 0 && ev.Type != api.EventJobState {
			return true
		}
	}
	return false
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

func titleState(s api.JobState) string {
	w := strings.ReplaceAll(string(s), "_", " ")
	return strings.ToUpper(w[:1]) + w[1:]
}

func orNone(s string) string {
	if s == "" {
		return "no reason given"
	}
	return s
}

// stringList is a known list of strings; nil gives an empty list, never null.
func stringList(ss []string) types.List {
	elems := make([]attr.Value, len(ss))
	for i, s := range ss {
		elems[i] = types.StringValue(s)
	}
	return types.ListValueMust(types.StringType, elems)
}

// stringOrNull maps the API's empty string (an omitted optional field) to null.
func stringOrNull(s string) types.String {
	if s == "" {
		return types.StringNull()
	}
	return types.StringValue(s)
}

// int64OrNull maps the API's zero (an omitted optional field) to null.
func int64OrNull(v int) types.Int64 {
	if v == 0 {
		return types.Int64Null()
	}
	return types.Int64Value(int64(v))
}

// stringMap converts an API map for state. An empty map becomes null unless
// the prior value was a known empty map, so neither `labels = {}` nor an
// omitted attribute shows a diff after a read.
func stringMap(m map[string]string, prior types.Map) types.Map {
	if len(m) == 0 && (prior.IsNull() || prior.IsUnknown()) {
		return types.MapNull(types.StringType)
	}
	elems := make(map[string]attr.Value, len(m))
	for k, v := range m {
		elems[k] = types.StringValue(v)
	}
	return types.MapValueMust(types.StringType, elems)
}

// stringListOrNull is stringMap's rule for lists.
func stringListOrNull(ss []string, prior types.List) types.List {
	if len(ss) == 0 && (prior.IsNull() || prior.IsUnknown()) {
		return types.ListNull(types.StringType)
	}
	return stringList(ss)
}

// plannedStepsAttribute is planned_steps, the same on every resource.
func plannedStepsAttribute(object string) schema.ListAttribute {
	return schema.ListAttribute{
		MarkdownDescription: "The host steps that applying this " + object + " runs, one readable line per step and in " +
			"order (e.g. `create user mc-acme uid 20001`), from the executor's dry run during `terraform plan`. Steps whose " +
			"target already holds are left out, so an empty list means the host already matches. After apply it holds the " +
			"steps that ran, until a plan finds something to do again, such as drift on the host (a stopped unit, a " +
			"changed file), which the next apply repairs. Unknown in the plan when the executor can only plan during " +
			"apply: when the configuration has unknown values, when the tenant is created in the same apply, or when " +
			"a replacement removes the object first.",
		ElementType: types.StringType,
		Computed:    true,
	}
}

// planDigestAttribute is plan_digest, the same on every resource.
func planDigestAttribute(object string) schema.StringAttribute {
	return schema.StringAttribute{
		MarkdownDescription: "The digest of the reviewed plan of this " + object + " (`sha256:...` over the host, the desired " +
			"state, the allocation, the steps, the observed host state and the policy revision). Approvals sign this " +
			"digest and apply submits it; if the host or its policy changed since the plan, the executor refuses and " +
			"nothing runs (\"Plan Changed Since Review\"). When a saved plan file is applied after the host changed, " +
			"Terraform itself reports \"Provider produced inconsistent final plan\" for this attribute before anything " +
			"runs; run `terraform plan` again. After apply it holds the digest that was applied.",
		Computed: true,
	}
}

// plannable is what ModifyPlan needs from a resource model.
type plannable interface {
	target() target
	ApplyRequest(ctx context.Context) (api.PlanRequest, diag.Diagnostics)
	SetPlanned(p *api.Plan)
	SetDeferred()
}

// modifyPlan is the ModifyPlan of every resource: the executor's dry run of
// the configured object, into plan (a pointer to the resource's model of
// req.Plan). config is the model of req.Config. It never changes the host,
// and given the same host it plans the same, as Terraform calls it again
// during apply and requires the same result.
//
// Outcomes: the planned steps, digest and allocation; the plan left as it
// is (no change and no step: an empty plan); the results unknown until
// apply when the dry run cannot be made now (unknown configuration, the
// tenant is created in the same apply, or a replacement removes the object
// first); or an error diagnostic on the attribute the executor names.
func (d *providerData) modifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse, plan, config plannable) {
	t := config.target()
	keep := false // the plan stays as Terraform proposed it
	defer func() {
		if !keep && !resp.Diagnostics.HasError() {
			resp.Diagnostics.Append(resp.Plan.Set(ctx, plan)...)
		}
	}()
	if !req.Config.Raw.IsFullyKnown() {
		plan.SetDeferred()
		return
	}
	request, diags := config.ApplyRequest(ctx)
	resp.Diagnostics.Append(diags...)
	if diags.HasError() {
		return
	}
	if req.State.Raw.IsNull() {
		exists, err := d.existsOnHost(ctx, t)
		if err != nil {
			addError(&resp.Diagnostics, t, "plan", err)
			return
		}
		if exists {
			resp.Diagnostics.AddWarning("Steps Known Only After Apply",
				fmt.Sprintf("Terraform is creating %s, but it already exists on the host: it is tainted (a create failed) and "+
					"will be replaced, or it was made outside this configuration. A replacement removes it first, which changes "+
					"what the create must do, so the executor can plan the create only during apply.\n\n"+
					"To see the steps now and repair it in place, run terraform untaint (or terraform import) and plan again.", t))
			plan.SetDeferred()
			return
		}
	}
	p, err := d.dryRun(ctx, t, request)
	if err == nil && p.BudgetHold != nil {
		addBudgetHold(&resp.Diagnostics, t, p.BudgetHold)
	}
	switch {
	case err != nil && api.IsCode(err, api.CodeNotFound) && t.kind != api.ObjectTenant && req.State.Raw.IsNull():
		// The tenant is created in the same apply; the executor can plan
		// this object once it exists.
		plan.SetDeferred()
	case err != nil:
		addError(&resp.Diagnostics, t, "plan", err)
	case isNoOp(req, p):
		keep = true // no diff
	default:
		plan.SetPlanned(p)
	}
}

// unchangedAndSettled reports whether ModifyPlan can leave the plan as it is
// without asking for a dry run: the configuration equals the refreshed state,
// it sets no write-only secret (the map attribute named secret, if any: the host
// may hold another one, which only a dry run compares), and this operation
// has already observed the tenant (named by the state's attribute
// tenantAttr) with nothing to do, its drift plan empty. A dry run would then
// plan no step, and isNoOp would keep the plan. With -refresh=false nothing
// was observed, so the dry run still happens. It reads single attributes
// rather than the models: on a no-change plan this is all ModifyPlan does.
func (d *providerData) unchangedAndSettled(ctx context.Context, req resource.ModifyPlanRequest, tenantAttr, secret string) bool {
	if req.State.Raw.IsNull() || !req.Plan.Raw.Equal(req.State.Raw) {
		return false
	}
	if secret != "" {
		var v types.Map
		if diags := req.Config.GetAttribute(ctx, path.Root(secret), &v); diags.HasError() || !v.IsNull() {
			return false
		}
	}
	var tenant types.String
	if diags := req.State.GetAttribute(ctx, path.Root(tenantAttr), &tenant); diags.HasError() {
		return false
	}
	return d.observed.settled(tenant.ValueString())
}

// addBudgetHold warns that the plan keeps the tenant suspended for its
// budget: what it shows is what runs, but the gateway will not start.
func addBudgetHold(diags *diag.Diagnostics, t target, h *api.BudgetHold) {
	diags.AddAttributeWarning(path.Root("status"), "Tenant Suspended Over Budget",
		fmt.Sprintf("The executor suspended tenant %q on %s because it spent $%.2f of its $%.2f monthly budget in %s (UTC). "+
			"This plan of %s keeps it suspended, whatever suspended says.\n\n"+
			"It is resumed by an applied plan of the tenant once its budget is no longer exceeded: raise budget.monthly_usd "+
			"above the month's spend, set budget.action = \"alert\", or wait for the next UTC month; the resume needs the "+
			"approvals the host's policy requires.",
			t.tenant, h.Since.UTC().Format(time.RFC3339), h.SpentUSD, h.LimitUSD, h.Month, t))
}

// existsOnHost reports whether the object t names exists on the host: a
// registered workspace or service, or a tenant that is registered or whose
// user exists.
func (d *providerData) existsOnHost(ctx context.Context, t target) (bool, error) {
	tenant, err := d.observed.tenant(ctx, t.tenant)
	if api.IsCode(err, api.CodeNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	switch t.kind {
	case api.ObjectWorkspace:
		_, ok := findWorkspace(tenant, t.name)
		return tenant.Registered && ok, nil
	case api.ObjectService:
		_, ok := findService(tenant, t.name)
		return tenant.Registered && ok, nil
	}
	return tenant.Registered || tenant.UserExists, nil
}

// cancelWaiting cancels a job the provider gave up waiting for, with a
// short grace period of its own since ctx has ended. A failure is logged:
// the job then expires on the host.
func (d *providerData) cancelWaiting(ctx context.Context, job *api.Job) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if _, err := d.client.CancelJob(cctx, job.ID, "terraform apply timed out waiting for approvals"); err != nil {
		tflog.Warn(ctx, "could not cancel the job that waited for approvals", map[string]any{"job_id": job.ID, "error": err.Error()})
	}
}
