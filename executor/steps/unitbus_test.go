package steps_test

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/google/go-cmp/cmp"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/steps"
	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/testhost"
)

// insideHostEnv tells this test binary that inHost started it inside a
// throwaway host.
const insideHostEnv = "MC_STEPS_TEST_INSIDE_HOST"

// inHost reports whether this process runs inside a throwaway host. Outside
// one, it boots a host, runs this test binary there with args (the test
// then takes the inside branch), writes its output to out, fails tb if it
// fails, and reports false.
func inHost(tb testing.TB, out io.Writer, args ...string) bool {
	tb.Helper()
	if os.Getenv(insideHostEnv) == "1" {
		return true
	}
	h := bootWithSelf(tb)
	runInside(tb, h, out, append([]string{"/usr/bin/env", insideHostEnv + "=1", "/share/steps.test"}, args...))
	return false
}

// bootWithSelf boots a throwaway host with this test binary at
// /share/steps.test.
func bootWithSelf(tb testing.TB) *testhost.Host {
	tb.Helper()
	h := testhost.Boot(tb, testhost.Options{})
	self, err := os.Executable()
	if err != nil {
		tb.Fatal(err)
	}
	b, err := os.ReadFile(self)
	if err == nil {
		err = os.WriteFile(filepath.Join(h.Share, "steps.test"), b, 0o755)
	}
	if err != nil {
		tb.Fatalf("copy test binary into host: %v", err)
	}
	return h
}

// runInside runs argv in h, writes its output to out and fails tb if it
// fails.
func runInside(tb testing.TB, h *testhost.Host, out io.Writer, argv []string) {
	tb.Helper()
	// A hang inside fails here, with the output so far, not at the
	// outer test binary's timeout.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	res, err := h.CommandContext(ctx, argv...).CombinedOutput()
	fmt.Fprintf(out, "--- inside throwaway host %s: %s\n%s", h.Name, strings.Join(argv, " "), res)
	if err != nil {
		tb.Fatalf("inside throwaway host %s: %v", h.Name, err)
	}
}

// logWriter writes to tb's log.
type logWriter struct{ tb testing.TB }

