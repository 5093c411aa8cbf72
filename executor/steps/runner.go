package steps

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
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
	// Verified, when set, remembers files that matched their pin by
	// identity, so that an unchanged systemctl is not re-hashed before
	// each of the thousands of runs a busy executor makes.
	Verified *VerifiedFiles
}

// VerifiedFiles remembers which opened files hashed to their pin, by the
// identity fstat gives the opened descriptor: device, inode, size, mtime
// and ctime. Any write, truncation, chmod or rename over the file changes
// its ctime, which only the kernel sets, so a changed file is hashed again.
type VerifiedFiles struct {
	mu    sync.Mutex
	files map[fileID]string // identity -> sha256 it had
}

type fileID struct {
	dev, ino     uint64
	size         int64
	mtime, ctime int64
}

func identify(f *os.File) (fileID, bool) {
	fi, err := f.Stat()
	if err != nil {
		return fileID{}, false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileID{}, false
	}
	return fileID{dev: st.Dev, ino: st.Ino, size: st.Size, mtime: st.Mtim.Nano(), ctime: st.Ctim.Nano()}, true
}

// matches reports whether f was already verified to hash to want.
func (v *VerifiedFiles) matches(f *os.File, want string) bool {
	if v == nil {
		return false
	}
	id, ok := identify(f)
	if !ok {
		return false
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.files[id] == want
}

// remember records that f, unchanged since it was hashed, hashes to sum.
func (v *VerifiedFiles) remember(f *os.File, before fileID, sum string) {
	if v == nil {
		return
	}
	if after, ok := identify(f); !ok || after != before {
		return // changed while it was hashed
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.files == nil {
		v.files = map[fileID]string{}
	}
	v.files[before] = sum
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
		if !r.Verified.matches(f, want) {
			before, _ := identify(f)
			h := sha256.New()
			if _, err := io.Copy(h, f); err != nil {
				return res, fmt.Errorf("hash %s: %w", argv[0], err)
			}
			got := hex.EncodeToString(h.Sum(nil))
			if got != want {
				return res, fmt.Errorf("run %s: %w (sha256 %s, pinned %s)", argv[0], ErrPinMismatch, got, want)
			}
			r.Verified.remember(f, before, got)
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
