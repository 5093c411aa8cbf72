package testhost

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// unitName is what InstallUnit accepts: a plain systemd unit file name.
var unitName = regexp.MustCompile(`^[A-Za-z0-9:_.\\@-]+\.(service|socket|timer|path|target|mount|slice)$`)

// InstallUnit writes content to /etc/systemd/system/NAME inside the host
// (atomically, mode 0644), runs `systemctl daemon-reload` and, unless NAME is
// a template ("x@.service"), `systemctl start NAME`. Outcomes: a bad name, a
// write error, or the failing systemctl command with its output; otherwise
// nil once systemctl start returned (for Type=simple that is as soon as the
// process was forked, so wait for what the unit provides, e.g. with
// WaitForSocket).
func (h *Host) InstallUnit(ctx context.Context, name string, content []byte) error {
	if !unitName.MatchString(name) {
		return fmt.Errorf("install unit %q: not a unit file name", name)
	}
	dir := filepath.Join(h.root(), "etc/systemd/system")
	f, err := os.CreateTemp(dir, ".mcth-unit-")
	if err != nil {
		return fmt.Errorf("install unit %s: %w", name, err)
	}
	_, err = f.Write(content)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), filepath.Join(dir, name))
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("install unit %s: %w", name, err)
	}
	steps := [][]string{{"systemctl", "daemon-reload"}}
	if !strings.Contains(name, "@.") {
		steps = append(steps, []string{"systemctl", "start", name})
	}
	for _, argv := range steps {
		if out, err := h.CommandContext(ctx, argv...).CombinedOutput(); err != nil {
			return fmt.Errorf("install unit %s: %s: %w\n%s", name, strings.Join(argv, " "), err, out)
		}
	}
	return nil
}

// WaitForSocket waits until a unix socket at hostPath (a path on the
// machine, e.g. under h.Share) accepts a connection. Outcomes: nil; an error
// when the host died; ctx's error (wrapped) when ctx ends first.
func (h *Host) WaitForSocket(ctx context.Context, hostPath string) error {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var d net.Dialer
	for {
		c, err := d.DialContext(ctx, "unix", hostPath)
		if err == nil {
			return c.Close()
		}
		if !h.alive() {
			return fmt.Errorf("wait for socket %s: throwaway host %s is not running", hostPath, h.Name)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for socket %s: %w (last dial: %v)", hostPath, ctx.Err(), err)
		case <-tick.C:
		}
	}
}
