//go:build !faultinject

package fault

import (
	"fmt"
	"log/slog"
)

// Enabled reports whether this build has fault injection (tag faultinject).
const Enabled = false

// Injector is inert in this build.
type Injector struct{}

// New returns nil for "", and otherwise an error: this build has no fault
// injection, and a test that asked for it must not pass by accident.
func New(path string, _ *slog.Logger) (*Injector, error) {
	if path == "" {
		return nil, nil
	}
	return nil, fmt.Errorf("%s is set (%s), but this executor was built without fault injection (go build -tags faultinject); refusing to start", EnvFile, path)
}

// At does nothing.
func (*Injector) At(Point) {}
