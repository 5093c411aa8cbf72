package openclaw

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	_ "modernc.org/sqlite"

	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/fakellm"
)

// parseEnvFile reads the files RenderEnv, RenderTokenEnv and
// RenderCredentialsEnv write the way systemd's EnvironmentFile= does for
// that subset: KEY=VALUE, VALUE bare or double-quoted with \ escapes.
func parseEnvFile(t *testing.T, b []byte) []string {
	t.Helper()
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if !ok {
			t.Fatalf("env line %q has no =", sc.Text())
		}
		if strings.HasPrefix(v, `"`) {
			var u strings.Builder
			for i := 1; i < len(v)-1; i++ {
				if v[i] == '\\' {
					i++
				}
				u.WriteByte(v[i])
			}
			v = u.String()
		}
		out = append(out, k+"="+v)
	}
	return out
}

// freePort finds a loopback port with port+2 and port+4 free too.
func freePort(t *testing.T) int {
	t.Helper()
	for range 50 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		p := l.Addr().(*net.TCPAddr).Port
		l.Close()
		free := p+4 <= 65535
		for _, q := range []int{p + 2, p + 4} {
			if l2, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", q)); err != nil {
				free = false
			} else {
				l2.Close()
			}
		}
		if free {
			return p
		}
	}
	t.Fatal("no free port")
	return 0
}

type tenantFiles struct {
	home, state, configDir string
	port                   int
	token                  string
	env                    []string // the gateway's whole environment
}

