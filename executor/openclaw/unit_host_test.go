package openclaw

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/fakellm"
	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/testhost"
)

var exposureRE = regexp.MustCompile(`Overall exposure level for \S+: ([0-9.]+)`)

// TestGatewayUnitInThrowawayHost installs the rendered template unit, env
// files and config in a throwaway host with a real systemd, starts one real
// gateway as mc-<tenant> under the full sandbox, and checks that it answers
// health and a turn, that systemd hands it the environment exactly as
// rendered, that the tenant user cannot read its own secret files, and that
// `systemd-analyze security` scores the running unit at or below 2.0.
func TestGatewayUnitInThrowawayHost(t *testing.T) {
	if testing.Short() {
		t.Skip("SKIP (loud): real gateway in a throwaway host is not run with -short")
	}
	rt := testRuntime(t)
	h := testhost.Boot(t, testhost.Options{Net: "host"}) // the fake LLM and the probe use the machine's loopback
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	const tenant = "x"
	llm := fakellm.Start(t)
	ht := setupHostTenant(t, ctx, h, rt, llm, tenant)
	name, port, token, user, cfgDir, state, tricky := ht.unit, ht.port, ht.token, ht.user, ht.cfgDir, ht.state, ht.tricky

	start := time.Now()
	h.Run(t, "systemctl", "start", name)
	probe := &http.Client{Timeout: 2 * time.Second}
	wctx, wcancel := context.WithTimeout(ctx, 120*time.Second)
	defer wcancel()
	if _, err := WaitHealthy(wctx, probe, port, 250*time.Millisecond); err != nil {
		t.Fatalf("gateway unit not healthy: %v\n%s\n%s", err, h.Journal("-u", name, "-n", "60"),
			h.Journal("-n", "30"))
	}
	t.Logf("%s healthy %v after systemctl start", name, time.Since(start).Round(100*time.Millisecond))

	client := &http.Client{Timeout: 120 * time.Second}
	if code, body := chat(t, client, port, token, "alice"); code != http.StatusOK {
		t.Fatalf("turn with the token: %d %s\n%s", code, body, h.Journal("-u", name, "-n", "40"))
	}
	wrong, _ := NewToken()
	if code, _ := chat(t, client, port, wrong, "mallory"); code != http.StatusUnauthorized {
		t.Errorf("turn with a wrong token: %d, want 401", code)
	}

	// systemd passes the environment exactly as rendered.
	pid := strings.TrimSpace(h.Run(t, "systemctl", "show", "-p", "MainPID", "--value", name))
	environ := h.Run(t, "cat", "/proc/"+pid+"/environ")
	if !strings.Contains(environ, "\x00MC_TEST_TRICKY="+tricky+"\x00") && !strings.HasPrefix(environ, "MC_TEST_TRICKY="+tricky+"\x00") {
		t.Errorf("systemd did not pass MC_TEST_TRICKY=%q; environ:\n%q", tricky, environ)
	}
	if status := h.Run(t, "cat", "/proc/"+pid+"/status"); !regexp.MustCompile(`(?m)^NoNewPrivs:\s+1$`).MatchString(status) ||
		!regexp.MustCompile(`(?m)^CapBnd:\s+0+$`).MatchString(status) {
		t.Errorf("gateway runs without NoNewPrivs or with capabilities:\n%s", status)
	}
	if out, err := h.Try("runuser", "-u", user, "--", "cat", filepath.Join(cfgDir, "token.env")); err == nil {
		t.Errorf("%s can read its token.env:\n%s", user, out)
	}

	// usage written by OpenClaw itself, as the tenant user, under the sandbox.
	// SQLite resolves /proc/<pid>/root links, so read a copy made inside.
	copyDir := filepath.Join(h.Share, "agent")
	var recs []usageRecord
	var err error
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		os.RemoveAll(copyDir)
		if err = os.Mkdir(copyDir, 0o700); err != nil {
			t.Fatal(err)
		}
		h.Run(t, "cp", "-a", filepath.Dir(AgentStore(state, "main"))+"/.", "/share/agent/")
		if recs, err = assistantUsage(filepath.Join(copyDir, "openclaw-agent.sqlite")); err == nil && len(recs) > 0 {
			break
		}
	}
	if err != nil || len(recs) != 1 || recs[0].Input != 1034 || recs[0].Output != 56 {
		t.Errorf("usage records: %+v, %v", recs, err)
	}

	out := h.Run(t, "systemd-analyze", "security", "--no-pager", name)
	m := exposureRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no exposure level in:\n%s", out)
	}
	exposure, _ := strconv.ParseFloat(m[1], 64)
	t.Logf("systemd-analyze security %s: exposure %.1f", name, exposure)
	if exposure > 2.0 {
		t.Errorf("exposure %.1f > 2.0:\n%s", exposure, out)
	}

	h.Run(t, "systemctl", "stop", name)
	if state := strings.TrimSpace(h.Run(t, "systemctl", "show", "-p", "ActiveState", "--value", name)); state != "inactive" {
		t.Errorf("after stop: %s", state)
	}
}

