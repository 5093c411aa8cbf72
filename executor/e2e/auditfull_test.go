package e2e_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/testhost"
)

// TestAuditLogFullDisk puts the executor's state directory (its SQLite
// database, which holds the audit log) on a tiny tmpfs and fills it:
//
//   - a request that arrives on the full disk is refused with a clear error
//     and changes nothing on the host;
//   - when the disk fills in the middle of a job, the next step's audit
//     record cannot be written, so that step and every later one does not
//     run (the host stays as it was at the fill);
//   - once there is room again, the restarted executor marks the job
//     interrupted and a retry converges.
func TestAuditLogFullDisk(t *testing.T) {
	t.Parallel()
	e := boot(t)
	h := e.host
	const state = "/var/lib/missioncontrol"
	// Steps wait 3 s each, so the disk can be filled between two of them.
	h.Run(t, "mkdir", "-p", "/etc/systemd/system/missioncontrol-executor.service.d")
	h.Run(t, "systemctl", "stop", testhost.ExecutorUnit)
	h.Run(t, "cp", "-a", state, "/var/lib/mc-state-copy")
	h.Run(t, "mount", "-t", "tmpfs", "-o", "size=16m,mode=0700", "auditfull", state)
	h.Run(t, "cp", "-a", "/var/lib/mc-state-copy/.", state+"/")
	h.Run(t, "systemctl", "start", testhost.ExecutorUnit)
	waitSocket(t, e.exec.Socket)
	fill := func() {
		t.Helper()
		// dd stops at ENOSPC; the file then takes every free block
		if out, err := h.Try("dd", "if=/dev/zero", "of="+state+"/fill", "bs=64k"); err == nil || !strings.Contains(out, "No space left") {
			t.Fatalf("fill the state dir: %v %s", err, out)
		}
	}

	// 1. The disk is full before the request.
	req := bootstrapChanges("auditfull")
	p := e.c.mustPlan(req)
	fill()
	before, err := h.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.c.submit(req, p.Digest)
	if err == nil || !strings.Contains(err.Error(), "disk is full") {
		t.Fatalf("submit onto a full disk: %v; want a refusal saying the disk is full", err)
	}
	t.Logf("submit onto a full disk: %v", err)
	after, err := h.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if d := testhost.Diff(before, after); d != "" {
		t.Fatalf("a request refused for a full disk changed the host:\n%s", d)
	}
	var tn api.Tenant
	if err := e.c.do("GET", api.PathTenants+"/auditfull", nil, &tn); err != nil || tn.Registered {
		t.Fatalf("tenant after the refusal: registered %v (%v)", tn.Registered, err)
	}

	// 2. The disk fills in the middle of a job.
	h.Run(t, "rm", state+"/fill")
	if err := os.WriteFile(filepath.Join(h.Share, "delay.conf"), []byte("[Service]\nEnvironment=MISSIONCONTROL_TEST_STEP_DELAY=3s\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	h.Run(t, "cp", "/share/delay.conf", "/etc/systemd/system/missioncontrol-executor.service.d/delay.conf")
	h.Run(t, "systemctl", "daemon-reload")
	h.Run(t, "systemctl", "restart", testhost.ExecutorUnit)
	waitSocket(t, e.exec.Socket)
	p = e.c.mustPlan(req)
	j, err := e.c.submit(req, p.Digest)
	if err != nil {
		t.Fatal(err)
	}
	e.c.waitSteps(j.ID, 2)
	fill()
	mid, err := h.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	const refusal = "cannot write the audit record, so nothing runs"
	var journal string
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		if journal = h.Journal("-u", testhost.ExecutorUnit); strings.Contains(journal, refusal) {
			break
		}
	}
	if !strings.Contains(journal, refusal) || !strings.Contains(journal, "not run") || !strings.Contains(journal, "disk is full") {
		t.Fatalf("the executor did not refuse the next step for want of an audit record:\n%s", journal)
	}
	time.Sleep(4 * time.Second) // a step that wrongly went on would run within one delay
	end, err := h.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if d := testhost.Diff(mid, end); d != "" {
		t.Fatalf("steps ran after the audit log filled up:\n%s", d)
	}
	if d := testhost.Diff(before, mid); d == "" {
		t.Fatal("no step ran before the fill: the test did not fill the disk mid-job")
	}

	// 3. With room again, the job reads interrupted and a retry converges.
	h.Run(t, "rm", state+"/fill")
	h.Run(t, "rm", "/etc/systemd/system/missioncontrol-executor.service.d/delay.conf")
	h.Run(t, "systemctl", "daemon-reload")
	h.Run(t, "systemctl", "restart", testhost.ExecutorUnit)
	waitSocket(t, e.exec.Socket)
	if got := e.c.wait(j.ID); got.State != api.JobFailed || !strings.Contains(got.Error, "interrupted") {
		t.Fatalf("after the restart the job is %s: %q", got.State, got.Error)
	}
	var retry api.Job
	if err := e.c.do("POST", api.PathJobs+"/"+j.ID+"/retry", nil, &retry); err != nil {
		t.Fatal(err)
	}
	if r := e.c.wait(retry.ID); r.State != api.JobSucceeded {
		t.Fatalf("retry: %s %q", r.State, r.Error)
	}
	if p2 := e.c.mustPlan(req); len(p2.Steps) != 0 {
		t.Fatalf("after the retry the plan is not empty: %q", p2.Summaries())
	}
	if out := h.Run(t, "/share/bin/missioncontrol-executor", "audit", "verify", "--db", state+"/executor.db"); !strings.Contains(out, "chain intact") {
		t.Errorf("audit verify after the full disk: %s", out)
	}
}
