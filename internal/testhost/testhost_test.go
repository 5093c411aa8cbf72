package testhost_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/testhost"
)

// realHostFiles must never change, whatever the tests do inside hosts.
var realHostFiles = []string{"/etc/passwd", "/etc/group", "/etc/shadow", "/etc/gshadow"}

func sums(t *testing.T, paths ...string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			m[p] = "missing: " + err.Error()
			continue
		}
		s := sha256.Sum256(b)
		m[p] = hex.EncodeToString(s[:])
	}
	return m
}

func checkSums(t *testing.T, before map[string]string) {
	t.Helper()
	for p, want := range before {
		if got := sums(t, p)[p]; got != want {
			t.Errorf("real host %s changed: sha256 %s -> %s", p, want, got)
		}
	}
}

func TestBootUseraddLeavesRealHostAlone(t *testing.T) {
	t.Parallel()
	before := sums(t, realHostFiles...)
	h := testhost.Boot(t, testhost.Options{})

	state := strings.TrimSpace(h.Run(t, "systemctl", "is-system-running"))
	if state != "running" && state != "degraded" {
		t.Fatalf("is-system-running = %q, want running or degraded\n%s", state, h.Run(t, "systemctl", "--failed"))
	}
	if got := strings.TrimSpace(h.Run(t, "hostname")); got != "mcth-"+h.Name {
		t.Errorf("hostname = %q, want mcth-%s", got, h.Name)
	}
	if got := strings.TrimSpace(h.Run(t, "cat", "/proc/1/comm")); got != "systemd" {
		t.Errorf("PID 1 inside is %q, want systemd", got)
	}

	h.Run(t, "useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "mcth-probe")
	if out := h.Run(t, "id", "-un", "mcth-probe"); strings.TrimSpace(out) != "mcth-probe" {
		t.Errorf("id inside: %q", out)
	}
	passwd, err := os.ReadFile("/etc/passwd")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(passwd, []byte("mcth-probe:")) {
		t.Fatal("useradd inside the throwaway host changed the real /etc/passwd")
	}
	checkSums(t, before)

	// ExecPrefix is usable as a command prefix from a shell.
	out, err := exec.Command("/bin/sh", "-c", h.ExecPrefix()+" id -un mcth-probe").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "mcth-probe" {
		t.Errorf("exec prefix: %v: %q", err, out)
	}
	// Exit codes pass through.
	if _, err := h.Try("false"); err == nil {
		t.Error("Try(false) succeeded")
	}
}

func TestSudoSeedVisudo(t *testing.T) {
	t.Parallel()
	testhost.Require(t)
	_, visudoErr := os.Stat("/usr/sbin/visudo")
	before := sums(t, append(realHostFiles, "/var/lib/dpkg/status")...)
	start := time.Now()
	seed, err := testhost.SudoSeed(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("sudo seed %s ready in %v", seed, time.Since(start).Round(time.Millisecond))
	if _, err := os.Stat("/usr/sbin/visudo"); visudoErr != nil && err == nil {
		t.Fatal("building the sudo seed installed visudo on the real host")
	}
	checkSums(t, before)

	h := testhost.Boot(t, testhost.Options{Seeds: []string{seed}})
	good := "mc-acme ALL=(root) NOPASSWD: /usr/bin/systemctl restart missioncontrol-gateway@acme.service\n"
	bad := "mc-acme ALL=(root) NOPASSWD systemctl restart\n"
	for name, body := range map[string]string{"good": good, "bad": bad} {
		if err := os.WriteFile(filepath.Join(h.Share, name), []byte(body), 0o440); err != nil {
			t.Fatal(err)
		}
	}
	h.Run(t, "visudo", "-cf", "/share/good")
	if out, err := h.Try("visudo", "-cf", "/share/bad"); err == nil {
		t.Errorf("visudo -cf accepted a broken fragment: %s", out)
	}
	h.Run(t, "visudo", "-c")
}

func TestTransientAndInstalledUnits(t *testing.T) {
	t.Parallel()
	h := testhost.Boot(t, testhost.Options{})
	out := h.Run(t, "systemd-run", "--quiet", "--wait", "--pipe", "--collect", "--", "/bin/sh", "-c", "echo hello from $(cat /proc/self/cgroup)")
	if !strings.Contains(out, " 0::/system.slice/run-") {
		t.Errorf("transient unit output %q: want it to run in a transient unit's cgroup", out)
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	unit := "[Unit]\nDescription=probe\n[Service]\nExecStart=/usr/bin/sleep infinity\n"
	if err := h.InstallUnit(ctx, "mcth-probe.service", []byte(unit)); err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(h.Run(t, "systemctl", "is-active", "mcth-probe.service")); got != "active" {
		t.Errorf("is-active = %q", got)
	}
	if _, err := os.Stat("/etc/systemd/system/mcth-probe.service"); err == nil {
		t.Error("InstallUnit wrote to the real /etc/systemd/system")
	}
	if err := h.InstallUnit(ctx, "../evil.service", []byte(unit)); err == nil {
		t.Error("InstallUnit accepted a path")
	}
	if j := h.Journal("-u", "mcth-probe.service"); !strings.Contains(j, "Started") {
		t.Errorf("journal of mcth-probe.service lacks a start:\n%s", j)
	}
}

func TestSnapshotDiff(t *testing.T) {
	t.Parallel()
	h := testhost.Boot(t, testhost.Options{})
	a, err := h.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if a.Accounts["/etc/passwd"] == "" || len(a.Files) == 0 {
		t.Fatalf("snapshot looks empty: %d files, passwd %q", len(a.Files), a.Accounts["/etc/passwd"])
	}
	// Reading the host (even through the executor's snapshot itself) changes nothing.
	h.Run(t, "systemctl", "list-units", "--all")
	b, err := h.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if d := testhost.Diff(a, b); d != "" {
		t.Fatalf("Diff of two snapshots without a change:\n%s", d)
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	h.Run(t, "useradd", "--system", "--no-create-home", "mc-snap")
	h.Run(t, "install", "-d", "-o", "mc-snap", "-m", "0750", "/srv/missioncontrol/tenants/snap")
	h.Run(t, "chmod", "0700", "/srv")
	h.Run(t, "install", "-D", "-m", "0600", "/dev/null", "/etc/missioncontrol/tenants/snap/gateway.env")
	if err := h.InstallUnit(ctx, "missioncontrol-snap.service",
		[]byte("[Service]\nExecStart=/usr/bin/sleep infinity\n")); err != nil {
		t.Fatal(err)
	}
	c, err := h.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	d := testhost.Diff(a, c)
	t.Logf("diff after changes:\n%s", d)
	for _, want := range []string{
		"+ /etc/passwd: mc-snap:",
		"+ /etc/group: mc-snap:",
		"+ /etc/shadow: mc-snap:",
		"+ file /srv/missioncontrol/tenants/snap ",
		"+ file /etc/systemd/system/missioncontrol-snap.service ",
		"~ file /srv: mode drwxr-xr-x -> drwx------",
		"+ file /etc/missioncontrol/tenants/snap/gateway.env 0:0 -rw------- sha256:e3b0c44298fc",
		"+ unit missioncontrol-snap.service loaded/active/running",
	} {
		if !strings.Contains(d, want) {
			t.Errorf("diff lacks %q", want)
		}
	}
	h.Run(t, "systemctl", "stop", "missioncontrol-snap.service")
	e, err := h.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	// systemd unloads a stopped unit nothing refers to, so it may vanish.
	if d := testhost.Diff(c, e); d != "- unit missioncontrol-snap.service loaded/active/running" &&
		!strings.HasPrefix(d, "~ unit missioncontrol-snap.service: loaded/active/running -> ") {
		t.Errorf("diff after stop:\n%s", d)
	}
}

func TestParallelHosts(t *testing.T) {
	t.Parallel()
	testhost.Require(t)
	const n = 2
	hosts := make([]*testhost.Host, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range n {
		wg.Go(func() { hosts[i], errs[i] = testhost.Start(context.Background(), testhost.Options{}) })
	}
	wg.Wait()
	t.Logf("%d hosts booted in parallel in %v", n, time.Since(start).Round(time.Millisecond))
	for i, h := range hosts {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		t.Cleanup(func() {
			if err := h.Close(); err != nil {
				t.Error(err)
			}
		})
	}
	if hosts[0].Name == hosts[1].Name || hosts[0].Share == hosts[1].Share {
		t.Fatalf("two hosts share a name or share dir: %s %s", hosts[0].Name, hosts[0].Share)
	}
	for _, h := range hosts {
		h.Run(t, "sh", "-c", "echo "+h.Name+" > /etc/mcth-owner")
	}
	for _, h := range hosts {
		if got := strings.TrimSpace(h.Run(t, "cat", "/etc/mcth-owner")); got != h.Name {
			t.Errorf("/etc/mcth-owner in %s = %q: hosts share state", h.Name, got)
		}
	}
	if _, err := os.Stat("/etc/mcth-owner"); err == nil {
		t.Error("a host wrote /etc/mcth-owner on the real host")
	}
}

// TestTeardownLeavesNothing checks that Close removes the host's processes,
// mount namespace, cgroup and state dir.
func TestTeardownLeavesNothing(t *testing.T) {
	t.Parallel()
	testhost.Require(t)
	h, err := testhost.Start(context.Background(), testhost.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("boot %s: %v", h.Name, h.BootTime.Round(time.Millisecond))
	mntNS, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/mnt", h.PID))
	if err != nil {
		t.Fatal(err)
	}
	cg, err := os.ReadFile(filepath.Join(h.Dir, "cgroup"))
	if err != nil {
		t.Fatal(err)
	}
	cgroup := strings.TrimSpace(string(cg))
	if !strings.HasSuffix(cgroup, "/mcth-"+h.Name) {
		t.Fatalf("cgroup %q: want .../mcth-%s", cgroup, h.Name)
	}
	h.Run(t, "systemd-run", "--unit=mcth-bg", "/usr/bin/sleep", "infinity")

	start := time.Now()
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	t.Logf("teardown %s: %v", h.Name, time.Since(start).Round(time.Millisecond))
	if err := h.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := os.Stat(fmt.Sprintf("/proc/%d", h.PID)); err == nil {
		if exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", h.PID)); strings.HasSuffix(exe, "/systemd") {
			t.Errorf("host PID 1 (%d) still runs", h.PID)
		}
	}
	for _, p := range []string{h.Dir, h.Share, cgroup} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s still exists after Close", p)
		}
	}
	mi, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(mi, []byte("mcth-"+h.Name)) || bytes.Contains(mi, []byte(h.Dir)) {
		t.Errorf("mounts of %s visible after Close", h.Name)
	}
	// No process may still live in the host's mount namespace: it is gone
	// with all its mounts.
	procs, _ := filepath.Glob("/proc/[0-9]*/ns/mnt")
	for _, p := range procs {
		if ns, err := os.Readlink(p); err == nil && ns == mntNS {
			t.Errorf("%s is still in the host's mount namespace %s", p, ns)
		}
	}
	if _, err := h.Try("true"); err == nil {
		t.Error("Try succeeded on a closed host")
	}
	out, err := exec.Command(h.ExecPrefix(), "true").CombinedOutput()
	if err == nil {
		t.Errorf("exec prefix of a closed host succeeded: %s", out)
	}
}

const standin = "./internal/testhost/testdata/standin"

func unixGet(t *testing.T, socket, path string) string {
	t.Helper()
	c := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", socket)
		},
	}, Timeout: 10 * time.Second}
	resp, err := c.Get("http://executor" + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s: %v %s", path, resp.Status, err, b)
	}
	return string(b)
}

