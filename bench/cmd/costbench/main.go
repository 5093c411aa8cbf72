// Command costbench measures what the executor costs to run (BENCHMARKS.md,
// "Executor cost"): it boots a throwaway host with the real executor inside
// (tenants run the light stand-in gateway), then measures idle RSS, dry-run
// latency at concurrency 1 and 50, job throughput, and RSS and dry-run
// latency with 1,000 registered tenants. Run it through bench/cost.sh.
//
//	costbench run [-dryruns 1000] [-seq 200] [-jobs 20] [-registered 1000] [-out FILE]
//	costbench register -db PATH -n 1000     (inside the host: fill the registry)
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/store"
	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/loadgen"
	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/testhost"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: costbench run|register [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "run":
		err = run(os.Args[2:])
	case "register":
		err = register(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q (run, register)", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}

// Registered tenants get uids from regUID and ports from regPort up, past
// what the measured jobs allocate (the configuration's range is widened to
// hold them).
const (
	regUID  = 25000
	regPort = 30000
	portMax = 59999
)

// register fills the registry of a stopped executor with n tenants, each a
// tenant with a workspace and an enabled gateway, as jobs would have
// registered them. Nothing on the host is created for them: they read as
// drifted, and the health monitor probes their (absent) units every round.
func register(args []string) error {
	fs := flag.NewFlagSet("register", flag.ContinueOnError)
	db := fs.String("db", store.DefaultPath, "the executor's database")
	n := fs.Int("n", 1000, "tenants to register")
	if err := fs.Parse(args); err != nil {
		return err
	}
	st, err := store.Open(*db)
	if err != nil {
		return err
	}
	defer st.Close()
	ctx := context.Background()
	uids, err := st.ReservedUIDs(ctx)
	if err != nil {
		return err
	}
	ports, err := st.ReservedPorts(ctx)
	if err != nil {
		return err
	}
	// the next free uid and gateway port (base..base+4 clear of every
	// reserved base) at or after *at
	nextUID := func(at *int) int {
		for uids[*at] != "" {
			*at++
		}
		*at++
		return *at - 1
	}
	nextPort := func(at *int) int {
		for {
			free := true
			for q := *at - store.GatewayPortSpan + 1; q < *at+store.GatewayPortSpan; q++ {
				free = free && ports[q] == ""
			}
			*at += 20
			if free {
				return *at - 20
			}
		}
	}
	uid, port := regUID, regPort
	now := time.Now().UTC()
	for i := range *n {
		name := fmt.Sprintf("reg-%04d", i)
		u, p := nextUID(&uid), nextPort(&port)
		spec := api.TenantSpec{Name: name, Environment: api.EnvDevelopment, Limits: api.Limits{MemoryMaxMB: 1536, TasksMax: 256}}
		rec := store.TenantRecord{Name: name, CreatedAt: now, UpdatedAt: now,
			Desired: api.Desired{Tenant: spec,
				Workspaces: []api.WorkspaceSpec{{Name: "main", Files: map[string]string{"AGENTS.md": "# agent\n"}}},
				Services:   []api.ServiceSpec{{Kind: api.ServiceGateway, Enabled: true}}},
			Allocation: api.Allocation{User: "mc-" + name, Group: "mc-" + name, UID: u, GID: u, GatewayPort: p, Home: "/srv/missioncontrol/tenants/" + name,
				StateDir: "/srv/missioncontrol/tenants/" + name + "/.openclaw", ConfigDir: "/etc/missioncontrol/tenants/" + name,
				Unit: "missioncontrol-gateway@" + name + ".service"}}
		if err := st.PutTenant(ctx, rec); err != nil {
			return fmt.Errorf("register %s: %w", name, err)
		}
	}
	fmt.Printf("registered %d tenants in %s\n", *n, *db)
	return nil
}

// bench is one run's host, executor and driver.
type bench struct {
	ctx  context.Context
	h    *testhost.Host
	e    *testhost.Executor
	d    *loadgen.Driver
	out  io.Writer
	rows [][2]string // figure, value: the BENCHMARKS.md table
}

func (b *bench) logf(format string, args ...any) { fmt.Fprintf(b.out, format+"\n", args...) }

func (b *bench) row(figure, value string) {
	b.rows = append(b.rows, [2]string{figure, value})
	b.logf("%-60s %s", figure, value)
}

func run(args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	dryRuns := fs.Int("dryruns", 1000, "dry runs at concurrency 50")
	seq := fs.Int("seq", 200, "dry runs at concurrency 1")
	jobs := fs.Int("jobs", 20, "bootstrap jobs submitted at once (job throughput)")
	registered := fs.Int("registered", 1000, "tenants registered for the last measurements")
	settle := fs.Duration("settle", 20*time.Second, "wait before reading an idle RSS (covers a health round)")
	table := fs.String("table", "", "also write the figures as a Markdown table to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	b := &bench{ctx: ctx, out: os.Stdout}
	if err := b.start(); err != nil {
		return err
	}
	defer b.h.Close()
	defer b.d.Close()

	time.Sleep(*settle)
	if err := b.rss("RSS idle, no tenants"); err != nil {
		return err
	}
	planned := func(i int) api.PlanRequest { return bootstrap(fmt.Sprintf("cb-plan-%02d", i%50)) }
	if err := b.dryRuns("dry run, concurrency 1", *seq, 1, planned); err != nil {
		return err
	}
	if err := b.dryRuns("dry run, concurrency 50", *dryRuns, 50, planned); err != nil {
		return err
	}
	if err := b.rss("RSS after the dry runs"); err != nil {
		return err
	}
	// job throughput: first plan every job (not timed), then submit them all
	// at once and wait for the last
	reqs := make([]api.PlanRequest, *jobs)
	digests := make([]string, *jobs)
	for i := range reqs {
		reqs[i] = bootstrap(fmt.Sprintf("cb-job-%02d", i))
		p, err := b.d.Plan(ctx, reqs[i])
		if err != nil {
			return err
		}
		digests[i] = p.Digest
	}
	r := loadgen.Concurrently(*jobs, *jobs, func(i int) error {
		_, err := b.d.SubmitAndWait(ctx, reqs[i], digests[i])
		return err
	})
	if len(r.Errors) > 0 {
		return fmt.Errorf("jobs: %d failed, first: %w", len(r.Errors), r.Errors[0])
	}
	b.row(fmt.Sprintf("job throughput, %d tenant bootstraps submitted at once", *jobs),
		fmt.Sprintf("**%.2f jobs/s** (%s wall; per job submit→done p50 %s, p99 %s)", r.PerSecond(), r.Wall.Round(time.Millisecond), ms(r.Stats().P50), ms(r.Stats().P99)))
	one := bootstrap("cb-one")
	t0 := time.Now()
	if _, err := b.d.Apply(ctx, one); err != nil {
		return err
	}
	b.row("one tenant bootstrap alone (plan, submit, wait)", ms(time.Since(t0)))
	if err := b.rss(fmt.Sprintf("RSS after %d jobs", *jobs+1)); err != nil {
		return err
	}

	// registered tenants, through the store with the executor stopped
	if err := b.inside("systemctl", "stop", testhost.ExecutorUnit); err != nil {
		return err
	}
	if err := b.inside("/share/bin/costbench", "register", "-n", strconv.Itoa(*registered)); err != nil {
		return err
	}
	if err := b.inside("systemctl", "start", testhost.ExecutorUnit); err != nil {
		return err
	}
	if err := b.h.WaitForSocket(ctx, b.e.Socket); err != nil {
		return err
	}
	time.Sleep(*settle)
	total := *registered + *jobs + 1
	if err := b.rss(fmt.Sprintf("RSS idle, %d registered tenants", total)); err != nil {
		return err
	}
	if err := b.dryRuns(fmt.Sprintf("dry run of a new tenant, concurrency 1, %d registered", total), *seq, 1, planned); err != nil {
		return err
	}
	if err := b.dryRuns(fmt.Sprintf("dry run of a new tenant, concurrency 50, %d registered", total), *dryRuns, 50, planned); err != nil {
		return err
	}
	var list api.TenantList
	t0 = time.Now()
	if err := b.d.Get(ctx, api.PathTenants, &list); err != nil {
		return err
	}
	b.row(fmt.Sprintf("GET /v1/tenants (%d tenants, each observed)", len(list.Tenants)), ms(time.Since(t0)))
	if err := b.rss(fmt.Sprintf("RSS after those requests, %d registered", total)); err != nil {
		return err
	}
	if *table != "" {
		return writeTable(*table, b.rows)
	}
	return nil
}

// start boots the host and the executor, with port ranges wide enough for
// the registered tenants, and places this program inside.
func (b *bench) start() error {
	if err := testhost.Available(); err != nil {
		return err
	}
	seed, err := testhost.SudoSeed(b.ctx)
	if err != nil {
		return fmt.Errorf("sudo seed: %w", err)
	}
	if b.h, err = testhost.Start(b.ctx, testhost.Options{Seeds: []string{seed}}); err != nil {
		return err
	}
	cfg, err := os.ReadFile("examples/executor/executor.hcl")
	if err != nil {
		return err
	}
	if cfg, err = testhost.LightGatewayConfig(cfg); err != nil {
		return err
	}
	pol, err := os.ReadFile("examples/executor/policy.hcl")
	if err != nil {
		return err
	}
	cfg, err = widen(cfg, `(port_max\s*=\s*)\d+`)
	if err != nil {
		return err
	}
	if pol, err = widen(pol, `(?s)(ports\s*\{[^}]*max\s*=\s*)\d+`); err != nil {
		return err
	}
	if b.e, err = testhost.StartExecutor(b.ctx, b.h, testhost.ExecutorOptions{Config: cfg, Policy: pol, Log: os.Stderr}); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	src, err := os.ReadFile(self)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(b.h.Share, "bin", "costbench"), src, 0o755); err != nil {
		return err
	}
	key, err := testhost.LoadKey(b.e.Keys[testhost.KeyOperator])
	if err != nil {
		return err
	}
	b.d, err = loadgen.New(b.ctx, b.e.Socket, key)
	if err != nil {
		return err
	}
	b.logf("host %s: %d cores, %s, executor %s", b.h.Name, runtime.NumCPU(), runtime.Version(), b.e.Socket)
	return nil
}

func widen(src []byte, pattern string) ([]byte, error) {
	re := regexp.MustCompile(pattern)
	if !re.Match(src) {
		return nil, fmt.Errorf("no %s in the example configuration", pattern)
	}
	return re.ReplaceAll(src, []byte("${1}"+strconv.Itoa(portMax))), nil
}

func (b *bench) inside(argv ...string) error {
	out, err := b.h.CommandContext(b.ctx, argv...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w: %s", strings.Join(argv, " "), err, out)
	}
	return nil
}

// rss records the executor's resident set (VmRSS) and its peak (VmHWM).
func (b *bench) rss(figure string) error {
	out, err := b.h.CommandContext(b.ctx, "systemctl", "show", "--property=MainPID", "--value", testhost.ExecutorUnit).Output()
	if err != nil {
		return fmt.Errorf("executor pid: %w", err)
	}
	pid := strings.TrimSpace(string(out))
	status, err := b.h.CommandContext(b.ctx, "cat", "/proc/"+pid+"/status").Output()
	if err != nil {
		return fmt.Errorf("executor status: %w", err)
	}
	field := func(name string) string {
		m := regexp.MustCompile(`(?m)^` + name + `:\s+(\d+) kB`).FindSubmatch(status)
		if m == nil {
			return "?"
		}
		kb, _ := strconv.Atoi(string(m[1]))
		return fmt.Sprintf("%.1f MiB", float64(kb)/1024)
	}
	b.row(figure, fmt.Sprintf("**%s** (peak %s)", field("VmRSS"), field("VmHWM")))
	return nil
}

func (b *bench) dryRuns(figure string, n, concurrency int, req func(int) api.PlanRequest) error {
	r := b.d.DryRuns(b.ctx, n, concurrency, req)
	if len(r.Errors) > 0 {
		return fmt.Errorf("%s: %d of %d failed, first: %w", figure, len(r.Errors), n, r.Errors[0])
	}
	s := r.Stats()
	b.row(fmt.Sprintf("%s (%d requests)", figure, n), fmt.Sprintf("**p50 %s, p99 %s** (max %s; %.1f/s)", ms(s.P50), ms(s.P99), ms(s.Max), r.PerSecond()))
	return nil
}

func bootstrap(name string) api.PlanRequest {
	spec := api.TenantSpec{Name: name, Environment: api.EnvDevelopment, Limits: api.Limits{MemoryMaxMB: 1536, TasksMax: 256}}
	return api.PlanRequest{Tenant: name, Changes: []api.Change{
		{Kind: api.ObjectTenant, Action: api.ActionApply, Tenant: &spec},
		{Kind: api.ObjectWorkspace, Action: api.ActionApply, Workspace: &api.WorkspaceSpec{Name: "main", Files: map[string]string{"AGENTS.md": "# agent\n"}}},
		{Kind: api.ObjectService, Action: api.ActionApply, Service: &api.ServiceSpec{Kind: api.ServiceGateway, Enabled: true}},
	}}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }

func writeTable(file string, rows [][2]string) error {
	var sb strings.Builder
	sb.WriteString("| What | Figure |\n|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&sb, "| %s | %s |\n", r[0], r[1])
	}
	return os.WriteFile(file, []byte(sb.String()), 0o644)
}
