package testhost

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// ErrUnavailable is matched (errors.Is) by the errors of Available and Start
// when this machine cannot run throwaway hosts at all.
var ErrUnavailable = errors.New("throwaway hosts unavailable")

// unavailable is a reason why hosts cannot run here. Its text is the skip
// reason printed by Require, so it starts with what the user must fix.
type unavailable string

func (e unavailable) Error() string        { return string(e) }
func (e unavailable) Is(target error) bool { return target == ErrUnavailable }

// InsideMarker exists inside every throwaway host (it is written to the
// host's private /run); Available refuses to nest hosts.
const InsideMarker = "/run/mc-testhost-inside"

// insidePATH is the PATH of every command run inside a host.
const insidePATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Options configure a throwaway host. The zero value boots a host with a
// private network and a fresh share dir.
type Options struct {
	// Share is a host directory bound read-write at /share inside. Empty
	// means a fresh directory in the host's state dir, removed by Close.
	Share string
	// Seeds are seed layers (tarballs of an overlay upper dir, e.g. the one
	// SudoSeed returns) unpacked into the host's writable layer in order.
	Seeds []string
	// Binds are extra bind mounts "src[:dst[:ro]]" (host path, path inside
	// defaulting to src, "ro" for read-only). Paths may not contain spaces
	// or colons.
	Binds []string
	// Net is "private" (default: a network namespace with only lo) or
	// "host" (share the machine's network).
	Net string
}

// Host is a running throwaway host. Its methods are safe for concurrent use.
type Host struct {
	// Name is unique among running hosts; the hostname inside is mcth-Name
	// and its cgroup on the machine is mcth-Name.
	Name string
	// PID is the machine's view of the PID of the host's systemd (PID 1
	// inside).
	PID int
	// Share is the machine path bound at /share inside.
	Share string
	// Dir is the host's state dir, StateRoot/Name.
	Dir string
	// BootTime is how long Start took until systemd reported the boot done.
	BootTime time.Duration

	net     string
	scripts string

	closeOnce sync.Once
	closeErr  error
}

// Available reports whether this process can boot throwaway hosts. It
// returns nil, or an error matching ErrUnavailable whose text is the reason:
// not root, disabled with MC_TESTHOST_DISABLE=1, already inside a
// throwaway host, or missing tools, overlayfs, unshare or cgroup2.
func Available() error {
	if os.Getenv("MC_TESTHOST_DISABLE") == "1" {
		return unavailable("host e2e disabled: MC_TESTHOST_DISABLE=1 is set")
	}
	if os.Geteuid() != 0 {
		return unavailable(fmt.Sprintf("needs root: host e2e boots throwaway systemd hosts "+
			"with namespaces and overlayfs (running as uid %d); run the tests as root", os.Geteuid()))
	}
	if name, inside := insideHost(); inside {
		return unavailable(fmt.Sprintf("host e2e skipped: already inside throwaway host %s "+
			"(hosts do not nest)", name))
	}
	return probe()
}

func insideHost() (string, bool) {
	if b, err := os.ReadFile(InsideMarker); err == nil {
		return strings.TrimSpace(string(b)), true
	}
	if os.Getenv("MC_TESTHOST_INSIDE") == "1" {
		return "(MC_TESTHOST_INSIDE=1)", true
	}
	return "", false
}

// probe checks once per process the tools and kernel features boot.sh uses,
// by mounting an overlay in a throwaway mount namespace.
var probe = sync.OnceValue(func() error {
	for _, tool := range []string{"unshare", "nsenter", "setpriv", "findmnt", "tar", "mount"} {
		if _, err := exec.LookPath(tool); err != nil {
			return unavailable(fmt.Sprintf("host e2e unavailable: %s not found (util-linux)", tool))
		}
	}
	if _, err := os.Stat("/lib/systemd/systemd"); err != nil {
		return unavailable("host e2e unavailable: /lib/systemd/systemd not found (install systemd)")
	}
	mi, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil || !bytes.Contains(mi, []byte(" - cgroup2 ")) {
		return unavailable("host e2e unavailable: no cgroup2 hierarchy is mounted")
	}
	dir, err := os.MkdirTemp("", "mcth-probe-")
	if err != nil {
		return unavailable(fmt.Sprintf("host e2e unavailable: %v", err))
	}
	defer os.RemoveAll(dir)
	out, err := exec.Command("unshare", "--mount", "--propagation", "private", "/bin/sh", "-ec",
		`mount -t tmpfs mcth-probe "$1"; mkdir "$1/l" "$1/u" "$1/w" "$1/m"
		 mount -t overlay mcth-probe -o "lowerdir=$1/l,upperdir=$1/u,workdir=$1/w" "$1/m"`,
		"probe", dir).CombinedOutput()
	if err != nil {
		return unavailable(fmt.Sprintf("host e2e unavailable: unshare + overlayfs failed "+
			"(needs CAP_SYS_ADMIN outside an unprivileged container): %v: %s",
			err, strings.TrimSpace(string(out))))
	}
	return nil
})