func TestStartExecutor(t *testing.T) {
	t.Parallel()
	h := testhost.Boot(t, testhost.Options{})
	e := testhost.BootExecutor(t, h, testhost.ExecutorOptions{Package: standin})

	if got := unixGet(t, e.Socket, "/v1/health"); !strings.Contains(got, `"hostname":"mcth-`+h.Name+`"`) {
		t.Errorf("health from the executor inside: %s", got)
	}
	if !e.Pinned {
		t.Error("Pinned = false, want true (the stand-in has policy pin)")
	}
	if e.Endpoint() != "unix://"+filepath.Join(h.Share, "run/executor.sock") {
		t.Errorf("Endpoint = %s", e.Endpoint())
	}
	policy, _ := os.ReadFile(filepath.Join(h.Share, "etc/policy.hcl"))
	if !bytes.Contains(policy, []byte("# pinned by standin")) {
		t.Errorf("policy not pinned:\n%s", policy)
	}
	config, _ := os.ReadFile(filepath.Join(h.Share, "etc/executor.hcl"))
	for _, want := range []string{`policy_file = "/share/etc/policy.hcl"`, `socket = "/share/run/executor.sock"`,
		`state_dir = "/var/lib/missioncontrol"`, "port_stride = 20"} {
		if !strings.Contains(squash(string(config)), want) {
			t.Errorf("executor.hcl lacks %s:\n%s", want, config)
		}
	}
	if got := strings.TrimSpace(h.Run(t, "systemctl", "is-active", testhost.ExecutorUnit)); got != "active" {
		t.Errorf("%s is %s", testhost.ExecutorUnit, got)
	}
	gid := strings.Split(strings.TrimSpace(h.Run(t, "getent", "group", "missioncontrol")), ":")[2]
	st, err := os.Stat(e.Socket)
	if err != nil {
		t.Fatal(err)
	}
	if sys := st.Sys().(*syscall.Stat_t); strconv.Itoa(int(sys.Gid)) != gid || st.Mode().Perm() != 0o660 {
		t.Errorf("socket gid %d mode %v, want gid %s (missioncontrol inside) mode 0660", sys.Gid, st.Mode().Perm(), gid)
	}
	for _, kv := range e.Env() {
		if !regexp.MustCompile(`^MISSIONCONTROL_[A-Z_]+=\S+$`).MatchString(kv) {
			t.Errorf("env line %q", kv)
		}
	}
}

