package testhost

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
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// Module is the Go module the executor is built from.
const Module = "github.com/missioncontrol/terraform-provider-missioncontrol"

// ExecutorPackage is the package StartExecutor builds unless told otherwise.
const ExecutorPackage = "./executor/cmd/missioncontrol-executor"

// ExecutorUnit is the unit the executor runs as inside the host.
const ExecutorUnit = "missioncontrol-executor.service"

// Paths inside the host; /share is the host's Share dir.
const (
	executorBin    = "/share/bin/missioncontrol-executor"
	executorConfig = "/share/etc/executor.hcl"
	executorPolicy = "/share/etc/policy.hcl"
	executorSocket = "/share/run/executor.sock"
)

const executorUnitText = `[Unit]
Description=missioncontrol executor (throwaway host)
[Service]
ExecStart=` + executorBin + ` serve --config ` + executorConfig + `
Restart=on-failure
`

// ExecutorOptions say which executor StartExecutor runs and how.
type ExecutorOptions struct {
	// Package is the Go package built as the executor, relative to the
	// module root (default ExecutorPackage). Tests of this harness use a
	// stand-in.
	Package string
	// Tags are Go build tags for building Package, e.g. "faultinject" for
	// the crash tests (package executor/fault).
	Tags []string
	// Binary is a prebuilt executor to run instead of building Package.
	Binary string
	// ModuleDir is the module root (default: found from the working dir).
	ModuleDir string
	// Config is the executor configuration (default: the module's
	// examples/executor/executor.hcl, with the light stand-in gateway unless
	// RealGateway). Its policy_file and listen.socket are always rewritten
	// to point into /share.
	Config []byte
	// RealGateway keeps the real OpenClaw gateway of the default
	// configuration; otherwise tenants run the light stand-in command.
	RealGateway bool
	// Policy is the policy (default: examples/executor/policy.hcl).
	Policy []byte
	// SocketTimeout bounds the wait for the socket (default 15 s).
	SocketTimeout time.Duration
	// Log receives progress and warnings (nil: discarded).
	Log io.Writer
}

// Executor is an executor running as ExecutorUnit inside a throwaway host.
type Executor struct {
	// Host is the throwaway host it runs in.
	Host *Host
	// Socket is the machine path of its unix socket (in Host.Share).
	Socket string
	// Pinned reports whether `policy pin` filled the policy's sha256 pins;
	// false when the executor has no such subcommand yet.
	Pinned bool
	// Keys are the machine paths of the private keys StartExecutor made,
	// by key name (see TestKeys); their public keys are in the executor's
	// configuration.
	Keys map[string]string
}

// Keys StartExecutor creates for every executor, with their roles: the
// operator signs the provider's plans and applies (its file is
// MISSIONCONTROL_SIGNING_KEY_FILE in Env), the planner may only plan, alice
// and bob approve, and carol may apply and approve (to show she cannot
// approve her own job).
const (
	KeyOperator = "operator"
	KeyPlanner  = "planner"
	KeyAlice    = "alice"
	KeyBob      = "bob"
	KeyCarol    = "carol"
)

// TestKeys are the keys of every executor StartExecutor runs, with roles.
var TestKeys = map[string][]string{
	KeyOperator: {"plan", "apply"},
	KeyPlanner:  {"plan"},
	KeyAlice:    {"approve"},
	KeyBob:      {"approve"},
	KeyCarol:    {"plan", "apply", "approve"},
}

// SigningKeyFile is the operator key's file, for the provider.
func (e *Executor) SigningKeyFile() string { return e.Keys[KeyOperator] }

// Endpoint is the provider endpoint of the executor, unix://SOCKET.
func (e *Executor) Endpoint() string { return "unix://" + e.Socket }

