package server_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/audit"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/server"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/store"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/trust"
)

// TestRequestLimits serves the API on a real unix socket and sends what no
// client should: an oversized body, JSON with an unknown field and headers
// far beyond MaxHeaderBytes. Each is refused with its status and rule, before
// any handler runs (the server has no planner), and the body refusals are
// in the audit log.
func TestRequestLimits(t *testing.T) {
	t.Parallel()
	dir, err := os.MkdirTemp("", "mc-limits-") // short: sun_path holds about 108 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	st, err := store.Open(filepath.Join(dir, "executor.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	ring, err := trust.NewKeyring([]trust.Key{{Name: "ci", Public: pub, Roles: []api.Role{api.RolePlan, api.RoleApply}}})
	if err != nil {
		t.Fatal(err)
	}
	srv := &server.Server{
		GID: os.Getgid(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Audit: audit.New(st.DB(), time.Now),
		Trust: &trust.Verifier{Keys: ring, HostID: "h1", Nonces: st, Replay: store.ErrReplay, Now: time.Now},
		Info:  func(context.Context) api.Info { return api.Info{HostID: "h1"} },
	}
	sock := filepath.Join(dir, "s.sock")
	ln, err := server.Listen(sock, 0o660, -1)
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", sock)
	}}}
	post := func(body []byte, sign bool, header map[string]string) (int, api.Error) {
		t.Helper()
		req, _ := http.NewRequest("POST", "http://executor"+api.PathPlans, bytes.NewReader(body))
		if sign {
			env, err := api.Signer{Key: priv}.SignRequest("POST", api.PathPlans, body, "h1", time.Now(), time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set(api.HeaderEnvelope, env)
		}
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var e api.Error
		b, _ := io.ReadAll(resp.Body)
		_ = json.Unmarshal(b, &e)
		return resp.StatusCode, e
	}

	if status, e := post(bytes.Repeat([]byte("x"), api.MaxBodyBytes+1), false, nil); status != http.StatusRequestEntityTooLarge ||
		e.Rule != server.RuleBodySize || !strings.Contains(e.Message, "larger than 1048576 bytes") {
		t.Errorf("oversized body: %d %+v", status, e)
	}
	if status, e := post([]byte(`{"tenant":"acme","changes":[],"owner":"root"}`), true, nil); status != http.StatusBadRequest ||
		e.Rule != server.RuleJSON || !strings.Contains(e.Message, `unknown field "owner"`) {
		t.Errorf("unknown field: %d %+v", status, e)
	}
	// net/http enforces MaxHeaderBytes loosely (its buffered reads overshoot)
	if status, e := post([]byte(`{}`), true, map[string]string{"X-Pad": strings.Repeat("a", 3*server.MaxHeaderBytes)}); status != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("oversized headers: %d %+v, want 431", status, e)
	}

	recs, err := audit.List(context.Background(), st.DB(), 0, "denial", 100)
	if err != nil {
		t.Fatal(err)
	}
	rules := map[string]int{}
	for _, r := range recs {
		rules[r.Rule]++
	}
	if rules[server.RuleBodySize] != 1 || rules[server.RuleJSON] != 1 {
		t.Errorf("audited denials %v, want one %s and one %s", rules, server.RuleBodySize, server.RuleJSON)
	}
}