func squash(s string) string { return strings.Join(strings.Fields(s), " ") }

func TestStartExecutorWithoutPinAndFailing(t *testing.T) {
	t.Parallel()
	h := testhost.Boot(t, testhost.Options{})
	if err := os.MkdirAll(filepath.Join(h.Share, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(h.Share, "etc/standin-no-pin"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	e := testhost.BootExecutor(t, h, testhost.ExecutorOptions{Package: standin, Log: &log})
	if e.Pinned {
		t.Error("Pinned = true for an executor without policy pin")
	}
	if !strings.Contains(log.String(), "no `policy pin` subcommand") {
		t.Errorf("no warning about the missing policy pin in the log:\n%s", log.String())
	}

	// An executor that never listens: the error carries the unit's journal.
	h2 := testhost.Boot(t, testhost.Options{})
	start := time.Now()
	_, err := testhost.StartExecutor(context.Background(), h2, testhost.ExecutorOptions{
		Binary: "/usr/bin/false", SocketTimeout: 2 * time.Second,
	})
	if err == nil {
		t.Fatal("StartExecutor succeeded with an executor that exits at once")
	}
	if !strings.Contains(err.Error(), testhost.ExecutorUnit) || time.Since(start) > 30*time.Second {
		t.Errorf("error after %v: %v", time.Since(start), err)
	}
}

// TestDevHost runs the dev-host command (with the stand-in executor) and
// checks its contract: only env lines on stdout, the host outlives the
// command, HOST_EXEC runs commands inside, HOST_DOWN removes everything.
func TestDevHost(t *testing.T) {
	t.Parallel()
	testhost.Require(t)
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "devhost")
	build := exec.Command("go", "build", "-o", bin, "./internal/testhost/cmd/devhost")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build devhost: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "-executor-package", standin)
	cmd.Dir = root
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err = cmd.Run()
	t.Logf("devhost took %v; stderr:\n%s", time.Since(start).Round(time.Millisecond), stderr.String())
	if err != nil {
		t.Fatalf("devhost: %v", err)
	}
	env := map[string]string{}
	sc := bufio.NewScanner(&stdout)
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			env[k] = v
		}
	}
	down := env["MISSIONCONTROL_HOST_DOWN"]
	if down != "" {
		t.Cleanup(func() { exec.Command(down).Run() })
	}
	want := []string{"MISSIONCONTROL_ENDPOINT", "MISSIONCONTROL_HOST_EXEC", "MISSIONCONTROL_HOST_DOWN", "MISSIONCONTROL_SIGNING_KEY_FILE"}
	if len(lines) != len(want)+1 || lines[len(want)] != "export "+strings.Join(want, " ") {
		t.Fatalf("stdout:\n%s", strings.Join(lines, "\n"))
	}
	for i, k := range want {
		if !strings.HasPrefix(lines[i], k+"=") {
			t.Errorf("line %d = %q, want %s=...", i+1, lines[i], k)
		}
	}
	socket, ok := strings.CutPrefix(env["MISSIONCONTROL_ENDPOINT"], "unix://")
	if !ok {
		t.Fatalf("endpoint %q", env["MISSIONCONTROL_ENDPOINT"])
	}
	unixGet(t, socket, "/v1/health") // the host outlived devhost

	sh := func(script string) (string, error) {
		c := exec.Command("/bin/bash", "-c", script)
		c.Env = append(os.Environ(), "DEVHOST_ENV="+strings.Join(lines, "\n"))
		out, err := c.CombinedOutput()
		return strings.TrimSpace(string(out)), err
	}
	out, err := sh(`eval "$DEVHOST_ENV"; bash -c '$MISSIONCONTROL_HOST_EXEC systemctl is-active missioncontrol-executor.service'`)
	if err != nil || out != "active" {
		t.Errorf("HOST_EXEC after eval in a child shell: %v: %q", err, out)
	}
	if out, err := sh(`eval "$DEVHOST_ENV"; $MISSIONCONTROL_HOST_EXEC test -x /usr/sbin/visudo`); err != nil {
		t.Errorf("the dev host lacks visudo (sudo seed): %v %s", err, out)
	}
	start = time.Now()
	if out, err := sh(`eval "$DEVHOST_ENV"; $MISSIONCONTROL_HOST_DOWN`); err != nil {
		t.Errorf("HOST_DOWN: %v\n%s", err, out)
	}
	t.Logf("HOST_DOWN took %v", time.Since(start).Round(time.Millisecond))
	if _, err := os.Stat(filepath.Dir(filepath.Dir(down))); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Dir(down)); err == nil {
		t.Errorf("state dir %s survived HOST_DOWN", filepath.Dir(down))
	}
	if _, err := os.Stat(socket); err == nil {
		t.Errorf("socket %s survived HOST_DOWN", socket)
	}
}