// renderTenant renders and writes a tenant's files under root the way the
// executor lays them out: home root/home/<t>, config root/etc/<t>.
func renderTenant(t *testing.T, rt Runtime, root, tenant string, llm *fakellm.Server, apiKey string) tenantFiles {
	t.Helper()
	f := tenantFiles{home: filepath.Join(root, "home", tenant), configDir: filepath.Join(root, "etc", tenant), port: freePort(t)}
	f.state = filepath.Join(f.home, ".openclaw")
	for _, d := range []string{f.state, f.configDir, WorkspaceDir(f.state, "main")} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := RenderConfig(TenantConfig{
		Port: f.port, StateDir: f.state,
		Agents: []Agent{{ID: "main"}},
		Providers: []ModelProvider{{Name: "fake", BaseURL: llm.BaseURL(), API: "openai-completions", Models: []Model{
			{ID: "fake-model-1", Cost: Price{Input: 3, Output: 15, CacheRead: 0.3, CacheWrite: 3.75}, ContextWindow: 128000, MaxTokens: 4096}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	env, err := RenderEnv(Env{Home: f.home, StateDir: f.state, ConfigPath: filepath.Join(f.state, "openclaw.json"),
		Port: f.port, NodeBinDir: rt.NodeBinDir(), Extra: map[string]string{"TZ": "UTC"}})
	if err != nil {
		t.Fatal(err)
	}
	if f.token, err = NewToken(); err != nil {
		t.Fatal(err)
	}
	tokenEnv, err := RenderTokenEnv(f.token)
	if err != nil {
		t.Fatal(err)
	}
	creds, err := RenderCredentialsEnv(map[string]string{"fake": apiKey})
	if err != nil {
		t.Fatal(err)
	}
	for path, b := range map[string][]byte{
		filepath.Join(f.state, "openclaw.json"):       cfg,
		filepath.Join(f.configDir, "gateway.env"):     env,
		filepath.Join(f.configDir, "token.env"):       tokenEnv,
		filepath.Join(f.configDir, "credentials.env"): creds,
	} {
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, b := range [][]byte{env, tokenEnv, creds} {
		f.env = append(f.env, parseEnvFile(t, b)...)
	}
	return f
}

// chat sends one /v1/chat/completions turn with token and returns the status and body.
func chat(t *testing.T, client *http.Client, port int, token, user string) (int, string) {
	t.Helper()
	body := fmt.Sprintf(`{"model":"openclaw","user":%q,"messages":[{"role":"user","content":"Say hello."}]}`, user)
	req, err := http.NewRequest(http.MethodPost, fmt.Sprintf("http://127.0.0.1:%d/v1/chat/completions", port), strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("chat turn: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// usageRecord is the part of an assistant message event the test checks.
type usageRecord struct {
	Provider, Model, StopReason string
	Input, Output, CacheRead    int
	CostTotal                   float64
}

// assistantUsage reads the assistant usage records of an agent store,
// read-only, decompressing zstd rows.
func assistantUsage(store string) ([]usageRecord, error) {
	db, err := sql.Open("sqlite", "file:"+store+"?mode=ro")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rows, err := db.Query(`SELECT event_json, event_zstd FROM transcript_events ORDER BY created_at, rowid`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	dec, err := zstd.NewReader(nil)
	if err != nil {
		return nil, err
	}
	defer dec.Close()
	var out []usageRecord
	for rows.Next() {
		var js sql.NullString
		var z []byte
		if err := rows.Scan(&js, &z); err != nil {
			return nil, err
		}
		raw := []byte(js.String)
		if !js.Valid {
			if raw, err = dec.DecodeAll(z, nil); err != nil {
				return nil, err
			}
		}
		var ev struct {
			Type    string
			Message struct {
				Role, Provider, Model, StopReason string
				Usage                             *struct {
					Input, Output, CacheRead int
					Cost                     struct{ Total float64 }
				}
			}
		}
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, err
		}
		if ev.Type == "message" && ev.Message.Role == "assistant" && ev.Message.Usage != nil {
			m := ev.Message
			out = append(out, usageRecord{Provider: m.Provider, Model: m.Model, StopReason: m.StopReason,
				Input: m.Usage.Input, Output: m.Usage.Output, CacheRead: m.Usage.CacheRead, CostTotal: m.Usage.Cost.Total})
		}
	}
	return out, rows.Err()
}

// TestGatewayEndToEnd runs one real OpenClaw gateway as a plain process from
// the rendered files (outside systemd), against the fake LLM: it must become
// healthy, answer a turn with its token, refuse a wrong token, and write the
// turn's usage into its agent store.
func TestGatewayEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("SKIP (loud): real gateway e2e is not run with -short")
	}
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "!!! SKIP (loud): needs root: gateway e2e")
		t.Skip("needs root: gateway e2e")
	}
	rt := testRuntime(t)
	llm := fakellm.Start(t)
	st := llm.Settings()
	st.APIKey = "sk-fake-" + strings.Repeat("x", 8)
	llm.Set(st)

	f := renderTenant(t, rt, t.TempDir(), "acme", llm, st.APIKey)
	logPath := filepath.Join(f.home, "stdout.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	argv := rt.GatewayCommand(fmt.Sprint(f.port))
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env, cmd.Dir = f.env, f.home
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("gateway output:\n%s", tail(string(b), 40))
		}
	})

	client := &http.Client{Timeout: 120 * time.Second}
	probe := &http.Client{Timeout: 2 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	h, err := WaitHealthy(ctx, probe, f.port, 200*time.Millisecond)
	if err != nil {
		t.Fatalf("gateway not healthy: %v", err)
	}
	t.Logf("gateway healthy after %v (uptime %d ms)", time.Since(start).Round(100*time.Millisecond), h.UptimeMS)

	// The Control UI is off: unknown paths are 404, not a 200 HTML page.
	if resp, err := probe.Get(fmt.Sprintf("http://127.0.0.1:%d/no-such-page", f.port)); err != nil || resp.StatusCode != 404 {
		t.Errorf("unknown path: %v %v, want 404", resp.Status, err)
	} else {
		resp.Body.Close()
	}

	turn := time.Now()
	code, body := chat(t, client, f.port, f.token, "alice")
	if code != http.StatusOK || !strings.Contains(body, "Hello from the fake LLM.") {
		t.Fatalf("turn with the token: %d %s", code, body)
	}
	t.Logf("first turn took %v", time.Since(turn).Round(100*time.Millisecond))
	other, _ := NewToken()
	if code, body := chat(t, client, f.port, other, "mallory"); code != http.StatusUnauthorized {
		t.Fatalf("turn with a wrong token: %d %s, want 401", code, body)
	}

	reqs := llm.Requests()
	if len(reqs) == 0 || reqs[0].Authorization != "Bearer "+st.APIKey {
		t.Fatalf("the fake LLM did not get the API key from credentials.env: %+v", reqs)
	}

	store := AgentStore(f.state, "main")
	var recs []usageRecord
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
		if recs, err = assistantUsage(store); err == nil && len(recs) > 0 {
			break
		}
	}
	if err != nil || len(recs) != 1 {
		t.Fatalf("usage records in %s: %+v, %v; want exactly one", store, recs, err)
	}
	// 1234 prompt tokens of which 200 cached: input 1034; prices 3/15/0.3.
	want := usageRecord{Provider: "fake", Model: "fake-model-1", StopReason: "stop", Input: 1034, Output: 56, CacheRead: 200,
		CostTotal: (1034*3 + 56*15 + 200*0.3) / 1e6}
	got := recs[0]
	if got.Provider != want.Provider || got.Model != want.Model || got.StopReason != want.StopReason ||
		got.Input != want.Input || got.Output != want.Output || got.CacheRead != want.CacheRead ||
		fmt.Sprintf("%.9f", got.CostTotal) != fmt.Sprintf("%.9f", want.CostTotal) {
		t.Errorf("usage record = %+v, want %+v", got, want)
	}

	// SIGTERM to the launcher stops the whole tree.
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	stop := time.Now()
	select {
	case err := <-exited:
		stopped = true
		t.Logf("gateway stopped %v after SIGTERM (%v)", time.Since(stop).Round(100*time.Millisecond), err)
	case <-time.After(30 * time.Second):
		t.Fatal("gateway still running 30 s after SIGTERM")
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if err := syscall.Kill(-cmd.Process.Pid, 0); errors.Is(err, syscall.ESRCH) {
			break
		}
		if time.Now().After(deadline) {
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			t.Fatal("gateway worker processes outlived the launcher by 10 s")
		}
	}
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
