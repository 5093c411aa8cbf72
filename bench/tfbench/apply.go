package tfbench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/testhost"
)

// Method is one way of provisioning n tenants.
type Method string

const (
	MethodTerraform Method = "terraform apply (provider + executor)"
	MethodPlain     Method = "sequential script (provision-plain.sh)"
	MethodBatch     Method = "batched script, one enable --now (provision-batch.sh)"
	MethodAnsible   Method = "Ansible (ansible-core, site.yml)"
)

// ApplyRun is what one method took in one fresh host.
type ApplyRun struct {
	Method Method
	// Apply is the first run, creating every tenant.
	Apply time.Duration
	// Check is the no-change check on the converged host: terraform plan,
	// or ansible-playbook --check (0 for the scripts).
	Check time.Duration
	// Active is the number of gateway units running afterwards.
	Active int
	// ApplyRun and CheckRuns carry terraform's CPU accounting.
	ApplyRun  Run
	CheckRuns []Run
}

// ApplyThroughput provisions n tenants once per method, each in a fresh
// throwaway host, runs times over, methods in turn (so load on the machine
// hits them alike). Ansible runs only when ansible-playbook is installed
// and ansible is set.
func (e *Env) ApplyThroughput(ctx context.Context, n, runs int, ansible bool) ([]ApplyRun, error) {
	methods := []Method{MethodTerraform, MethodPlain, MethodBatch}
	if ansible {
		if _, err := exec.LookPath("ansible-playbook"); err != nil {
			return nil, fmt.Errorf("ansible-playbook is not installed (apt-get install -y --no-install-recommends ansible-core): %w", err)
		}
		methods = append(methods, MethodAnsible)
	}
	var out []ApplyRun
	for i := 0; i < runs; i++ {
		for _, m := range methods {
			var r ApplyRun
			var err error
			if m == MethodTerraform {
				r, err = e.applyTerraform(ctx, n)
			} else {
				r, err = e.applyBaseline(ctx, m, n)
			}
			if err != nil {
				return out, fmt.Errorf("%s: %w", m, err)
			}
			if r.Active != n {
				return out, fmt.Errorf("%s: %d of %d gateways running afterwards", m, r.Active, n)
			}
			e.logf("apply throughput run %d: %s: %v (check %v)", i+1, m, r.Apply.Round(time.Millisecond), r.Check.Round(time.Millisecond))
			out = append(out, r)
		}
	}
	return out, nil
}

func (e *Env) applyTerraform(ctx context.Context, n int) (ApplyRun, error) {
	r := ApplyRun{Method: MethodTerraform}
	t, err := e.BootExecutor(ctx, n)
	if err != nil {
		return r, err
	}
	defer t.Close()
	dir, err := e.Workdir("apply-missioncontrol", Tenants)
	if err != nil {
		return r, err
	}
	a, err := e.Apply(ctx, dir, t, n)
	if err != nil {
		return r, err
	}
	r.Apply, r.ApplyRun = a.Took, a
	var plans []time.Duration
	for i := 0; i < 3; i++ {
		p, err := e.Plan(ctx, dir, t, n, "", 0)
		if err != nil {
			return r, err
		}
		plans = append(plans, p.Took)
		r.CheckRuns = append(r.CheckRuns, p)
	}
	r.Check = Median(plans)
	r.Active, err = ActiveGateways(ctx, t.Host)
	return r, err
}

// applyBaseline runs a baseline in a fresh host with bench/baseline at
// /share/baseline, timing it inside the host with bash's EPOCHREALTIME as
// the reference baselines did.
func (e *Env) applyBaseline(ctx context.Context, m Method, n int) (ApplyRun, error) {
	r := ApplyRun{Method: m}
	h, err := testhost.Start(ctx, testhost.Options{})
	if err != nil {
		return r, err
	}
	defer h.Close()
	if err := copyBaseline(filepath.Join(e.ModuleDir, "bench/baseline"), filepath.Join(h.Share, "baseline"), n); err != nil {
		return r, err
	}
	time.Sleep(e.Settle)
	log := filepath.Join(h.Share, "baseline.log")
	switch m {
	case MethodPlain:
		r.Apply, err = timeInside(ctx, h, "/bin/bash", "/share/baseline/provision-plain.sh", strconv.Itoa(n))
	case MethodBatch:
		r.Apply, err = timeInside(ctx, h, "/bin/bash", "/share/baseline/provision-batch.sh", strconv.Itoa(n))
	case MethodAnsible:
		play := []string{"/usr/bin/ansible-playbook", "-i", "/share/baseline/inventory.ini",
			"-e", fmt.Sprintf("@/share/baseline/tenants-%d.yml", n), "/share/baseline/site.yml"}
		if r.Apply, err = timeInside(ctx, h, play...); err != nil {
			break
		}
		r.Check, err = timeInside(ctx, h, append(play, "--check")...)
	default:
		err = fmt.Errorf("unknown method %q", m)
	}
	if err != nil {
		b, _ := os.ReadFile(log)
		return r, fmt.Errorf("%w\n%s", err, tail(string(b), 30))
	}
	r.Active, err = ActiveGateways(ctx, h)
	return r, err
}

