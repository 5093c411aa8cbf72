package steps

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

// UnitRun is what `systemctl show` reports about a unit's files and main
// process, for UnitFreshness.
type UnitRun struct {
	NeedReload bool      // NeedDaemonReload=yes
	MainPID    int       // 0 when no main process runs
	Started    time.Time // ExecMainStartTimestamp, microseconds; zero if never
}

// SystemdPrivateSocket is systemd's own D-Bus socket: root only, and it
// needs no dbus-daemon (systemctl itself uses it when run as root).
const SystemdPrivateSocket = "/run/systemd/private"

const (
	systemdDest    = "org.freedesktop.systemd1"
	unitIface      = "org.freedesktop.systemd1.Unit"
	serviceIface   = "org.freedesktop.systemd1.Service"
	propertiesGet  = "org.freedesktop.DBus.Properties.Get"
	unitPathPrefix = "/org/freedesktop/systemd1/unit/"
	// busTimeout bounds a call whose context has no deadline, as
	// systemctl's own default D-Bus timeout does.
	busTimeout = 25 * time.Second
)

// SystemdBus reads unit properties from systemd over one connection to its
// private socket, redialled when it breaks. BusRounds opens one per health
// round. It is safe for concurrent use.
type SystemdBus struct {
	path string
	mu   sync.Mutex
	conn *dbus.Conn
}

// DialSystemd connects to systemd's private socket at path (usually
// SystemdPrivateSocket) and asks systemd for its version, so a bus that
// answers is known to work. Outcomes: the bus and systemd's version; or an
// error if the socket cannot be reached, authentication fails or systemd
// does not answer before ctx ends.
func DialSystemd(ctx context.Context, path string) (*SystemdBus, string, error) {
	b := &SystemdBus{path: path}
	conn, err := b.connection(ctx)
	if err != nil {
		return nil, "", err
	}
	ctx, cancel := withBusTimeout(ctx)
	defer cancel()
	var v dbus.Variant
	err = conn.Object(systemdDest, "/org/freedesktop/systemd1").
		CallWithContext(ctx, propertiesGet, 0, "org.freedesktop.systemd1.Manager", "Version").Store(&v)
	if err != nil {
		b.Close()
		return nil, "", fmt.Errorf("systemd bus %s: get Version: %w", path, err)
	}
	version, _ := v.Value().(string)
	return b, version, nil
}

// Close closes the connection; a later read dials again.
func (b *SystemdBus) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.conn == nil {
		return nil
	}
	err := b.conn.Close()
	b.conn = nil
	return err
}

// connection returns the open connection, dialling a new one if there is
// none or the last one broke.
func (b *SystemdBus) connection(ctx context.Context) (*dbus.Conn, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.conn != nil && b.conn.Connected() {
		return b.conn, nil
	}
	if b.conn != nil {
		b.conn.Close()
		b.conn = nil
	}
	ctx, cancel := withBusTimeout(ctx)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", b.path)
	if err != nil {
		return nil, fmt.Errorf("systemd bus: %w", err)
	}
	uc := c.(*net.UnixConn)
	// Authentication reads from systemd without a context of its own.
	if dl, ok := ctx.Deadline(); ok {
		uc.SetDeadline(dl)
	}
	conn, err := dbus.DialUnix(uc)
	if err != nil {
		uc.Close()
		return nil, fmt.Errorf("systemd bus %s: %w", b.path, err)
	}
	// The private socket is a direct connection to systemd, not a bus:
	// EXTERNAL authentication (peer credentials), and no Hello.
	if err := conn.Auth([]dbus.Auth{dbus.AuthExternal(strconv.Itoa(os.Geteuid()))}); err != nil {
		conn.Close()
		return nil, fmt.Errorf("systemd bus %s: authenticate: %w", b.path, err)
	}
	uc.SetDeadline(time.Time{})
	b.conn = conn
	return conn, nil
}

func withBusTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, busTimeout)
}

// prop is one property to read and where its value goes.
type prop struct {
	iface, name string
	set         func(dbus.Variant) error
}

// get reads props of the units (all calls pipelined on one connection).
// A connection that broke (not a D-Bus error reply: systemd re-executing
// closes it) is dropped, redialled and the calls made again, once; one that
// did not answer before ctx ended is dropped too.
func (b *SystemdBus) get(ctx context.Context, units []string, props func(unit string) []prop) error {
	ctx, cancel := withBusTimeout(ctx)
	defer cancel()
	for attempt := 0; ; attempt++ {
		conn, err := b.connection(ctx)
		if err != nil {
			return err
		}
		broken, err := getProps(ctx, conn, units, props)
		if broken {
			b.drop(conn)
		}
		if !broken || attempt > 0 || ctx.Err() != nil {
			return err
		}
	}
}

// drop closes conn if it is still the current connection.
func (b *SystemdBus) drop(conn *dbus.Conn) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.conn == conn {
		b.conn.Close()
		b.conn = nil
	}
}

