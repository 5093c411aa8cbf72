package e2e_test

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/testhost"
)

// budgetMetrics is the metrics listener of the budget test's executor.
const budgetMetrics = "127.0.0.1:9473"

// budgetConfig is the example executor configuration with the light
// gateway, usage ingestion and health probes every second (systemd state
// only: the stand-in has no HTTP endpoints) and metrics on loopback.
func budgetConfig(t *testing.T) []byte {
	t.Helper()
	src, err := os.ReadFile("../../examples/executor/executor.hcl")
	if err != nil {
		t.Fatal(err)
	}
	if src, err = testhost.LightGatewayConfig(src); err != nil {
		t.Fatal(err)
	}
	f, diags := hclwrite.ParseConfig(src, "executor.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	block := func(name string) *hclwrite.Body {
		if b := f.Body().FirstMatchingBlock(name, nil); b != nil {
			return b.Body()
		}
		return f.Body().AppendNewBlock(name, nil).Body()
	}
	block("usage").SetAttributeValue("interval", cty.StringVal("1s"))
	h := block("health")
	h.SetAttributeValue("interval", cty.StringVal("1s"))
	h.SetAttributeValue("probe_timeout", cty.StringVal("500ms"))
	h.SetAttributeValue("http", cty.False)
	block("metrics").SetAttributeValue("listen", cty.StringVal(budgetMetrics))
	return f.Bytes()
}

// putTranscript writes an OpenClaw session transcript into the tenant's
// state dir (agents/<agent>/sessions/<session>.jsonl, owned by the
// tenant) with one assistant message that cost costUSD at `at`, the way
// OpenClaw 2026.9.6 writes it. The file appears by rename, whole.
func putTranscript(t *testing.T, h *testhost.Host, tenant, agent, session string, at time.Time, costUSD float64) {
	t.Helper()
	ms := at.UnixMilli()
	iso := func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
	lines := []any{
		map[string]any{"type": "session", "version": 4, "id": session, "timestamp": iso(at.Add(-time.Second)),
			"cwd": "/srv/missioncontrol/tenants/" + tenant + "/.openclaw/workspace-" + agent},
		map[string]any{"type": "message", "id": session + "-u1", "parentId": nil, "timestamp": iso(at.Add(-500 * time.Millisecond)),
			"message": map[string]any{"role": "user", "content": "hello", "timestamp": ms - 500}},
		map[string]any{"type": "message", "id": session + "-a1", "parentId": session + "-u1", "timestamp": iso(at),
			"message": map[string]any{
				"role": "assistant", "api": "openai-completions", "provider": "fake", "model": "fake-model-1",
				"content": []any{map[string]any{"type": "text", "text": "Hello from the fake LLM."}}, "stopReason": "stop",
				"timestamp": ms,
				"usage": map[string]any{"input": 1000, "output": 100, "cacheRead": 0, "cacheWrite": 0, "totalTokens": 1100,
					"cost": map[string]any{"input": 0, "output": 0, "cacheRead": 0, "cacheWrite": 0, "total": costUSD}},
			}},
	}
	var b strings.Builder
	for _, l := range lines {
		j, err := json.Marshal(l)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(j)
		b.WriteByte('\n')
	}
	name := tenant + "-" + session + ".jsonl"
	if err := os.MkdirAll(filepath.Join(h.Share, "usage-stage"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(h.Share, "usage-stage", name), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	h.Run(t, "sh", "-c", `set -e
dir="$1/agents/$2/sessions"
for d in "$1/agents" "$1/agents/$2" "$dir"; do
  [ -d "$d" ] || { mkdir "$d"; chown "$4:$4" "$d"; chmod 0700 "$d"; }
done
cp "/share/usage-stage/$5" "$dir/.$3.incoming"
chown "$4:$4" "$dir/.$3.incoming"
chmod 0600 "$dir/.$3.incoming"
mv "$dir/.$3.incoming" "$dir/$3.jsonl"`, "sh", "/srv/missioncontrol/tenants/"+tenant+"/.openclaw", agent, session, "mc-"+tenant, name)
}

// auditRecord is a line of `missioncontrol-executor audit list`.
type auditRecord struct {
	Type    string          `json:"type"`
	Actor   string          `json:"actor"`
	Tenant  string          `json:"tenant"`
	JobID   string          `json:"job_id"`
	Rule    string          `json:"rule"`
	Outcome string          `json:"outcome"`
	Data    json.RawMessage `json:"data"`
}

// auditOf returns the tenant's audit records, oldest first.
func auditOf(t *testing.T, h *testhost.Host, tenant string) []auditRecord {
	t.Helper()
	out := h.Run(t, "/share/bin/missioncontrol-executor", "audit", "list")
	var recs []auditRecord
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		var r auditRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("audit line %q: %v", line, err)
		}
		if r.Tenant == tenant {
			recs = append(recs, r)
		}
	}
	return recs
}

