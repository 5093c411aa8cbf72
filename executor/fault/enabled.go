//go:build faultinject

package fault

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"syscall"
)

// Enabled reports whether this build has fault injection (tag faultinject).
const Enabled = true

// Injector kills the process at the point its trigger file names.
type Injector struct {
	file string
	log  *slog.Logger
}

// New returns an injector reading the trigger file path, or nil for "".
func New(path string, log *slog.Logger) (*Injector, error) {
	if path == "" {
		return nil, nil
	}
	return &Injector{file: path, log: log}, nil
}

// At is called at every crash point. When the trigger file names this point
// it removes the file and sends SIGKILL to its own process; At then never
// returns. An unreadable or malformed trigger file is logged and ignored.
func (in *Injector) At(p Point) {
	if in == nil {
		return
	}
	b, err := os.ReadFile(in.file)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			in.log.Error("fault injection: read trigger", "file", in.file, "error", err)
		}
		return
	}
	want, err := ParsePoint(string(b))
	if err != nil {
		in.log.Error("fault injection: trigger", "file", in.file, "error", err)
		return
	}
	if want != p {
		return
	}
	// One shot: the trigger goes before the process does, so the restarted
	// executor and the retry are not killed again.
	if err := os.Remove(in.file); err != nil {
		in.log.Error("fault injection: remove trigger", "file", in.file, "error", err)
		return
	}
	in.log.Warn("fault injection: SIGKILL", "point", p.String())
	if err := syscall.Kill(os.Getpid(), syscall.SIGKILL); err != nil {
		panic(fmt.Sprintf("fault injection at %s: kill: %v", p, err))
	}
	select {} // the signal is on its way; nothing more of this job may run
}
