package openclaw

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Pinned versions; scripts/install-openclaw.sh installs exactly these.
const (
	Version     = "2026.9.6"
	NodeVersion = "24.22.3"
)

// DefaultPrefix is where scripts/install-openclaw.sh installs the runtime.
const DefaultPrefix = "/opt/missioncontrol/openclaw"

// Runtime is an installed OpenClaw runtime: Node at <prefix>/node/bin/node
// and the OpenClaw package at <prefix>/node_modules/openclaw.
type Runtime struct {
	Prefix string
}

// Node is the absolute path of the node binary.
func (r Runtime) Node() string { return filepath.Join(r.Prefix, "node", "bin", "node") }

// NodeBinDir is the directory of the node binary; it goes first on the
// gateway's PATH so everything OpenClaw spawns (npm, node) runs on it.
func (r Runtime) NodeBinDir() string { return filepath.Join(r.Prefix, "node", "bin") }

// Entry is OpenClaw's entry point, openclaw.mjs.
func (r Runtime) Entry() string {
	return filepath.Join(r.Prefix, "node_modules", "openclaw", "openclaw.mjs")
}

// GatewayCommand is the argv of a gateway listening on port, loopback only.
// In the template unit port is "${PORT}", which systemd expands from
// gateway.env as a single word.
func (r Runtime) GatewayCommand(port string) []string {
	return []string{r.Node(), r.Entry(), "gateway", "run", "--port", port, "--bind", "loopback"}
}

// CLI is the argv of an openclaw CLI call, e.g. CLI("config", "validate").
func (r Runtime) CLI(args ...string) []string {
	return append([]string{r.Node(), r.Entry()}, args...)
}

// Manifest is <prefix>/manifest.json as written by the install script.
type Manifest struct {
	Node              string `json:"node"`
	OpenClaw          string `json:"openclaw"`
	VersionLine       string `json:"openclaw_version_line"`
	NodePath          string `json:"node_path"`
	NodeSHA256        string `json:"node_sha256"`
	OpenClawMJSPath   string `json:"openclaw_mjs_path"`
	OpenClawMJSSHA256 string `json:"openclaw_mjs_sha256"`
}

// ReadManifest reads the runtime's manifest. Outcomes: the manifest; an error
// wrapping fs.ErrNotExist when the runtime is not installed; an error when
// the file is unreadable or names other versions than the pinned ones.
func (r Runtime) ReadManifest() (Manifest, error) {
	var m Manifest
	b, err := os.ReadFile(filepath.Join(r.Prefix, "manifest.json"))
	if err != nil {
		return m, fmt.Errorf("read openclaw runtime manifest: %w", err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("parse openclaw runtime manifest %s: %w", r.Prefix, err)
	}
	if m.Node != NodeVersion || m.OpenClaw != Version {
		return m, fmt.Errorf("openclaw runtime in %s is node %s / openclaw %s, want node %s / openclaw %s",
			r.Prefix, m.Node, m.OpenClaw, NodeVersion, Version)
	}
	return m, nil
}

// Check is what the executor runs at start-up for a configured runtime: the
// manifest names the pinned versions, and node and openclaw.mjs still hash
// to what the install script recorded (a runtime edited in place, or half
// replaced by a hand-run npm, is refused rather than served).
func (r Runtime) Check() (Manifest, error) {
	m, err := r.ReadManifest()
	if err != nil {
		return m, err
	}
	var errs []error
	for _, f := range []struct{ rel, want string }{{m.NodePath, m.NodeSHA256}, {m.OpenClawMJSPath, m.OpenClawMJSSHA256}} {
		if f.rel == "" || filepath.IsAbs(f.rel) || !filepath.IsLocal(f.rel) {
			errs = append(errs, fmt.Errorf("openclaw runtime manifest in %s: bad path %q", r.Prefix, f.rel))
			continue
		}
		path := filepath.Join(r.Prefix, f.rel)
		got, err := fileSHA256(path)
		if err != nil {
			errs = append(errs, fmt.Errorf("openclaw runtime: %w", err))
			continue
		}
		if got != f.want {
			errs = append(errs, fmt.Errorf("openclaw runtime: %s has sha256 %s, the manifest says %s: reinstall with scripts/install-openclaw.sh", path, got, f.want))
		}
	}
	return m, errors.Join(errs...)
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
