package steps

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

// UnitReader observes units in-process, answering what `systemctl show`
// would print for them. It only reads: actions still run systemctl.
type UnitReader interface {
	// ReadUnits returns the state of every unit, keyed by name. A unit
	// systemd cannot find is LoadState "not-found", not an error.
	ReadUnits(ctx context.Context, units []string) (map[string]api.UnitState, error)
	// ReadRun returns what UnitFreshness compares for unit.
	ReadRun(ctx context.Context, unit string) (UnitRun, error)
}

var _ UnitReader = (*SystemdBus)(nil)

// UnitRun is what systemd reports about a unit's files and main process,
// for UnitFreshness.
type UnitRun struct {
	NeedReload bool      // NeedDaemonReload=yes
	MainPID    int       // 0 when no main process runs
	Started    time.Time // ExecMainStartTimestamp, microseconds; zero if never
}

// SystemdPrivateSocket is systemd's own D-Bus socket: root only, and it
// needs no dbus-daemon (systemctl itself uses it when run as root).
const SystemdPrivateSocket = "/run/systemd/private"

const (
	systemdDest   = "org.freedesktop.systemd1"
	unitIface     = "org.freedesktop.systemd1.Unit"
	serviceIface  = "org.freedesktop.systemd1.Service"
	propertiesGet = "org.freedesktop.DBus.Properties.Get"
	managerIface  = "org.freedesktop.systemd1.Manager"
	managerPath   = "/org/freedesktop/systemd1"
	// D-Bus errors that GetUnit and GetUnitFileState answer for a unit
	// that is not loaded, or has no file.
	errNoSuchUnit   = "org.freedesktop.systemd1.NoSuchUnit"
	errFileNotFound = "org.freedesktop.DBus.Error.FileNotFound"
	unitPathPrefix  = "/org/freedesktop/systemd1/unit/"
	// busTimeout bounds a call whose context has no deadline, as
	// systemctl's own default D-Bus timeout does.
	busTimeout = 25 * time.Second
)

// SystemdBus reads unit properties from systemd over one long-lived
// connection to its private socket, redialled when it breaks. It is safe
// for concurrent use.
//
// One read of a loaded unit costs PID 1 about 0.3 ms, where `systemctl
// show` costs it 4 to 5 ms (a connection of its own, and every property of
// the unit serialized) and the executor a process; no dbus-daemon is
// involved. On this socket systemd sends every signal to every connection
// (about 23 for one unit's restart), which the connection reads and drops:
// 1.3 % of the CPU samples of a 50-tenant apply (BENCHMARKS.md, round 4).
// On the system bus dbus-daemon would add 0.65 to 0.77 ms to every read,
// about as much over such an apply; the two were not compared end to end.
type SystemdBus struct {
	path string
	mu   sync.Mutex
	conn *dbus.Conn
}

// NewSystemdBus returns a bus for the socket at path that dials on its
// first read.
func NewSystemdBus(path string) *SystemdBus { return &SystemdBus{path: path} }