var announceSkip sync.Once

// Require skips t unless throwaway hosts can run here (see Available) and
// the tests do not run with -short. The
// skip reason is also printed once per process to stderr, so it shows up
// without -v. With MC_TESTHOST_REQUIRE=1 (CI) it fails t instead.
func Require(t testing.TB) {
	t.Helper()
	err := Available()
	if err == nil && testing.Short() {
		err = unavailable("host e2e skipped: -short")
	}
	if err == nil {
		return
	}
	if os.Getenv("MC_TESTHOST_REQUIRE") == "1" {
		t.Fatalf("%v (MC_TESTHOST_REQUIRE=1 makes this a failure)", err)
	}
	announceSkip.Do(func() { fmt.Fprintf(os.Stderr, "!!! SKIPPING host e2e tests: %v\n", err) })
	t.Skip(err.Error())
}

// Boot starts a throwaway host for a test and registers its teardown with
// t.Cleanup. It skips t when hosts are unavailable (Require) and fails it
// when the boot fails. Boot and teardown times are logged. If the test has
// failed by cleanup time, the tail of the host's journal is logged first.
func Boot(t testing.TB, o Options) *Host {
	t.Helper()
	Require(t)
	h, err := Start(context.Background(), o)
	if err != nil {
		t.Fatalf("boot throwaway host: %v", err)
	}
	t.Logf("throwaway host %s booted in %v (pid %d, share %s)",
		h.Name, h.BootTime.Round(time.Millisecond), h.PID, h.Share)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("throwaway host %s journal (tail):\n%s", h.Name, h.Journal("-n", "80"))
		}
		start := time.Now()
		if err := h.Close(); err != nil {
			t.Errorf("tear down throwaway host %s: %v", h.Name, err)
			return
		}
		t.Logf("throwaway host %s torn down in %v", h.Name, time.Since(start).Round(time.Millisecond))
	})
	return h
}

// Start boots a throwaway host and waits until its systemd reports the boot
// finished (running or degraded). The host keeps running after the caller
// exits; stop it with Close (or the command DownCommand names). Outcomes:
//   - hosts cannot run here: an error matching ErrUnavailable;
//   - bad options: an error naming the option;
//   - the boot fails or ctx ends first: an error with the boot log, and
//     whatever was started is torn down;
//   - otherwise the running host.
func Start(ctx context.Context, o Options) (*Host, error) {
	if err := Available(); err != nil {
		return nil, err
	}
	scripts, err := scriptsDir()
	if err != nil {
		return nil, err
	}
	env, err := o.env()
	if err != nil {
		return nil, err
	}
	if dl, ok := ctx.Deadline(); ok {
		env = append(env, fmt.Sprintf("MCTH_TIMEOUT=%d", max(1, int(time.Until(dl).Seconds()))))
	}
	name, err := newName()
	if err != nil {
		return nil, err
	}
	h := &Host{Name: name, Dir: filepath.Join(StateRoot, name), net: o.Net, scripts: scripts}
	if h.net == "" {
		h.net = "private"
	}
	args := []string{filepath.Join(scripts, "boot.sh"), name}
	if o.Share != "" {
		args = append(args, o.Share)
	}
	cmd := exec.CommandContext(ctx, "/bin/bash", args...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err = cmd.Run()
	h.BootTime = time.Since(start)
	if err == nil {
		h.PID, err = strconv.Atoi(strings.TrimSpace(stdout.String()))
	}
	if err == nil {
		var b []byte
		b, err = os.ReadFile(filepath.Join(h.Dir, "share-path"))
		h.Share = strings.TrimSpace(string(b))
	}
	if err != nil {
		cerr := h.Close()
		return nil, errors.Join(fmt.Errorf("boot throwaway host %s: %w\n%s", name, err,
			strings.TrimSpace(stderr.String())), cerr)
	}
	return h, nil
}

func (o Options) env() ([]string, error) {
	env := append(os.Environ(), "MCTH_STATE="+StateRoot)
	switch o.Net {
	case "", "private", "host":
		if o.Net != "" {
			env = append(env, "MCTH_NET="+o.Net)
		}
	default:
		return nil, fmt.Errorf("options: net %q: want \"private\" or \"host\"", o.Net)
	}
	if o.Share != "" {
		if fi, err := os.Stat(o.Share); err != nil || !fi.IsDir() {
			return nil, fmt.Errorf("options: share %q is not a directory", o.Share)
		}
	}
	for _, s := range o.Seeds {
		if strings.ContainsAny(s, " \t\n") {
			return nil, fmt.Errorf("options: seed %q: path contains white space", s)
		}
		if _, err := os.Stat(s); err != nil {
			return nil, fmt.Errorf("options: seed: %w", err)
		}
	}
	if len(o.Seeds) > 0 {
		env = append(env, "MCTH_SEED="+strings.Join(o.Seeds, " "))
	}
	for _, b := range o.Binds {
		parts := strings.Split(b, ":")
		if strings.ContainsAny(b, " \t\n") || len(parts) > 3 || parts[0] == "" ||
			(len(parts) == 3 && parts[2] != "ro" && parts[2] != "") {
			return nil, fmt.Errorf("options: bind %q: want src[:dst[:ro]] without spaces", b)
		}
		if _, err := os.Stat(parts[0]); err != nil {
			return nil, fmt.Errorf("options: bind: %w", err)
		}
	}
	if len(o.Binds) > 0 {
		env = append(env, "MCTH_BINDS="+strings.Join(o.Binds, " "))
	}
	return env, nil
}

func newName() (string, error) {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("host name: %w", err)
	}
	return "h" + hex.EncodeToString(b[:]), nil
}