func (w logWriter) Write(p []byte) (int, error) {
	w.tb.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// hostSystemctl runs systemctl inside the host for a test's setup.
func hostSystemctl(tb testing.TB, args ...string) string {
	tb.Helper()
	out, err := exec.Command("systemctl", args...).CombinedOutput()
	if err != nil {
		tb.Fatalf("systemctl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func writeUnit(tb testing.TB, name, text string) {
	tb.Helper()
	if err := os.WriteFile(filepath.Join("/etc/systemd/system", name), []byte(text), 0o644); err != nil {
		tb.Fatal(err)
	}
}

// systemctlHost observes units the way an executor without D-Bus does:
// `systemctl show`, run from its pinned descriptor.
func systemctlHost(tb testing.TB) *steps.Host {
	tb.Helper()
	path, err := exec.LookPath("systemctl")
	if err != nil {
		tb.Fatal(err)
	}
	path, _ = filepath.Abs(path)
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return &steps.Host{
		Runner:   steps.ExecRunner{Pins: map[string]string{path: steps.SHA256(b)}, Hashes: &steps.FileHashes{}},
		Commands: steps.Commands{Systemctl: path},
	}
}

// busUnits observes units only over D-Bus (a health round's reader,
// without its fallback), with the interface of the Host's systemctl one.
type busUnits struct{ bus *steps.SystemdBus }

func (b busUnits) UnitStates(ctx context.Context, units ...string) (map[string]api.UnitState, error) {
	return b.bus.ReadUnits(ctx, units)
}

func busHost(tb testing.TB) busUnits {
	tb.Helper()
	bus, version, err := steps.DialSystemd(context.Background(), steps.SystemdPrivateSocket)
	if err != nil {
		tb.Fatalf("dial systemd: %v", err)
	}
	tb.Cleanup(func() { bus.Close() })
	tb.Logf("systemd %s over %s", version, steps.SystemdPrivateSocket)
	return busUnits{bus}
}

// The D-Bus reader answers exactly what `systemctl show` answers, in a
// real systemd, for units in every state the executor meets.
func TestSystemdBusMatchesSystemctl(t *testing.T) {
	if !inHost(t, logWriter{t}, "-test.run", "^TestSystemdBusMatchesSystemctl$", "-test.v", "-test.timeout", "2m") {
		return
	}
	ctx := context.Background()
	const sleep = "[Service]\nExecStart=/bin/sleep infinity\n"
	const install = "[Install]\nWantedBy=multi-user.target\n"
	writeUnit(t, "mcbus-enabled.service", sleep+install)
	writeUnit(t, "mcbus-running-disabled.service", sleep+install)
	writeUnit(t, "mcbus-disabled.service", sleep+install)
	writeUnit(t, "mcbus-static.service", sleep)
	writeUnit(t, "mcbus-reload.service", sleep+install)
	writeUnit(t, "mcbus-failed.service", "[Unit]\nStartLimitIntervalSec=60\nStartLimitBurst=3\n"+
		"[Service]\nExecStart=/bin/false\nRestart=on-failure\nRestartSec=50ms\n")
	writeUnit(t, "mcbus-gw@.service", "[Service]\nExecStart=/bin/sleep infinity\nEnvironment=I=%i\n"+install)
	hostSystemctl(t, "daemon-reload")
	hostSystemctl(t, "enable", "mcbus-enabled.service", "mcbus-gw@b_2.service")
	// Enabled as the executor enables, never started: not loaded.
	hostSystemctl(t, "enable", "--no-reload", "mcbus-gw@e.service")
	hostSystemctl(t, "mask", "mcbus-masked.service")
	hostSystemctl(t, "start", "mcbus-enabled.service", "mcbus-running-disabled.service", "mcbus-reload.service",
		"mcbus-gw@a-1.service", "mcbus-gw@b_2.service")
	hostSystemctl(t, "start", "--no-block", "mcbus-failed.service")
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if out, _ := exec.Command("systemctl", "is-failed", "mcbus-failed.service").Output(); strings.TrimSpace(string(out)) == "failed" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("mcbus-failed.service did not fail")
		}
	}
	// Edited after it was loaded: systemd wants a daemon-reload.
	reload := "/etc/systemd/system/mcbus-reload.service"
	if err := os.WriteFile(reload, []byte(sleep+"Environment=EDITED=1\n"+install), 0o644); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(2 * time.Second)
	if err := os.Chtimes(reload, later, later); err != nil {
		t.Fatal(err)
	}

	units := []string{
		"mcbus-enabled.service", "mcbus-running-disabled.service", "mcbus-disabled.service",
		"mcbus-static.service", "mcbus-reload.service", "mcbus-failed.service",
		"mcbus-gw@a-1.service", "mcbus-gw@b_2.service", "mcbus-gw@c.d.service",
		"mcbus-nope.service", "9lives.service", "multi-user.target", "systemd-journald.socket",
		"mcbus-gw@e.service", "mcbus-masked.service",
	}
	ctl := systemctlHost(t)
	viaBus := busHost(t)
	compareStates := func(t *testing.T) map[string]api.UnitState {
		want, err := ctl.UnitStates(ctx, units...)
		if err != nil {
			t.Fatalf("systemctl show: %v", err)
		}
		got, err := viaBus.UnitStates(ctx, units...)
		if err != nil {
			t.Fatalf("D-Bus: %v", err)
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("UnitStates: D-Bus differs from systemctl show (-systemctl +D-Bus):\n%s", d)
		}
		for _, u := range units { // one at a time, as a dry run asks
			one, err := viaBus.UnitStates(ctx, u)
			if err != nil || one[u] != want[u] {
				t.Errorf("UnitStates(%s) over D-Bus = %+v, %v; want %+v", u, one[u], err, want[u])
			}
		}
		return want
	}
	want := compareStates(t)
	// Guard against both readers agreeing on nothing.
	for u, w := range map[string]api.UnitState{
		"mcbus-enabled.service":          {LoadState: "loaded", ActiveState: "active", SubState: "running", Enabled: "enabled"},
		"mcbus-running-disabled.service": {LoadState: "loaded", ActiveState: "active", SubState: "running", Enabled: "disabled"},
		"mcbus-disabled.service":         {LoadState: "loaded", ActiveState: "inactive", SubState: "dead", Enabled: "disabled"},
		"mcbus-static.service":           {LoadState: "loaded", ActiveState: "inactive", SubState: "dead", Enabled: "static"},
		"mcbus-failed.service":           {LoadState: "loaded", ActiveState: "failed", SubState: "failed", Enabled: "static"},
		"mcbus-gw@b_2.service":           {LoadState: "loaded", ActiveState: "active", SubState: "running", Enabled: "enabled"},
		"mcbus-nope.service":             {LoadState: "not-found", ActiveState: "inactive", SubState: "dead"},
		"mcbus-gw@e.service":             {LoadState: "loaded", ActiveState: "inactive", SubState: "dead", Enabled: "enabled"},
		"mcbus-masked.service":           {LoadState: "masked", ActiveState: "inactive", SubState: "dead", Enabled: "masked"},
	} {
		g := want[u]
		if g.LoadState != w.LoadState || g.ActiveState != w.ActiveState || g.SubState != w.SubState || g.Enabled != w.Enabled {
			t.Errorf("%s: %+v, want %+v", u, g, w)
		}
	}
	if st := want["mcbus-enabled.service"]; st.MainPID == 0 {
		t.Errorf("mcbus-enabled.service: no MainPID: %+v", st)
	}
	if st := want["mcbus-failed.service"]; st.NRestarts == 0 {
		t.Errorf("mcbus-failed.service: no restarts: %+v", st)
	}

	t.Run("loads nothing", func(t *testing.T) {
		// Reading a unit systemd has not loaded must not load it: a load
		// costs PID 1 milliseconds and sends UnitNew to every client.
		// systemd sends every signal to every connection on its private
		// socket, so one of our own sees each load.
		watch, err := dbus.Dial("unix:path=" + steps.SystemdPrivateSocket)
		if err == nil {
			err = watch.Auth([]dbus.Auth{dbus.AuthExternal("0")})
		}
		if err != nil {
			t.Fatal(err)
		}
		defer watch.Close()
		signals := make(chan *dbus.Signal, 1000)
		watch.Signal(signals)
		idle := []string{"mcbus-disabled.service", "mcbus-static.service", "mcbus-gw@c.d.service", "mcbus-gw@e.service", "mcbus-nope.service"}
		loads := func(read func()) []string {
			read()
			// A load's signals follow its reply within milliseconds.
			time.Sleep(200 * time.Millisecond)
			var got []string
			for {
				select {
				case s := <-signals:
					if s.Name == "org.freedesktop.systemd1.Manager.UnitNew" && len(s.Body) > 0 {
						got = append(got, fmt.Sprint(s.Body[0]))
					}
				default:
					return got
				}
			}
		}
		if got := loads(func() { viaBus.UnitStates(ctx, idle...) }); len(got) > 0 {
			t.Errorf("reading %v over D-Bus loaded %v", idle, got)
		}
		// The watch works: systemctl show loads them.
		if got := loads(func() { ctl.UnitStates(ctx, idle...) }); len(got) == 0 {
			t.Errorf("systemctl show of %v loaded nothing: the watch sees no loads", idle)
		}
	})

	t.Run("object paths", func(t *testing.T) {
		// systemd's own answer, through busctl on the system bus: on the
		// private socket, where messages carry no sender, systemd refuses
		// LoadUnit ("Invalid request descriptor"), and godbus drops that
		// error reply, so a call there waits forever.
		for _, u := range units {
			ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			out, err := exec.CommandContext(ctx, "busctl", "--system", "call", "org.freedesktop.systemd1", "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager",
				"LoadUnit", "s", u).CombinedOutput()
			cancel()
			if err != nil {
				t.Fatalf("busctl LoadUnit %s: %v: %s", u, err, out)
			}
			p, ok := strings.CutPrefix(strings.TrimSpace(string(out)), "o ")
			if !ok {
				t.Fatalf("busctl LoadUnit %s: %q", u, out)
			}
			if got := steps.UnitPath(u); string(got) != strings.Trim(p, `"`) {
				t.Errorf("UnitPath(%s) = %s, systemd says %s", u, got, p)
			}
		}
	})

	t.Run("daemon-reexec", func(t *testing.T) {
		// Re-executing systemd closes the bus's connection: the next
		// observation must redial, not fail.
		hostSystemctl(t, "daemon-reexec")
		compareStates(t)
	})
}

// packagedUnit is the executor's unit as the .deb ships it.
const packagedUnit = "../../packaging/deb/missioncontrol-executor.service"

// sandboxProperties are the [Service] settings of the unit file at path
// that confine the process (not how it starts, restarts or gets its
// directories), as systemd-run -p arguments.
func sandboxProperties(tb testing.TB, path string) []string {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	var props []string
	section := ""
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "[") {
			section = line
			continue
		}
		k, _, ok := strings.Cut(line, "=")
		if section != "[Service]" || !ok || strings.HasPrefix(line, "#") {
			continue
		}
		switch {
		case k == "Type", k == "NotifyAccess", k == "WatchdogSec", strings.HasPrefix(k, "Exec"),
			strings.HasPrefix(k, "Restart"), strings.HasPrefix(k, "Timeout"), strings.Contains(k, "Directory"):
			continue
		}
		props = append(props, "-p", line)
	}
	if len(props) < 20 {
		tb.Fatalf("%s: only %d sandbox settings found", path, len(props)/2)
	}
	return props
}

