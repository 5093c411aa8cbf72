package policy

import (
	"path/filepath"

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