// DialSystemd connects to systemd's private socket at path (usually
// SystemdPrivateSocket) and asks systemd for its version, so a bus that
// answers is known to work. Outcomes: the bus and systemd's version; or an
// error if the socket cannot be reached, authentication fails or systemd
// does not answer before ctx ends.
func DialSystemd(ctx context.Context, path string) (*SystemdBus, string, error) {
	b := NewSystemdBus(path)
	conn, err := b.connection(ctx)
	if err != nil {
		return nil, "", err
	}
	ctx, cancel := withBusTimeout(ctx)
	defer cancel()
	var v dbus.Variant
	err = conn.Object(systemdDest, managerPath).CallWithContext(ctx, propertiesGet, 0, managerIface, "Version").Store(&v)
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

// read runs fn's calls on the connection. A connection that broke (not a
// D-Bus error reply: systemd re-executing closes it) is dropped, redialled
// and fn run again, once; one that did not answer before ctx ended is
// dropped too.
func (b *SystemdBus) read(ctx context.Context, fn func(ctx context.Context, conn *dbus.Conn) (broken bool, err error)) error {
	ctx, cancel := withBusTimeout(ctx)
	defer cancel()
	for attempt := 0; ; attempt++ {
		conn, err := b.connection(ctx)
		if err != nil {
			return err
		}
		broken, err := fn(ctx, conn)
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

// call is one pipelined D-Bus method call and what to do with its reply.
type call struct {
	what   string // for errors: "get UNIT IFACE.NAME"
	obj    dbus.BusObject
	method string
	args   []any
	// reply handles the answer; a D-Bus error reply it does not accept
	// (returns it) fails the read.
	reply func(c *dbus.Call) error
	c     *dbus.Call
}

// pipeline makes calls on conn at once and hands each its reply; broken
// reports a failure of the connection rather than an answer of systemd's.
func pipeline(ctx context.Context, calls []*call) (broken bool, err error) {
	for _, c := range calls {
		// A nil channel gives each call its own buffered one. Not
		// GoWithContext: it starts a goroutine per call; ctx is watched
		// below for all of them.
		c.c = c.obj.Go(c.method, 0, nil, c.args...)
	}
	failed := 0
	for _, c := range calls {
		select {
		case <-c.c.Done:
		case <-ctx.Done():
			// The remaining replies land in their buffered channels. A
			// connection that leaves calls unanswered is not trusted
			// again: the next observation dials afresh.
			return true, fmt.Errorf("systemd bus: %s: %w", c.what, ctx.Err())
		}
		cerr := c.reply(c.c)
		if cerr != nil {
			var reply dbus.Error
			broken = broken || !errors.As(cerr, &reply)
			if failed++; err == nil {
				err = fmt.Errorf("systemd bus: %s: %w", c.what, cerr)
			}
		}
	}
	if failed > 1 {
		// One broken connection fails every call: name the first.
		err = fmt.Errorf("%w (and %d more failed calls)", err, failed-1)
	}
	return broken, err
}

// getCalls reads props of unit, whose object is at path.
func getCalls(conn *dbus.Conn, unit string, path dbus.ObjectPath, props []prop) []*call {
	obj := conn.Object(systemdDest, path)
	out := make([]*call, 0, len(props))
	for _, p := range props {
		out = append(out, &call{
			what: "get " + unit + " " + p.iface + "." + p.name,
			obj:  obj, method: propertiesGet, args: []any{p.iface, p.name},
			reply: func(c *dbus.Call) error {
				var v dbus.Variant
				if err := c.Store(&v); err != nil {
					return err
				}
				return p.set(v)
			},
		})
	}
	return out
}

// isBusError reports whether err is a D-Bus error reply named one of names.
func isBusError(err error, names ...string) bool {
	var e dbus.Error
	return errors.As(err, &e) && slices.Contains(names, e.Name)
}

// ReadUnits reads the properties `systemctl show` reports in UnitStates.
// NRestarts and MainPID exist for services only and stay zero otherwise,
// as systemctl prints nothing for them.
//
// It first asks systemd which of the units it has loaded (GetUnit, which
// loads nothing), and reads properties of those only. A property read of a
// unit that is not loaded loads it, and systemd unloads it again at once:
// about 3 ms of PID 1 each time, and UnitNew and UnitRemoved sent to every
// client. A 50-tenant apply observes each new tenant's unit a dozen times
// before it starts, and reading six properties as six such loads is what
// doubled PID 1's CPU in round 3 (BENCHMARKS.md). A unit that is not loaded
// is inactive and dead, and its file state (GetUnitFileState, read from
// disk) says the rest, as systemctl show says after loading it: no file is
// LoadState "not-found", a masked one "masked", else "loaded". (A file
// systemd cannot parse shows as "loaded" here until something loads it; its
// start then fails and says why.)
func (b *SystemdBus) ReadUnits(ctx context.Context, units []string) (map[string]api.UnitState, error) {
	var states map[string]*api.UnitState
	err := b.read(ctx, func(ctx context.Context, conn *dbus.Conn) (bool, error) {
		states = make(map[string]*api.UnitState, len(units))
		paths := make(map[string]dbus.ObjectPath, len(units))
		mgr := conn.Object(systemdDest, managerPath)
		loaded := make([]*call, 0, len(units))
		for _, u := range units {
			states[u] = &api.UnitState{Unit: u}
			loaded = append(loaded, &call{
				what: "GetUnit " + u, obj: mgr, method: managerIface + ".GetUnit", args: []any{u},
				reply: func(c *dbus.Call) error {
					var p dbus.ObjectPath
					err := c.Store(&p)
					if err == nil {
						paths[u] = p
					}
					if isBusError(err, errNoSuchUnit) {
						return nil
					}
					return err
				},
			})
		}
		if broken, err := pipeline(ctx, loaded); err != nil {
			return broken, err
		}
		var reads []*call
		for _, u := range units {
			st := states[u]
			if p, ok := paths[u]; ok {
				reads = append(reads, getCalls(conn, u, p, stateProps(u, st))...)
				continue
			}
			reads = append(reads, &call{
				what: "GetUnitFileState " + u, obj: mgr, method: managerIface + ".GetUnitFileState", args: []any{u},
				reply: func(c *dbus.Call) error { return notLoaded(c, st) },
			})
		}
		return pipeline(ctx, reads)
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

// stateProps are the properties of a loaded unit that UnitStates reports.
func stateProps(unit string, st *api.UnitState) []prop {
	ps := []prop{
		{unitIface, "LoadState", setString(&st.LoadState)},
		{unitIface, "ActiveState", setString(&st.ActiveState)},
		{unitIface, "SubState", setString(&st.SubState)},
		{unitIface, "UnitFileState", setString(&st.Enabled)},
	}
	if isService(unit) {
		ps = append(ps,
			prop{serviceIface, "NRestarts", setUint32(&st.NRestarts)},
			prop{serviceIface, "MainPID", setUint32(&st.MainPID)})
	}
	return ps
}

// notLoaded fills st, a unit systemd has not loaded, from the reply to
// GetUnitFileState.
func notLoaded(c *dbus.Call, st *api.UnitState) error {
	var file string
	err := c.Store(&file)
	if err != nil && !isBusError(err, errFileNotFound, errNoSuchUnit) {
		return err
	}
	st.ActiveState, st.SubState = "inactive", "dead"
	switch {
	case err != nil:
		st.LoadState = "not-found"
	case strings.HasPrefix(file, "masked"):
		st.LoadState, st.Enabled = "masked", file
	default:
		st.LoadState, st.Enabled = "loaded", file
	}
	return nil
}

// ReadRun reads the properties UnitFreshness compares. It is asked about
// running units only, which are loaded.
func (b *SystemdBus) ReadRun(ctx context.Context, unit string) (UnitRun, error) {
	var r UnitRun
	var started uint64
	err := b.read(ctx, func(ctx context.Context, conn *dbus.Conn) (bool, error) {
		r, started = UnitRun{}, 0
		ps := []prop{{unitIface, "NeedDaemonReload", func(v dbus.Variant) error { return v.Store(&r.NeedReload) }}}
		if isService(unit) {
			ps = append(ps,
				prop{serviceIface, "MainPID", setUint32(&r.MainPID)},
				prop{serviceIface, "ExecMainStartTimestamp", func(v dbus.Variant) error { return v.Store(&started) }})
		}
		return pipeline(ctx, getCalls(conn, unit, UnitPath(unit), ps))
	})
	if err != nil {
		return UnitRun{}, err
	}
	// 0 and infinity mean never; systemctl prints an empty time for both.
	if started != 0 && started != math.MaxUint64 {
		r.Started = time.UnixMicro(int64(started)).UTC()
	}
	return r, nil
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

// busReadTimeout bounds a read of units over Host.Units before the
// observation asks systemctl instead: a call left unanswered must cost an
// observation seconds, not fail it. A read of 1,000 units takes about
// 0.3 s, 4 s right after a daemon-reload.
func busReadTimeout(units int) time.Duration {
	return 5*time.Second + time.Duration(units)*5*time.Millisecond
}