func BenchmarkBootTeardown(b *testing.B) {
	testhost.Require(b)
	var boot, down time.Duration
	for b.Loop() {
		h, err := testhost.Start(context.Background(), testhost.Options{})
		if err != nil {
			b.Fatal(err)
		}
		boot += h.BootTime
		start := time.Now()
		if err := h.Close(); err != nil {
			b.Fatal(err)
		}
		down += time.Since(start)
	}
	b.ReportMetric(float64(boot.Milliseconds())/float64(b.N), "boot-ms/op")
	b.ReportMetric(float64(down.Milliseconds())/float64(b.N), "teardown-ms/op")
}

func TestBindsAndHostNet(t *testing.T) {
	t.Parallel()
	testhost.Require(t)
	fx := t.TempDir()
	if err := os.WriteFile(filepath.Join(fx, "fixture"), []byte("42\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	h := testhost.Boot(t, testhost.Options{Binds: []string{fx + ":/mnt/fx:ro"}, Net: "host"})
	if got := strings.TrimSpace(h.Run(t, "cat", "/mnt/fx/fixture")); got != "42" {
		t.Errorf("bound fixture = %q", got)
	}
	if out, err := h.Try("touch", "/mnt/fx/new"); err == nil {
		t.Errorf("a read-only bind is writable: %s", out)
	}
	realNS, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(h.Run(t, "readlink", "/proc/self/ns/net")); got != realNS {
		t.Errorf("Net host: net namespace inside %s, machine %s", got, realNS)
	}
	if _, err := testhost.Start(context.Background(), testhost.Options{Binds: []string{"/no/such:/x"}}); err == nil {
		t.Error("Start accepted a bind of a missing path")
	}
}
