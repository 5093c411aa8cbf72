package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/audit"
	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/loadgen"
	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/testhost"
)

// loadKnob reads a positive count from the environment, else def. make test
// runs the defaults; bench/load.sh runs the full figures
// (MISSIONCONTROL_LOAD_DRYRUNS=1000 MISSIONCONTROL_LOAD_APPLIES=20).
func loadKnob(t *testing.T, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: want a positive count", name, v)
	}
	return n
}

// busyLog matches what SQLite lock contention or any executor error leaves
// in the executor's journal.
var busyLog = regexp.MustCompile(`(?i)database is locked|database table is locked|SQLITE_BUSY|SQLITE_LOCKED|level=ERROR`)

// TestLoad drives one executor with concurrent dry runs, then with applies
// on distinct tenants while dry runs continue, then with several jobs on the
// same tenants at once. Nothing may fail, SQLite must never report a busy
// or locked database, and one tenant's jobs must never run at the same time
// while different tenants' jobs do.
func TestLoad(t *testing.T) {
	t.Parallel()
	dryRuns := loadKnob(t, "MISSIONCONTROL_LOAD_DRYRUNS", 200)
	applies := loadKnob(t, "MISSIONCONTROL_LOAD_APPLIES", 10)
	const concurrency = 50
	testhost.Require(t)
	seed, err := testhost.SudoSeed(context.Background())
	if err != nil {
		t.Fatalf("sudo seed: %v", err)
	}
	h := testhost.Boot(t, testhost.Options{Seeds: []string{seed}})
	e := testhost.BootExecutor(t, h, testhost.ExecutorOptions{})
	key, err := testhost.LoadKey(e.Keys[testhost.KeyOperator])
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	d, err := loadgen.New(ctx, e.Socket, key)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	// Distinct names of this test: tenants' ports derive from their names
	// and other tests share the machine's network.
	planned := func(i int) api.PlanRequest { return bootstrapChanges(fmt.Sprintf("ldp-%02d", i%50)) }
	appliedName := func(i int) string { return fmt.Sprintf("lda-%02d", i) }

	// 1. dry runs alone
	run := d.DryRuns(ctx, dryRuns, concurrency, planned)
	failOnErrors(t, "dry runs", run)
	t.Logf("%d dry runs at concurrency %d: %s; %.0f/s", dryRuns, concurrency, run.Stats(), run.PerSecond())

	// 2. applies on distinct tenants, all at once, while dry runs go on
	var (
		wg    sync.WaitGroup
		mixed loadgen.Run
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		mixed = d.DryRuns(ctx, dryRuns, concurrency, planned)
	}()
	jobs := make([]api.Job, applies)
	bootstraps := loadgen.Concurrently(applies, applies, func(i int) error {
		j, err := d.Apply(ctx, bootstrapChanges(appliedName(i)))
		jobs[i] = j
		return err
	})
	wg.Wait()
	failOnErrors(t, "applies", bootstraps)
	failOnErrors(t, "dry runs during the applies", mixed)
	t.Logf("%d concurrent applies (plan, submit, wait): %s; wall %s, %.2f jobs/s", applies, bootstraps.Stats(), bootstraps.Wall.Round(time.Millisecond), bootstraps.PerSecond())
	t.Logf("%d dry runs at concurrency %d during the applies: %s", dryRuns, concurrency, mixed.Stats())

	// 3. several jobs on each of a few tenants at once: each adds its own
	// workspace, so every digest stays valid whichever runs first, and the
	// jobs must queue behind each other on their tenant.
	const perTenant = 3
	sameTenants := min(applies, 4)
	type sub struct {
		req    api.PlanRequest
		digest string
	}
	var subs []sub
	// the tenant list (one systemctl for all units) reads them as the host has them
	var list api.TenantList
	if err := d.Get(ctx, api.PathTenants, &list); err != nil {
		t.Fatal(err)
	}
	listed := map[string]api.Tenant{}
	for _, tn := range list.Tenants {
		listed[tn.Name] = tn
	}
	for i := range applies {
		tn := listed[appliedName(i)]
		if tn.Status != api.TenantActive || len(tn.Units) != 1 || tn.Units[0].ActiveState != "active" || tn.Units[0].Unit != "missioncontrol-gateway@"+appliedName(i)+".service" {
			t.Errorf("tenant list: %s is %s with units %+v", appliedName(i), tn.Status, tn.Units)
		}
	}
	for i := range sameTenants {
		for w := range perTenant {
			req := api.PlanRequest{Tenant: appliedName(i), Changes: []api.Change{{Kind: api.ObjectWorkspace, Action: api.ActionApply,
				Workspace: &api.WorkspaceSpec{Name: fmt.Sprintf("w%d", w), Files: map[string]string{"AGENTS.md": fmt.Sprintf("# workspace %d\n", w)}}}}}
			p, err := d.Plan(ctx, req)
			if err != nil {
				t.Fatalf("plan workspace w%d of %s: %v", w, req.Tenant, err)
			}
			subs = append(subs, sub{req, p.Digest})
		}
	}
	queued := make([]api.Job, len(subs))
	same := loadgen.Concurrently(len(subs), len(subs), func(i int) error {
		j, err := d.SubmitAndWait(ctx, subs[i].req, subs[i].digest)
		queued[i] = j
		return err
	})
	failOnErrors(t, "jobs on the same tenants", same)

	// per-tenant serialization, from the jobs' own events
	var windows []loadgen.Window
	for _, j := range append(jobs, queued...) {
		w, ok := loadgen.WindowOf(j)
		if !ok {
			t.Fatalf("job %s (%s) has no run window: %+v", j.ID, j.State, j.Events)
		}
		windows = append(windows, w)
	}
	if o := loadgen.Overlaps(windows); o != nil {
		t.Errorf("jobs of one tenant ran at the same time:\n%s", strings.Join(o, "\n"))
	}
	if applies > 1 {
		if p := loadgen.MaxParallel(windows[:applies]); p < 2 {
			t.Errorf("at most %d of %d applies on distinct tenants ran at once: tenants are serialized globally", p, applies)
		} else {
			t.Logf("up to %d jobs of distinct tenants ran at once", p)
		}
	}
	// ... and from the audit log's order, whose chain must still verify
	var recs []audit.Record
	for _, line := range strings.Split(strings.TrimSpace(h.Run(t, "/share/bin/missioncontrol-executor", "audit", "list")), "\n") {
		var r audit.Record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("audit list line %q: %v", line, err)
		}
		recs = append(recs, r)
	}
	if bad := loadgen.Interleaved(recs); bad != nil {
		t.Errorf("the audit log interleaves jobs of one tenant:\n%s", strings.Join(bad, "\n"))
	}
	h.Run(t, "/share/bin/missioncontrol-executor", "audit", "verify")

	// the host holds what the jobs say
	for i := range applies {
		unit := "missioncontrol-gateway@" + appliedName(i) + ".service"
		if got := strings.TrimSpace(h.Run(t, "systemctl", "is-active", unit)); got != "active" {
			t.Errorf("%s is %q", unit, got)
		}
	}
	for i := range sameTenants {
		for w := range perTenant {
			h.Run(t, "test", "-f", fmt.Sprintf("/srv/missioncontrol/tenants/%s/.openclaw/workspace-w%d/AGENTS.md", appliedName(i), w))
		}
	}
	if m := busyLog.FindAllString(h.Journal("-u", "missioncontrol-executor.service"), 5); m != nil {
		t.Errorf("the executor's journal reports %q:\n%s", m, h.Journal("-u", "missioncontrol-executor.service", "-p", "warning"))
	}
}

// failOnErrors fails t with the first few errors of a run.
func failOnErrors(t *testing.T, what string, r loadgen.Run) {
	t.Helper()
	if len(r.Errors) == 0 {
		return
	}
	var first []string
	for _, err := range r.Errors[:min(5, len(r.Errors))] {
		first = append(first, err.Error())
	}
	t.Fatalf("%s: %d of %d failed:\n%s", what, len(r.Errors), len(r.Errors)+len(r.Latencies), strings.Join(first, "\n"))
}
