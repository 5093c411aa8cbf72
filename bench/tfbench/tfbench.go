// Package tfbench measures the provider and executor against the baselines
// users would otherwise use (issue 10, BENCHMARKS.md): terraform plan over
// tenants against Terraform's own floor (terraform_data), terraform apply
// against shell scripts and Ansible, and how plan time and executor memory
// grow with the number of tenants.
//
// Everything runs in throwaway hosts (internal/testhost): the executor as a
// unit inside with the light stand-in gateway, the baselines as root inside
// hosts of their own. Terraform runs on the machine with a locally built
// provider wired in by dev_overrides. Nothing on the machine changes.
package tfbench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/testhost"
)

// Env is one bench run: the module it builds from, its work dir and the
// provider binary terraform uses.
type Env struct {
	ModuleDir string
	Work      string
	// Log receives progress lines.
	Log io.Writer
	// Settle is how long a freshly booted host idles before a timed run
	// (boot jobs finishing), as in the reference baselines (2 s).
	Settle time.Duration

	rc string // terraform CLI configuration with dev_overrides
}

// New builds the provider from moduleDir into work/bin and writes the
// terraform CLI configuration that points at it.
func New(ctx context.Context, moduleDir, work string, log io.Writer) (*Env, error) {
	if log == nil {
		log = io.Discard
	}
	bin := filepath.Join(work, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return nil, fmt.Errorf("bench env: %w", err)
	}
	build := exec.CommandContext(ctx, "go", "build", "-o", filepath.Join(bin, "terraform-provider-missioncontrol"), ".")
	build.Dir = moduleDir
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build provider: %w\n%s", err, out)
	}
	rc := filepath.Join(work, "terraformrc")
	conf := fmt.Sprintf("provider_installation {\n  dev_overrides {\n    \"missioncontrol/missioncontrol\" = %q\n  }\n  direct {}\n}\n", bin)
	if err := os.WriteFile(rc, []byte(conf), 0o644); err != nil {
		return nil, fmt.Errorf("bench env: %w", err)
	}
	return &Env{ModuleDir: moduleDir, Work: work, Log: log, Settle: 2 * time.Second, rc: rc}, nil
}