// timeInside runs argv as root inside h (output to /share/baseline.log) and
// returns the wall clock bash measured around it.
func timeInside(ctx context.Context, h *testhost.Host, argv ...string) (time.Duration, error) {
	script := `cd /share/baseline; s=$EPOCHREALTIME; "$@" >>/share/baseline.log 2>&1; rc=$?; e=$EPOCHREALTIME; echo "$s $e $rc"`
	out, err := h.CommandContext(ctx, append([]string{"/bin/bash", "-c", script, "bash"}, argv...)...).Output()
	if err != nil {
		return 0, fmt.Errorf("%s: %w", argv[0], err)
	}
	f := strings.Fields(string(out))
	if len(f) != 3 {
		return 0, fmt.Errorf("%s: unexpected timing output %q", argv[0], out)
	}
	if f[2] != "0" {
		return 0, fmt.Errorf("%s exited %s", strings.Join(argv, " "), f[2])
	}
	s, err1 := strconv.ParseFloat(f[0], 64)
	e, err2 := strconv.ParseFloat(f[1], 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("%s: timing: %w", argv[0], err)
	}
	return time.Duration((e - s) * float64(time.Second)), nil
}

// copyBaseline copies the baseline files and writes tenants-N.yml: tenant i
// is tNN with uid/gid 20000+i and port 20000+20i.
func copyBaseline(src, dst string, n int) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		return fmt.Errorf("baseline files: %w", err)
	}
	for _, ent := range entries {
		b, err := os.ReadFile(filepath.Join(src, ent.Name()))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dst, ent.Name()), b, 0o755); err != nil {
			return err
		}
	}
	var y strings.Builder
	y.WriteString("tenants:\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&y, "  - {name: t%02d, id: %d, port: %d}\n", i, 20000+i, 20000+20*i)
	}
	return os.WriteFile(filepath.Join(dst, fmt.Sprintf("tenants-%d.yml", n)), []byte(y.String()), 0o644)
}

// WriteApplyTable prints the medians per method with ratios to the
// sequential and batched scripts.
func WriteApplyTable(w io.Writer, n int, runs []ApplyRun) {
	by := map[Method][]ApplyRun{}
	var order []Method
	for _, r := range runs {
		if _, ok := by[r.Method]; !ok {
			order = append(order, r.Method)
		}
		by[r.Method] = append(by[r.Method], r)
	}
	med := func(m Method, check bool) time.Duration {
		var ds []time.Duration
		for _, r := range by[m] {
			if check {
				ds = append(ds, r.Check)
			} else {
				ds = append(ds, r.Apply)
			}
		}
		return Median(ds)
	}
	plain, batch := med(MethodPlain, false), med(MethodBatch, false)
	fmt.Fprintf(w, "| %d tenants, first run | median [min–max] | × sequential script | × batched script | runs |\n", n)
	fmt.Fprintln(w, "|---|---|---|---|---|")
	for _, m := range order {
		var ds []time.Duration
		for _, r := range by[m] {
			ds = append(ds, r.Apply)
		}
		lo, hi := MinMax(ds)
		fmt.Fprintf(w, "| %s | %s s [%s–%s] | %.2f | %.2f | %d |\n", m, Seconds(Median(ds)), Seconds(lo), Seconds(hi),
			ratio(Median(ds), plain), ratio(Median(ds), batch), len(ds))
	}
	var applies, checks []Run
	for _, r := range by[MethodTerraform] {
		applies, checks = append(applies, r.ApplyRun), append(checks, r.CheckRuns...)
	}
	if len(applies) > 0 {
		a, c := CPUOf(applies), CPUOf(checks)
		fmt.Fprintf(w, "\nCPU of terraform (medians): apply %s s wall, terraform + provider %s s CPU, executor with its commands %s s, "+
			"systemd %s s, whole host %s s; no-change plan %s s wall, %s s / %s s / %s s / %s s.\n",
			Seconds(a.Wall), Seconds(a.CPU), Seconds(a.Host.Executor), Seconds(a.Host.Systemd), Seconds(a.Host.Total),
			Seconds(c.Wall), Seconds(c.CPU), Seconds(c.Host.Executor), Seconds(c.Host.Systemd), Seconds(c.Host.Total))
	}
	if len(by[MethodAnsible]) > 0 {
		tf, an := med(MethodTerraform, true), med(MethodAnsible, true)
		fmt.Fprintf(w, "\nNo-change check of the %d converged tenants: terraform plan %s s (median of 3 per run), "+
			"ansible-playbook --check %s s: terraform plan is %.1f× faster.\n", n, Seconds(tf), Seconds(an), ratio(an, tf))
	} else {
		fmt.Fprintf(w, "\nNo-change terraform plan of the %d converged tenants: %s s (median of 3 per run).\n", n, Seconds(med(MethodTerraform, true)))
	}
}

func ratio(a, b time.Duration) float64 {
	if b == 0 {
		return 0
	}
	return a.Seconds() / b.Seconds()
}
