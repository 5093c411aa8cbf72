package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// MachineIDPath is where ResolveHostID reads the host id when host_id is empty.
const MachineIDPath = "/etc/machine-id"

// PortStride is the only allowed tenants.port_stride: OpenClaw binds the
// gateway's base port and also base+2 and base+4.
const PortStride = 20

// Config is the executor configuration. The zero value is not useful; start
// from Default or Parse.
type Config struct {
	// HostID is the audience of signed requests; empty means the contents of
	// /etc/machine-id (see ResolveHostID).
	HostID string
	// StateDir holds the SQLite database (see DBPath).
	StateDir   string
	PolicyFile string
	SudoersDir string

	Listen   Listen
	Tenants  Tenants
	Gateway  Gateway
	Systemd  Systemd
	Commands Commands
	Health   Health
	Usage    Usage
	Metrics  Metrics

	// Positions records where each setting was read from, keyed by the
	// dotted field name ("tenants.port_stride") and by block name
	// ("tenants"). It is nil for Default and used only to place errors.
	Positions map[string]hcl.Range

	// Keys are the key blocks: who may sign requests and approvals, with
	// which roles (see keys.go). No keys means every signed request is
	// refused.
	Keys []Key
}

// Listen is the unix socket the executor serves on. Peers must be uid 0 or
// members of Group (checked with SO_PEERCRED).
type Listen struct {
	Socket string
	Mode   os.FileMode
	Group  string
	// TLS is an optional TCP listener with mutual TLS (tls.go).
	TLS ListenTLS
}

// Tenants says where tenants live and what they are allocated from.
type Tenants struct {
	Root       string
	ConfigRoot string
	ArchiveDir string
	UIDMin     int
	UIDMax     int
	PortMin    int
	PortMax    int
	// PortStride is always PortStride (20).
	PortStride   int
	NologinShell string
}

// Gateway is how a tenant's gateway process runs.
type Gateway struct {
	// Command is the gateway's argv, absolute path first.
	Command []string
	// UnitTemplate is the systemd template unit, e.g.
	// "missioncontrol-gateway@.service".
	UnitTemplate string
	// Readiness is how a job decides a started gateway is up: "http" waits
	// for /healthz then /readyz on its port (the real OpenClaw gateway),
	// "none" only for systemd's active state (a light stand-in command).
	Readiness string
	// ReadyTimeout bounds the readiness wait, in seconds.
	ReadyTimeout int
	// Egress is what gateways may reach: "localhost" (model providers on
	// this host) or "any" (remote model providers).
	Egress string
	// Runtime is the prefix of the OpenClaw runtime Command runs on
	// (scripts/install-openclaw.sh), or "" when Command is a stand-in that
	// needs none. With a prefix, serve checks at start-up that the runtime
	// installed there is OpenClawVersion on NodeVersion, unmodified.
	Runtime         string
	OpenClawVersion string
	NodeVersion     string
}

// Systemd says where the executor installs units.
type Systemd struct {
	UnitDir string
}

// Health says how the executor probes tenants' gateways (executor/health).
type Health struct {
	// Interval is the time between probe rounds; each round also waits a
	// random extra of up to a tenth of it (jitter), so that many executors
	// do not probe in step.
	Interval time.Duration
	// OpenAfter consecutive bad probes open an incident; CloseAfter
	// consecutive good ones close it.
	OpenAfter  int
	CloseAfter int
	// ProbeTimeout bounds each HTTP probe, and a round's query of all units
	// unless half of Interval is longer; it must be shorter than Interval.
	ProbeTimeout time.Duration
	// HTTP also asks the gateway's /healthz and /readyz on loopback (true by
	// default, for the real OpenClaw gateway). Set it false when
	// gateway.command is a stand-in without those endpoints (such as
	// `sleep infinity`), or every running gateway reads degraded.
	HTTP bool
	// CrashLoopRestarts restarts (NRestarts rising) within CrashLoopWindow
	// make a crash loop.
	CrashLoopRestarts int
	CrashLoopWindow   time.Duration
}

// Commands are the absolute paths of the host tools the executor runs.
type Commands struct {
	Groupadd  string
	Useradd   string
	Usermod   string
	Userdel   string
	Groupdel  string
	Systemctl string
	Visudo    string
	Tar       string
}

