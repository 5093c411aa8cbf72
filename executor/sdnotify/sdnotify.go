package sdnotify

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"time"
)

// States the executor reports (sd_notify(3)).
const (
	Ready    = "READY=1"
	Stopping = "STOPPING=1"
	Watchdog = "WATCHDOG=1"
)

// Notifier sends states to one notification socket.
type Notifier struct {
	// Socket is NOTIFY_SOCKET: a path, or "@name" for an abstract socket.
	// Empty makes every Notify a no-op.
	Socket string
	// WatchdogInterval is WATCHDOG_USEC as a duration; zero when the unit
	// has no watchdog (or it is meant for another process).
	WatchdogInterval time.Duration
}

// FromEnv reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID through
// getenv (os.Getenv in the executor) for the process pid. A watchdog meant
// for another pid is ignored, as sd_watchdog_enabled(3) does.
//
// Outcomes: a Notifier (a no-op one when systemd did not ask for
// notifications); or an error when WATCHDOG_USEC or WATCHDOG_PID is not a
// positive number.
func FromEnv(getenv func(string) string, pid int) (Notifier, error) {
	n := Notifier{Socket: getenv("NOTIFY_SOCKET")}
	usec := getenv("WATCHDOG_USEC")
	if usec == "" {
		return n, nil
	}
	if p := getenv("WATCHDOG_PID"); p != "" {
		wpid, err := strconv.Atoi(p)
		if err != nil || wpid <= 0 {
			return Notifier{}, fmt.Errorf("WATCHDOG_PID %q: not a process id", p)
		}
		if wpid != pid {
			return n, nil
		}
	}
	us, err := strconv.ParseInt(usec, 10, 64)
	if err != nil || us <= 0 {
		return Notifier{}, fmt.Errorf("WATCHDOG_USEC %q: not a positive number of microseconds", usec)
	}
	n.WatchdogInterval = time.Duration(us) * time.Microsecond
	return n, nil
}

// Notify sends state as one datagram.
//
// Outcomes: (false, nil) when there is no socket to notify; (false, err)
// when the socket cannot be reached or the write fails; (true, nil) when
// systemd has the message.
func (n Notifier) Notify(state string) (bool, error) {
	if n.Socket == "" {
		return false, nil
	}
	addr := &net.UnixAddr{Name: n.Socket, Net: "unixgram"}
	if addr.Name[0] == '@' {
		addr.Name = "\x00" + addr.Name[1:]
	}
	conn, err := net.DialUnix("unixgram", nil, addr)
	if err != nil {
		return false, fmt.Errorf("sd_notify %s: %w", state, err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(state)); err != nil {
		return false, fmt.Errorf("sd_notify %s: %w", state, err)
	}
	return true, nil
}

// RunWatchdog sends WATCHDOG=1 every half WatchdogInterval until ctx ends,
// as long as alive reports no error: a wedged executor (alive fails or
// blocks) stops pinging and systemd restarts it. It returns at once when
// the unit has no watchdog. Send errors go to onErr (may be nil).
func (n Notifier) RunWatchdog(ctx context.Context, alive func(context.Context) error, onErr func(error)) {
	if n.WatchdogInterval <= 0 || n.Socket == "" {
		return
	}
	period := n.WatchdogInterval / 2
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		cctx, cancel := context.WithTimeout(ctx, period)
		err := alive(cctx)
		cancel()
		if err == nil {
			_, err = n.Notify(Watchdog)
		}
		if err != nil && onErr != nil {
			onErr(err)
		}
	}
}
