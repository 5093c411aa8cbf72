package e2e_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/fault"
	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/testhost"
)

// lifecycle is what the crash sweep runs for every tenant, in order.
var lifecycle = []struct {
	name string
	req  func(name string) api.PlanRequest
}{
	{"bootstrap", bootstrapChanges},
	{"update", func(n string) api.PlanRequest { return updatedChanges(n, false) }},
	{"suspend", func(n string) api.PlanRequest { return updatedChanges(n, true) }},
	{"resume", func(n string) api.PlanRequest { return updatedChanges(n, false) }},
	{"decommission", func(n string) api.PlanRequest {
		return api.PlanRequest{Tenant: n, Changes: []api.Change{{Kind: api.ObjectTenant, Action: api.ActionDestroy}}}
	}},
}

// updatedChanges is bootstrapChanges with new limits, a service variable
// and an edited workspace file: a plan that rewrites gateway.env, the limits
// drop-in and AGENTS.md, reloads systemd and restarts the gateway.
func updatedChanges(name string, suspended bool) api.PlanRequest {
	req := bootstrapChanges(name)
	spec := *req.Changes[0].Tenant
	spec.Limits = api.Limits{MemoryMaxMB: 2048, TasksMax: 512}
	spec.Suspended = suspended
	req.Changes[0].Tenant = &spec
	req.Changes[1].Workspace = &api.WorkspaceSpec{Name: "main", Files: map[string]string{"AGENTS.md": "# Acme agent, revised\n"}}
	req.Changes[2].Service = &api.ServiceSpec{Kind: api.ServiceGateway, Enabled: true, Environment: map[string]string{"MC_REVISION": "2"}}
	return req
}

// killPoint is one crash point of one operation.
type killPoint struct {
	op    int // index into lifecycle
	phase fault.Phase
	step  int // 1-based
}