func (e *Env) logf(format string, args ...any) {
	fmt.Fprintf(e.Log, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

// Target is a throwaway host with the executor running inside.
type Target struct {
	Host *testhost.Host
	Exec *testhost.Executor
}

// Close tears the host down.
func (t *Target) Close() error { return t.Host.Close() }

// BootExecutor boots a host with the executor from the module (light
// stand-in gateways, HTTP health probes off since the stand-in has no HTTP,
// ports and uids wide enough for maxTenants).
func (e *Env) BootExecutor(ctx context.Context, maxTenants int) (*Target, error) {
	cfg, pol, err := benchConfig(e.ModuleDir, maxTenants)
	if err != nil {
		return nil, err
	}
	seed, err := testhost.SudoSeed(ctx)
	if err != nil {
		return nil, err
	}
	h, err := testhost.Start(ctx, testhost.Options{Seeds: []string{seed}})
	if err != nil {
		return nil, err
	}
	ex, err := testhost.StartExecutor(ctx, h, testhost.ExecutorOptions{ModuleDir: e.ModuleDir, Config: cfg, Policy: pol})
	if err != nil {
		return nil, errors.Join(err, h.Close())
	}
	e.logf("host %s: executor up (%s)", h.Name, ex.Endpoint())
	time.Sleep(e.Settle)
	return &Target{Host: h, Exec: ex}, nil
}

// benchConfig is the example executor configuration and policy with the
// light gateway, no HTTP probes, and port/uid ranges for n tenants.
func benchConfig(moduleDir string, n int) ([]byte, []byte, error) {
	src, err := os.ReadFile(filepath.Join(moduleDir, "examples/executor/executor.hcl"))
	if err != nil {
		return nil, nil, fmt.Errorf("bench config: %w", err)
	}
	if src, err = testhost.LightGatewayConfig(src); err != nil {
		return nil, nil, err
	}
	polSrc, err := os.ReadFile(filepath.Join(moduleDir, "examples/executor/policy.hcl"))
	if err != nil {
		return nil, nil, fmt.Errorf("bench config: %w", err)
	}
	// Ports come 20 apart: the example range (20000..29999) holds 500.
	portMax := max(29999, 20000+20*(n+10)+19)
	uidMax := max(29999, 20000+n+10)
	cfg, diags := hclwrite.ParseConfig(src, "executor.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		return nil, nil, fmt.Errorf("bench config: %w", diags)
	}
	set := func(body *hclwrite.Body, block, attr string, v cty.Value) {
		b := body.FirstMatchingBlock(block, nil)
		if b == nil {
			b = body.AppendNewBlock(block, nil)
		}
		b.Body().SetAttributeValue(attr, v)
	}
	set(cfg.Body(), "health", "http", cty.False)
	set(cfg.Body(), "tenants", "port_max", cty.NumberIntVal(int64(portMax)))
	set(cfg.Body(), "tenants", "uid_max", cty.NumberIntVal(int64(uidMax)))
	pol, diags := hclwrite.ParseConfig(polSrc, "policy.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		return nil, nil, fmt.Errorf("bench policy: %w", diags)
	}
	set(pol.Body(), "ports", "max", cty.NumberIntVal(int64(portMax)))
	set(pol.Body(), "uids", "max", cty.NumberIntVal(int64(uidMax)))
	return cfg.Bytes(), pol.Bytes(), nil
}

// Kind is the shape of a Terraform configuration the bench writes.
type Kind string

const (
	// Tenants is n tenants with a workspace and a gateway service each.
	Tenants Kind = "missioncontrol"
	// Floor is the same graph over terraform_data resources.
	Floor Kind = "terraform_data"
)

// Both configurations take var.n (tenants b0001..bNNNN) and var.change,
// which is appended to the workspace file of b0001 (a small change).
const tenantsTF = `terraform {
  required_providers {
    missioncontrol = { source = "missioncontrol/missioncontrol" }
  }
}
variable "n" { type = number }
variable "change" {
  type    = string
  default = ""
}
locals { names = toset([for i in range(var.n) : format("b%04d", i + 1)]) }
resource "missioncontrol_tenant" "t" {
  for_each    = local.names
  name        = each.key
  environment = "development"
}
resource "missioncontrol_workspace" "w" {
  for_each = local.names
  tenant   = missioncontrol_tenant.t[each.key].name
  name     = "main"
  files    = { "AGENTS.md" = "# agent ${each.key}\n${each.key == "b0001" ? var.change : ""}" }
}
resource "missioncontrol_service" "s" {
  for_each   = local.names
  tenant     = missioncontrol_tenant.t[each.key].name
  kind       = "gateway"
  depends_on = [missioncontrol_workspace.w]
}
`

const floorTF = `variable "n" { type = number }
variable "change" {
  type    = string
  default = ""
}
locals { names = toset([for i in range(var.n) : format("b%04d", i + 1)]) }
resource "terraform_data" "t" {
  for_each = local.names
  input    = { name = each.key, environment = "development" }
}
resource "terraform_data" "w" {
  for_each = local.names
  input = {
    tenant = terraform_data.t[each.key].output.name
    name   = "main"
    files  = { "AGENTS.md" = "# agent ${each.key}\n${each.key == "b0001" ? var.change : ""}" }
  }
}
resource "terraform_data" "s" {
  for_each   = local.names
  input      = { tenant = terraform_data.t[each.key].output.name, kind = "gateway" }
  depends_on = [terraform_data.w]
}
`

// Workdir writes a configuration of kind into a fresh dir under Work.
func (e *Env) Workdir(name string, kind Kind) (string, error) {
	dir := filepath.Join(e.Work, name)
	if err := os.RemoveAll(dir); err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	src := tenantsTF
	if kind == Floor {
		src = floorTF
	}
	return dir, os.WriteFile(filepath.Join(dir, "main.tf"), []byte(src), 0o644)
}

// Run is one timed terraform command.
type Run struct {
	Took     time.Duration
	ExitCode int
	Output   string
	// CPU is what terraform and its provider plugins used (user+system).
	CPU time.Duration
	// Host is what the throwaway host used meanwhile, by cgroup: the
	// executor with the commands it ran, systemd (PID 1), everything.
	Host HostCPU
}

// HostCPU is CPU time used inside a throwaway host, from its cgroups.
type HostCPU struct {
	Executor, Systemd, Total time.Duration
}

// hostCPU reads the cgroup v2 CPU usage of h: the executor's unit, PID 1
// (init.scope) and the whole host. Zero when the cgroups are not found.
func hostCPU(h *testhost.Host) HostCPU {
	var base string
	for _, root := range []string{"/sys/fs/cgroup/unified", "/sys/fs/cgroup"} {
		if _, err := os.Stat(filepath.Join(root, "mcth-"+h.Name, "cpu.stat")); err == nil {
			base = filepath.Join(root, "mcth-"+h.Name)
			break
		}
	}
	if base == "" {
		return HostCPU{}
	}
	read := func(rel string) time.Duration {
		b, err := os.ReadFile(filepath.Join(base, rel, "cpu.stat"))
		if err != nil {
			return 0
		}
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "usage_usec "); ok {
				us, _ := strconv.ParseInt(v, 10, 64)
				return time.Duration(us) * time.Microsecond
			}
		}
		return 0
	}
	return HostCPU{Executor: read("system.slice/" + testhost.ExecutorUnit), Systemd: read("init.scope"), Total: read("")}
}