// The packaged executor unit's sandbox leaves systemd's private socket
// reachable: an executor installed from the .deb observes over D-Bus.
func TestSystemdBusUnderPackagedSandbox(t *testing.T) {
	if os.Getenv(insideHostEnv) != "1" {
		props := sandboxProperties(t, packagedUnit)
		h := bootWithSelf(t)
		argv := append([]string{"systemd-run", "--quiet", "--wait", "--pipe", "--collect", "--service-type=exec",
			"--setenv=" + insideHostEnv + "=1"}, props...)
		runInside(t, h, logWriter{t}, append(argv, "/share/steps.test", "-test.run", "^TestSystemdBusUnderPackagedSandbox$", "-test.v", "-test.timeout", "2m"))
		return
	}
	ctx := context.Background()
	ctl := systemctlHost(t)
	viaBus := busHost(t)
	units := []string{"systemd-journald.service", "mcbus-nope.service"}
	want, err := ctl.UnitStates(ctx, units...)
	if err != nil {
		t.Fatal(err)
	}
	got, err := viaBus.UnitStates(ctx, units...)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got); d != "" || got[units[0]].MainPID == 0 {
		t.Errorf("UnitStates under the sandbox (-systemctl +D-Bus):\n%s", d)
	}
}

// BenchmarkUnitObservation compares one observation over D-Bus with
// `systemctl show` in a throwaway host: a dry run's (one unit's states,
// as plans read them) and a health round's (the states of 1,000 units),
// also right after a daemon-reload. Run it with -benchtime 2s or so; the
// host boots once.
func BenchmarkUnitObservation(b *testing.B) {
	if !inHost(b, os.Stdout, "-test.run", "^$", "-test.bench", "^BenchmarkUnitObservation$", "-test.benchmem",
		"-test.benchtime", benchtime(), "-test.timeout", "4m") {
		return
	}
	ctx := context.Background()
	const n = 1000
	writeUnit(b, "mcbench@.service", "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n")
	hostSystemctl(b, "daemon-reload")
	units := make([]string, n)
	for i := range units {
		units[i] = fmt.Sprintf("mcbench@t%d.service", i)
	}
	hostSystemctl(b, append([]string{"start"}, units...)...)
	viaBus := busHost(b)
	// systemd computes a unit's UnitFileState on first read after each
	// daemon-reload (~3 ms of PID 1 each) and caches it; the warm rounds
	// measure the readers, the after-reload ones what a round costs then.
	if _, err := viaBus.UnitStates(ctx, units...); err != nil {
		b.Fatal(err)
	}
	for _, h := range []struct {
		name string
		host interface {
			UnitStates(context.Context, ...string) (map[string]api.UnitState, error)
		}
	}{{"dbus", viaBus}, {"systemctl", systemctlHost(b)}} {
		b.Run(h.name+"/states-1", func(b *testing.B) {
			for b.Loop() {
				if _, err := h.host.UnitStates(ctx, units[0]); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("%s/states-%d", h.name, n), func(b *testing.B) {
			for b.Loop() {
				sts, err := h.host.UnitStates(ctx, units...)
				if err != nil || len(sts) != n || sts[units[n-1]].ActiveState != "active" {
					b.Fatalf("%d states, %v", len(sts), err)
				}
			}
		})
		b.Run(fmt.Sprintf("%s/states-%d-after-reload", h.name, n), func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				hostSystemctl(b, "daemon-reload")
				b.StartTimer()
				if _, err := h.host.UnitStates(ctx, units...); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchtime passes -test.benchtime on to the benchmark inside the host.
func benchtime() string {
	if f := flag.Lookup("test.benchtime"); f != nil {
		return f.Value.String()
	}
	return "1s"
}

func TestUnitPath(t *testing.T) {
	t.Parallel()
	for unit, want := range map[string]dbus.ObjectPath{
		"missioncontrol-gateway@acme.service": "/org/freedesktop/systemd1/unit/missioncontrol_2dgateway_40acme_2eservice",
		"9lives.service":                      "/org/freedesktop/systemd1/unit/_39lives_2eservice",
		"a_b9.target":                         "/org/freedesktop/systemd1/unit/a_5fb9_2etarget",
		"":                                    "/org/freedesktop/systemd1/unit/_",
	} {
		if got := steps.UnitPath(unit); got != want {
			t.Errorf("UnitPath(%q) = %s, want %s", unit, got, want)
		}
	}
}

// fakeReader answers unit observations from fixed values.
type fakeReader struct {
	states map[string]api.UnitState
	run    steps.UnitRun
}

func (f fakeReader) ReadUnits(_ context.Context, units []string) (map[string]api.UnitState, error) {
	out := map[string]api.UnitState{}
	for _, u := range units {
		out[u] = f.states[u]
	}
	return out, nil
}

func (f fakeReader) ReadRun(context.Context, string) (steps.UnitRun, error) { return f.run, nil }

// A host whose systemd bus cannot be reached falls back to systemctl: the
// observation is still made, the slow way.
func TestHostFallsBackToSystemctl(t *testing.T) {
	t.Parallel()
	r := &showRunner{out: "LoadState=loaded\nActiveState=active\nSubState=running\nNeedDaemonReload=yes\nMainPID=7\n"}
	h := &steps.Host{Units: steps.NewSystemdBus(filepath.Join(t.TempDir(), "no-systemd")), Runner: r,
		Commands: steps.Commands{Systemctl: "/usr/bin/systemctl"}}
	sts, err := h.UnitStates(context.Background(), "gw@a.service")
	if err != nil || sts["gw@a.service"].ActiveState != "active" || r.argv == nil {
		t.Errorf("UnitStates = %+v, %v (ran %q); want systemctl's answer", sts, err, r.argv)
	}
	r.argv = nil
	f, err := h.UnitFreshness(context.Background(), "gw@a.service", nil)
	if err != nil || !f.NeedReload || r.argv == nil {
		t.Errorf("UnitFreshness = %+v, %v (ran %q); want systemctl's answer", f, err, r.argv)
	}
}

// With Units set, observations never run systemctl (the host has no
// runner), and a context's states still answer first.
func TestHostObservesThroughUnits(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	conf := steps.Anchor{Base: dir, Rel: "gateway.env"}
	if err := os.WriteFile(conf.Path(), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	started := time.Now().Add(-time.Hour)
	h := &steps.Host{Units: fakeReader{
		states: map[string]api.UnitState{"gw@a.service": {Unit: "gw@a.service", ActiveState: "active"}},
		run:    steps.UnitRun{MainPID: 7, Started: started},
	}}
	ctx := context.Background()
	sts, err := h.UnitStates(ctx, "gw@a.service")
	if err != nil || sts["gw@a.service"].ActiveState != "active" {
		t.Errorf("UnitStates = %+v, %v", sts, err)
	}
	cached := steps.WithUnitStates(ctx, map[string]api.UnitState{"gw@a.service": {Unit: "gw@a.service", ActiveState: "failed"}})
	if sts, err := h.UnitStates(cached, "gw@a.service"); err != nil || sts["gw@a.service"].ActiveState != "failed" {
		t.Errorf("UnitStates with context states = %+v, %v", sts, err)
	}
	f, err := h.UnitFreshness(ctx, "gw@a.service", []steps.Anchor{conf})
	if want := (steps.Freshness{StartedBefore: conf.Path()}); err != nil || f != want {
		t.Errorf("UnitFreshness = %+v, %v; want %+v", f, err, want)
	}
}