// TestCrashAtEveryStep kills the executor with SIGKILL before and after
// every step of bootstrap, update, suspend, resume and decommission, and for
// every point checks that the restarted executor marks the job
// interrupted, that a retry converges to the tenant state an uninterrupted
// run leaves (host snapshot: accounts, files with owner, mode and content,
// unit states, and what systemd has loaded), and that no tenant file is ever
// gone without an archive on disk that holds it, and no archive is deleted.
//
// One host serves every point: each tenant crash-NN runs the lifecycle once
// and takes the NN-th kill point of every operation that has one, and a
// tenant crash-ref runs it uninterrupted as the reference.
//
// Host tests do not run with -short, so the sweep is always exhaustive in
// make test; MC_CRASH_SWEEP=sample keeps only the first and the last step
// of each operation, for a quick run while developing.
func TestCrashAtEveryStep(t *testing.T) {
	t.Parallel()
	e := bootFaulty(t)
	h := e.host
	start := time.Now()
	sample := os.Getenv("MC_CRASH_SWEEP") == "sample"

	// The reference: every operation uninterrupted, its tenant's view after
	// each, and the plan each operation had.
	const ref = "crash-ref"
	var refViews []tenantView
	var refPlans [][]string
	var ids tenantIDs
	for i, op := range lifecycle {
		if i == len(lifecycle)-1 {
			writePrecious(t, h, ref)
		}
		p, _ := e.c.apply(op.req(ref))
		if i == 0 {
			ids = newTenantIDs(ref, p.Allocation)
			ids.readToken(t, h)
		}
		refPlans = append(refPlans, ids.normalizeAll(p.Summaries()))
		refViews = append(refViews, viewOf(t, h, ids))
	}
	if n := checkArchived(t, e, ref); n != 0 {
		t.Fatalf("the uninterrupted decommission left %d unrecorded archives", n)
	}
	if refViews[len(refViews)-1].onDisk() {
		t.Fatalf("after decommission the reference tenant still has:\n%s", refViews[len(refViews)-1])
	}

	// Kill points per operation, from the reference plans.
	perOp := make([][]killPoint, len(lifecycle))
	total, most := 0, 0
	for i := range lifecycle {
		n := len(refPlans[i])
		for k := 1; k <= n; k++ {
			if sample && k != 1 && k != n {
				continue
			}
			for _, ph := range []fault.Phase{fault.Before, fault.After} {
				perOp[i] = append(perOp[i], killPoint{op: i, phase: ph, step: k})
			}
		}
		total += len(perOp[i])
		most = max(most, len(perOp[i]))
	}
	t.Logf("crash sweep: %d kill points over %s (plans of %s steps)", total, lifecycleNames(),
		strings.Join(stepCounts(refPlans), "/"))

	covered := 0
	var unrecorded []string // tenants with an archive on disk but not in the registry
	for n := range most {
		name := fmt.Sprintf("crash-%02d", n)
		var ids tenantIDs
		// the last operation that has a kill point for this tenant
		last := -1
		for i := range lifecycle {
			if n < len(perOp[i]) {
				last = i
			}
		}
		for i, op := range lifecycle[:last+1] {
			if i == len(lifecycle)-1 {
				writePrecious(t, h, name)
			}
			req := op.req(name)
			p := e.c.mustPlan(req)
			if i == 0 {
				ids = newTenantIDs(name, p.Allocation)
			}
			if got := ids.normalizeAll(p.Summaries()); !slices.Equal(got, refPlans[i]) {
				t.Fatalf("%s: %s plan differs from the reference's:\n%s\nwant:\n%s", name, op.name,
					strings.Join(got, "\n"), strings.Join(refPlans[i], "\n"))
			}
			if n < len(perOp[i]) {
				kp := perOp[i][n]
				e.crashThenRetry(t, name, req, p, kp)
				covered++
			} else {
				j, err := e.c.submit(req, p.Digest)
				if err != nil {
					t.Fatalf("%s: submit %s: %v", name, op.name, err)
				}
				if j = e.c.wait(j.ID); j.State != api.JobSucceeded {
					t.Fatalf("%s: %s: %s %s", name, op.name, j.State, j.Error)
				}
			}
			if i == 0 {
				ids.readToken(t, h)
			}
			if again := e.c.mustPlan(req); len(again.Steps) != 0 {
				t.Fatalf("%s: after %s the plan is not empty: %q", name, op.name, again.Summaries())
			}
			got := viewOf(t, h, ids)
			if d := diffViews(refViews[i], got); d != "" {
				t.Fatalf("%s: after %s (kill point %d of the operation) the tenant differs from the uninterrupted run:\n%s",
					name, op.name, n, d)
			}
			if i == len(lifecycle)-1 {
				if n := checkArchived(t, e, name); n > 0 {
					unrecorded = append(unrecorded, name)
				}
			}
		}
	}
	if covered != total {
		t.Fatalf("covered %d of %d kill points", covered, total)
	}
	mode := "exhaustive"
	if sample {
		mode = "sampled (MC_CRASH_SWEEP=sample: first and last step of each operation)"
	}
	t.Logf("crash sweep: %d kill points covered (%s), each interrupted, retried and converged, in %v",
		covered, mode, time.Since(start).Round(time.Second))
	// A crash after the archive is written and before it is recorded leaves
	// it on disk, unrecorded; the retry writes and records another. Nothing
	// is lost, but the first copy is not listed.
	t.Logf("crash sweep: %d tenants kept an archive on disk that the registry does not list: %v", len(unrecorded), unrecorded)
}

// bootFaulty boots a host whose executor is built with fault injection and
// reads its trigger at /share/fault; systemd restarts it after every kill,
// however often.
func bootFaulty(t *testing.T) *env {
	t.Helper()
	testhost.Require(t)
	seed, err := testhost.SudoSeed(t.Context())
	if err != nil {
		t.Fatalf("sudo seed: %v", err)
	}
	h := testhost.Boot(t, testhost.Options{Seeds: []string{seed}})
	x := testhost.BootExecutor(t, h, testhost.ExecutorOptions{Tags: []string{"faultinject"}})
	h.Run(t, "mkdir", "-p", "/etc/systemd/system/missioncontrol-executor.service.d")
	dropIn := "[Unit]\nStartLimitIntervalSec=0\n[Service]\nRestartSec=100ms\nEnvironment=" + fault.EnvFile + "=/share/fault\n"
	if err := os.WriteFile(filepath.Join(h.Share, "fault.conf"), []byte(dropIn), 0o644); err != nil {
		t.Fatal(err)
	}
	h.Run(t, "cp", "/share/fault.conf", "/etc/systemd/system/missioncontrol-executor.service.d/fault.conf")
	h.Run(t, "systemctl", "daemon-reload")
	h.Run(t, "systemctl", "restart", testhost.ExecutorUnit)
	waitSocket(t, x.Socket)
	c := newClient(t, x.Socket)
	return &env{host: h, exec: x, c: c.withKey(t, x, testhost.KeyOperator)}
}

