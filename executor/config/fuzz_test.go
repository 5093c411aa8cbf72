package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/config"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/openclaw"
)

// FuzzParse feeds arbitrary sources to the configuration loader (Parse then
// Validate, as Load does). Properties: no panic; every refusal is one or
// more *config.Error, the same source always gets the same answer; and a
// configuration that passes Validate keeps the promises the executor relies
// on later: clean absolute paths, ranges that hold a gateway's five ports,
// uids above the system range, and a gateway unit whose ExecStart= and
// EnvironmentFile= lines cannot be split by anything in the file.
func FuzzParse(f *testing.F) {
	if src, err := os.ReadFile(filepath.Join("..", "..", "examples", "executor", "executor.hcl")); err == nil {
		f.Add(src)
	}
	for _, s := range []string{
		``, `state_dir = "/var/lib/x"`, `state_dir = "relative"`, `state_dir = "/"`, `state_dir = "/a/../b"`,
		`listen { mode = "0666" }`, `listen { mode = "abc" }`, `listen { group = "a b" }`,
		`tenants { uid_min = 0 }`, `tenants { port_min = 65535 port_max = 65535 }`, `tenants { port_stride = 10 }`,
		`tenants { root = "/srv/t\n" }`, `gateway { command = ["node", "x"] }`,
		`gateway { command = ["/usr/bin/node", "a\nExecStartPre=/bin/sh"] }`,
		`gateway { unit_template = "x.service" }`, `health { interval = "1ms" }`, `health { interval = 5 }`,
		`usage { interval = "25h" }`, `metrics { listen = "0.0.0.0:9100" }`, `unknown = 1`, `tenants {}` + "\n" + `tenants {}`,
		`key "ci" { public_key = "ed25519:AAAA" roles = ["plan"] }`, `host_id = "a b"`, `state_dir = "${env.HOME}"`,
		`{`, "\xff\xfe", `state_dir = 1`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		c, err := config.Parse(src, "fuzz.hcl")
		if err == nil {
			err = c.Validate()
		}
		if err != nil {
			for _, e := range leaves(err) {
				var ce *config.Error
				if !errors.As(e, &ce) {
					t.Fatalf("error %T is not a *config.Error: %v", e, e)
				}
			}
			c2, err2 := config.Parse(src, "fuzz.hcl")
			if err2 == nil {
				err2 = c2.Validate()
			}
			if err2 == nil || err2.Error() != err.Error() {
				t.Fatalf("loading twice disagrees: %v / %v", err, err2)
			}
			return
		}
		for name, p := range map[string]string{"state_dir": c.StateDir, "sudoers_dir": c.SudoersDir, "socket": c.Listen.Socket,
			"root": c.Tenants.Root, "config_root": c.Tenants.ConfigRoot, "archive_dir": c.Tenants.ArchiveDir,
			"unit_dir": c.Systemd.UnitDir, "systemctl": c.Commands.Systemctl, "useradd": c.Commands.Useradd} {
			if !filepath.IsAbs(p) || filepath.Clean(p) != p || strings.ContainsAny(p, "\n\r\x00") {
				t.Fatalf("accepted %s %q", name, p)
			}
		}
		for name, p := range map[string]string{"state_dir": c.StateDir, "root": c.Tenants.Root, "config_root": c.Tenants.ConfigRoot} {
			if p == "/" {
				t.Fatalf("accepted / as %s", name)
			}
		}
		tn := c.Tenants
		if tn.UIDMin < 1000 || tn.UIDMax < tn.UIDMin || tn.PortMin < 1024 || tn.PortMax > 65535 || tn.PortMin+4 > tn.PortMax || tn.PortStride != 20 {
			t.Fatalf("accepted tenants %+v", tn)
		}
		if c.Listen.Mode&0o007 != 0 {
			t.Fatalf("accepted a socket mode %o open to others", c.Listen.Mode)
		}
		unit := string(openclaw.UnitTemplate(openclaw.UnitOptions{ConfigRoot: tn.ConfigRoot, TenantsRoot: tn.Root, Command: c.Gateway.Command}))
		if n := strings.Count(unit, "\nExecStart="); n != 1 {
			t.Fatalf("gateway unit has %d ExecStart= lines:\n%s", n, unit)
		}
		if n := strings.Count(unit, "\nEnvironmentFile="); n != 3 {
			t.Fatalf("gateway unit has %d EnvironmentFile= lines:\n%s", n, unit)
		}
	})
}

// leaves flattens an errors.Join tree.
func leaves(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, leaves(e)...)
		}
		return out
	}
	return []error{err}
}
