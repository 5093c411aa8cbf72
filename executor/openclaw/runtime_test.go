package openclaw

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// testRuntime returns the installed runtime (MISSIONCONTROL_OPENCLAW_PREFIX,
// default DefaultPrefix) or skips loudly; CI installs it with
// `make openclaw-runtime`. With MISSIONCONTROL_OPENCLAW_REQUIRE=1 a missing
// runtime fails the test instead.
func testRuntime(t *testing.T) Runtime {
	t.Helper()
	prefix := os.Getenv("MISSIONCONTROL_OPENCLAW_PREFIX")
	if prefix == "" {
		prefix = DefaultPrefix
	}
	rt := Runtime{Prefix: prefix}
	if _, err := rt.ReadManifest(); err != nil {
		msg := fmt.Sprintf("SKIP (loud): OpenClaw runtime not usable in %s: %v; run `make openclaw-runtime` (CI installs it)", prefix, err)
		if os.Getenv("MISSIONCONTROL_OPENCLAW_REQUIRE") == "1" || !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(msg)
		}
		fmt.Fprintln(os.Stderr, "!!! "+msg)
		t.Skip(msg)
	}
	return rt
}

// The installed runtime passes Check; a copy whose openclaw.mjs was edited
// after installation, or whose manifest names other versions, does not.
func TestRuntimeCheck(t *testing.T) {
	rt := testRuntime(t)
	if _, err := rt.Check(); err != nil {
		t.Fatalf("Check() of the installed runtime = %v", err)
	}
	m, err := rt.ReadManifest()
	if err != nil {
		t.Fatal(err)
	}
	// A fake prefix: the real node by symlink (hashing follows it, as exec
	// does), a copy of openclaw.mjs, and the manifest.
	dir := t.TempDir()
	link := func(rel string) {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, rel)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join(rt.Prefix, rel), filepath.Join(dir, rel)); err != nil {
			t.Fatal(err)
		}
	}
	link(m.NodePath)
	mjs, err := os.ReadFile(filepath.Join(rt.Prefix, m.OpenClawMJSPath))
	if err != nil {
		t.Fatal(err)
	}
	write := func(rel string, b []byte) {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, rel)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, rel), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(m.OpenClawMJSPath, mjs)
	manifest, err := os.ReadFile(filepath.Join(rt.Prefix, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	write("manifest.json", manifest)
	copyRT := Runtime{Prefix: dir}
	if _, err := copyRT.Check(); err != nil {
		t.Fatalf("Check() of an exact copy = %v", err)
	}

	write(m.OpenClawMJSPath, append(mjs, []byte("\n// edited\n")...))
	_, err = copyRT.Check()
	if err == nil || !strings.Contains(err.Error(), "openclaw.mjs has sha256") || !strings.Contains(err.Error(), "reinstall") {
		t.Errorf("Check() after editing openclaw.mjs = %v, want a sha256 mismatch naming the file", err)
	}

	write("manifest.json", bytes.Replace(manifest, []byte(`"openclaw": "`+Version+`"`), []byte(`"openclaw": "2026.1.1"`), 1))
	_, err = copyRT.Check()
	if err == nil || !strings.Contains(err.Error(), "openclaw 2026.1.1, want") {
		t.Errorf("Check() of another version = %v, want a version mismatch", err)
	}
}

// cliEnv is a minimal environment for running the openclaw CLI against a
// config file, with a throwaway HOME and state dir.
func cliEnv(t *testing.T, rt Runtime, configPath string) []string {
	home := t.TempDir()
	return []string{
		"HOME=" + home, "OPENCLAW_STATE_DIR=" + filepath.Join(home, ".openclaw"),
		"OPENCLAW_CONFIG_PATH=" + configPath, "PATH=" + rt.NodeBinDir() + ":/usr/bin:/bin",
		"OPENCLAW_DISABLE_BONJOUR=1", "OPENCLAW_NO_AUTO_UPDATE=1", "OPENCLAW_NO_RESPAWN=1",
		"OPENCLAW_SKIP_CHANNELS=1", "OPENCLAW_EXEC_SHELL_SNAPSHOT=0",
	}
}

// validate runs `openclaw config validate --json` on config.
func validate(t *testing.T, rt Runtime, config []byte) (bool, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "openclaw.json")
	if err := os.WriteFile(path, config, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	argv := rt.CLI("config", "validate", "--json")
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = cliEnv(t, rt, path)
	cmd.Dir = filepath.Dir(path)
	out, err := cmd.CombinedOutput()
	var res struct {
		Valid bool `json:"valid"`
	}
	i := bytes.IndexByte(out, '{')
	if i < 0 || json.Unmarshal(out[i:], &res) != nil {
		t.Fatalf("openclaw config validate: %v: no JSON result:\n%s", err, out)
	}
	return res.Valid && err == nil, string(out)
}

// Every golden config passes OpenClaw's own strict validation, and a config
// with one unknown key does not (so the check can fail).
func TestRenderedConfigsValidateWithOpenClaw(t *testing.T) {
	rt := testRuntime(t)
	t.Parallel()
	for name, c := range configCases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b, err := RenderConfig(c)
			if err != nil {
				t.Fatal(err)
			}
			if ok, out := validate(t, rt, b); !ok {
				t.Fatalf("openclaw rejects the rendered config:\n%s\nconfig:\n%s", out, b)
			}
		})
	}
	t.Run("unknown key is rejected", func(t *testing.T) {
		t.Parallel()
		b, _ := RenderConfig(configCases["single-agent"])
		b = bytes.Replace(b, []byte(`"mode": "local",`), []byte(`"mode": "local", "bogusKey": true,`), 1)
		if ok, out := validate(t, rt, b); ok || !strings.Contains(out, "bogusKey") {
			t.Fatalf("openclaw accepted an unknown key:\n%s", out)
		}
	})
}