// crashThenRetry submits the reviewed plan p with a trigger for kp, and
// checks that the executor died there and came back, that the job is marked
// interrupted with exactly the steps before the point started, that no
// tenant file is gone without an archive holding it, and that a retry
// succeeds.
func (e *env) crashThenRetry(t *testing.T, name string, req api.PlanRequest, p api.Plan, kp killPoint) {
	t.Helper()
	h := e.host
	what := fmt.Sprintf("%s: %s, kill %s step %d (%s)", name, lifecycle[kp.op].name, kp.phase, kp.step, p.Steps[kp.step-1].Summary)
	trigger := filepath.Join(h.Share, "fault")
	if err := os.WriteFile(trigger, []byte(fault.Point{Tenant: name, Phase: kp.phase, Step: kp.step}.String()+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	restarts := e.restarts(t)
	archivesBefore := archiveFiles(t, h, name)
	j, err := e.c.submit(req, p.Digest)
	var refused *api.Error
	if errors.As(err, &refused) {
		t.Fatalf("%s: submit: %v", what, err)
	}
	if err != nil {
		// The kill beat the answer to the submission (a kill before step
		// 1 comes about a millisecond after the job is accepted): the
		// job is recorded all the same; find it once the executor is back.
		t.Logf("%s: submit unanswered (%v); the tenant's newest job is the one", what, err)
		j = e.newestJobThroughRestart(t, name)
	}
	got := e.waitThroughRestart(t, j.ID)
	if got.State != api.JobFailed || !strings.Contains(got.Error, "interrupted") {
		t.Fatalf("%s: after the kill the job is %s: %q", what, got.State, got.Error)
	}
	if _, err := os.Stat(trigger); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("%s: the trigger was not consumed (%v): the executor did not reach the point", what, err)
	}
	if now := e.restarts(t); now != restarts+1 {
		t.Fatalf("%s: executor restarts %d -> %d, want one", what, restarts, now)
	}
	started, done := 0, map[int]bool{}
	for _, ev := range got.Events {
		switch ev.Type {
		case api.EventStepStart:
			started++
		case api.EventStepDone, api.EventStepFailed:
			done[ev.Step] = true
		}
	}
	if started != kp.step || done[kp.step-1] {
		t.Fatalf("%s: the interrupted job started %d steps (step %d done: %v); want %d started, the last not done",
			what, started, kp.step, done[kp.step-1], kp.step)
	}
	checkNothingLost(t, h, name, archivesBefore, what)

	var retry api.Job
	if err := e.c.do("POST", api.PathJobs+"/"+j.ID+"/retry", nil, &retry); err != nil {
		t.Fatalf("%s: retry: %v", what, err)
	}
	if r := e.c.wait(retry.ID); r.State != api.JobSucceeded {
		t.Fatalf("%s: retry %s: %s", what, r.State, r.Error)
	}
	checkNothingLost(t, h, name, archivesBefore, what+", after the retry")
}

// waitThroughRestart polls a job until it is terminal, through the seconds
// in which the executor is down.
func (e *env) waitThroughRestart(t *testing.T, id string) api.Job {
	t.Helper()
	var j api.Job
	e.throughRestart(t, "job "+id+" did not end", api.PathJobs+"/"+id, &j, func() bool { return j.State.Terminal() })
	return j
}

// newestJobThroughRestart returns tenant's newest job, asking until the
// executor answers again.
func (e *env) newestJobThroughRestart(t *testing.T, tenant string) api.Job {
	t.Helper()
	var list api.JobList
	e.throughRestart(t, "no job of "+tenant+" found", api.PathJobs+"?tenant="+tenant+"&limit=1", &list,
		func() bool { return len(list.Jobs) > 0 })
	return list.Jobs[0]
}

// throughRestart GETs path into out until done says so, for up to 3
// minutes, through the seconds in which the executor is down.
func (e *env) throughRestart(t *testing.T, failure, path string, out any, done func() bool) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	var last error
	for time.Now().Before(deadline) {
		if last = e.c.do("GET", path, nil, out); last == nil && done() {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s (last error %v)\n%s", failure, last, e.host.Journal("-u", testhost.ExecutorUnit, "-n", "40"))
}

func (e *env) restarts(t *testing.T) int {
	t.Helper()
	n, err := strconv.Atoi(strings.TrimSpace(e.host.Run(t, "systemctl", "show", "-p", "NRestarts", "--value", testhost.ExecutorUnit)))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// preciousFile is a tenant's work, written before decommission; it must end
// up in an archive.
func preciousFile(name string) string {
	return "/srv/missioncontrol/tenants/" + name + "/.openclaw/workspace-main/notes.md"
}

// writePrecious writes the file as the tenant would (its owner, 0640),
// through the host's root seen from the machine.
func writePrecious(t *testing.T, h *testhost.Host, name string) {
	t.Helper()
	p := "/proc/" + strconv.Itoa(h.PID) + "/root" + preciousFile(name)
	dir, err := os.Stat(filepath.Dir(p))
	if err != nil {
		t.Fatal(err)
	}
	st := dir.Sys().(*syscall.Stat_t)
	if err := os.WriteFile(p, []byte("precious "+name+"\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(p, int(st.Uid), int(st.Gid)); err != nil {
		t.Fatal(err)
	}
}

// archiveFiles lists the tenant's archives on disk, name -> sha256.
func archiveFiles(t *testing.T, h *testhost.Host, name string) map[string]string {
	t.Helper()
	out := map[string]string{}
	dir := "/proc/" + strconv.Itoa(h.PID) + "/root/var/lib/missioncontrol/archives"
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`^` + regexp.QuoteMeta(name) + `(-[0-9]+)?\.tar\.gz$`)
	for _, de := range entries {
		if !re.MatchString(de.Name()) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, de.Name()))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		out[de.Name()] = hex.EncodeToString(sum[:])
	}
	return out
}

// checkNothingLost: no archive of the tenant was deleted or changed, and the
// tenant's precious file and gateway.env are each either in place or in an
// archive on disk.
func checkNothingLost(t *testing.T, h *testhost.Host, name string, before map[string]string, what string) {
	t.Helper()
	now := archiveFiles(t, h, name)
	for f, sum := range before {
		if now[f] != sum {
			t.Fatalf("%s: archive %s was deleted or changed", what, f)
		}
	}
	if !strings.Contains(what, "decommission") {
		return // files appear in the other operations; only archives must stay
	}
	for _, p := range []string{preciousFile(name), "/etc/missioncontrol/tenants/" + name + "/gateway.env"} {
		if _, err := h.Try("test", "-e", p); err == nil {
			continue
		}
		found := false
		for f := range now {
			list, err := h.Try("tar", "--list", "--gzip", "--file", "/var/lib/missioncontrol/archives/"+f)
			if err == nil && slices.Contains(strings.Split(list, "\n"), strings.TrimPrefix(p, "/")) {
				found = true
			}
		}
		if !found {
			t.Fatalf("%s: %s is gone and no archive on disk holds it (archives %v)", what, p, now)
		}
	}
}

// checkArchived: after a decommission the tenant has a recorded archive,
// whose checksum matches the file and which holds the precious file. It
// returns how many of the tenant's archives on disk are not recorded.
func checkArchived(t *testing.T, e *env, name string) int {
	t.Helper()
	var list api.ArchiveList
	if err := e.c.do("GET", api.PathArchives+"?tenant="+name, nil, &list); err != nil {
		t.Fatal(err)
	}
	files := archiveFiles(t, e.host, name)
	if len(list.Archives) == 0 {
		t.Fatalf("%s: no archive recorded (on disk: %v)", name, files)
	}
	for _, a := range list.Archives {
		if files[filepath.Base(a.Path)] != a.SHA256 {
			t.Fatalf("%s: recorded archive %s sha256 %s, on disk %q", name, a.Path, a.SHA256, files[filepath.Base(a.Path)])
		}
		got := e.host.Run(t, "tar", "--extract", "--gzip", "--to-stdout", "--file", a.Path, strings.TrimPrefix(preciousFile(name), "/"))
		if got != "precious "+name+"\n" {
			t.Fatalf("%s: archive %s holds %q", name, a.Path, got)
		}
		delete(files, filepath.Base(a.Path))
	}
	return len(files)
}

// tenantIDs are what legitimately differs between two tenants that went
// through the same operations: the name, the uid, gid and gateway port the
// executor allocated, and the gateway token it generated at random.
type tenantIDs struct {
	name     string
	uid, gid int
	port     int
	token    string
}

func newTenantIDs(name string, a api.Allocation) tenantIDs {
	return tenantIDs{name: name, uid: a.UID, gid: a.GID, port: a.GatewayPort}
}

// readToken learns the token the executor generated, once it exists.
func (ids *tenantIDs) readToken(t *testing.T, h *testhost.Host) {
	t.Helper()
	if ids.token != "" {
		return
	}
	tok := h.Run(t, "cat", "/etc/missioncontrol/tenants/"+ids.name+"/token.env")
	m := regexp.MustCompile(`(?m)^[A-Z_]+=(\S+)$`).FindStringSubmatch(tok)
	if m == nil || len(m[1]) < 16 {
		t.Fatalf("no token in token.env of %s: %q", ids.name, tok)
	}
	ids.token = m[1]
}

var idRE = regexp.MustCompile(`\b(uid|gid) ([0-9]+)\b`)

// normalize replaces the tenant's own values in a text (a plan step, a
// file's content) by placeholders: uids and gids where they are named as
// such, the port wherever it appears (uid and port ranges overlap, so the
// order matters).
func (ids tenantIDs) normalize(s string) string {
	if ids.token != "" {
		s = strings.ReplaceAll(s, ids.token, "{TOKEN}")
	}
	s = strings.ReplaceAll(s, ids.name, "{T}")
	s = idRE.ReplaceAllStringFunc(s, func(m string) string {
		k, n, _ := strings.Cut(m, " ")
		if k == "uid" && n == strconv.Itoa(ids.uid) {
			return "uid {UID}"
		}
		if k == "gid" && n == strconv.Itoa(ids.gid) {
			return "gid {GID}"
		}
		return m
	})
	return regexp.MustCompile(`\b`+strconv.Itoa(ids.port)+`\b`).ReplaceAllString(s, "{PORT}")
}

func (ids tenantIDs) normalizeAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = ids.normalize(s)
	}
	return out
}

