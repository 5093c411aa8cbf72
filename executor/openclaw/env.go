package openclaw

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Env is what gateway.env (<config_root>/<tenant>/gateway.env) carries.
type Env struct {
	Home       string // HOME and the unit's working directory: the tenant home
	StateDir   string // OPENCLAW_STATE_DIR
	ConfigPath string // OPENCLAW_CONFIG_PATH, <state>/openclaw.json
	Port       int    // PORT, expanded by systemd in ExecStart as ${PORT}
	// NodeBinDir, when set, puts the runtime's node first on PATH so what
	// OpenClaw spawns (npm root, node) runs on the pinned Node.
	NodeBinDir string
	// CompileCache is NODE_COMPILE_CACHE; empty means <Home>/.cache/node-compile-cache.
	CompileCache string
	// Extra is the service's extra environment from the spec. It may not
	// set a key that RenderEnv sets itself, OPENCLAW_GATEWAY_TOKEN, or a
	// MISSIONCONTROL_ key.
	Extra map[string]string
}

// TokenEnvKey is the only key of token.env.
const TokenEnvKey = "OPENCLAW_GATEWAY_TOKEN"

// reservedPrefix marks keys the executor owns (provider API keys).
const reservedPrefix = "MISSIONCONTROL_"

var envKeyRE = regexp.MustCompile(`^[A-Z_][A-Z0-9_]*$`)

// RenderEnv renders gateway.env: sorted KEY=VALUE lines for systemd's
// EnvironmentFile=, with the embedding preset of OpenClaw's
// docs/gateway/embedding.md (no bonjour, no respawn, no channels, no shell
// snapshot, no auto update). Outcomes: the bytes, identical for identical
// input; or a *FieldError for a missing path, a key not matching
// ^[A-Z_][A-Z0-9_]*$, a reserved key in Extra, or a value with a newline,
// carriage return or NUL.
func RenderEnv(e Env) ([]byte, error) {
	for field, p := range map[string]string{"home": e.Home, "state_dir": e.StateDir, "config_path": e.ConfigPath} {
		if err := checkPath(field, p); err != nil {
			return nil, err
		}
	}
	if e.Port < 1 || e.Port > 65535 {
		return nil, fieldErr("port", strconv.Itoa(e.Port), "must be in 1..65535")
	}
	cache := e.CompileCache
	if cache == "" {
		cache = filepath.Join(e.Home, ".cache", "node-compile-cache")
	}
	vars := map[string]string{
		"HOME":                         e.Home,
		"OPENCLAW_STATE_DIR":           e.StateDir,
		"OPENCLAW_CONFIG_PATH":         e.ConfigPath,
		"OPENCLAW_DISABLE_BONJOUR":     "1",
		"OPENCLAW_NO_AUTO_UPDATE":      "1",
		"OPENCLAW_NO_RESPAWN":          "1",
		"OPENCLAW_SKIP_CHANNELS":       "1",
		"OPENCLAW_EXEC_SHELL_SNAPSHOT": "0",
		"NODE_COMPILE_CACHE":           cache,
		"PORT":                         strconv.Itoa(e.Port),
	}
	if e.NodeBinDir != "" {
		if err := checkPath("node_bin_dir", e.NodeBinDir); err != nil {
			return nil, err
		}
		vars["PATH"] = e.NodeBinDir + ":/usr/local/bin:/usr/bin:/bin"
	}
	for k, v := range e.Extra {
		if _, own := vars[k]; own || k == TokenEnvKey || strings.HasPrefix(k, reservedPrefix) {
			return nil, fieldErr("environment."+k, v, "key is set by the executor")
		}
		vars[k] = v
	}
	return envFile("environment", vars)
}

// NewToken returns a fresh gateway token: 32 random bytes, hex encoded.
func NewToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("new gateway token: %w", err)
	}
	return hex.EncodeToString(b), nil
}

var tokenRE = regexp.MustCompile(`^[0-9a-f]{64}$`)

// RenderTokenEnv renders token.env ("OPENCLAW_GATEWAY_TOKEN=<hex>\n"), which
// the executor creates once, root-owned with mode 0600. It refuses anything
// but a NewToken token.
func RenderTokenEnv(token string) ([]byte, error) {
	if !tokenRE.MatchString(token) {
		return nil, errors.New("gateway token: must be 64 lower-case hex digits")
	}
	return []byte(TokenEnvKey + "=" + token + "\n"), nil
}

// ParseTokenEnv returns the token of a token.env file, or an error if the
// file is not exactly what RenderTokenEnv writes.
func ParseTokenEnv(b []byte) (string, error) {
	s, ok := strings.CutPrefix(string(b), TokenEnvKey+"=")
	s, nl := strings.CutSuffix(s, "\n")
	if !ok || !nl || !tokenRE.MatchString(s) {
		return "", errors.New("token.env: want one line OPENCLAW_GATEWAY_TOKEN=<64 hex digits>")
	}
	return s, nil
}

// ProviderKeyEnv is the environment variable that holds a model provider's
// API key, e.g. MISSIONCONTROL_PROVIDER_FAKE_API_KEY for "fake" (and
// ..._MY_LLM_... for "my-llm"). The rendered config's apiKey is an env
// SecretRef to it.
func ProviderKeyEnv(provider string) string {
	return reservedPrefix + "PROVIDER_" + strings.ToUpper(strings.ReplaceAll(provider, "-", "_")) + "_API_KEY"
}

// RenderCredentialsEnv renders credentials.env from provider name -> API
// key: sorted ProviderKeyEnv(name)=key lines, for a root-owned 0600 file
// the unit loads with EnvironmentFile=-. Outcomes: the bytes (nil for no
// keys); or a *FieldError for a bad provider name or an empty key or one
// with a newline, carriage return or NUL.
func RenderCredentialsEnv(keys map[string]string) ([]byte, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	vars := map[string]string{}
	for name, key := range keys {
		if !providerRE.MatchString(name) {
			return nil, fieldErr("providers."+name, name, "must match %s", providerRE)
		}
		if key == "" {
			return nil, fieldErr("providers."+name+".api_key", "", "must not be empty")
		}
		vars[ProviderKeyEnv(name)] = key
	}
	b, err := envFile("providers", vars)
	if err != nil {
		// never echo a key back in an error
		var fe *FieldError
		if errors.As(err, &fe) {
			fe.Value = "(redacted)"
		}
		return nil, err
	}
	return b, nil
}

// envFile renders sorted KEY=VALUE lines.
func envFile(field string, vars map[string]string) ([]byte, error) {
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		v := vars[k]
		if !envKeyRE.MatchString(k) {
			return nil, fieldErr(field+"."+k, k, "key must match %s", envKeyRE)
		}
		if strings.ContainsAny(v, "\n\r\x00") {
			return nil, fieldErr(field+"."+k, v, "value must not contain a newline, carriage return or NUL")
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(envValue(v))
		b.WriteByte('\n')
	}
	return []byte(b.String()), nil
}

// envValue quotes v for systemd's EnvironmentFile= parser when needed. Plain
// values stay bare; anything else is double-quoted with \ " ` $ escaped,
// which systemd unescapes (it expands no variables in environment files),
// so leading or trailing blanks, quotes, '#' and backslashes arrive intact.
func envValue(v string) string {
	plain := v != ""
	for _, r := range v {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_-.,/:@%+=", r)) {
			plain = false
			break
		}
	}
	if plain {
		return v
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range v {
		if strings.ContainsRune("\\\"`$", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	b.WriteByte('"')
	return b.String()
}