// Default returns the built-in configuration; it is valid.
func Default() Config {
	return Config{
		StateDir:   "/var/lib/missioncontrol",
		PolicyFile: "/etc/missioncontrol/policy.hcl",
		SudoersDir: "/etc/sudoers.d",
		Listen: Listen{
			Socket: "/run/missioncontrol/executor.sock",
			Mode:   0o660,
			Group:  "missioncontrol",
		},
		Tenants: Tenants{
			Root:         "/srv/missioncontrol/tenants",
			ConfigRoot:   "/etc/missioncontrol/tenants",
			ArchiveDir:   "/var/lib/missioncontrol/archives",
			UIDMin:       20000,
			UIDMax:       29999,
			PortMin:      20000,
			PortMax:      29999,
			PortStride:   PortStride,
			NologinShell: "/usr/sbin/nologin",
		},
		Gateway: Gateway{
			// The runtime scripts/install-openclaw.sh installs; systemd
			// expands ${PORT} from the tenant's gateway.env.
			Command: []string{"/opt/missioncontrol/openclaw/node/bin/node",
				"/opt/missioncontrol/openclaw/node_modules/openclaw/openclaw.mjs",
				"gateway", "run", "--port", "${PORT}", "--bind", "loopback"},
			UnitTemplate: "missioncontrol-gateway@.service",
			Readiness:    "http",
			ReadyTimeout: 120,
			Egress:       "localhost",
			// What scripts/install-openclaw.sh installs (openclaw.Version,
			// openclaw.NodeVersion; a test keeps them equal).
			Runtime:         "/opt/missioncontrol/openclaw",
			OpenClawVersion: "2026.9.6",
			NodeVersion:     "24.22.3",
		},
		Systemd: Systemd{UnitDir: "/etc/systemd/system"},
		Health: Health{
			Interval:          15 * time.Second,
			OpenAfter:         3,
			CloseAfter:        2,
			ProbeTimeout:      2 * time.Second,
			HTTP:              true,
			CrashLoopRestarts: 3,
			CrashLoopWindow:   10 * time.Minute,
		},
		Usage: Usage{Interval: 30 * time.Second},
		Commands: Commands{
			Groupadd:  "/usr/sbin/groupadd",
			Useradd:   "/usr/sbin/useradd",
			Usermod:   "/usr/sbin/usermod",
			Userdel:   "/usr/sbin/userdel",
			Groupdel:  "/usr/sbin/groupdel",
			Systemctl: "/usr/bin/systemctl",
			Visudo:    "/usr/sbin/visudo",
			Tar:       "/usr/bin/tar",
		},
	}
}

// DBPath is the executor's SQLite database, <state_dir>/executor.db.
func (c Config) DBPath() string {
	return filepath.Join(c.StateDir, "executor.db")
}

// Load reads, parses and validates the file at path. Outcomes:
//   - the file does not exist: an *Error naming path that wraps ErrNotFound;
//   - it cannot be read: the read error;
//   - it is malformed or invalid: the errors of Parse or Validate;
//   - otherwise the configuration and nil.
func Load(path string) (Config, error) {
	src, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Config{}, &Error{Range: hcl.Range{Filename: path}, Err: ErrNotFound}
	}
	if err != nil {
		return Config{}, fmt.Errorf("read config: %w", err)
	}
	c, err := Parse(src, path)
	if err != nil {
		return Config{}, err
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// Parse overlays the HCL in src on Default. filename is only used in
// positions. It does not validate values (see Validate) but refuses syntax
// errors, unknown blocks and attributes, repeated blocks, expressions that
// are not literals, and values of the wrong type. All problems are returned
// together (errors.Join of *Error), in file order.
func Parse(src []byte, filename string) (Config, error) {
	c := Default()
	c.Positions = map[string]hcl.Range{}
	if err := decode(src, filename, c.settings(), c.Positions); err != nil {
		return Config{}, err
	}
	// Key blocks are labelled, so decode skips them; the file parsed above.
	if file, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos); !diags.HasErrors() {
		if body, ok := file.Body.(*hclsyntax.Body); ok {
			var errs []error
			if c.Keys, errs = decodeKeys(body); len(errs) > 0 {
				return Config{}, errors.Join(errs...)
			}
		}
	}
	return c, nil
}