// owner is a file's numeric owner with the tenant's ids replaced.
func (ids tenantIDs) owner(uid, gid uint32) string {
	u, g := strconv.Itoa(int(uid)), strconv.Itoa(int(gid))
	if int(uid) == ids.uid {
		u = "{UID}"
	}
	if int(gid) == ids.gid {
		g = "{GID}"
	}
	return u + ":" + g
}

// tenantView is one tenant's part of a host snapshot with its own values
// replaced by placeholders, so two tenants can be compared.
type tenantView struct {
	lines   []string
	content map[string]string // normalized file contents, by line
}

func (v tenantView) String() string { return strings.Join(v.lines, "\n") }

// onDisk reports whether the view holds accounts or files.
func (v tenantView) onDisk() bool {
	for _, l := range v.lines {
		if strings.HasPrefix(l, "/etc/") || strings.HasPrefix(l, "file ") {
			return true
		}
	}
	return false
}

// viewOf takes a snapshot and keeps what belongs to the tenant:
//   - its lines of /etc/passwd, group, shadow and gshadow; the shadow
//     "last changed" day is replaced, because it is the date the account
//     was created, and tenants created on either side of midnight differ;
//   - every file whose path names it, with owner, mode and normalized
//     content (the random token in token.env is replaced);
//   - its units' load/active/sub states, and of its gateway unit what
//     systemd has loaded: the limits in effect and whether it needs a
//     daemon-reload; and whether the running gateway started after its
//     configuration files were last written (a crash between writing a file
//     and restarting must not leave a gateway running on the old one).
func viewOf(t *testing.T, h *testhost.Host, ids tenantIDs) tenantView {
	t.Helper()
	s, err := h.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	v := tenantView{content: map[string]string{}}
	user := "mc-" + ids.name
	for _, f := range []string{"/etc/passwd", "/etc/group", "/etc/shadow", "/etc/gshadow"} {
		for l := range strings.Lines(s.Accounts[f]) {
			fields := strings.Split(strings.TrimSuffix(l, "\n"), ":")
			if fields[0] != user && !slices.Contains(strings.Split(fields[len(fields)-1], ","), user) {
				continue
			}
			switch f {
			case "/etc/passwd":
				fields[2], fields[3] = "{UID}", "{GID}"
			case "/etc/group":
				fields[2] = "{GID}"
			case "/etc/shadow":
				fields[2] = "{DAY}"
			}
			v.lines = append(v.lines, f+": "+ids.normalize(strings.Join(fields, ":")))
		}
	}
	root := "/proc/" + strconv.Itoa(h.PID) + "/root"
	mine := regexp.MustCompile(`(^|/|@|mc-|missioncontrol-)` + regexp.QuoteMeta(ids.name) + `($|/|\.)`)
	for _, f := range s.Files {
		if !mine.MatchString(f.Path) {
			continue
		}
		line := fmt.Sprintf("file %s %s %v", ids.normalize(f.Path), ids.owner(f.UID, f.GID), f.Mode)
		switch {
		case f.Target != "":
			line += " -> " + ids.normalize(f.Target)
		case f.SHA256 != "":
			b, err := os.ReadFile(root + f.Path)
			if err != nil {
				t.Fatal(err)
			}
			c := ids.normalize(string(b))
			sum := sha256.Sum256([]byte(c))
			line += " content " + hex.EncodeToString(sum[:6])
			v.content[line] = c
		}
		v.lines = append(v.lines, line)
	}
	unit := "missioncontrol-gateway@" + ids.name + ".service"
	for _, u := range s.Units {
		if strings.Contains(u.Name, "@"+ids.name+".") {
			v.lines = append(v.lines, "unit "+ids.normalize(u.String()))
		}
	}
	if !v.onDisk() {
		return v
	}
	props := h.Run(t, "systemctl", "show", "--timestamp=us+utc", "-p", "MemoryMax", "-p", "TasksMax", "-p", "NeedDaemonReload",
		"-p", "ActiveState", "-p", "ExecMainStartTimestamp", unit)
	var started string
	for l := range strings.Lines(props) {
		k, val, _ := strings.Cut(strings.TrimSpace(l), "=")
		if k == "ExecMainStartTimestamp" {
			started = val
			continue
		}
		v.lines = append(v.lines, "systemd "+k+"="+val)
	}
	if strings.Contains(props, "ActiveState=active") {
		at, err := time.Parse("Mon 2006-01-02 15:04:05.000000 MST", started)
		if err != nil {
			t.Fatalf("ExecMainStartTimestamp of %s: %v", unit, err)
		}
		var newest time.Time
		for _, p := range []string{"/srv/missioncontrol/tenants/" + ids.name + "/.openclaw/openclaw.json",
			"/etc/missioncontrol/tenants/" + ids.name + "/gateway.env", "/etc/missioncontrol/tenants/" + ids.name + "/token.env",
			"/etc/systemd/system/" + unit + ".d/limits.conf"} {
			if fi, err := os.Stat(root + p); err == nil && fi.ModTime().After(newest) {
				newest = fi.ModTime()
			}
		}
		v.lines = append(v.lines, fmt.Sprintf("gateway started after its configuration was written: %v", !at.Before(newest.Truncate(time.Microsecond))))
	}
	return v
}

func diffViews(want, got tenantView) string {
	var out []string
	for _, l := range want.lines {
		if !slices.Contains(got.lines, l) {
			out = append(out, "- "+l)
			if c, ok := want.content[l]; ok {
				out = append(out, "    "+strings.ReplaceAll(strings.TrimSpace(c), "\n", "\n    "))
			}
		}
	}
	for _, l := range got.lines {
		if !slices.Contains(want.lines, l) {
			out = append(out, "+ "+l)
			if c, ok := got.content[l]; ok {
				out = append(out, "    "+strings.ReplaceAll(strings.TrimSpace(c), "\n", "\n    "))
			}
		}
	}
	return strings.Join(out, "\n")
}

func lifecycleNames() string {
	var n []string
	for _, op := range lifecycle {
		n = append(n, op.name)
	}
	return strings.Join(n, ", ")
}

func stepCounts(plans [][]string) []string {
	var out []string
	for _, p := range plans {
		out = append(out, strconv.Itoa(len(p)))
	}
	return out
}
