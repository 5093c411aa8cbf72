package testhost

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// sudoSeedScript runs chroot'ed in mkseed.sh's throwaway overlay of "/".
// The machine's apt lists are used when present; otherwise they are fetched
// into the overlay only.
const sudoSeedScript = `if ! ls /var/lib/apt/lists/*_Packages* >/dev/null 2>&1; then apt-get update -q; fi
apt-get install -y -q --no-install-recommends sudo
test -x /usr/sbin/visudo`

// SudoSeed returns the path of a seed layer (for Options.Seeds) that adds
// Debian's sudo package, and with it /usr/sbin/visudo, to a throwaway host.
// It is built once with mkseed.sh (apt-get in a throwaway overlay; sudo is
// never installed on the machine itself) and cached as
// CacheDir/seed-sudo.tar. It is rebuilt when missing or when the machine's
// package set (/var/lib/dpkg/status) or the build script changed, since the
// layer carries its own copy of the dpkg database. Concurrent callers, in
// this or other processes, wait for one build (flock on seed-sudo.lock).
// Outcomes: the path; an error matching ErrUnavailable; ctx's error while
// waiting for another build; or the build error with its output (e.g. no
// network for apt).
func SudoSeed(ctx context.Context) (string, error) {
	return buildSeed(ctx, "sudo", sudoSeedScript)
}

func buildSeed(ctx context.Context, name, script string) (string, error) {
	if err := Available(); err != nil {
		return "", err
	}
	scripts, err := scriptsDir()
	if err != nil {
		return "", err
	}
	out := filepath.Join(CacheDir, "seed-"+name+".tar")
	key, err := seedKey(scripts, script)
	if err != nil {
		return "", fmt.Errorf("seed %s: %w", name, err)
	}
	if seedFresh(out, key) {
		return out, nil
	}
	if err := os.MkdirAll(CacheDir, 0o755); err != nil {
		return "", fmt.Errorf("seed %s: %w", name, err)
	}
	unlock, err := lockFile(ctx, filepath.Join(CacheDir, "seed-"+name+".lock"))
	if err != nil {
		return "", fmt.Errorf("seed %s: %w", name, err)
	}
	defer unlock()
	if seedFresh(out, key) { // built by whoever held the lock
		return out, nil
	}
	os.Remove(out + ".key")
	cmd := exec.CommandContext(ctx, "/bin/bash", filepath.Join(scripts, "mkseed.sh"), out, script)
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build seed %s: %w\n%s", name, err, strings.TrimSpace(string(b)))
	}
	if err := os.WriteFile(out+".key", []byte(key+"\n"), 0o644); err != nil {
		return "", fmt.Errorf("seed %s: %w", name, err)
	}
	return out, nil
}

func seedKey(scripts, script string) (string, error) {
	h := sha256.New()
	mk, err := os.ReadFile(filepath.Join(scripts, "mkseed.sh"))
	if err != nil {
		return "", err
	}
	status, err := os.ReadFile("/var/lib/dpkg/status")
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	for _, part := range [][]byte{mk, []byte(script), status} {
		fmt.Fprintf(h, "%d\x00", len(part))
		h.Write(part)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func seedFresh(out, key string) bool {
	b, err := os.ReadFile(out + ".key")
	if err != nil || !bytes.Equal(bytes.TrimSpace(b), []byte(key)) {
		return false
	}
	fi, err := os.Stat(out)
	return err == nil && fi.Size() > 0
}

// lockFile takes an exclusive flock on path, polling so that ctx can end the
// wait. The returned function releases it.
func lockFile(ctx context.Context, path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}
