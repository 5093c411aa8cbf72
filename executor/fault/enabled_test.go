//go:build faultinject

package fault

import (
	"errors"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// The child half of TestInjectorKills: reach two points, the second of
// which is the trigger's.
func TestMain(m *testing.M) {
	if f := os.Getenv("FAULT_TEST_CHILD"); f != "" {
		in, err := New(f, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			panic(err)
		}
		in.At(Point{"acme", Before, 2})
		os.Stdout.WriteString("passed before 2\n")
		in.At(Point{"acme", After, 2})
		os.Stdout.WriteString("survived after 2\n")
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestInjectorKills(t *testing.T) {
	trigger := filepath.Join(t.TempDir(), "fault")
	if err := os.WriteFile(trigger, []byte("acme after 2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run", "^$")
	cmd.Env = append(os.Environ(), "FAULT_TEST_CHILD="+trigger)
	out, err := cmd.Output()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child: %v, want death by SIGKILL; output %q", err, out)
	}
	if string(out) != "passed before 2\n" {
		t.Errorf("child output %q: it must pass the other point and die at the trigger's", out)
	}
	if _, err := os.Stat(trigger); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the trigger file is still there (%v): it must fire once", err)
	}
}