// Env returns the environment a user (or a test) needs to point the
// provider at this executor and to reach its host, as KEY=value lines in a
// stable order: MISSIONCONTROL_ENDPOINT, MISSIONCONTROL_HOST_EXEC (a
// command prefix that runs a command as root inside the host) and
// MISSIONCONTROL_HOST_DOWN (the command that tears the host down).
func (e *Executor) Env() []string {
	env := []string{
		"MISSIONCONTROL_ENDPOINT=" + e.Endpoint(),
		"MISSIONCONTROL_HOST_EXEC=" + e.Host.ExecPrefix(),
		"MISSIONCONTROL_HOST_DOWN=" + e.Host.DownCommand(),
	}
	if f := e.SigningKeyFile(); f != "" {
		env = append(env, "MISSIONCONTROL_SIGNING_KEY_FILE="+f)
	}
	return env
}

// BootExecutor is StartExecutor for tests: it fails t on error. The
// executor stops with its host.
func BootExecutor(t testing.TB, h *Host, o ExecutorOptions) *Executor {
	t.Helper()
	if o.Log == nil {
		o.Log = testLog{t}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	start := time.Now()
	e, err := StartExecutor(ctx, h, o)
	if err != nil {
		t.Fatalf("start executor: %v", err)
	}
	t.Logf("executor up in host %s after %v: %s", h.Name, time.Since(start).Round(time.Millisecond), e.Endpoint())
	return e
}

type testLog struct{ t testing.TB }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// StartExecutor runs an executor inside h the way `make dev-host` does:
//  1. build Package once per process (go build, CGO_ENABLED=0) into
//     CacheDir/bin, and place it at /share/bin/missioncontrol-executor;
//  2. write /share/etc/executor.hcl and /share/etc/policy.hcl;
//  3. inside the host: `groupadd -r missioncontrol` (the socket's group) and
//     `missioncontrol-executor policy pin --write /share/etc/policy.hcl` if
//     the binary has that subcommand (if not, a warning goes to Log);
//  4. install and start ExecutorUnit and wait for /share/run/executor.sock.
//
// The example policy pins /usr/sbin/visudo, which only the sudo seed
// provides: boot h with SudoSeed in Options.Seeds, as `make dev-host` does.
//
// Outcomes: the running executor; or an error naming the step that failed
// (for a socket that does not appear in time, with the unit's status and
// journal). The executor is not stopped on error; Close the host.
func StartExecutor(ctx context.Context, h *Host, o ExecutorOptions) (*Executor, error) {
	logf := func(format string, args ...any) {
		if o.Log != nil {
			fmt.Fprintf(o.Log, format+"\n", args...)
		}
	}
	if o.SocketTimeout == 0 {
		o.SocketTimeout = 15 * time.Second
	}
	if o.Package == "" {
		o.Package = ExecutorPackage
	}
	needModule := o.Binary == "" || o.Config == nil || o.Policy == nil
	if needModule && o.ModuleDir == "" {
		dir, err := moduleDir()
		if err != nil {
			return nil, fmt.Errorf("start executor: %w", err)
		}
		o.ModuleDir = dir
	}
	bin := o.Binary
	if bin == "" {
		start := time.Now()
		var err error
		if bin, err = buildOnce(ctx, o.ModuleDir, o.Package, o.Tags); err != nil {
			return nil, fmt.Errorf("start executor: %w", err)
		}
		logf("executor: %s built in %v", o.Package, time.Since(start).Round(time.Millisecond))
	}
	var err error
	if o.Config == nil {
		if o.Config, err = os.ReadFile(filepath.Join(o.ModuleDir, "examples/executor/executor.hcl")); err != nil {
			return nil, fmt.Errorf("start executor: config: %w", err)
		}
		if !o.RealGateway {
			if o.Config, err = LightGatewayConfig(o.Config); err != nil {
				return nil, fmt.Errorf("start executor: %w", err)
			}
		}
	}
	if o.Policy == nil {
		if o.Policy, err = os.ReadFile(filepath.Join(o.ModuleDir, "examples/executor/policy.hcl")); err != nil {
			return nil, fmt.Errorf("start executor: policy: %w", err)
		}
	}
	if o.Policy, err = pinGateway(o.Policy, o.Config); err != nil {
		return nil, fmt.Errorf("start executor: %w", err)
	}
	keys, err := makeKeys(filepath.Join(h.Share, "keys"))
	if err != nil {
		return nil, fmt.Errorf("start executor: %w", err)
	}
	config, err := shareConfig(o.Config, keys)
	if err != nil {
		return nil, fmt.Errorf("start executor: %w", err)
	}
	share := func(p string) string { return filepath.Join(h.Share, strings.TrimPrefix(p, "/share/")) }
	if len(share(executorSocket)) >= 108 { // sun_path
		return nil, fmt.Errorf("start executor: socket path %s is too long for a unix socket; use a shorter share dir",
			share(executorSocket))
	}
	for _, d := range []string{"bin", "etc", "run"} {
		if err := os.MkdirAll(filepath.Join(h.Share, d), 0o755); err != nil {
			return nil, fmt.Errorf("start executor: %w", err)
		}
	}
	if err := placeBinary(bin, share(executorBin)); err != nil {
		return nil, fmt.Errorf("start executor: %w", err)
	}
	if err := os.WriteFile(share(executorConfig), config, 0o644); err != nil {
		return nil, fmt.Errorf("start executor: %w", err)
	}
	if err := os.WriteFile(share(executorPolicy), o.Policy, 0o644); err != nil {
		return nil, fmt.Errorf("start executor: %w", err)
	}

	inside := func(argv ...string) (string, error) {
		out, err := h.CommandContext(ctx, argv...).CombinedOutput()
		if err != nil {
			return string(out), fmt.Errorf("%s: %w: %s", strings.Join(argv, " "), err, bytes.TrimSpace(out))
		}
		return string(out), nil
	}
	if _, err := inside("getent", "group", "missioncontrol"); err != nil {
		if _, err := inside("groupadd", "-r", "missioncontrol"); err != nil {
			return nil, fmt.Errorf("start executor: %w", err)
		}
	}
	// The socket's directory: root:missioncontrol 0750, as on a real host.
	if _, err := inside("chgrp", "missioncontrol", "/share/run"); err != nil {
		return nil, fmt.Errorf("start executor: %w", err)
	}
	if err := os.Chmod(filepath.Join(h.Share, "run"), 0o750); err != nil {
		return nil, fmt.Errorf("start executor: %w", err)
	}
	os.Remove(share(executorSocket))

	e := &Executor{Host: h, Socket: share(executorSocket), Keys: map[string]string{}}
	for name, k := range keys {
		e.Keys[name] = k.file
	}
	// `policy pin` fills the policy's command sha256 pins from this host's
	// binaries. Tell "no such subcommand yet" apart from "pinning failed".
	help, _ := inside(executorBin, "policy", "pin", "--help")
	if hasUsage(help, "policy pin") {
		if _, err := inside(executorBin, "policy", "pin", "--write", executorPolicy); err != nil {
			return nil, fmt.Errorf("start executor: %w", err)
		}
		e.Pinned = true
	} else {
		logf("executor: WARNING: %s has no `policy pin` subcommand yet; the policy is used unpinned", o.Package)
	}

	if err := h.InstallUnit(ctx, ExecutorUnit, []byte(executorUnitText)); err != nil {
		return nil, fmt.Errorf("start executor: %w", err)
	}
	wctx, cancel := context.WithTimeout(ctx, o.SocketTimeout)
	defer cancel()
	if err := h.WaitForSocket(wctx, e.Socket); err != nil {
		status, _ := h.Try("systemctl", "status", "--no-pager", "--full", ExecutorUnit)
		return nil, fmt.Errorf("start executor: %w\n%s\n%s", err, status,
			h.Journal("-u", ExecutorUnit, "-n", "60"))
	}
	return e, nil
}

// hasUsage reports whether help text (cobra's layout) documents the
// command: the line after "Usage:" names it. Help of a parent command that
// merely mentions it does not count.
func hasUsage(help, command string) bool {
	lines := strings.Split(help, "\n")
	for i, l := range lines {
		if strings.TrimSpace(l) == "Usage:" && i+1 < len(lines) {
			return strings.Contains(lines[i+1], " "+command)
		}
	}
	return false
}

// shareConfig rewrites the paths of an executor config that must point into
// /share: policy_file and listen.socket; and adds a key block per key.
func shareConfig(src []byte, keys map[string]testKey) ([]byte, error) {
	f, diags := hclwrite.ParseConfig(src, "executor.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		return nil, fmt.Errorf("executor config: %w", diags)
	}
	body := f.Body()
	body.SetAttributeValue("policy_file", cty.StringVal(executorPolicy))
	listen := body.FirstMatchingBlock("listen", nil)
	if listen == nil {
		listen = body.AppendNewBlock("listen", nil)
	}
	listen.Body().SetAttributeValue("socket", cty.StringVal(executorSocket))
	names := make([]string, 0, len(keys))
	for name := range keys {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		k := keys[name]
		b := body.AppendNewBlock("key", []string{name}).Body()
		b.SetAttributeValue("public_key", cty.StringVal(k.public))
		roles := make([]cty.Value, len(k.roles))
		for i, r := range k.roles {
			roles[i] = cty.StringVal(r)
		}
		b.SetAttributeValue("roles", cty.ListVal(roles))
	}
	return f.Bytes(), nil
}

// moduleDir finds the root of Module from the working directory upwards.
func moduleDir() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.Contains(b, []byte("module "+Module+"\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("module %s not found above the working directory", Module)
		}
		dir = parent
	}
}