// settings maps every dotted setting name to where its value is stored.
// A name with a dot is an attribute of the block named by its first part.
func (c *Config) settings() map[string]any {
	return map[string]any{
		"host_id":     &c.HostID,
		"state_dir":   &c.StateDir,
		"policy_file": &c.PolicyFile,
		"sudoers_dir": &c.SudoersDir,

		"listen.socket": &c.Listen.Socket,
		"listen.mode":   &c.Listen.Mode,
		"listen.group":  &c.Listen.Group,

		"listen.tls_address":   &c.Listen.TLS.Address,
		"listen.tls_cert_file": &c.Listen.TLS.CertFile,
		"listen.tls_key_file":  &c.Listen.TLS.KeyFile,
		"listen.tls_client_ca": &c.Listen.TLS.ClientCA,

		"tenants.root":          &c.Tenants.Root,
		"tenants.config_root":   &c.Tenants.ConfigRoot,
		"tenants.archive_dir":   &c.Tenants.ArchiveDir,
		"tenants.uid_min":       &c.Tenants.UIDMin,
		"tenants.uid_max":       &c.Tenants.UIDMax,
		"tenants.port_min":      &c.Tenants.PortMin,
		"tenants.port_max":      &c.Tenants.PortMax,
		"tenants.port_stride":   &c.Tenants.PortStride,
		"tenants.nologin_shell": &c.Tenants.NologinShell,

		"gateway.command":          &c.Gateway.Command,
		"gateway.unit_template":    &c.Gateway.UnitTemplate,
		"gateway.readiness":        &c.Gateway.Readiness,
		"gateway.ready_timeout":    &c.Gateway.ReadyTimeout,
		"gateway.egress":           &c.Gateway.Egress,
		"gateway.runtime":          &c.Gateway.Runtime,
		"gateway.openclaw_version": &c.Gateway.OpenClawVersion,
		"gateway.node_version":     &c.Gateway.NodeVersion,

		"systemd.unit_dir": &c.Systemd.UnitDir,

		"commands.groupadd":  &c.Commands.Groupadd,
		"commands.useradd":   &c.Commands.Useradd,
		"commands.usermod":   &c.Commands.Usermod,
		"commands.userdel":   &c.Commands.Userdel,
		"commands.groupdel":  &c.Commands.Groupdel,
		"commands.systemctl": &c.Commands.Systemctl,
		"commands.visudo":    &c.Commands.Visudo,
		"commands.tar":       &c.Commands.Tar,

		"health.interval":            &c.Health.Interval,
		"health.open_after":          &c.Health.OpenAfter,
		"health.close_after":         &c.Health.CloseAfter,
		"health.probe_timeout":       &c.Health.ProbeTimeout,
		"health.http":                &c.Health.HTTP,
		"health.crash_loop_restarts": &c.Health.CrashLoopRestarts,
		"health.crash_loop_window":   &c.Health.CrashLoopWindow,

		"usage.interval":    &c.Usage.Interval,
		"usage.prices_file": &c.Usage.PricesFile,

		"metrics.listen": &c.Metrics.Listen,
	}
}