func (a HostCPU) sub(b HostCPU) HostCPU {
	return HostCPU{Executor: a.Executor - b.Executor, Systemd: a.Systemd - b.Systemd, Total: a.Total - b.Total}
}

// Terraform runs terraform ARGS in dir (against t's executor when t is not
// nil) and times it. A non-zero exit is not an error: plan
// -detailed-exitcode exits 2 for changes; callers check ExitCode.
func (e *Env) Terraform(ctx context.Context, dir string, t *Target, args ...string) (Run, error) {
	cmd := exec.CommandContext(ctx, "terraform", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TF_CLI_CONFIG_FILE="+e.rc, "TF_IN_AUTOMATION=1")
	if t != nil {
		cmd.Env = append(cmd.Env, t.Exec.Env()...)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	var before HostCPU
	if t != nil {
		before = hostCPU(t.Host)
	}
	start := time.Now()
	err := cmd.Run()
	r := Run{Took: time.Since(start), Output: out.String()}
	if t != nil {
		r.Host = hostCPU(t.Host).sub(before)
	}
	if cmd.ProcessState != nil {
		// wait4 counts the provider plugins terraform waited for.
		r.CPU = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		r.ExitCode, err = ee.ExitCode(), nil
	}
	if err != nil {
		return r, fmt.Errorf("terraform %s: %w", args[0], err)
	}
	return r, nil
}

// Apply applies dir's configuration with n tenants and fails unless
// terraform succeeds.
func (e *Env) Apply(ctx context.Context, dir string, t *Target, n int) (Run, error) {
	r, err := e.Terraform(ctx, dir, t, "apply", "-auto-approve", "-input=false", "-no-color", "-var", "n="+strconv.Itoa(n))
	if err == nil && r.ExitCode != 0 {
		err = fmt.Errorf("terraform apply in %s exited %d:\n%s", dir, r.ExitCode, tail(r.Output, 40))
	}
	return r, err
}

// Plan runs terraform plan -detailed-exitcode with n tenants (and change
// when not empty) and fails unless the exit code is want (0: no changes,
// 2: changes).
func (e *Env) Plan(ctx context.Context, dir string, t *Target, n int, change string, want int) (Run, error) {
	args := []string{"plan", "-input=false", "-no-color", "-detailed-exitcode", "-var", "n=" + strconv.Itoa(n)}
	if change != "" {
		args = append(args, "-var", "change="+change)
	}
	r, err := e.Terraform(ctx, dir, t, args...)
	if err == nil && r.ExitCode != want {
		err = fmt.Errorf("terraform plan in %s exited %d, want %d:\n%s", dir, r.ExitCode, want, tail(r.Output, 40))
	}
	return r, err
}

// ActiveGateways counts the running gateway units inside h.
func ActiveGateways(ctx context.Context, h *testhost.Host) (int, error) {
	out, err := h.CommandContext(ctx, "systemctl", "list-units", "--no-legend", "--plain", "--state=active",
		"missioncontrol-gateway@*.service").Output()
	if err != nil {
		return 0, fmt.Errorf("list gateway units: %w", err)
	}
	n := 0
	for _, line := range strings.Split(string(out), "\n") {
		if strings.TrimSpace(line) != "" {
			n++
		}
	}
	return n, nil
}

// ExecutorRSS reads the resident set of the executor's main process inside
// t's host (VmRSS from /proc), in KiB.
func ExecutorRSS(ctx context.Context, t *Target) (int, error) {
	out, err := t.Host.CommandContext(ctx, "systemctl", "show", "--value", "--property=MainPID", testhost.ExecutorUnit).Output()
	if err != nil {
		return 0, fmt.Errorf("executor pid: %w", err)
	}
	pid := strings.TrimSpace(string(out))
	status, err := t.Host.CommandContext(ctx, "cat", "/proc/"+pid+"/status").Output()
	if err != nil {
		return 0, fmt.Errorf("executor status: %w", err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(v)
			if len(f) > 0 {
				return strconv.Atoi(f[0])
			}
		}
	}
	return 0, fmt.Errorf("executor pid %s: no VmRSS", pid)
}

// Median of ds (0 for none).
func Median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// MinMax of ds.
func MinMax(ds []time.Duration) (time.Duration, time.Duration) {
	if len(ds) == 0 {
		return 0, 0
	}
	lo, hi := ds[0], ds[0]
	for _, d := range ds {
		lo, hi = min(lo, d), max(hi, d)
	}
	return lo, hi
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Seconds formats d as seconds with 3 significant decimals.
func Seconds(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', 3, 64) }