// builds holds one entry per (module dir, package): the binary built by
// this process. Failed builds are retried by the next caller.
var builds sync.Map

type build struct {
	mu   sync.Mutex
	path string
}

func buildOnce(ctx context.Context, moduleDir, pkg string, tags []string) (string, error) {
	key := moduleDir + "\x00" + pkg
	if len(tags) > 0 {
		key += "\x00" + strings.Join(tags, ",")
	}
	v, _ := builds.LoadOrStore(key, &build{})
	b := v.(*build)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.path != "" {
		return b.path, nil
	}
	sum := sha256.Sum256([]byte(key))
	dir := filepath.Join(CacheDir, "bin", hex.EncodeToString(sum[:])[:12])
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("build %s: %w", pkg, err)
	}
	// Test binaries of several packages may build the same executor at once.
	unlock, err := lockFile(ctx, filepath.Join(dir, ".lock"))
	if err != nil {
		return "", fmt.Errorf("build %s: %w", pkg, err)
	}
	defer unlock()
	out := filepath.Join(dir, filepath.Base(pkg))
	tmp := fmt.Sprintf("%s.tmp.%d", out, os.Getpid())
	args := []string{"build", "-o", tmp}
	if len(tags) > 0 {
		args = append(args, "-tags", strings.Join(tags, ","))
	}
	cmd := exec.CommandContext(ctx, "go", append(args, pkg)...)
	cmd.Dir = moduleDir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("go build %s: %w\n%s", pkg, err, bytes.TrimSpace(b))
	}
	if err := os.Rename(tmp, out); err != nil {
		return "", fmt.Errorf("build %s: %w", pkg, err)
	}
	b.path = out
	return out, nil
}

// placeBinary hard-links src to dst (a later rebuild replaces src by
// rename, so the link keeps the old content), or copies it.
func placeBinary(src, dst string) error {
	if err := os.Remove(dst); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if os.Link(src, dst) == nil {
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	return errors.Join(err, out.Close())
}