type hostTenant struct {
	unit, user, cfgDir, state, token, tricky string
	port                                     int
}

// setupHostTenant creates the tenant user, dirs and rendered files inside h
// and installs the template unit and a limits drop-in, without starting it.
func setupHostTenant(t *testing.T, ctx context.Context, h *testhost.Host, rt Runtime, llm *fakellm.Server, tenant string) hostTenant {
	t.Helper()
	const tenantsRoot, configRoot = "/srv/missioncontrol/tenants", "/etc/missioncontrol/tenants"
	user := UnitUserPrefix + tenant
	home := filepath.Join(tenantsRoot, tenant)
	state := filepath.Join(home, ".openclaw")
	cfgDir := filepath.Join(configRoot, tenant)
	port := freePort(t)

	st := llm.Settings()
	st.APIKey = "sk-host-test"
	llm.Set(st)

	config, err := RenderConfig(TenantConfig{Port: port, StateDir: state, Agents: []Agent{{ID: "main"}},
		Providers: []ModelProvider{{Name: "fake", BaseURL: llm.BaseURL(), API: "openai-completions",
			Models: []Model{{ID: "fake-model-1", Cost: Price{Input: 3, Output: 15, CacheRead: 0.3}}}}}})
	if err != nil {
		t.Fatal(err)
	}
	tricky := `say "hi" $USER \ # kept`
	env, err := RenderEnv(Env{Home: home, StateDir: state, ConfigPath: filepath.Join(state, "openclaw.json"), Port: port,
		NodeBinDir: rt.NodeBinDir(), Extra: map[string]string{"MC_TEST_TRICKY": tricky}})
	if err != nil {
		t.Fatal(err)
	}
	token, _ := NewToken()
	tokenEnv, _ := RenderTokenEnv(token)
	creds, _ := RenderCredentialsEnv(map[string]string{"fake": st.APIKey})

	h.Run(t, "useradd", "--system", "--user-group", "--no-create-home", "--home-dir", home, "--shell", "/usr/sbin/nologin", user)
	h.Run(t, "install", "-d", "-o", user, "-g", user, "-m", "0750", home, state, filepath.Join(state, "logs"), WorkspaceDir(state, "main"))
	h.Run(t, "install", "-d", "-o", "root", "-g", "root", "-m", "0750", cfgDir)
	put := func(name string, b []byte, owner, dst string) {
		if err := os.WriteFile(filepath.Join(h.Share, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
		h.Run(t, "install", "-m", "0600", "-o", owner, "-g", owner, "/share/"+name, dst)
	}
	put("openclaw.json", config, user, filepath.Join(state, "openclaw.json"))
	put("gateway.env", env, "root", filepath.Join(cfgDir, "gateway.env"))
	put("token.env", tokenEnv, "root", filepath.Join(cfgDir, "token.env"))
	put("credentials.env", creds, "root", filepath.Join(cfgDir, "credentials.env"))

	unit := UnitTemplate(UnitOptions{ConfigRoot: configRoot, TenantsRoot: tenantsRoot, Command: rt.GatewayCommand("${PORT}")})
	if err := h.InstallUnit(ctx, DefaultUnitTemplate, unit); err != nil {
		t.Fatal(err)
	}
	name := GatewayUnit(tenant)
	dropIn := LimitsDropIn(api.Limits{MemoryMaxMB: 3072, TasksMax: 512})
	if err := os.WriteFile(filepath.Join(h.Share, "limits.conf"), dropIn, 0o644); err != nil {
		t.Fatal(err)
	}
	h.Run(t, "install", "-D", "-m", "0644", "/share/limits.conf", filepath.Join("/etc/systemd/system", name+".d", LimitsDropInName))
	h.Run(t, "systemctl", "daemon-reload")
	if out, err := h.Try("systemd-analyze", "verify", "/etc/systemd/system/"+DefaultUnitTemplate); err != nil {
		t.Logf("systemd-analyze verify: %v\n%s", err, out)
	}

	return hostTenant{unit: name, user: user, cfgDir: cfgDir, state: state, token: token, tricky: tricky, port: port}
}
