package e2e_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/jobs"
	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/testhost"
)

// wantRefused checks that err is an *api.Error with code and rule.
func wantRefused(t *testing.T, what string, err error, code api.Code, rule string) {
	t.Helper()
	var apiErr *api.Error
	if !errors.As(err, &apiErr) || apiErr.Code != code || apiErr.Rule != rule {
		t.Fatalf("%s: got %v; want %s (rule %s)", what, err, code, rule)
	}
	if apiErr.Message == "" {
		t.Fatalf("%s: refusal without a message", what)
	}
	t.Logf("%s refused: %s", what, apiErr.Message)
}

// auditRules returns the rules of the denials in the executor's audit log.
func auditRules(t *testing.T, h *testhost.Host) map[string]int {
	t.Helper()
	out := h.Run(t, "/share/bin/missioncontrol-executor", "audit", "list", "--type", "denial")
	rules := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		var r struct {
			Rule string `json:"rule"`
		}
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("audit line %q: %v", line, err)
		}
		rules[r.Rule]++
	}
	return rules
}

func TestSignedRequestRefusals(t *testing.T) {
	t.Parallel()
	e := boot(t)
	req := bootstrapChanges("refused")
	p := e.c.mustPlan(req)
	before, err := e.host.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	op := signer(t, e.exec, testhost.KeyOperator)
	_, outsiderKey, _ := ed25519.GenerateKey(rand.Reader)
	outsider := api.Signer{Key: outsiderKey}
	aud, err := e.c.hostID()
	if err != nil {
		t.Fatal(err)
	}
	signWith := func(s api.Signer, aud string, now time.Time, ttl time.Duration) func(string, string, []byte) string {
		return func(method, path string, body []byte) string {
			h, err := s.SignRequest(method, path, body, aud, now, ttl)
			if err != nil {
				t.Fatal(err)
			}
			return h
		}
	}
	cases := map[string]struct {
		envelope func(method, path string, body []byte) string
		code     api.Code
		rule     string
	}{
		"unsigned":       {func(string, string, []byte) string { return "" }, api.CodeUnauthorized, "envelope.unsigned"},
		"unknown key":    {signWith(outsider, aud, time.Now(), time.Minute), api.CodeUnauthorized, "envelope.unknown_key"},
		"expired":        {signWith(op, aud, time.Now().Add(-10*time.Minute), 5*time.Minute), api.CodeUnauthorized, "envelope.expired"},
		"wrong audience": {signWith(op, "some-other-host", time.Now(), time.Minute), api.CodeUnauthorized, "envelope.audience"},
		"wrong signature": {func(method, path string, body []byte) string {
			env, err := api.DecodeEnvelope(signWith(outsider, aud, time.Now(), time.Minute)(method, path, body))
			if err != nil {
				t.Fatal(err)
			}
			env.Signatures[0].KeyID = op.KeyID() // claims to be the operator
			s, _ := api.EncodeEnvelope(env)
			return s
		}, api.CodeUnauthorized, "envelope.signature"},
		"other request": {func(method, path string, body []byte) string {
			return signWith(op, aud, time.Now(), time.Minute)(method, api.PathPlans, body)
		}, api.CodeUnauthorized, "envelope.binding"},
	}
	for name, tc := range cases {
		c := &apiClient{t: t, http: e.c.http, envelope: tc.envelope}
		_, err := c.submit(req, p.Digest)
		wantRefused(t, name, err, tc.code, tc.rule)
	}
	// a planner key may plan but not submit
	planner := e.c.withKey(t, e.exec, testhost.KeyPlanner)
	if _, err := planner.plan(req); err != nil {
		t.Fatalf("planner plan: %v", err)
	}
	_, err = planner.submit(req, p.Digest)
	wantRefused(t, "planner submitting", err, api.CodeForbidden, "key.role")

	// replay: the same signed dry run twice, and again after a restart
	var envelope string
	replay := &apiClient{t: t, http: e.c.http, envelope: func(method, path string, body []byte) string {
		if envelope == "" {
			envelope = signWith(op, aud, time.Now(), 5*time.Minute)(method, path, body)
		}
		return envelope
	}}
	if _, err := replay.plan(req); err != nil {
		t.Fatalf("first use: %v", err)
	}
	_, err = replay.plan(req)
	wantRefused(t, "replayed", err, api.CodeUnauthorized, "envelope.replay")
	e.host.Run(t, "systemctl", "restart", testhost.ExecutorUnit)
	waitSocket(t, e.exec.Socket)
	_, err = replay.plan(req)
	wantRefused(t, "replayed after restart", err, api.CodeUnauthorized, "envelope.replay")

	after, err := e.host.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if d := testhost.Diff(before, after); d != "" {
		t.Fatalf("refused requests changed the host:\n%s", d)
	}
	rules := auditRules(t, e.host)
	for _, r := range []string{"envelope.unsigned", "envelope.unknown_key", "envelope.expired", "envelope.audience",
		"envelope.signature", "envelope.binding", "key.role", "envelope.replay"} {
		if rules[r] == 0 {
			t.Errorf("no audited denial with rule %s (have %v)", r, rules)
		}
	}
	if rules["envelope.replay"] < 2 {
		t.Errorf("replays audited %d times, want 2", rules["envelope.replay"])
	}
}