// ExecPrefix is the path of a script that runs its arguments as root inside
// the host (`$(h.ExecPrefix()) systemctl stop x`). It refuses to run once the
// host is gone.
func (h *Host) ExecPrefix() string { return filepath.Join(h.Dir, "exec") }

// DownCommand is the path of a script that tears the host down and removes
// its state, like Close.
func (h *Host) DownCommand() string { return filepath.Join(h.Dir, "down") }

// Command returns a command that runs argv as root inside the host: nsenter
// into all its namespaces, with an empty environment plus PATH, HOME=/root,
// LANG=C.UTF-8 and MC_TESTHOST_INSIDE=1. The process is not in the inner
// systemd's cgroup tree; start long-running things as units.
func (h *Host) Command(argv ...string) *exec.Cmd {
	return h.CommandContext(context.Background(), argv...)
}

// CommandContext is Command with a context that kills the command.
func (h *Host) CommandContext(ctx context.Context, argv ...string) *exec.Cmd {
	args := []string{"-t", strconv.Itoa(h.PID), "-m", "-u", "-i", "-p", "-C", "-r", "-w"}
	if h.net != "host" {
		args = append(args, "-n")
	}
	args = append(args, "--", "/usr/bin/env", "-i", "PATH="+insidePATH, "HOME=/root",
		"LANG=C.UTF-8", "SYSTEMD_PAGER=", "SYSTEMD_COLORS=0", "MC_TESTHOST_INSIDE=1")
	return exec.CommandContext(ctx, "nsenter", append(args, argv...)...)
}

// Try runs argv inside the host and returns its combined stdout and stderr.
// A non-zero exit gives an error wrapping *exec.ExitError.
func (h *Host) Try(argv ...string) (string, error) {
	out, err := h.Command(argv...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("host %s: %q: %w", h.Name, argv, err)
	}
	return string(out), nil
}

// Run runs argv inside the host and returns its combined output; it fails
// t (with the output) when the command fails.
func (h *Host) Run(t testing.TB, argv ...string) string {
	t.Helper()
	out, err := h.Try(argv...)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return out
}

// Journal returns `journalctl --no-pager -b ARGS...` from inside the host
// (for example Journal("-u", "x.service", "-n", "50")), or the error text.
func (h *Host) Journal(args ...string) string {
	out, err := h.Try(append([]string{"journalctl", "--no-pager", "-b"}, args...)...)
	if err != nil {
		return out + "\n(" + err.Error() + ")"
	}
	return out
}

// Close powers the host off (SIGKILL after 10 s), removes its cgroup and
// state dir (with the default share dir) and reports leftovers as an error.
// Calling it again returns the first result.
func (h *Host) Close() error {
	h.closeOnce.Do(func() {
		h.closeErr = teardown(h.scripts, h.Name)
	})
	return h.closeErr
}

// TeardownAll tears down every throwaway host under StateRoot and removes
// leftover mcth-* cgroups: the cleanup after a crashed or killed test
// process (t.Cleanup does not run on a test timeout). It also stops hosts
// that other processes are still using.
func TeardownAll(ctx context.Context) error {
	scripts, err := scriptsDir()
	if err != nil {
		return err
	}
	return runTeardown(ctx, scripts, "--all")
}

func teardown(scripts, name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return runTeardown(ctx, scripts, name)
}

func runTeardown(ctx context.Context, scripts, arg string) error {
	cmd := exec.CommandContext(ctx, "/bin/bash", filepath.Join(scripts, "teardown.sh"), arg)
	cmd.Env = append(os.Environ(), "MCTH_STATE="+StateRoot)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("teardown %s: %w\n%s", arg, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// alive reports whether the host's PID 1 still exists.
func (h *Host) alive() bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", h.PID))
	if err != nil {
		return false
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "State:"); ok {
			return !strings.Contains(v, "Z")
		}
	}
	return true
}

// root is the machine path of the host's root directory.
func (h *Host) root() string { return fmt.Sprintf("/proc/%d/root", h.PID) }