// outcomes lists "type/outcome" of records, for messages and counting.
func outcomes(recs []auditRecord) []string {
	var out []string
	for _, r := range recs {
		out = append(out, r.Type+"/"+r.Outcome)
	}
	return out
}

func count(recs []auditRecord, typ, outcome string) int {
	n := 0
	for _, r := range recs {
		if r.Type == typ && r.Outcome == outcome {
			n++
		}
	}
	return n
}

func (c *apiClient) tenant(name string) api.Tenant {
	c.t.Helper()
	var tn api.Tenant
	if err := c.do("GET", api.PathTenants+"/"+name, nil, &tn); err != nil {
		c.t.Fatalf("get tenant %s: %v", name, err)
	}
	return tn
}

// waitTenant polls the tenant until ok says so.
func (c *apiClient) waitTenant(name, what string, timeout time.Duration, ok func(api.Tenant) bool) api.Tenant {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		tn := c.tenant(name)
		if ok(tn) {
			return tn
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("%s: %s not seen within %v; status %s, month to date $%v, hold %+v", name, what, timeout,
				tn.Status, tn.MonthToDateUSD, tn.BudgetHold)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// approveJob gives job the approval of key (an approver of the test host).
func approveJob(t *testing.T, e *env, key string, job api.Job) api.Job {
	t.Helper()
	aud, err := e.c.hostID()
	if err != nil {
		t.Fatal(err)
	}
	tok, err := signer(t, e.exec, key).Approve(job.Digest, aud, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var j api.Job
	if err := e.c.withKey(t, e.exec, key).do("POST", api.PathJobs+"/"+job.ID+"/approve", api.ApproveRequest{Approvals: []string{tok}}, &j); err != nil {
		t.Fatalf("approve job %s: %v", job.ID, err)
	}
	return j
}

// applyApproved is apply for a tenant whose environment needs one
// approval: alice gives it.
func applyApproved(t *testing.T, e *env, req api.PlanRequest) (api.Plan, api.Job) {
	t.Helper()
	p := e.c.mustPlan(req)
	j, err := e.c.submit(req, p.Digest)
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	if j.State != api.JobAwaitingApproval || j.RequiredApprovals != 1 {
		t.Fatalf("job %s: %s with %d approvals required, want awaiting_approval with 1", j.ID, j.State, j.RequiredApprovals)
	}
	approveJob(t, e, testhost.KeyAlice, j)
	if j = e.c.wait(j.ID); j.State != api.JobSucceeded {
		t.Fatalf("job %s %s: %s\nevents: %+v", j.ID, j.State, j.Error, j.Events)
	}
	return p, j
}

// budgetMetricValue reads one sample of /metrics inside the host; ok is
// false when there is none.
func budgetMetricValue(t *testing.T, h *testhost.Host, series string) (float64, bool) {
	t.Helper()
	out, err := h.Try("python3", "-c", `import urllib.request; print(urllib.request.urlopen("http://`+budgetMetrics+`/metrics").read().decode())`)
	if err != nil {
		t.Fatalf("GET /metrics: %v: %s", err, out)
	}
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindStringSubmatch(out)
	if m == nil {
		return 0, false
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatalf("%s: %v", series, err)
	}
	return v, true
}

// usageTime is a moment of the current UTC month for usage records: now,
// or the month's first second when now is too close to its start for the
// records to be stamped before the scan.
func usageTime() time.Time {
	now := time.Now().UTC()
	start := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	if at := now.Add(-2 * time.Second); !at.Before(start) {
		return at
	}
	return start
}

// TestBudgetBreachSuspendsAndRaisedBudgetResumes: a staging tenant whose
// budget says "suspend" spends it → the executor itself audits the soft and
// hard breach and suspends it with no approval (policy budget { approvals =
// 0 }): gateway stopped, account expired, files kept, status "suspended
// (budget)", health cause budget_suspension, budget ratio on /metrics. Its
// plans keep it suspended until one raises the budget above the spend; that
// plan resumes it once approved like any staging change. A tenant whose
// budget only alerts is audited and counted, never suspended.
func TestBudgetBreachSuspendsAndRaisedBudgetResumes(t *testing.T) {
	t.Parallel()
	testhost.Require(t)
	seed, err := testhost.SudoSeed(context.Background())
	if err != nil {
		t.Fatalf("sudo seed: %v", err)
	}
	h := testhost.Boot(t, testhost.Options{Seeds: []string{seed}})
	ex := testhost.BootExecutor(t, h, testhost.ExecutorOptions{Config: budgetConfig(t)})
	e := &env{host: h, exec: ex, c: newClient(t, ex.Socket).withKey(t, ex, testhost.KeyOperator)}

	const held, alerted = "vandelay", "wonka"
	heldReq := bootstrapChanges(held)
	heldSpec := heldReq.Changes[0].Tenant
	heldSpec.Environment = api.EnvStaging
	heldSpec.Budget = &api.Budget{MonthlyUSD: 0.02, SoftLimitPercent: 50, Action: api.BudgetSuspend}
	alertReq := bootstrapChanges(alerted)
	alertReq.Changes[0].Tenant.Budget = &api.Budget{MonthlyUSD: 0.02, SoftLimitPercent: 50, Action: api.BudgetAlert}
	applyApproved(t, e, heldReq)
	e.c.apply(alertReq)
	unit := func(name string) string { return "missioncontrol-gateway@" + name + ".service" }
	active := func(name string) string {
		return strings.TrimSpace(h.Run(t, "systemctl", "show", "-p", "ActiveState", "--value", unit(name)))
	}
	expiry := func(name string) string { return strings.Split(h.Run(t, "getent", "shadow", "mc-"+name), ":")[7] }
	files := func() string {
		return h.Run(t, "sha256sum", "/srv/missioncontrol/tenants/"+held+"/.openclaw/openclaw.json",
			"/srv/missioncontrol/tenants/"+held+"/.openclaw/workspace-main/AGENTS.md")
	}
	if a := active(held); a != "active" {
		t.Fatalf("gateway of %s is %s after bootstrap", held, a)
	}
	if tn := e.c.tenant(held); tn.Status != api.TenantActive || tn.BudgetHold != nil {
		t.Fatalf("%s before any usage: status %s, hold %+v", held, tn.Status, tn.BudgetHold)
	}

	// Under the soft limit: nothing is recorded.
	at := usageTime()
	putTranscript(t, h, held, "main", "s1", at, 0.005)
	e.c.waitTenant(held, "$0.005 counted", 30*time.Second, func(tn api.Tenant) bool { return tn.MonthToDateUSD == 0.005 })
	time.Sleep(2 * time.Second) // a check after the pass that counted it
	if recs := auditOf(t, h, held); count(recs, "budget", "soft_breach") != 0 {
		t.Fatalf("a breach at 25%% of the budget: %v", outcomes(recs))
	}
	if r, ok := budgetMetricValue(t, h, `missioncontrol_budget_ratio{tenant="`+held+`"}`); !ok || math.Abs(r-0.25) > 1e-9 {
		t.Errorf("budget ratio of %s = %v (%t), want 0.25", held, r, ok)
	}

	before := files()
	// Over the budget: $0.005 + $0.03 of $0.02.
	putTranscript(t, h, held, "main", "s2", at, 0.03)
	putTranscript(t, h, alerted, "main", "s1", at, 0.035)
	tn := e.c.waitTenant(held, "status suspended (budget)", 60*time.Second, func(tn api.Tenant) bool {
		return tn.Status == api.TenantSuspendedBudget
	})
	if hold := tn.BudgetHold; hold == nil || hold.Month != api.BudgetMonth(at) || hold.LimitUSD != 0.02 || hold.SpentUSD != 0.035 {
		t.Errorf("hold of %s = %+v, want month %s, $0.035 of $0.02", held, hold, api.BudgetMonth(at))
	}
	if tn.Desired.Tenant.Suspended {
		t.Errorf("the hold changed the registered desired state: suspended = true")
	}

	// Audited: the soft and hard breach once each, the hold, and the
	// suspension job by the executor, which succeeded without approvals.
	recs := auditOf(t, h, held)
	for _, o := range []string{"soft_breach", "hard_breach", "hold"} {
		if n := count(recs, "budget", o); n != 1 {
			t.Errorf("%d budget/%s records, want 1: %v", n, o, outcomes(recs))
		}
	}
	var jobID string
	for _, r := range recs {
		if r.Type == "budget" && r.Outcome == "hard_breach" {
			var d struct {
				Month    string  `json:"month"`
				SpentUSD float64 `json:"spent_usd"`
				LimitUSD float64 `json:"limit_usd"`
				Action   string  `json:"action"`
			}
			if err := json.Unmarshal(r.Data, &d); err != nil || d.SpentUSD != 0.035 || d.LimitUSD != 0.02 || d.Action != "suspend" || r.Rule != "budget.hard" {
				t.Errorf("hard breach record: rule %s data %s (%v)", r.Rule, r.Data, err)
			}
		}
		if r.Type == "request" && r.Actor == "executor (budget)" {
			jobID = r.JobID
		}
	}
	if jobID == "" {
		t.Fatalf("no suspension job by the executor in the audit log: %v", outcomes(recs))
	}
	job := e.c.wait(jobID)
	if job.State != api.JobSucceeded || job.RequiredApprovals != 0 {
		t.Errorf("suspension job %s: %s, %d approvals required; want succeeded with none", job.ID, job.State, job.RequiredApprovals)
	}
	var steps []string
	for _, s := range job.Steps {
		steps = append(steps, s.Summary)
	}
	if got, want := strings.Join(steps, "\n"), "lock account mc-"+held+" (expire it)\nstop and disable "+unit(held); got != want {
		t.Errorf("suspension job steps:\n%s\nwant:\n%s", got, want)
	}
	if recs := auditOf(t, h, held); count(recs, "result", "succeeded") != 2 { // bootstrap and suspension
		t.Errorf("want the bootstrap's and the suspension's results: %v", outcomes(recs))
	}
	// The status reads the hold at once; the job's steps are done now.
	if a := active(held); a != "inactive" {
		t.Errorf("gateway of the held tenant is %s, want inactive", a)
	}
	if x := expiry(held); x != "1" {
		t.Errorf("account of the held tenant expires on day %q, want 1 (expired)", x)
	}
	if after := files(); after != before {
		t.Errorf("files changed by the suspension:\n%s\n%s", before, after)
	}

	e.c.waitHealth(held, "cause budget_suspension", 30*time.Second, func(hh api.TenantHealth) bool {
		return hh.Cause == api.CauseBudgetSuspension
	})
	if r, ok := budgetMetricValue(t, h, `missioncontrol_budget_ratio{tenant="`+held+`"}`); !ok || r <= 1 {
		t.Errorf("budget ratio of %s = %v (%t), want > 1", held, r, ok)
	}
	if n, _ := budgetMetricValue(t, h, `missioncontrol_budget_suspensions_total{tenant="`+held+`"}`); n != 1 {
		t.Errorf("budget suspensions of %s = %v, want 1", held, n)
	}
	if n, _ := budgetMetricValue(t, h, `missioncontrol_budget_breaches_total{kind="hard",tenant="`+held+`"}`); n != 1 {
		t.Errorf("hard breaches of %s = %v, want 1", held, n)
	}

	// The alert-only tenant: both breaches audited and counted, still
	// running, no hold, no job by the executor.
	a := e.c.waitTenant(alerted, "$0.035 counted", 30*time.Second, func(tn api.Tenant) bool { return tn.MonthToDateUSD == 0.035 })
	deadline := time.Now().Add(30 * time.Second)
	for arecs := auditOf(t, h, alerted); count(arecs, "budget", "hard_breach") == 0; arecs = auditOf(t, h, alerted) {
		if time.Now().After(deadline) {
			t.Fatalf("no hard breach of %s audited: %v", alerted, outcomes(arecs))
		}
		time.Sleep(250 * time.Millisecond)
	}
	time.Sleep(2 * time.Second) // more checks: still once each, still running
	arecs := auditOf(t, h, alerted)
	if count(arecs, "budget", "soft_breach") != 1 || count(arecs, "budget", "hard_breach") != 1 || count(arecs, "budget", "hold") != 0 {
		t.Errorf("audit of the alert-only tenant: %v", outcomes(arecs))
	}
	for _, r := range arecs {
		if r.Actor == "executor (budget)" {
			t.Errorf("the executor acted on the alert-only tenant: %+v", r)
		}
	}
	if a = e.c.tenant(alerted); a.Status != api.TenantActive || a.BudgetHold != nil || active(alerted) != "active" || expiry(alerted) != "" {
		t.Errorf("alert-only tenant: status %s, hold %+v, gateway %s, expiry %q", a.Status, a.BudgetHold, active(alerted), expiry(alerted))
	}
	if n, _ := budgetMetricValue(t, h, `missioncontrol_budget_breaches_total{kind="soft",tenant="`+alerted+`"}`); n != 1 {
		t.Errorf("soft breaches of %s = %v, want 1", alerted, n)
	}

	// Plans that do not raise the budget keep the hold: nothing to run,
	// and the plan says why. Asking to resume does not lift it either.
	if p := e.c.mustPlan(heldReq); p.BudgetHold == nil || len(p.Steps) != 0 {
		t.Errorf("plan of the unchanged tenant: hold %+v, steps %q; want the hold and no step", p.BudgetHold, p.Summaries())
	}
	raisedTooLittle := *heldSpec
	raisedTooLittle.Budget = &api.Budget{MonthlyUSD: 0.03, SoftLimitPercent: 50, Action: api.BudgetSuspend}
	if p := e.c.mustPlan(tenantChange(raisedTooLittle)); p.BudgetHold == nil || len(p.Steps) != 0 {
		t.Errorf("plan with a budget still under the spend: hold %+v, steps %q", p.BudgetHold, p.Summaries())
	}

	// Raised above the spend: the plan resumes it, as a staging change
	// needing one approval; until then the host stays as it is.
	raised := *heldSpec
	raised.Budget = &api.Budget{MonthlyUSD: 1, SoftLimitPercent: 80, Action: api.BudgetSuspend}
	p := e.c.mustPlan(tenantChange(raised))
	if got, want := strings.Join(p.Summaries(), "\n"), "unlock account mc-"+held+" (clear its expiry)\nenable and start "+unit(held); p.BudgetHold != nil || got != want {
		t.Fatalf("plan with the budget raised: hold %+v, steps:\n%s\nwant:\n%s", p.BudgetHold, got, want)
	}
	j, err := e.c.submit(tenantChange(raised), p.Digest)
	if err != nil {
		t.Fatal(err)
	}
	if j.State != api.JobAwaitingApproval {
		t.Fatalf("resume job %s: %s, want awaiting_approval", j.ID, j.State)
	}
	time.Sleep(time.Second)
	if a := active(held); a != "inactive" || e.c.tenant(held).Status != api.TenantSuspendedBudget {
		t.Fatalf("a resume awaiting approval started the gateway (%s)", a)
	}
	approveJob(t, e, testhost.KeyAlice, j)
	if j = e.c.wait(j.ID); j.State != api.JobSucceeded {
		t.Fatalf("resume job %s %s: %s", j.ID, j.State, j.Error)
	}
	if a := active(held); a != "active" {
		t.Errorf("gateway after the resume is %s", a)
	}
	if x := expiry(held); x != "" {
		t.Errorf("account after the resume expires on day %q, want no expiry", x)
	}
	if out, err := h.Try("su", "-s", "/bin/true", "mc-"+held); err != nil {
		t.Errorf("su to the resumed account: %v %s", err, out)
	}
	if tn := e.c.tenant(held); tn.Status != api.TenantActive || tn.BudgetHold != nil {
		t.Errorf("after the resume: status %s, hold %+v", tn.Status, tn.BudgetHold)
	}
	if recs := auditOf(t, h, held); count(recs, "budget", "lifted") != 1 {
		t.Errorf("the lift is not audited once: %v", outcomes(recs))
	}
	e.c.waitHealth(held, "the budget incident closed", 30*time.Second, func(hh api.TenantHealth) bool {
		return hh.Cause != api.CauseBudgetSuspension && len(hh.OpenIncidents) == 0
	})
	// Several checks later the raised budget holds: no new breach, no new
	// suspension, and the full spec plans nothing.
	time.Sleep(3 * time.Second)
	if n, _ := budgetMetricValue(t, h, `missioncontrol_budget_suspensions_total{tenant="`+held+`"}`); n != 1 {
		t.Errorf("budget suspensions of %s after the raise = %v, want 1", held, n)
	}
	heldReq.Changes[0].Tenant = &raised
	if p := e.c.mustPlan(heldReq); len(p.Steps) != 0 || p.BudgetHold != nil {
		t.Errorf("after the resume the plan is not empty: %q hold %+v", p.Summaries(), p.BudgetHold)
	}
}

// TestBudgetSuspensionDeniedByPolicy: without the policy's budget block a
// tenant over a "suspend" budget is not suspended: the breach and the
// refused suspension (rule budget.suspend) are audited once, and the
// tenant keeps running.
func TestBudgetSuspensionDeniedByPolicy(t *testing.T) {
	t.Parallel()
	testhost.Require(t)
	src, err := os.ReadFile("../../examples/executor/policy.hcl")
	if err != nil {
		t.Fatal(err)
	}
	pol, diags := hclwrite.ParseConfig(src, "policy.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	b := pol.Body().FirstMatchingBlock("budget", nil)
	if b == nil || !pol.Body().RemoveBlock(b) {
		t.Fatal("the example policy has no budget block to remove")
	}
	seed, err := testhost.SudoSeed(context.Background())
	if err != nil {
		t.Fatalf("sudo seed: %v", err)
	}
	h := testhost.Boot(t, testhost.Options{Seeds: []string{seed}})
	ex := testhost.BootExecutor(t, h, testhost.ExecutorOptions{Config: budgetConfig(t), Policy: pol.Bytes()})
	c := newClient(t, ex.Socket).withKey(t, ex, testhost.KeyOperator)

	const name = "kramerica"
	req := bootstrapChanges(name)
	req.Changes[0].Tenant.Budget = &api.Budget{MonthlyUSD: 0.01, SoftLimitPercent: 80, Action: api.BudgetSuspend}
	c.apply(req)
	putTranscript(t, h, name, "main", "s1", usageTime(), 0.05)

	deadline := time.Now().Add(60 * time.Second)
	var recs []auditRecord
	for recs = auditOf(t, h, name); count(recs, "denial", string(api.CodePolicyDenied)) == 0; recs = auditOf(t, h, name) {
		if time.Now().After(deadline) {
			t.Fatalf("no refused budget suspension audited within 60s: %v", outcomes(recs))
		}
		time.Sleep(250 * time.Millisecond)
	}
	time.Sleep(3 * time.Second) // several more checks: nothing more is recorded
	recs = auditOf(t, h, name)
	var denials []auditRecord
	for _, r := range recs {
		if r.Type == "denial" {
			denials = append(denials, r)
		}
	}
	if len(denials) != 1 || denials[0].Rule != "budget.suspend" || denials[0].Actor != "executor (budget)" || denials[0].Outcome != string(api.CodePolicyDenied) {
		t.Errorf("denials: %+v, want one by the executor (budget) under rule budget.suspend", denials)
	}
	if count(recs, "budget", "hard_breach") != 1 || count(recs, "budget", "hold") != 0 {
		t.Errorf("audit: %v, want one hard breach and no hold", outcomes(recs))
	}
	tn := c.tenant(name)
	if tn.Status != api.TenantActive || tn.BudgetHold != nil {
		t.Errorf("tenant after the refused suspension: status %s, hold %+v", tn.Status, tn.BudgetHold)
	}
	if a := strings.TrimSpace(h.Run(t, "systemctl", "is-active", "missioncontrol-gateway@"+name+".service")); a != "active" {
		t.Errorf("gateway after the refused suspension is %s", a)
	}
	if x := strings.Split(h.Run(t, "getent", "shadow", "mc-"+name), ":")[7]; x != "" {
		t.Errorf("account after the refused suspension expires on day %q", x)
	}
	if n, _ := budgetMetricValue(t, h, `missioncontrol_budget_suspensions_total{tenant="`+name+`"}`); n != 0 {
		t.Errorf("budget suspensions of %s = %v, want 0", name, n)
	}
}