var schemaOnce struct {
	sync.Once
	schema map[string]any
	err    error
}

// openclawSchema is `openclaw config schema --json` of the installed runtime.
func openclawSchema(t *testing.T, rt Runtime) map[string]any {
	t.Helper()
	schemaOnce.Do(func() {
		argv := rt.CLI("config", "schema", "--json")
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Env = cliEnv(t, rt, filepath.Join(t.TempDir(), "none.json"))
		out, err := cmd.Output()
		if err != nil {
			schemaOnce.err = fmt.Errorf("openclaw config schema: %w", err)
			return
		}
		schemaOnce.err = json.Unmarshal(out, &schemaOnce.schema)
	})
	if schemaOnce.err != nil {
		t.Fatal(schemaOnce.err)
	}
	return schemaOnce.schema
}

// objectVariants are the object schemas a node allows (itself, or its
// anyOf/oneOf members).
func objectVariants(node map[string]any) []map[string]any {
	var out []map[string]any
	if _, ok := node["properties"]; ok || node["type"] == "object" {
		out = append(out, node)
	}
	for _, k := range []string{"anyOf", "oneOf", "allOf"} {
		if list, ok := node[k].([]any); ok {
			for _, v := range list {
				if m, ok := v.(map[string]any); ok {
					out = append(out, objectVariants(m)...)
				}
			}
		}
	}
	return out
}

// checkAgainstSchema reports every key of doc the schema does not declare.
func checkAgainstSchema(path string, doc any, node map[string]any, bad *[]string) {
	switch doc := doc.(type) {
	case map[string]any:
		variants := objectVariants(node)
		for k, v := range doc {
			var child map[string]any
			for _, o := range variants {
				if props, ok := o["properties"].(map[string]any); ok {
					if c, ok := props[k].(map[string]any); ok {
						child = c
						break
					}
				}
				if ap, ok := o["additionalProperties"].(map[string]any); ok {
					child = ap
					break
				}
			}
			if child == nil {
				*bad = append(*bad, path+"."+k)
				continue
			}
			checkAgainstSchema(path+"."+k, v, child, bad)
		}
	case []any:
		items, _ := node["items"].(map[string]any)
		for _, o := range objectVariants(node) {
			if it, ok := o["items"].(map[string]any); ok {
				items = it
			}
		}
		for i, v := range doc {
			if items != nil {
				checkAgainstSchema(fmt.Sprintf("%s[%d]", path, i), v, items, bad)
			}
		}
	}
}

// Property: for many random inputs, every rendered key is declared by the
// installed OpenClaw's schema (unknown keys break the gateway).
func TestRenderConfigKeysInSchema(t *testing.T) {
	rt := testRuntime(t)
	schema := openclawSchema(t, rt)
	var bad []string
	checkAgainstSchema("", map[string]any{"gateway": map[string]any{"port": 1.0, "bogus": true}}, schema, &bad)
	if len(bad) != 1 || bad[0] != ".gateway.bogus" {
		t.Fatalf("schema walk does not catch an unknown key: %v", bad)
	}
	r := newRand()
	for i := range 300 {
		c := randomConfig(r)
		b, err := RenderConfig(c)
		if err != nil {
			t.Fatal(err)
		}
		var doc any
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		var bad []string
		checkAgainstSchema("", doc, schema, &bad)
		if len(bad) > 0 {
			t.Fatalf("case %d: keys not in the OpenClaw %s schema: %v", i, Version, bad)
		}
	}
}
