package openclaw

import (
	"errors"
	"strings"
	"testing"
)

var acmeEnv = Env{
	Home: "/srv/missioncontrol/tenants/acme", StateDir: acmeState, ConfigPath: acmeState + "/openclaw.json",
	Port: 20000, NodeBinDir: "/opt/missioncontrol/openclaw/node/bin",
	Extra: map[string]string{"TZ": "UTC", "GREETING": `say "hi" $USER \ # not a comment `, "EMPTY": ""},
}

func TestRenderEnvGolden(t *testing.T) {
	t.Parallel()
	got, err := RenderEnv(acmeEnv)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "gateway.env", got)
	again, _ := RenderEnv(acmeEnv)
	if string(again) != string(got) {
		t.Error("two renders differ")
	}
	minimal, err := RenderEnv(Env{Home: "/h", StateDir: "/h/.openclaw", ConfigPath: "/h/.openclaw/openclaw.json", Port: 20000})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "gateway-minimal.env", minimal)
}

func TestRenderEnvErrors(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		mut   func(e *Env)
		field string
	}{
		"lower-case key":   {func(e *Env) { e.Extra = map[string]string{"tz": "UTC"} }, "environment.tz"},
		"digit first":      {func(e *Env) { e.Extra = map[string]string{"1X": "a"} }, "environment.1X"},
		"dash in key":      {func(e *Env) { e.Extra = map[string]string{"A-B": "a"} }, "environment.A-B"},
		"newline value":    {func(e *Env) { e.Extra = map[string]string{"A": "a\nB=b"} }, "environment.A"},
		"NUL value":        {func(e *Env) { e.Extra = map[string]string{"A": "a\x00"} }, "environment.A"},
		"CR value":         {func(e *Env) { e.Extra = map[string]string{"A": "a\r"} }, "environment.A"},
		"override state":   {func(e *Env) { e.Extra = map[string]string{"OPENCLAW_STATE_DIR": "/tmp"} }, "environment.OPENCLAW_STATE_DIR"},
		"token in env":     {func(e *Env) { e.Extra = map[string]string{TokenEnvKey: "x"} }, "environment.OPENCLAW_GATEWAY_TOKEN"},
		"provider key":     {func(e *Env) { e.Extra = map[string]string{"MISSIONCONTROL_X": "x"} }, "environment.MISSIONCONTROL_X"},
		"relative home":    {func(e *Env) { e.Home = "srv" }, "home"},
		"no port":          {func(e *Env) { e.Port = 0 }, "port"},
		"relative nodebin": {func(e *Env) { e.NodeBinDir = "bin" }, "node_bin_dir"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := acmeEnv
			tc.mut(&e)
			_, err := RenderEnv(e)
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tc.field {
				t.Fatalf("err = %v, want a *FieldError for %s", err, tc.field)
			}
		})
	}
}

func TestToken(t *testing.T) {
	t.Parallel()
	a, err := NewToken()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewToken()
	if len(a) != 64 || a == b {
		t.Fatalf("tokens %q %q", a, b)
	}
	env, err := RenderTokenEnv(a)
	if err != nil || string(env) != "OPENCLAW_GATEWAY_TOKEN="+a+"\n" {
		t.Fatalf("RenderTokenEnv = %q, %v", env, err)
	}
	if got, err := ParseTokenEnv(env); err != nil || got != a {
		t.Fatalf("ParseTokenEnv = %q, %v", got, err)
	}
	for _, bad := range []string{"", "short", strings.Repeat("G", 64), strings.ToUpper(a)} {
		if _, err := RenderTokenEnv(bad); err == nil {
			t.Errorf("RenderTokenEnv(%q) accepted", bad)
		}
	}
	for _, bad := range []string{"", "OPENCLAW_GATEWAY_TOKEN=" + a, "X=" + a + "\n", string(env) + "Y=1\n"} {
		if _, err := ParseTokenEnv([]byte(bad)); err == nil {
			t.Errorf("ParseTokenEnv(%q) accepted", bad)
		}
	}
}

func TestRenderCredentialsEnv(t *testing.T) {
	t.Parallel()
	got, err := RenderCredentialsEnv(map[string]string{"fake": "fake-key", "my-llm": `sk-"quoted"$x`})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "credentials.env", got)
	if b, err := RenderCredentialsEnv(nil); b != nil || err != nil {
		t.Errorf("no keys: %q, %v", b, err)
	}
	_, err = RenderCredentialsEnv(map[string]string{"fake": "sk-secret\nX=1"})
	if err == nil || strings.Contains(err.Error(), "sk-secret") {
		t.Errorf("bad key: err %v must exist and not echo the key", err)
	}
	if _, err := RenderCredentialsEnv(map[string]string{"Bad": "k"}); err == nil {
		t.Error("bad provider name accepted")
	}
	if _, err := RenderCredentialsEnv(map[string]string{"fake": ""}); err == nil {
		t.Error("empty key accepted")
	}
	if got := ProviderKeyEnv("my-llm"); got != "MISSIONCONTROL_PROVIDER_MY_LLM_API_KEY" {
		t.Errorf("ProviderKeyEnv = %s", got)
	}
}
