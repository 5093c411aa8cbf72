package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/config"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/openclaw"
)

var ignorePositions = cmpopts.IgnoreFields(config.Config{}, "Positions")

// messages splits a joined error into its lines.
func messages(err error) []string {
	if err == nil {
		return nil
	}
	return strings.Split(err.Error(), "\n")
}

func TestDefaultValid(t *testing.T) {
	t.Parallel()
	if err := config.Default().Validate(); err != nil {
		t.Fatalf("Default().Validate() = %v", err)
	}
	if got, want := config.Default().DBPath(), "/var/lib/missioncontrol/executor.db"; got != want {
		t.Errorf("DBPath() = %q, want %q", got, want)
	}
}

// The default runtime is the one scripts/install-openclaw.sh installs and
// the renderer writes configuration for.
func TestDefaultRuntimeIsPinned(t *testing.T) {
	t.Parallel()
	g := config.Default().Gateway
	if g.Runtime != openclaw.DefaultPrefix || g.OpenClawVersion != openclaw.Version || g.NodeVersion != openclaw.NodeVersion {
		t.Errorf("default runtime %s (openclaw %s, node %s), want %s (%s, %s)", g.Runtime, g.OpenClawVersion, g.NodeVersion,
			openclaw.DefaultPrefix, openclaw.Version, openclaw.NodeVersion)
	}
	if got := (openclaw.Runtime{Prefix: g.Runtime}).GatewayCommand("${PORT}"); strings.Join(got, " ") != strings.Join(g.Command, " ") {
		t.Errorf("default gateway.command %q, want the runtime's %q", g.Command, got)
	}
}

func TestExampleIsDefault(t *testing.T) {
	t.Parallel()
	c, err := config.Load("../../examples/executor/executor.hcl")
	if err != nil {
		t.Fatalf("Load(example) = %v", err)
	}
	if diff := cmp.Diff(config.Default(), c, ignorePositions); diff != "" {
		t.Errorf("example differs from Default() (-default +example):\n%s", diff)
	}
}

