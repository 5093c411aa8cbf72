package e2e_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/jobs"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/server"
	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/testhost"
)

// raw sends body as it is (signed like any request of c unless unsigned),
// with no retries, and returns the status and the decoded API error of a
// refusal.
func (c *apiClient) raw(method, path string, body io.Reader, signBody []byte) (int, *api.Error, error) {
	req, err := http.NewRequest(method, "http://executor"+path, body)
	if err != nil {
		return 0, nil, err
	}
	if method != http.MethodGet && signBody != nil {
		if err := c.sign(req, signBody); err != nil {
			return 0, nil, err
		}
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode < 300 {
		return resp.StatusCode, nil, nil
	}
	var e api.Error
	if err := json.Unmarshal(b, &e); err != nil {
		return resp.StatusCode, nil, fmt.Errorf("status %d: %s", resp.StatusCode, b)
	}
	return resp.StatusCode, &e, nil
}

// auditDenials returns the audit log's denial records with their messages.
func auditDenials(t *testing.T, h *testhost.Host) []auditDenial {
	t.Helper()
	out := h.Run(t, "/share/bin/missioncontrol-executor", "audit", "list", "--type", "denial")
	var list []auditDenial
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		var d auditDenial
		if err := json.Unmarshal([]byte(line), &d); err != nil {
			t.Fatalf("audit line %q: %v", line, err)
		}
		list = append(list, d)
	}
	return list
}

type auditDenial struct {
	Rule    string          `json:"rule"`
	Outcome string          `json:"outcome"`
	Actor   string          `json:"actor"`
	Tenant  string          `json:"tenant"`
	Data    json.RawMessage `json:"data"`
}