func prodChanges(name string) api.PlanRequest {
	req := bootstrapChanges(name)
	req.Changes[0].Tenant.Environment = api.EnvProduction
	return req
}

func TestApprovalsTwoPersonRule(t *testing.T) {
	t.Parallel()
	e := boot(t)
	req := prodChanges("bigcorp")
	p := e.c.mustPlan(req)
	before, err := e.host.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	aud, _ := e.c.hostID()
	alice, bob := signer(t, e.exec, testhost.KeyAlice), signer(t, e.exec, testhost.KeyBob)
	aliceC, bobC := e.c.withKey(t, e.exec, testhost.KeyAlice), e.c.withKey(t, e.exec, testhost.KeyBob)
	token := func(s api.Signer, digest, host string, exp time.Time) string {
		tok, err := s.Approve(digest, host, exp)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	approve := func(c *apiClient, id string, tokens ...string) (api.Job, error) {
		var j api.Job
		err := c.do("POST", api.PathJobs+"/"+id+"/approve", api.ApproveRequest{Approvals: tokens}, &j)
		return j, err
	}

	// A production job without approvals waits and changes nothing.
	job, err := e.c.submit(req, p.Digest)
	if err != nil {
		t.Fatal(err)
	}
	if job.State != api.JobAwaitingApproval || job.RequiredApprovals != 2 {
		t.Fatalf("job %s: state %s, required %d", job.ID, job.State, job.RequiredApprovals)
	}
	// refused approvals
	other := "sha256:" + strings.Repeat("ab", 32)
	_, err = approve(aliceC, job.ID, token(alice, other, aud, time.Now().Add(time.Hour)))
	wantRefused(t, "approval for another digest", err, api.CodeForbidden, "approval.digest")
	_, err = approve(aliceC, job.ID, token(alice, p.Digest, "other-host", time.Now().Add(time.Hour)))
	wantRefused(t, "approval for another host", err, api.CodeForbidden, "approval.host")
	_, err = approve(aliceC, job.ID, token(alice, p.Digest, aud, time.Now().Add(-time.Minute)))
	wantRefused(t, "expired approval", err, api.CodeForbidden, "approval.expired")
	_, err = approve(e.c, job.ID, token(alice, p.Digest, aud, time.Now().Add(time.Hour)))
	wantRefused(t, "approval sent with an apply key", err, api.CodeForbidden, "key.role")

	// one approval is not enough; the same key twice counts once
	j, err := approve(aliceC, job.ID, token(alice, p.Digest, aud, time.Now().Add(time.Hour)))
	if err != nil || j.State != api.JobAwaitingApproval || len(j.Approvals) != 1 {
		t.Fatalf("first approval: %v %s %d", err, j.State, len(j.Approvals))
	}
	_, err = approve(aliceC, job.ID, token(alice, p.Digest, aud, time.Now().Add(2*time.Hour)))
	wantRefused(t, "same key twice", err, api.CodeConflict, "approval.duplicate")
	time.Sleep(300 * time.Millisecond)
	mid, err := e.host.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if d := testhost.Diff(before, mid); d != "" {
		t.Fatalf("a job awaiting approval changed the host:\n%s", d)
	}

	// the second distinct approver releases the job
	j, err = approve(bobC, job.ID, token(bob, p.Digest, aud, time.Now().Add(time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	got := e.c.wait(job.ID)
	if got.State != api.JobSucceeded || len(got.Approvals) != 2 {
		t.Fatalf("after two approvals: %s %q approvals %d", got.State, got.Error, len(got.Approvals))
	}
	// It waited: what ran was planned again, not the submission's plan.
	if m := runningMessage(got); m != jobs.RunningReplanned {
		t.Errorf("approved job's running event %q, want %q", m, jobs.RunningReplanned)
	}

	// self-approval: carol submits (apply) and may not approve her own job
	carolC := e.c.withKey(t, e.exec, testhost.KeyCarol)
	carol := signer(t, e.exec, testhost.KeyCarol)
	upd := prodChanges("bigcorp")
	upd.Changes[0].Tenant.DisplayName = "BigCorp Inc"
	p2 := carolC.mustPlan(upd)
	job2, err := carolC.submit(upd, p2.Digest)
	if err != nil {
		t.Fatal(err)
	}
	_, err = approve(carolC, job2.ID, token(carol, p2.Digest, aud, time.Now().Add(time.Hour)))
	wantRefused(t, "self-approval", err, api.CodeForbidden, "approval.self")
	// a token carol sent along with her own submission does not count either
	job3, err := carolC.do2submit(upd, p2.Digest, token(carol, p2.Digest, aud, time.Now().Add(time.Hour)), token(alice, p2.Digest, aud, time.Now().Add(time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	if job3.State != api.JobAwaitingApproval || len(job3.Approvals) != 1 || job3.Approvals[0].Name != testhost.KeyAlice {
		t.Fatalf("submission with own token: %s approvals %+v", job3.State, job3.Approvals)
	}

	// reject and cancel end waiting jobs without touching the host
	var rej api.Job
	if err := bobC.do("POST", api.PathJobs+"/"+job2.ID+"/reject", api.RejectRequest{Reason: "not today"}, &rej); err != nil || rej.State != api.JobRejected {
		t.Fatalf("reject: %v %s", err, rej.State)
	}
	var can api.Job
	if err := e.c.do("POST", api.PathJobs+"/"+job3.ID+"/cancel", api.CancelRequest{}, &can); err != nil || can.State != api.JobCancelled {
		t.Fatalf("cancel: %v %s", err, can.State)
	}
	_, err = approve(bobC, job3.ID, token(bob, p2.Digest, aud, time.Now().Add(time.Hour)))
	if !api.IsCode(err, api.CodeConflict) {
		t.Fatalf("approving a cancelled job: %v", err)
	}
	e.host.Run(t, "id", "mc-bigcorp") // the approved job created it
	rules := auditRules(t, e.host)
	for _, r := range []string{"approval.digest", "approval.host", "approval.expired", "approval.duplicate", "approval.self", "key.role"} {
		if rules[r] == 0 {
			t.Errorf("no audited denial with rule %s (have %v)", r, rules)
		}
	}
}

// do2submit submits with approval tokens.
func (c *apiClient) do2submit(req api.PlanRequest, digest string, tokens ...string) (api.Job, error) {
	var j api.Job
	err := c.do("POST", api.PathJobs, api.SubmitRequest{PlanRequest: req, Digest: digest, Approvals: tokens}, &j)
	return j, err
}

func TestCancelRunningJobAtStepBoundaryThenRetry(t *testing.T) {
	t.Parallel()
	e := boot(t)
	slowSteps(t, e, "500ms")

	req := bootstrapChanges("stopme")
	p := e.c.mustPlan(req)
	j, err := e.c.submit(req, p.Digest)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		var cur api.Job
		if err := e.c.do("GET", api.PathJobs+"/"+j.ID, nil, &cur); err != nil {
			t.Fatal(err)
		}
		if cur.State == api.JobRunning {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("job never ran: %s", cur.State)
		}
		time.Sleep(50 * time.Millisecond)
	}
	var can api.Job
	if err := e.c.do("POST", api.PathJobs+"/"+j.ID+"/cancel", api.CancelRequest{Reason: "test"}, &can); err != nil {
		t.Fatal(err)
	}
	got := e.c.wait(j.ID)
	if got.State != api.JobCancelled || !strings.Contains(got.Error, "before step") {
		t.Fatalf("cancelled job: %s %q", got.State, got.Error)
	}
	// cancelled is terminal: cancelling again is a conflict
	if err := e.c.do("POST", api.PathJobs+"/"+j.ID+"/cancel", nil, nil); !api.IsCode(err, api.CodeConflict) {
		t.Fatalf("second cancel: %v", err)
	}
	// a fresh plan finishes what the cancelled job left
	e.c.apply(req)
	if p2 := e.c.mustPlan(req); len(p2.Steps) != 0 {
		t.Fatalf("plan after apply: %q", p2.Summaries())
	}
}

// TestCLIJobs drives a production job through the operator CLI against the
// socket: jobs list and show, approve by one reviewer, reject by another,
// then cancel a second job.
func TestCLIJobs(t *testing.T) {
	t.Parallel()
	e := boot(t)
	cli := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(e.exec.Binary(), append(args, "--socket", e.exec.Socket)...).CombinedOutput()
		if err != nil {
			t.Fatalf("missioncontrol-executor %s: %v: %s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	key := func(name string) string { return e.exec.Keys[name] }
	req := prodChanges("initrode")
	p := e.c.mustPlan(req)
	job, err := e.c.submit(req, p.Digest)
	if err != nil {
		t.Fatal(err)
	}
	if out := cli("jobs", "list"); !regexp.MustCompile(job.ID + `\s+initrode\s+awaiting_approval\s+0/2`).MatchString(out) {
		t.Fatalf("jobs list:\n%s", out)
	}
	if out := cli("approve", job.ID, "--key", key(testhost.KeyAlice)); !strings.Contains(out, "awaiting_approval (1 of 2 approvals)") {
		t.Fatalf("approve: %s", out)
	}
	if out := cli("jobs", "show", job.ID); !strings.Contains(out, "approvals  1 of 2: alice") || !strings.Contains(out, "create user mc-initrode") {
		t.Fatalf("jobs show:\n%s", out)
	}
	if out := cli("reject", job.ID, "--key", key(testhost.KeyBob), "--reason", "wrong quarter"); !strings.Contains(out, "is rejected") {
		t.Fatalf("reject: %s", out)
	}
	job2, err := e.c.submit(req, p.Digest)
	if err != nil {
		t.Fatal(err)
	}
	if out := cli("cancel", job2.ID, "--key", key(testhost.KeyOperator)); !strings.Contains(out, "is cancelled") {
		t.Fatalf("cancel: %s", out)
	}
	// nobody may approve a cancelled job
	out, err := exec.Command(e.exec.Binary(), "approve", job2.ID, "--key", key(testhost.KeyAlice), "--socket", e.exec.Socket).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "only a job awaiting approval") {
		t.Fatalf("approving a cancelled job: %v %s", err, out)
	}
	if _, err := e.host.Try("id", "mc-initrode"); err == nil {
		t.Fatal("a rejected and a cancelled job created the user")
	}
}

// TestRetryNeedsApprovalsAgainWhenTheDigestChanged: a production job that
// was approved and then interrupted left the host half done, so its retry
// plans another digest and waits for two approvals again.
func TestRetryNeedsApprovalsAgainWhenTheDigestChanged(t *testing.T) {
	t.Parallel()
	e := boot(t)
	h := e.host
	slowSteps(t, e, "500ms")

	aud, _ := e.c.hostID()
	tokens := func(digest string) []string {
		var out []string
		for _, k := range []string{testhost.KeyAlice, testhost.KeyBob} {
			tok, err := signer(t, e.exec, k).Approve(digest, aud, time.Now().Add(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, tok)
		}
		return out
	}
	req := prodChanges("hooli")
	p := e.c.mustPlan(req)
	j, err := e.c.do2submit(req, p.Digest, tokens(p.Digest)...)
	if err != nil {
		t.Fatal(err)
	}
	if j.State == api.JobAwaitingApproval {
		t.Fatalf("job with two approvals waits: %+v", j)
	}
	e.c.waitSteps(j.ID, 2)
	h.Run(t, "systemctl", "kill", "--signal=SIGKILL", testhost.ExecutorUnit)
	time.Sleep(500 * time.Millisecond)
	waitSocket(t, e.exec.Socket)
	if got := e.c.wait(j.ID); got.State != api.JobFailed {
		t.Fatalf("after the kill: %s", got.State)
	}
	var retry api.Job
	if err := e.c.do("POST", api.PathJobs+"/"+j.ID+"/retry", nil, &retry); err != nil {
		t.Fatal(err)
	}
	if retry.Digest == j.Digest || retry.State != api.JobAwaitingApproval || len(retry.Approvals) != 0 {
		t.Fatalf("retry: digest %s (was %s), state %s, approvals %d", retry.Digest, j.Digest, retry.State, len(retry.Approvals))
	}
	var got api.Job
	if err := e.c.withKey(t, e.exec, testhost.KeyAlice).do("POST", api.PathJobs+"/"+retry.ID+"/approve",
		api.ApproveRequest{Approvals: tokens(retry.Digest)}, &got); err != nil {
		t.Fatal(err)
	}
	if r := e.c.wait(retry.ID); r.State != api.JobSucceeded {
		t.Fatalf("approved retry: %s %q", r.State, r.Error)
	}
}

// TestWaitingJobExpires: a job nobody approves in time ends expired, and a
// late approval is refused.
func TestWaitingJobExpires(t *testing.T) {
	t.Parallel()
	e := boot(t)
	h := e.host
	h.Run(t, "mkdir", "-p", "/etc/systemd/system/missioncontrol-executor.service.d")
	h.Run(t, "sh", "-c", "printf '[Service]\\nEnvironment=MISSIONCONTROL_TEST_APPROVAL_TTL=2s\\n' > /etc/systemd/system/missioncontrol-executor.service.d/test.conf")
	h.Run(t, "systemctl", "daemon-reload")
	h.Run(t, "systemctl", "restart", testhost.ExecutorUnit)
	waitSocket(t, e.exec.Socket)

	req := prodChanges("pied-piper")
	p := e.c.mustPlan(req)
	j, err := e.c.submit(req, p.Digest)
	if err != nil {
		t.Fatal(err)
	}
	if j.State != api.JobAwaitingApproval {
		t.Fatalf("state %s", j.State)
	}
	got := e.c.wait(j.ID)
	if got.State != api.JobExpired || !strings.Contains(got.Error, "expired") {
		t.Fatalf("after the deadline: %s %q", got.State, got.Error)
	}
	aud, _ := e.c.hostID()
	tok, err := signer(t, e.exec, testhost.KeyAlice).Approve(p.Digest, aud, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	err = e.c.withKey(t, e.exec, testhost.KeyAlice).do("POST", api.PathJobs+"/"+j.ID+"/approve", api.ApproveRequest{Approvals: []string{tok}}, nil)
	if !api.IsCode(err, api.CodeConflict) || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("late approval: %v", err)
	}
	if _, err := h.Try("id", "mc-pied-piper"); err == nil {
		t.Fatal("an expired job created the user")
	}
}
