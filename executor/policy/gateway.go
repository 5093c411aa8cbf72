package policy

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

// GatewayFiles returns the files of a gateway argv the policy must pin:
// the executable and every later argument that is an absolute path (the
// script node runs: openclaw.mjs). systemd, not the executor, executes
// them, so the runner's pins do not cover them.
func GatewayFiles(argv []string) []string {
	var out []string
	for i, a := range argv {
		if i == 0 || (filepath.IsAbs(a) && filepath.Clean(a) == a) {
			out = append(out, a)
		}
	}
	return out
}

// CheckGateway refuses a gateway start unless every file of argv is pinned
// by a command block and still hashes to its pin on this host: an upgrade
// of the runtime must be reviewed (policy pin) before any tenant runs it.
func (p *Policy) CheckGateway(argv []string, hash func(path string) (string, error)) *api.Error {
	pins := p.Pins()
	for _, f := range GatewayFiles(argv) {
		pin, ok := pins[f]
		if !ok {
			return deny("gateway.command", "command", f,
				"gateway file %s is not pinned: add `command %q { sha256 = \"\" }` to the policy and run: missioncontrol-executor policy pin --write FILE", f, f)
		}
		got, err := hash(f)
		if err != nil {
			return deny("gateway.command", "command", f, "gateway file %s cannot be checked against its pin: %v", f, err)
		}
		if got != pin {
			return deny("gateway.command", "command", f,
				"gateway file %s has sha256 %s, the policy pins %s: review the runtime change, then re-pin the policy", f, got, pin)
		}
	}
	return nil
}

// HashCache remembers HashFile results per file identity, so that plans
// that start gateways do not re-read a 120 MB node binary each time. The
// key includes the inode change time, which only the kernel sets: any
// write, rename over or chmod of the file changes it.
type HashCache struct {
	mu   sync.Mutex
	sums map[string]cachedSum
}

type cachedSum struct {
	dev, ino uint64
	size     int64
	mtime    int64
	ctime    int64
	sum      string
}

// Hash returns HashFile(path), from the cache when the file (after
// symlinks) is unchanged.
func (c *HashCache) Hash(path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("hash command: %w", err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return HashFile(path)
	}
	key := cachedSum{dev: st.Dev, ino: st.Ino, size: st.Size,
		mtime: st.Mtim.Nano(), ctime: st.Ctim.Nano()}
	c.mu.Lock()
	prev, hit := c.sums[path]
	c.mu.Unlock()
	if hit && prev.dev == key.dev && prev.ino == key.ino && prev.size == key.size &&
		prev.mtime == key.mtime && prev.ctime == key.ctime {
		return prev.sum, nil
	}
	sum, err := HashFile(path)
	if err != nil {
		return "", err
	}
	if after, err := os.Stat(path); err != nil || !os.SameFile(fi, after) || after.ModTime() != fi.ModTime() ||
		after.Size() != fi.Size() || after.Sys().(*syscall.Stat_t).Ctim != st.Ctim {
		return sum, nil // changed while hashing: do not remember
	}
	key.sum = sum
	c.mu.Lock()
	if c.sums == nil {
		c.sums = map[string]cachedSum{}
	}
	c.sums[path] = key
	c.mu.Unlock()
	return sum, nil
}