// TestAPIAttacks: oversized bodies, unknown fields and malformed JSON, slow
// clients and concurrent submissions of one plan. Each is refused with a
// clear error, refused requests leave the host as it was, and every
// refusal is in the audit log under its rule.
func TestAPIAttacks(t *testing.T) {
	t.Parallel()
	e := boot(t)
	req := bootstrapChanges("atkcorp")
	good, _ := json.Marshal(req)
	before, err := e.host.Snapshot()
	if err != nil {
		t.Fatal(err)
	}

	// Oversized bodies: with a Content-Length, streamed without one
	// (chunked), and signed or not, the limit holds before anything else.
	big := bytes.Repeat([]byte(" "), api.MaxBodyBytes+1)
	copy(big, good)
	for name, body := range map[string]func() io.Reader{
		"oversized":         func() io.Reader { return bytes.NewReader(big) },
		"oversized chunked": func() io.Reader { return io.MultiReader(bytes.NewReader(big), strings.NewReader("")) },
	} {
		for _, path := range []string{api.PathPlans, api.PathJobs} {
			status, apiErr, err := e.c.raw("POST", path, body(), big)
			if err != nil || status != http.StatusRequestEntityTooLarge || apiErr == nil ||
				apiErr.Rule != server.RuleBodySize || !strings.Contains(apiErr.Message, fmt.Sprintf("larger than %d bytes", api.MaxBodyBytes)) {
				t.Fatalf("%s POST %s: status %d %+v %v", name, path, status, apiErr, err)
			}
			t.Logf("%s POST %s refused %d: %s", name, path, status, apiErr.Message)
		}
	}
	unsigned := &apiClient{t: t, http: e.c.http}
	if status, apiErr, err := unsigned.raw("POST", api.PathJobs, bytes.NewReader(big), nil); err != nil || status != http.StatusRequestEntityTooLarge || apiErr.Rule != server.RuleBodySize {
		t.Fatalf("unsigned oversized: %d %+v %v", status, apiErr, err)
	}

	// Unknown fields, wrong types and trailing data: refused, naming the
	// problem, even when correctly signed.
	for name, tc := range map[string]struct{ body, want string }{
		"unknown top-level field": {`{"tenant":"atkcorp","changes":[],"gateway_prot":20020}`, `unknown field "gateway_prot"`},
		"unknown spec field": {`{"tenant":"atkcorp","changes":[{"kind":"tenant","action":"apply","tenant":{"name":"atkcorp","environment":"development","run_as":"root"}}]}`,
			`unknown field "run_as"`},
		"wrong type":    {`{"tenant":"atkcorp","changes":[{"kind":"tenant","action":"apply","tenant":{"name":"atkcorp","gateway_port":"20020"}}]}`, `cannot unmarshal string`},
		"trailing data": {string(good) + `{"tenant":"evil"}`, `trailing data after the JSON body`},
		"not JSON":      {`tenant=atkcorp`, `malformed JSON body`},
		"empty":         {``, `empty body`},
	} {
		status, apiErr, err := e.c.raw("POST", api.PathPlans, strings.NewReader(tc.body), []byte(tc.body))
		if err != nil || status != http.StatusBadRequest || apiErr == nil || apiErr.Rule != server.RuleJSON || !strings.Contains(apiErr.Message, tc.want) {
			t.Fatalf("%s: status %d %+v %v; want 400 %s %q", name, status, apiErr, err, server.RuleJSON, tc.want)
		}
		t.Logf("%s refused: %s", name, apiErr.Message)
	}

	// Slow clients: one trickles its headers (slowloris), one connects and
	// sends nothing, one sends its headers and then trickles its body.
	// Others are served meanwhile; the first two are cut off after the
	// read-header timeout, the third after the read timeout with an
	// answer, and all three are audited.
	slow := []net.Conn{dialRaw(t, e.exec.Socket), dialRaw(t, e.exec.Socket)}
	slowBody := dialRaw(t, e.exec.Socket)
	if _, err := slow[0].Write([]byte("POST /v1/plans HTTP/1.1\r\nHost: executor\r\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := slowBody.Write([]byte("POST /v1/plans HTTP/1.1\r\nHost: executor\r\nContent-Length: 1000\r\n\r\n{")); err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	go func() { // a header line every second, never the blank line that ends them
		for i := 0; ctx.Err() == nil; i++ {
			if _, err := fmt.Fprintf(slow[0], "X-Slow-%d: x\r\n", i); err != nil {
				return
			}
			time.Sleep(time.Second)
		}
	}()
	go func() { // a byte of body every second, never all 1000
		for ctx.Err() == nil {
			if _, err := slowBody.Write([]byte(" ")); err != nil {
				return
			}
			time.Sleep(time.Second)
		}
	}()
	start := time.Now()
	for time.Since(start) < 3*time.Second {
		t0 := time.Now()
		var info api.Info
		if err := e.c.do("GET", api.PathInfo, nil, &info); err != nil {
			t.Fatalf("a normal client while slow clients hold connections: %v", err)
		}
		if d := time.Since(t0); d > 5*time.Second {
			t.Fatalf("GET /v1/info took %s while slow clients hold connections", d)
		}
		time.Sleep(200 * time.Millisecond)
	}
	e.c.mustPlan(req)
	for i, c := range slow {
		_ = c.SetReadDeadline(time.Now().Add(server.ReadHeaderTimeout + 20*time.Second))
		n, err := io.Copy(io.Discard, c)
		if err != nil {
			t.Fatalf("slow client %d: the executor did not close the connection: %v", i, err)
		}
		t.Logf("slow client %d cut off after %s (%d bytes answered)", i, time.Since(start).Round(time.Millisecond), n)
		c.Close()
	}
	if d := time.Since(start); d > server.ReadHeaderTimeout+15*time.Second {
		t.Errorf("slow clients held their connections for %s", d)
	}
	_ = slowBody.SetReadDeadline(time.Now().Add(server.ReadTimeout + 20*time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(slowBody), nil)
	if err != nil {
		t.Fatalf("slow body: no answer: %v", err)
	}
	var slowErr api.Error
	_ = json.NewDecoder(resp.Body).Decode(&slowErr)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || slowErr.Rule != server.RuleBodyRead || !strings.Contains(slowErr.Message, "timeout") {
		t.Fatalf("slow body: %d %+v", resp.StatusCode, slowErr)
	}
	t.Logf("slow body refused after %s: %s", time.Since(start).Round(time.Millisecond), slowErr.Message)

	// Concurrent submissions of the same reviewed plan: exactly one job.
	p := e.c.mustPlan(req)
	const n = 8
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		accepted []api.Job
		refused  []*api.Error
	)
	for i := 0; i < n; i++ {
		c := e.c.withKey(t, e.exec, testhost.KeyOperator)
		wg.Add(1)
		go func() {
			defer wg.Done()
			j, err := c.submit(req, p.Digest)
			mu.Lock()
			defer mu.Unlock()
			var apiErr *api.Error
			switch {
			case err == nil:
				accepted = append(accepted, j)
			case errors.As(err, &apiErr):
				refused = append(refused, apiErr)
			default:
				t.Errorf("submit: %v", err)
			}
		}()
	}
	wg.Wait()
	if len(accepted) != 1 {
		t.Fatalf("%d of %d concurrent submissions of one digest were accepted: %+v", len(accepted), n, accepted)
	}
	conflicts := 0
	for _, r := range refused {
		switch {
		case r.Code == api.CodeConflict && r.Rule == jobs.RuleSameDigest && strings.Contains(r.Message, accepted[0].ID):
			conflicts++
		case r.Code == api.CodePlanChanged: // the first job had already changed the host
		default:
			t.Errorf("concurrent submission refused unclearly: %+v", r)
		}
	}
	t.Logf("%d accepted (%s), %d refused as duplicates, %d as plan changed", len(accepted), accepted[0].ID, conflicts, len(refused)-conflicts)
	if j := e.c.wait(accepted[0].ID); j.State != api.JobSucceeded {
		t.Fatalf("the accepted job: %s %q", j.State, j.Error)
	}
	var list api.JobList
	if err := e.c.do("GET", api.PathJobs+"?tenant=atkcorp", nil, &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Jobs) != 1 {
		t.Fatalf("tenant atkcorp has %d jobs, want 1", len(list.Jobs))
	}

	// Every refusal above is audited under its rule.
	rules := map[string]int{}
	for _, d := range auditDenials(t, e.host) {
		rules[d.Rule]++
	}
	for rule, want := range map[string]int{server.RuleBodySize: 5, server.RuleJSON: 6, server.RuleSlowClient: 2, server.RuleBodyRead: 1, jobs.RuleSameDigest: conflicts} {
		if rules[rule] != want {
			t.Errorf("audit has %d denials with rule %s, want %d (all: %v)", rules[rule], rule, want, rules)
		}
	}
	// Nothing but the one job changed the host: its own steps.
	after, err := e.host.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(testhost.Diff(before, after), "\n") {
		// the gateway template unit comes with a host's first tenant
		if line != "" && !strings.Contains(line, "atkcorp") && !strings.Contains(line, "missioncontrol-gateway@.service") {
			t.Errorf("host change outside the accepted job: %s", line)
		}
	}
}

func dialRaw(t *testing.T, socket string) net.Conn {
	t.Helper()
	c, err := net.Dial("unix", socket)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}
