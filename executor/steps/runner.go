package steps

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// Result is the outcome of one command.
type Result struct {
	Argv     []string
	ExitCode int
	Stdout   []byte
	Stderr   []byte
	Duration time.Duration
}

// Runner runs one command given as argv (absolute path first).
type Runner interface {
	Run(ctx context.Context, argv []string) (Result, error)
}

// ErrUnpinned is returned when a command is not pinned by the policy.
var ErrUnpinned = errors.New("command not pinned by policy")

// ErrPinMismatch is returned when a command's file does not hash to its pin.
var ErrPinMismatch = errors.New("command does not match its sha256 pin")

// ExecRunner runs commands on this host with an empty environment and "/" as
// working directory. When Pins is non-nil, only pinned paths run: the file is
// opened once, hashed through that descriptor, and the same descriptor is
// executed (/proc/self/fd), so the file that runs is the file that was checked.
type ExecRunner struct {
	Pins    map[string]string // absolute path -> sha256 hex
	Timeout time.Duration     // per command; 0 means 2 minutes
	// Hashes, when set, remembers the sha256 of unchanged files, so that
	// systemctl is not re-hashed before each of the thousands of runs a
	// busy executor makes.
	Hashes *FileHashes
}

// Run executes argv. A non-zero exit status is not an error: it is reported
// in Result.ExitCode. Errors mean the command could not run at all.
func (r ExecRunner) Run(ctx context.Context, argv []string) (Result, error) {
	res := Result{Argv: argv, ExitCode: -1}
	if len(argv) == 0 || !filepath.IsAbs(argv[0]) || filepath.Clean(argv[0]) != argv[0] {
		return res, fmt.Errorf("run %q: command must be an absolute clean path", argv)
	}
	timeout := r.Timeout
	if timeout == 0 {
		timeout = 2 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	cmd := exec.CommandContext(ctx, argv[0])
	cmd.Args, cmd.Env, cmd.Dir = argv, []string{}, "/"
	if r.Pins != nil {
		want, ok := r.Pins[argv[0]]
		if !ok {
			return res, fmt.Errorf("run %s: %w", argv[0], ErrUnpinned)
		}
		f, err := os.Open(argv[0])
		if err != nil {
			return res, fmt.Errorf("run %s: %w", argv[0], err)
		}
		defer f.Close()
		got, err := r.Hashes.SumOpen(f)
		if err != nil {
			return res, fmt.Errorf("hash %s: %w", argv[0], err)
		}
		if got != want {
			return res, fmt.Errorf("run %s: %w (sha256 %s, pinned %s)", argv[0], ErrPinMismatch, got, want)
		}
		// The child gets the verified descriptor as fd 3 and execs it.
		cmd.Path = "/proc/self/fd/3"
		cmd.ExtraFiles = []*os.File{f}
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	res.Duration = time.Since(start)
	res.Stdout, res.Stderr = stdout.Bytes(), stderr.Bytes()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		res.ExitCode = 0
	case errors.As(err, &exitErr):
		res.ExitCode = exitErr.ExitCode()
		if ctx.Err() != nil {
			return res, fmt.Errorf("run %s: %w", argv[0], ctx.Err())
		}
	default:
		return res, fmt.Errorf("run %s: %w", argv[0], err)
	}
	return res, nil
}
