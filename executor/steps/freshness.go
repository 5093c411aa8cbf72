package steps

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Freshness says whether a unit runs what is on disk now. A crash between
// writing a unit's file and the daemon-reload or restart that the change
// causes leaves the file right and the unit stale; a later plan sees no file
// to change, so it must look at the unit itself to plan the step the crash
// skipped.
type Freshness struct {
	// NeedReload: systemd reports that the unit's files changed on disk
	// since it loaded them (NeedDaemonReload=yes).
	NeedReload bool
	// StartedBefore is the newest of the files given to UnitFreshness that
	// changed after the unit's main process started (zero if none did, or if
	// the unit runs no process).
	StartedBefore string
}

// startLayout is how `systemctl show --timestamp=us+utc` prints a time.
const startLayout = "Mon 2006-01-02 15:04:05.000000 MST"

// UnitFreshness observes unit and compares the start of its main process
// with the modification times of files (missing files are ignored). It asks
// h.Units when set, else runs `systemctl show`, and never changes anything.
//
// Outcomes: the freshness; or an error if systemd cannot be asked or
// systemctl prints a start time it cannot read. A wall clock stepped
// backwards can make a unit look stale once; the restart that a plan then
// adds makes it fresh.
func (h *Host) UnitFreshness(ctx context.Context, unit string, files []Anchor) (Freshness, error) {
	run, err := h.readRun(ctx, unit)
	if err != nil {
		return Freshness{}, err
	}
	f := Freshness{NeedReload: run.NeedReload}
	if run.Started.IsZero() || run.MainPID == 0 {
		return f, nil
	}
	var newest time.Time
	for _, a := range files {
		mt, err := modTime(a)
		if err != nil {
			return Freshness{}, err
		}
		// systemd keeps microseconds; a file written in the same
		// microsecond as the start counts as read by it.
		if mt.Truncate(time.Microsecond).After(run.Started) && mt.After(newest) {
			newest, f.StartedBefore = mt, a.Path()
		}
	}
	return f, nil
}

// readRun reads what UnitFreshness compares: over h.Units when set, with
// `systemctl show` when not, or when that read fails (see busReadTimeout).
func (h *Host) readRun(ctx context.Context, unit string) (UnitRun, error) {
	if h.Units != nil {
		bctx, cancel := context.WithTimeout(ctx, busReadTimeout(1))
		run, err := h.Units.ReadRun(bctx, unit)
		cancel()
		if err == nil || ctx.Err() != nil {
			return run, err
		}
	}
	return h.showRun(ctx, unit)
}

// showRun reads what UnitFreshness compares with `systemctl show`.
func (h *Host) showRun(ctx context.Context, unit string) (UnitRun, error) {
	argv := []string{h.Commands.Systemctl, "show", "--timestamp=us+utc", "--property=NeedDaemonReload,ExecMainStartTimestamp,MainPID", "--", unit}
	res, err := h.Runner.Run(ctx, argv)
	if err != nil {
		return UnitRun{}, fmt.Errorf("systemctl show %s: %w", unit, err)
	}
	if res.ExitCode != 0 {
		return UnitRun{}, fmt.Errorf("systemctl show %s: exit %d: %s", unit, res.ExitCode, bytes.TrimSpace(res.Stderr))
	}
	var run UnitRun
	var started string
	for _, line := range strings.Split(string(res.Stdout), "\n") {
		k, v, _ := strings.Cut(strings.TrimSpace(line), "=")
		switch k {
		case "NeedDaemonReload":
			run.NeedReload = v == "yes"
		case "ExecMainStartTimestamp":
			started = v
		case "MainPID":
			run.MainPID, _ = strconv.Atoi(v)
		}
	}
	if started == "" || run.MainPID == 0 {
		return run, nil
	}
	if run.Started, err = time.Parse(startLayout, started); err != nil {
		return UnitRun{}, fmt.Errorf("systemctl show %s: start time %q: %w", unit, started, err)
	}
	return run, nil
}

// modTime is the anchored path's modification time, zero if it is missing.
func modTime(a Anchor) (time.Time, error) {
	r, err := a.open()
	if errors.Is(err, fs.ErrNotExist) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, err
	}
	defer r.Close()
	fi, err := r.Lstat(a.Rel)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("stat %s: %w", a.Path(), err)
	}
	return fi.ModTime(), nil
}