// getProps makes the calls; broken reports a failure of the connection
// rather than an answer of systemd's.
func getProps(ctx context.Context, conn *dbus.Conn, units []string, props func(unit string) []prop) (broken bool, err error) {
	type pending struct {
		unit string
		p    prop
		call *dbus.Call
	}
	var calls []pending
	for _, u := range units {
		// Object paths of units are what systemctl show reads too: reading
		// one loads the unit (a missing one as LoadState "not-found").
		obj := conn.Object(systemdDest, UnitPath(u))
		for _, p := range props(u) {
			// A nil channel gives each call its own buffered one. Not
			// GoWithContext: it starts a goroutine per call; ctx is
			// watched below for all of them.
			c := obj.Go(propertiesGet, 0, nil, p.iface, p.name)
			calls = append(calls, pending{u, p, c})
		}
	}
	failed := 0
	for _, c := range calls {
		select {
		case <-c.call.Done:
		case <-ctx.Done():
			// The remaining replies land in their buffered channels. A
			// connection that leaves calls unanswered is not trusted
			// again: the next observation dials afresh.
			return true, fmt.Errorf("systemd bus: get %s %s.%s: %w", c.unit, c.p.iface, c.p.name, ctx.Err())
		}
		var v dbus.Variant
		cerr := c.call.Store(&v)
		if cerr == nil {
			cerr = c.p.set(v)
		} else {
			var reply dbus.Error
			broken = broken || !errors.As(cerr, &reply)
		}
		if cerr != nil {
			if failed++; err == nil {
				err = fmt.Errorf("systemd bus: get %s %s.%s: %w", c.unit, c.p.iface, c.p.name, cerr)
			}
		}
	}
	if failed > 1 {
		// One broken connection fails every call: name the first.
		err = fmt.Errorf("%w (and %d more failed calls)", err, failed-1)
	}
	return broken, err
}

// ReadUnits reads the properties `systemctl show` reports in UnitStates.
// NRestarts and MainPID exist for services only and stay zero otherwise,
// as systemctl prints nothing for them.
func (b *SystemdBus) ReadUnits(ctx context.Context, units []string) (map[string]api.UnitState, error) {
	states := make(map[string]*api.UnitState, len(units))
	for _, u := range units {
		states[u] = &api.UnitState{Unit: u}
	}
	err := b.get(ctx, units, func(u string) []prop {
		st := states[u]
		ps := []prop{
			{unitIface, "LoadState", setString(&st.LoadState)},
			{unitIface, "ActiveState", setString(&st.ActiveState)},
			{unitIface, "SubState", setString(&st.SubState)},
			{unitIface, "UnitFileState", setString(&st.Enabled)},
		}
		if isService(u) {
			ps = append(ps,
				prop{serviceIface, "NRestarts", setUint32(&st.NRestarts)},
				prop{serviceIface, "MainPID", setUint32(&st.MainPID)})
		}
		return ps
	})
	if err != nil {
		return nil, err
	}
	out := make(map[string]api.UnitState, len(units))
	for u, st := range states {
		out[u] = *st
	}
	return out, nil
}

func isService(unit string) bool { return strings.HasSuffix(unit, ".service") }

func setString(dst *string) func(dbus.Variant) error {
	return func(v dbus.Variant) error { return v.Store(dst) }
}

func setUint32(dst *int) func(dbus.Variant) error {
	return func(v dbus.Variant) error {
		var n uint32
		if err := v.Store(&n); err != nil {
			return err
		}
		*dst = int(n)
		return nil
	}
}

// UnitPath is the D-Bus object path of unit, escaped as systemd's
// bus_label_escape does: every byte but ASCII letters, and digits after the
// first byte, becomes _xx (lowercase hex).
func UnitPath(unit string) dbus.ObjectPath {
	if unit == "" {
		return unitPathPrefix + "_"
	}
	var sb strings.Builder
	sb.WriteString(unitPathPrefix)
	for i := 0; i < len(unit); i++ {
		c := unit[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9' {
			sb.WriteByte(c)
			continue
		}
		fmt.Fprintf(&sb, "_%02x", c)
	}
	return dbus.ObjectPath(sb.String())
}

// busReadTimeout bounds a round's read over D-Bus before it asks systemctl
// instead: a call left unanswered (godbus dropped an error reply of
// systemd's in tests) must cost the round seconds, not fail it. A read of
// 1,000 units takes about 0.3 s, 4 s right after a daemon-reload.
func busReadTimeout(units int) time.Duration {
	return 5*time.Second + time.Duration(units)*5*time.Millisecond
}

// BusRounds answers UnitStates for a health round, all tenants' units at
// once, over a connection of its own to systemd (Path, usually
// SystemdPrivateSocket) that the round closes: 1,000 units in about 0.3 s
// where one `systemctl show` of them took 2.4 to 3.1 s. If that read fails
// it asks Fallback (the Host, which runs systemctl).
//
// Plans do not read units this way: with a long-lived connection to
// systemd open (on its private socket, or on the system bus), a
// 50-tenant apply cost PID 1 twice the CPU (20.7 s instead of 10.2 s) and
// took 32.5 s instead of 21.0 s (BENCHMARKS.md), for a saving of under
// 1 s of CPU per no-change plan.
type BusRounds struct {
	Path     string
	Fallback interface {
		UnitStates(ctx context.Context, units ...string) (map[string]api.UnitState, error)
	}
}

// UnitStates reads units over a new connection, or through Fallback.
func (r BusRounds) UnitStates(ctx context.Context, units ...string) (map[string]api.UnitState, error) {
	bctx, cancel := context.WithTimeout(ctx, busReadTimeout(len(units)))
	defer cancel()
	bus, _, err := DialSystemd(bctx, r.Path)
	if err == nil {
		states, err := bus.ReadUnits(bctx, units)
		bus.Close()
		if err == nil {
			return states, nil
		}
	}
	return r.Fallback.UnitStates(ctx, units...)
}