func TestParse(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		src  string
		want func(*config.Config)
	}{
		"empty": {
			src:  "",
			want: func(*config.Config) {},
		},
		"overlay": {
			src: `
host_id   = "host-1"
state_dir = "/var/lib/mc"
listen {
  mode = "0600"
}
tenants {
  uid_min  = 30000
  uid_max  = 39999
  port_max = 21000
}
gateway {
  command = ["/usr/bin/node", "/opt/openclaw/index.js", "gateway"]
}
commands {
  tar = "/bin/tar"
}
`,
			want: func(c *config.Config) {
				c.HostID = "host-1"
				c.StateDir = "/var/lib/mc"
				c.Listen.Mode = 0o600
				c.Tenants.UIDMin = 30000
				c.Tenants.UIDMax = 39999
				c.Tenants.PortMax = 21000
				c.Gateway.Command = []string{"/usr/bin/node", "/opt/openclaw/index.js", "gateway"}
				c.Commands.Tar = "/bin/tar"
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := config.Parse([]byte(tc.src), "executor.hcl")
			if err != nil {
				t.Fatalf("Parse() = %v", err)
			}
			want := config.Default()
			tc.want(&want)
			if diff := cmp.Diff(want, got, ignorePositions); diff != "" {
				t.Errorf("Parse() mismatch (-want +got):\n%s", diff)
			}
			if err := got.Validate(); err != nil {
				t.Errorf("Validate() = %v", err)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		src     string
		want    []string
		wantErr error
	}{
		"unknown attribute": {
			src:     "tenants {\n  root = \"/srv/t\"\n  colour = \"blue\"\n}\n",
			want:    []string{`executor.hcl:3,3: tenants.colour: unknown setting: attribute "tenants.colour"`},
			wantErr: config.ErrUnknown,
		},
		"unknown top-level attribute": {
			src:     "listen_socket = \"/run/x.sock\"\n",
			want:    []string{`executor.hcl:1,1: listen_socket: unknown setting: attribute "listen_socket"`},
			wantErr: config.ErrUnknown,
		},
		"unknown block": {
			src:     "\nserver {\n}\n",
			want:    []string{`executor.hcl:2,1: server: unknown setting: block "server"`},
			wantErr: config.ErrUnknown,
		},
		"nested block": {
			src:     "listen {\n  tls {\n  }\n}\n",
			want:    []string{`executor.hcl:2,3: listen.tls: unknown setting: block "listen.tls"`},
			wantErr: config.ErrUnknown,
		},
		"block label": {
			src:     "listen \"main\" {\n}\n",
			want:    []string{`executor.hcl:1,8: listen: invalid syntax: block "listen" takes no labels`},
			wantErr: config.ErrSyntax,
		},
		"repeated block": {
			src:     "systemd {\n}\nsystemd {\n}\n",
			want:    []string{`executor.hcl:3,1: systemd: set more than once (first at line 1)`},
			wantErr: config.ErrDuplicate,
		},
		"string for number": {
			src:     "tenants {\n  uid_min = \"20000x\"\n}\n",
			want:    []string{`executor.hcl:2,3: tenants.uid_min: wrong type: must be a whole number (got "20000x")`},
			wantErr: config.ErrType,
		},
		"fraction": {
			src:     "tenants {\n  port_min = 20000.5\n}\n",
			want:    []string{`executor.hcl:2,3: tenants.port_min: wrong type: must be a whole number (got 20000.5)`},
			wantErr: config.ErrType,
		},
		"number for string": {
			src:     "state_dir = 42\n",
			want:    []string{`executor.hcl:1,1: state_dir: wrong type: must be a string (got 42)`},
			wantErr: config.ErrType,
		},
		"string for list": {
			src:     "gateway {\n  command = \"/usr/bin/sleep infinity\"\n}\n",
			want:    []string{`executor.hcl:2,3: gateway.command: wrong type: must be a list of strings (got "/usr/bin/sleep infinity")`},
			wantErr: config.ErrType,
		},
		"mode not octal": {
			src:     "listen {\n  mode = \"rw-rw----\"\n}\n",
			want:    []string{`executor.hcl:2,3: listen.mode: must be an octal permission string like "0660" (got "rw-rw----")`},
			wantErr: config.ErrMode,
		},
		"variable reference": {
			src:     "state_dir = var.dir\n",
			want:    []string{`executor.hcl:1,13: state_dir: invalid syntax: Variables not allowed; Variables may not be used here.`},
			wantErr: config.ErrSyntax,
		},
		"syntax error": {
			src:     "tenants {\n  root = \n}\n",
			want:    []string{`executor.hcl:2,10: invalid syntax: Invalid expression; Expected the start of an expression, but found an invalid expression token.`},
			wantErr: config.ErrSyntax,
		},
		"all problems in file order": {
			src:  "zeta = 1\ntenants {\n  alpha = 2\n}\n",
			want: []string{`executor.hcl:1,1: zeta: unknown setting: attribute "zeta"`, `executor.hcl:3,3: tenants.alpha: unknown setting: attribute "tenants.alpha"`},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := config.Parse([]byte(tc.src), "executor.hcl")
			if diff := cmp.Diff(tc.want, messages(err)); diff != "" {
				t.Errorf("Parse() errors mismatch (-want +got):\n%s", diff)
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("errors.Is(%v, %v) = false", err, tc.wantErr)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		src     string
		want    []string
		wantErr error
	}{
		"relative state_dir": {
			src:     "state_dir = \"var/lib/mc\"\n",
			want:    []string{`executor.hcl:1,1: state_dir: must be an absolute, clean path (got "var/lib/mc")`},
			wantErr: config.ErrPath,
		},
		"unclean policy_file": {
			src:     "\npolicy_file = \"/etc/missioncontrol/../policy.hcl\"\n",
			want:    []string{`executor.hcl:2,1: policy_file: must be an absolute, clean path (got "/etc/missioncontrol/../policy.hcl")`},
			wantErr: config.ErrPath,
		},
		"root as tenants root": {
			src:     "tenants {\n  root = \"/\"\n}\n",
			want:    []string{`executor.hcl:2,3: tenants.root: must not be "/" (got "/")`},
			wantErr: config.ErrRootDir,
		},
		"sudoers_dir with newline": {
			src:     "sudoers_dir = \"/etc/sudoers.d\\n\"\n",
			want:    []string{`executor.hcl:1,1: sudoers_dir: must be an absolute, clean path (got "/etc/sudoers.d\n")`},
			wantErr: config.ErrPath,
		},
		"host_id with space": {
			src:     "host_id = \"my host\"\n",
			want:    []string{`executor.hcl:1,1: host_id: must be 1-128 letters, digits, '.', '_', ':' or '-' (got "my host")`},
			wantErr: config.ErrHostID,
		},
		"relative socket": {
			src:     "listen {\n  socket = \"executor.sock\"\n}\n",
			want:    []string{`executor.hcl:2,3: listen.socket: must be an absolute, clean path (got "executor.sock")`},
			wantErr: config.ErrPath,
		},
		"world-accessible mode": {
			src:     "listen {\n  mode = \"0666\"\n}\n",
			want:    []string{`executor.hcl:2,3: listen.mode: must not grant any access to others (got "0666")`},
			wantErr: config.ErrModeOthers,
		},
		"setuid mode": {
			src:     "listen {\n  mode = \"4660\"\n}\n",
			want:    []string{`executor.hcl:2,3: listen.mode: must be an octal permission string like "0660" (got "4660")`},
			wantErr: config.ErrMode,
		},
		"bad group": {
			src:     "listen {\n  group = \"Mission Control\"\n}\n",
			want:    []string{`executor.hcl:2,3: listen.group: must be a unix group name (got "Mission Control")`},
			wantErr: config.ErrGroup,
		},
		"uid_min below 1000": {
			src:     "tenants {\n  uid_min = 500\n}\n",
			want:    []string{`executor.hcl:2,3: tenants.uid_min: must be at least 1000 (got 500)`},
			wantErr: config.ErrUIDMin,
		},
		"uid_max below uid_min": {
			src:     "tenants {\n  uid_min = 20000\n  uid_max = 19999\n}\n",
			want:    []string{`executor.hcl:3,3: tenants.uid_max: must be at least uid_min and below 65534 (got 19999)`},
			wantErr: config.ErrUIDMax,
		},
		"uid_min above default uid_max points at the block": {
			src:     "tenants {\n  uid_min = 40000\n}\n",
			want:    []string{`executor.hcl:1,1: tenants.uid_max: must be at least uid_min and below 65534 (got 29999)`},
			wantErr: config.ErrUIDMax,
		},
		"uid_max nobody": {
			src:     "tenants {\n  uid_max = 65534\n}\n",
			want:    []string{`executor.hcl:2,3: tenants.uid_max: must be at least uid_min and below 65534 (got 65534)`},
			wantErr: config.ErrUIDMax,
		},
		"privileged port_min": {
			src:     "tenants {\n  port_min = 80\n}\n",
			want:    []string{`executor.hcl:2,3: tenants.port_min: must be within 1024..65535 (got 80)`},
			wantErr: config.ErrPortRange,
		},
		"port_max too high": {
			src:     "tenants {\n  port_max = 70000\n}\n",
			want:    []string{`executor.hcl:2,3: tenants.port_max: must be within 1024..65535 (got 70000)`},
			wantErr: config.ErrPortRange,
		},
		"port range too small": {
			src:     "tenants {\n  port_min = 20000\n  port_max = 20003\n}\n",
			want:    []string{`executor.hcl:3,3: tenants.port_max: must be at least port_min+4 (got 20003)`},
			wantErr: config.ErrPortSpan,
		},
		"port_stride": {
			src:     "\n\n\n\n\n\n\n\n\n\ntenants {\n  port_stride = 10\n}\n",
			want:    []string{`executor.hcl:12,3: tenants.port_stride: must be 20 (got 10)`},
			wantErr: config.ErrPortStride,
		},
		"relative nologin shell": {
			src:     "tenants {\n  nologin_shell = \"nologin\"\n}\n",
			want:    []string{`executor.hcl:2,3: tenants.nologin_shell: must be an absolute, clean path (got "nologin")`},
			wantErr: config.ErrPath,
		},
		"relative archive_dir": {
			src:     "tenants {\n  archive_dir = \"./archives\"\n}\n",
			want:    []string{`executor.hcl:2,3: tenants.archive_dir: must be an absolute, clean path (got "./archives")`},
			wantErr: config.ErrPath,
		},
		"unit_template not a template": {
			src:     "gateway {\n  unit_template = \"missioncontrol-gateway.service\"\n}\n",
			want:    []string{`executor.hcl:2,3: gateway.unit_template: must be a template unit name ending in "@.service" (got "missioncontrol-gateway.service")`},
			wantErr: config.ErrUnitTemplate,
		},
		"unit_template with path": {
			src:     "gateway {\n  unit_template = \"../x@.service\"\n}\n",
			want:    []string{`executor.hcl:2,3: gateway.unit_template: must be a template unit name ending in "@.service" (got "../x@.service")`},
			wantErr: config.ErrUnitTemplate,
		},
		"relative gateway command": {
			src:     "gateway {\n  command = [\"node\", \"gateway\"]\n}\n",
			want:    []string{`executor.hcl:2,3: gateway.command: must be an argv with an absolute, clean path first and no NUL or newline (got ["node", "gateway"])`},
			wantErr: config.ErrCommand,
		},
		"empty gateway command": {
			src:     "gateway {\n  command = []\n}\n",
			want:    []string{`executor.hcl:2,3: gateway.command: must be an argv with an absolute, clean path first and no NUL or newline (got [])`},
			wantErr: config.ErrCommand,
		},
		"newline in gateway argument": {
			src:     "gateway {\n  command = [\"/usr/bin/node\", \"a\\nb\"]\n}\n",
			want:    []string{`executor.hcl:2,3: gateway.command: must be an argv with an absolute, clean path first and no NUL or newline (got ["/usr/bin/node", "a\nb"])`},
			wantErr: config.ErrCommand,
		},
		"relative unit_dir": {
			src:     "systemd {\n  unit_dir = \"system\"\n}\n",
			want:    []string{`executor.hcl:2,3: systemd.unit_dir: must be an absolute, clean path (got "system")`},
			wantErr: config.ErrPath,
		},
		"relative command": {
			src: "commands {\n  useradd = \"useradd\"\n  tar = \"/usr/bin//tar\"\n}\n",
			want: []string{
				`executor.hcl:2,3: commands.useradd: must be an absolute, clean path (got "useradd")`,
				`executor.hcl:3,3: commands.tar: must be an absolute, clean path (got "/usr/bin//tar")`,
			},
			wantErr: config.ErrPath,
		},
		"relative runtime": {
			src:     "gateway {\n  runtime = \"opt/openclaw\"\n}\n",
			want:    []string{`executor.hcl:2,3: gateway.runtime: must be an absolute, clean path (got "opt/openclaw")`},
			wantErr: config.ErrPath,
		},
		"runtime versions": {
			src: "gateway {\n  openclaw_version = \"latest\"\n  node_version = \"24\"\n}\n",
			want: []string{
				`executor.hcl:2,3: gateway.openclaw_version: must be a version like 2026.9.6 (got "latest")`,
				`executor.hcl:3,3: gateway.node_version: must be a version like 2026.9.6 (got "24")`,
			},
			wantErr: config.ErrRuntimeVersion,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, err := config.Parse([]byte(tc.src), "executor.hcl")
			if err != nil {
				t.Fatalf("Parse() = %v", err)
			}
			err = c.Validate()
			if diff := cmp.Diff(tc.want, messages(err)); diff != "" {
				t.Errorf("Validate() errors mismatch (-want +got):\n%s", diff)
			}
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("errors.Is(%v, %v) = false", err, tc.wantErr)
			}
			var cerr *config.Error
			if !errors.As(err, &cerr) || cerr.Field == "" {
				t.Errorf("errors.As(*config.Error) = %v, field %+v", err, cerr)
			}
		})
	}
}

func TestValidateWithoutPositions(t *testing.T) {
	t.Parallel()
	c := config.Default()
	c.Tenants.PortStride = 10
	want := []string{"tenants.port_stride: must be 20 (got 10)"}
	if diff := cmp.Diff(want, messages(c.Validate())); diff != "" {
		t.Errorf("Validate() mismatch (-want +got):\n%s", diff)
	}
}

func TestLoad(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, src string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	missing := filepath.Join(dir, "missing.hcl")
	valid := write("valid.hcl", "state_dir = \"/var/lib/mc\"\n")
	invalid := write("invalid.hcl", "tenants {\n  port_stride = 10\n}\n")
	unknown := write("unknown.hcl", "stat_dir = \"/var/lib/mc\"\n")

	tests := map[string]struct {
		path    string
		want    string
		wantErr error
	}{
		"missing": {path: missing, want: missing + ": config file not found", wantErr: config.ErrNotFound},
		"valid":   {path: valid},
		"invalid": {path: invalid, want: invalid + ":2,3: tenants.port_stride: must be 20 (got 10)", wantErr: config.ErrPortStride},
		"unknown": {path: unknown, want: unknown + `:1,1: stat_dir: unknown setting: attribute "stat_dir"`, wantErr: config.ErrUnknown},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, err := config.Load(tc.path)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Load() = %v", err)
				}
				if got := c.DBPath(); got != "/var/lib/mc/executor.db" {
					t.Errorf("DBPath() = %q", got)
				}
				return
			}
			if err == nil || err.Error() != tc.want {
				t.Fatalf("Load() = %v, want %q", err, tc.want)
			}
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("errors.Is(%v, %v) = false", err, tc.wantErr)
			}
		})
	}
}

func TestResolveHostID(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, src string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	machineID := write("machine-id", "0123456789abcdef0123456789abcdef\n")
	empty := write("empty", "\n")

	tests := map[string]struct {
		hostID  string
		path    string
		want    string
		wantErr bool
	}{
		"configured":         {hostID: "host-1", path: filepath.Join(dir, "missing"), want: "host-1"},
		"from machine-id":    {path: machineID, want: "0123456789abcdef0123456789abcdef"},
		"empty machine-id":   {path: empty, wantErr: true},
		"missing machine-id": {path: filepath.Join(dir, "missing"), wantErr: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := config.Default()
			c.HostID = tc.hostID
			got, err := c.ResolveHostID(tc.path)
			if (err != nil) != tc.wantErr {
				t.Fatalf("ResolveHostID() error = %v, wantErr %v", err, tc.wantErr)
			}
			if got != tc.want {
				t.Errorf("ResolveHostID() = %q, want %q", got, tc.want)
			}
		})
	}
}