// Validate checks every rule and returns all violations together
// (errors.Join of *Error), or nil:
//   - every path is absolute and clean, and directories are not "/";
//   - host_id, when set, is a plain token;
//   - listen.mode grants nothing to others and listen.group is a group name;
//   - 1000 <= uid_min <= uid_max < 65534;
//   - 1024 <= port_min, port_max <= 65535, port_min+4 <= port_max;
//   - port_stride is 20;
//   - gateway.unit_template ends in "@.service";
//   - gateway.command is an argv with an absolute path first;
//   - health: 1s <= interval <= 1h, 0 < probe_timeout < interval,
//     open_after and close_after 1..100, crash_loop_restarts 2..100,
//     crash_loop_window >= interval;
//   - usage.interval is 0 (off) or 1s..24h, usage.prices_file a path when
//     set, metrics.listen a loopback IP:port when set.
func (c Config) Validate() error {
	v := validator{pos: c.Positions}

	if c.HostID != "" && !hostIDRE.MatchString(c.HostID) {
		v.fail("host_id", strconv.Quote(c.HostID), ErrHostID)
	}
	v.dir("state_dir", c.StateDir)
	v.path("policy_file", c.PolicyFile)
	v.dir("sudoers_dir", c.SudoersDir)

	v.path("listen.socket", c.Listen.Socket)
	switch {
	case c.Listen.Mode&^fs.ModePerm != 0:
		v.fail("listen.mode", quoteMode(c.Listen.Mode), ErrMode)
	case c.Listen.Mode&0o007 != 0:
		v.fail("listen.mode", quoteMode(c.Listen.Mode), ErrModeOthers)
	}
	if !groupRE.MatchString(c.Listen.Group) {
		v.fail("listen.group", strconv.Quote(c.Listen.Group), ErrGroup)
	}

	t := c.Tenants
	v.dir("tenants.root", t.Root)
	v.dir("tenants.config_root", t.ConfigRoot)
	v.dir("tenants.archive_dir", t.ArchiveDir)
	v.path("tenants.nologin_shell", t.NologinShell)
	if t.UIDMin < 1000 {
		v.fail("tenants.uid_min", strconv.Itoa(t.UIDMin), ErrUIDMin)
	}
	if t.UIDMax < t.UIDMin || t.UIDMax >= 65534 {
		v.fail("tenants.uid_max", strconv.Itoa(t.UIDMax), ErrUIDMax)
	}
	if t.PortMin < 1024 || t.PortMin > 65535 {
		v.fail("tenants.port_min", strconv.Itoa(t.PortMin), ErrPortRange)
	}
	switch {
	case t.PortMax < 1024 || t.PortMax > 65535:
		v.fail("tenants.port_max", strconv.Itoa(t.PortMax), ErrPortRange)
	case t.PortMax < t.PortMin+4:
		v.fail("tenants.port_max", strconv.Itoa(t.PortMax), ErrPortSpan)
	}
	if t.PortStride != PortStride {
		v.fail("tenants.port_stride", strconv.Itoa(t.PortStride), ErrPortStride)
	}

	g := c.Gateway
	if len(g.Command) == 0 || !cleanAbs(g.Command[0]) || hasControl(g.Command) {
		v.fail("gateway.command", formatList(g.Command), ErrCommand)
	}
	if !unitTemplateRE.MatchString(g.UnitTemplate) {
		v.fail("gateway.unit_template", strconv.Quote(g.UnitTemplate), ErrUnitTemplate)
	}
	if g.Readiness != "http" && g.Readiness != "none" {
		v.fail("gateway.readiness", strconv.Quote(g.Readiness), ErrReadiness)
	}
	if g.ReadyTimeout < 1 || g.ReadyTimeout > 3600 {
		v.fail("gateway.ready_timeout", strconv.Itoa(g.ReadyTimeout), ErrReadyTimeout)
	}
	if g.Egress != "localhost" && g.Egress != "any" {
		v.fail("gateway.egress", strconv.Quote(g.Egress), ErrEgress)
	}
	if g.Runtime != "" {
		v.dir("gateway.runtime", g.Runtime)
		if !versionRE.MatchString(g.OpenClawVersion) {
			v.fail("gateway.openclaw_version", strconv.Quote(g.OpenClawVersion), ErrRuntimeVersion)
		}
		if !versionRE.MatchString(g.NodeVersion) {
			v.fail("gateway.node_version", strconv.Quote(g.NodeVersion), ErrRuntimeVersion)
		}
	}

	v.dir("systemd.unit_dir", c.Systemd.UnitDir)

	cmds := c.Commands
	v.path("commands.groupadd", cmds.Groupadd)
	v.path("commands.useradd", cmds.Useradd)
	v.path("commands.usermod", cmds.Usermod)
	v.path("commands.userdel", cmds.Userdel)
	v.path("commands.groupdel", cmds.Groupdel)
	v.path("commands.systemctl", cmds.Systemctl)
	v.path("commands.visudo", cmds.Visudo)
	v.path("commands.tar", cmds.Tar)

	v.health(c.Health)
	v.usage(c.Usage, c.Metrics)

	c.validateKeys(&v)
	c.validateTLS(&v)

	return errors.Join(v.errs...)
}

