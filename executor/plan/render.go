package plan

import (
	"fmt"
	"sort"
	"strings"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

// Renderer renders the files a tenant's gateway needs. Output must be
// deterministic: the same input always gives the same bytes, because file
// content hashes are part of the plan digest.
type Renderer interface {
	// GatewayConfig renders <state>/openclaw.json.
	GatewayConfig(l Layout, d api.Desired, port int) ([]byte, error)
	// GatewayEnv renders <config dir>/gateway.env.
	GatewayEnv(l Layout, d api.Desired, port int) ([]byte, error)
	// TokenEnv renders <config dir>/token.env around a fresh secret.
	TokenEnv(secret string) []byte
	// UnitTemplate renders the shared gateway template unit.
	UnitTemplate() ([]byte, error)
	// LimitsDropIn renders the per-tenant limits drop-in; nil means none.
	LimitsDropIn(l api.Limits) []byte
}

// envLines renders sorted KEY=VALUE lines, refusing what systemd's
// EnvironmentFile= would misread.
func envLines(env map[string]string) ([]byte, error) {
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		v := env[k]
		if !validEnvKey(k) {
			return nil, fmt.Errorf("environment key %q: must match ^[A-Z_][A-Z0-9_]*$", k)
		}
		if strings.ContainsAny(v, "\n\r\x00\\\"'") {
			return nil, fmt.Errorf("environment value of %s: newlines, NUL, quotes and backslashes are not allowed", k)
		}
		fmt.Fprintf(&b, "%s=%s\n", k, v)
	}
	return []byte(b.String()), nil
}

func validEnvKey(k string) bool {
	if k == "" {
		return false
	}
	for i, c := range k {
		switch {
		case c == '_', c >= 'A' && c <= 'Z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