// ResolveHostID returns HostID when it is set, and otherwise the trimmed
// contents of machineIDPath (normally MachineIDPath). It fails when the file
// cannot be read or holds no valid id.
func (c Config) ResolveHostID(machineIDPath string) (string, error) {
	if c.HostID != "" {
		return c.HostID, nil
	}
	b, err := os.ReadFile(machineIDPath)
	if err != nil {
		return "", fmt.Errorf("read host id: %w", err)
	}
	id := strings.TrimSpace(string(b))
	if !hostIDRE.MatchString(id) {
		return "", &Error{Range: hcl.Range{Filename: machineIDPath}, Field: "host_id", Value: strconv.Quote(id), Err: ErrHostID}
	}
	return id, nil
}

var (
	hostIDRE = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)
	groupRE  = regexp.MustCompile(`^[a-z_][a-z0-9_-]{0,31}$`)
	// A template unit: a non-empty prefix of unit-name characters, then "@.service".
	unitTemplateRE = regexp.MustCompile(`^[A-Za-z0-9:_.\\-]+@\.service$`)
)

type validator struct {
	pos  map[string]hcl.Range
	errs []error
}

// fail records a violation at the setting's position, or at its block's
// position when the setting kept its default.
func (v *validator) fail(field, value string, err error) {
	rng, ok := v.pos[field]
	if !ok {
		block, _, _ := strings.Cut(field, ".")
		rng = v.pos[block]
	}
	v.errs = append(v.errs, &Error{Range: rng, Field: field, Value: value, Err: err})
}

func (v *validator) path(field, p string) {
	if !cleanAbs(p) {
		v.fail(field, strconv.Quote(p), ErrPath)
	}
}

func (v *validator) dir(field, p string) {
	v.path(field, p)
	if p == "/" {
		v.fail(field, strconv.Quote(p), ErrRootDir)
	}
}

// versionRE is a release version such as 2026.9.6 or 24.22.3.
var versionRE = regexp.MustCompile(`^[0-9]{1,4}\.[0-9]{1,4}\.[0-9]{1,4}$`)

// cleanAbs reports whether p is absolute, clean and free of NUL and newlines.
func cleanAbs(p string) bool {
	return filepath.IsAbs(p) && filepath.Clean(p) == p && !strings.ContainsAny(p, "\x00\n\r")
}

func hasControl(argv []string) bool {
	for _, a := range argv {
		if strings.ContainsAny(a, "\x00\n\r") {
			return true
		}
	}
	return false
}

func quoteMode(m os.FileMode) string {
	return strconv.Quote(fmt.Sprintf("%04o", uint32(m)))
}

func formatList(l []string) string {
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = strconv.Quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func (v *validator) health(h Health) {
	if h.Interval < time.Second || h.Interval > time.Hour {
		v.fail("health.interval", strconv.Quote(h.Interval.String()), ErrHealthInterval)
	}
	if h.ProbeTimeout <= 0 || h.ProbeTimeout >= h.Interval {
		v.fail("health.probe_timeout", strconv.Quote(h.ProbeTimeout.String()), ErrProbeTimeout)
	}
	if h.OpenAfter < 1 || h.OpenAfter > 100 {
		v.fail("health.open_after", strconv.Itoa(h.OpenAfter), ErrProbeCount)
	}
	if h.CloseAfter < 1 || h.CloseAfter > 100 {
		v.fail("health.close_after", strconv.Itoa(h.CloseAfter), ErrProbeCount)
	}
	if h.CrashLoopRestarts < 2 || h.CrashLoopRestarts > 100 {
		v.fail("health.crash_loop_restarts", strconv.Itoa(h.CrashLoopRestarts), ErrCrashLoopRestarts)
	}
	if h.CrashLoopWindow < h.Interval {
		v.fail("health.crash_loop_window", strconv.Quote(h.CrashLoopWindow.String()), ErrCrashLoopWindow)
	}
}
