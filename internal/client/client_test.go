package client_test

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/client"
)

// socketPath returns a socket path in a short /tmp directory: sun_path
// allows about 108 bytes and t.TempDir() paths can be longer.
func socketPath(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("/tmp", "mc-client-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "executor.sock")
}

// serveUnix starts h on a real unix socket and returns its endpoint.
func serveUnix(t *testing.T, sock string, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return "unix://" + sock
}

func newClient(t *testing.T, endpoint string) *client.Client {
	t.Helper()
	c, err := client.New(client.Config{
		Endpoint:     endpoint,
		RetryMax:     2,
		RetryWaitMin: 10 * time.Millisecond,
		RetryWaitMax: 20 * time.Millisecond,
		PollMin:      5 * time.Millisecond,
		PollMax:      10 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func TestParseEndpoint(t *testing.T) {
	t.Parallel()
	testCases := map[string]struct {
		in      string
		want    client.Endpoint
		wantErr string
	}{
		"default":        {in: client.DefaultEndpoint, want: client.Endpoint{Scheme: "unix", SocketPath: "/run/missioncontrol/executor.sock"}},
		"https":          {in: "https://host.example:8443", want: client.Endpoint{Scheme: "https", Host: "host.example:8443"}},
		"https slash":    {in: "https://10.0.0.1:8443/", want: client.Endpoint{Scheme: "https", Host: "10.0.0.1:8443"}},
		"unix two slash": {in: "unix://run/x.sock", wantErr: "three slashes"},
		"unix relative":  {in: "unix:x.sock", wantErr: "three slashes"},
		"unix too long":  {in: "unix:///" + strings.Repeat("a", 120), wantErr: "the limit is 107"},
		"http":           {in: "http://host:80", wantErr: "scheme must be unix or https"},
		"https no port":  {in: "https://host", wantErr: "want https://host:port"},
		"https path":     {in: "https://host:1/api", wantErr: "a path is not allowed"},
		"query":          {in: "unix:///x.sock?a=b", wantErr: "query"},
		"empty":          {in: "", wantErr: "scheme must be unix or https"},
	}
	for name, tc := range testCases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := client.ParseEndpoint(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("endpoint (-want +got):\n%s", diff)
			}
			if got.String() != strings.TrimSuffix(tc.in, "/") {
				t.Errorf("String() = %q, want %q", got.String(), tc.in)
			}
		})
	}
}

func TestPlanRoundTrip(t *testing.T) {
	t.Parallel()
	want := api.Plan{
		Tenant: "acme", HostID: "host-1", PolicyRevision: "rev-1",
		Allocation: api.Allocation{User: "mc-acme", UID: 20001, GID: 20001, GatewayPort: 20020},
		Steps:      []api.Step{{Kind: api.StepEnsureUser, Summary: "create user mc-acme uid 20001", UID: 20001}},
		Digest:     "sha256:abc",
	}
	var gotReq api.PlanRequest
	var gotHeader http.Header
	mux := http.NewServeMux()
	mux.HandleFunc(api.RoutePlan, func(w http.ResponseWriter, r *http.Request) {
		gotHeader = r.Header.Clone()
		if err := json.NewDecoder(r.Body).Decode(&gotReq); err != nil {
			writeJSON(w, 400, api.Errorf(api.CodeInvalidRequest, "%v", err))
			return
		}
		writeJSON(w, 200, want)
	})
	c := newClient(t, serveUnix(t, socketPath(t), mux))

	req := api.PlanRequest{Tenant: "acme", Changes: []api.Change{{
		Kind: api.ObjectTenant, Action: api.ActionApply,
		Tenant: &api.TenantSpec{Name: "acme", Environment: api.EnvProduction},
	}}}
	got, err := c.Plan(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&want, got); diff != "" {
		t.Errorf("plan (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(req, gotReq); diff != "" {
		t.Errorf("request (-want +got):\n%s", diff)
	}
	if id := gotHeader.Get(api.HeaderRequestID); len(id) != 32 {
		t.Errorf("request id = %q, want 32 hex characters", id)
	}
	if ct := gotHeader.Get("Content-Type"); ct != "application/json" {
		t.Errorf("content type = %q", ct)
	}
}

func TestAPIErrors(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.HandleFunc(api.RoutePlan, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusForbidden, api.Error{
			Code: api.CodePolicyDenied, Message: "port outside the allowed range",
			Field: "tenant.gateway_port", Rule: "ports.range", Value: "80",
		})
	})
	mux.HandleFunc(api.RouteGetTenant, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte("<html>bad gateway</html>\n"))
	})
	c := newClient(t, serveUnix(t, socketPath(t), mux))

	_, err := c.Plan(context.Background(), api.PlanRequest{Tenant: "acme"})
	var apiErr *api.Error
	if !errors.As(err, &apiErr) {
		t.Fatalf("Plan error = %T %v, want *api.Error", err, err)
	}
	want := api.Error{
		Code: api.CodePolicyDenied, Message: "port outside the allowed range",
		Field: "tenant.gateway_port", Rule: "ports.range", Value: "80", Status: http.StatusForbidden,
	}
	if diff := cmp.Diff(want, *apiErr); diff != "" {
		t.Errorf("api error (-want +got):\n%s", diff)
	}

	_, err = c.GetTenant(context.Background(), "acme")
	if !errors.As(err, &apiErr) {
		t.Fatalf("GetTenant error = %T %v, want *api.Error", err, err)
	}
	if apiErr.Code != api.CodeInternal || apiErr.Status != http.StatusBadGateway ||
		!strings.Contains(apiErr.Message, "502 Bad Gateway to GET /v1/tenants/acme: <html>bad gateway</html>") {
		t.Errorf("non-API error body = %+v", apiErr)
	}
}

func TestUnreachable(t *testing.T) {
	t.Parallel()
	sock := socketPath(t) // nothing listens here
	c := newClient(t, "unix://"+sock)

	_, err := c.Plan(context.Background(), api.PlanRequest{Tenant: "acme"})
	var unreachable *client.UnreachableError
	if !errors.As(err, &unreachable) {
		t.Fatalf("error = %T %v, want *client.UnreachableError", err, err)
	}
	if unreachable.Endpoint != "unix://"+sock {
		t.Errorf("endpoint = %q", unreachable.Endpoint)
	}
	if msg := err.Error(); !strings.HasPrefix(msg, "cannot reach the executor at unix://"+sock+": ") ||
		!strings.Contains(msg, "no such file or directory") {
		t.Errorf("message = %q", msg)
	}
}

// A POST whose dial failed was never sent, so it is retried; here the
// executor comes up while the client backs off.
func TestPostRetriedWhenDialFails(t *testing.T) {
	t.Parallel()
	sock := socketPath(t)
	c, err := client.New(client.Config{
		Endpoint: "unix://" + sock, RetryMax: 10,
		RetryWaitMin: 50 * time.Millisecond, RetryWaitMax: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	var hits atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc(api.RoutePlan, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		writeJSON(w, 200, api.Plan{Tenant: "acme", Digest: "sha256:1"})
	})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		time.Sleep(120 * time.Millisecond)
		serveUnix(t, sock, mux)
	}()
	plan, err := c.Plan(context.Background(), api.PlanRequest{Tenant: "acme"})
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if plan.Digest != "sha256:1" || hits.Load() != 1 {
		t.Errorf("digest %q after %d hits, want sha256:1 after 1", plan.Digest, hits.Load())
	}
}

func TestRetryOnlyIdempotent(t *testing.T) {
	t.Parallel()
	var posts, gets atomic.Int32
	ids := make(chan string, 10)
	mux := http.NewServeMux()
	mux.HandleFunc(api.RouteSubmitJob, func(w http.ResponseWriter, r *http.Request) {
		posts.Add(1)
		writeJSON(w, 500, api.Errorf(api.CodeInternal, "boom"))
	})
	mux.HandleFunc(api.RouteGetJob, func(w http.ResponseWriter, r *http.Request) {
		gets.Add(1)
		ids <- r.Header.Get(api.HeaderRequestID)
		writeJSON(w, 503, api.Errorf(api.CodeInternal, "starting"))
	})
	mux.HandleFunc(api.RouteInfo, func(w http.ResponseWriter, r *http.Request) {
		// Hang up after reading the request: the request was sent.
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close()
	})
	c := newClient(t, serveUnix(t, socketPath(t), mux))

	_, err := c.SubmitJob(context.Background(), api.SubmitRequest{Digest: "sha256:1"})
	if !api.IsCode(err, api.CodeInternal) || posts.Load() != 1 {
		t.Errorf("POST: err %v after %d attempts, want internal after 1", err, posts.Load())
	}

	_, err = c.GetJob(context.Background(), "j1")
	if !api.IsCode(err, api.CodeInternal) || gets.Load() != 3 {
		t.Errorf("GET: err %v after %d attempts, want internal after 3", err, gets.Load())
	}
	close(ids)
	first := <-ids
	for id := range ids {
		if id != first {
			t.Errorf("retries carry request id %q, first was %q", id, first)
		}
	}

	_, err = c.Info(context.Background())
	var unreachable *client.UnreachableError
	if err == nil || errors.As(err, &unreachable) {
		t.Errorf("hang-up after send: err = %v, want a transport error that is not UnreachableError", err)
	}
}

func TestWaitJob(t *testing.T) {
	t.Parallel()
	events := []api.Event{
		{Seq: 1, Type: api.EventStepStart, Step: 0},
		{Seq: 2, Type: api.EventStepDone, Step: 0, Argv: []string{"/usr/sbin/useradd", "mc-acme"}},
		{Seq: 3, Type: api.EventJobState, Step: -1, Message: "succeeded"},
	}
	var polls atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc(api.RouteGetJob, func(w http.ResponseWriter, r *http.Request) {
		n := int(polls.Add(1))
		job := api.Job{ID: r.PathValue("id"), State: api.JobRunning}
		switch {
		case n == 1:
			job.State = api.JobQueued
		case n < 4:
			job.Events = events[:n-1]
		default:
			job.State, job.Events = api.JobSucceeded, events
		}
		writeJSON(w, 200, job)
	})
	c := newClient(t, serveUnix(t, socketPath(t), mux))

	var seen []int
	job, err := c.WaitJob(context.Background(), "j1", func(ev api.Event) { seen = append(seen, ev.Seq) })
	if err != nil {
		t.Fatal(err)
	}
	if job.State != api.JobSucceeded || job.ID != "j1" {
		t.Errorf("job = %s %s", job.ID, job.State)
	}
	if diff := cmp.Diff([]int{1, 2, 3}, seen); diff != "" {
		t.Errorf("events seen (-want +got):\n%s", diff)
	}
}

// TestWaitJobLongPolls checks that WaitJob asks for the events after the
// last one it saw and, answered with news, asks again at once.
func TestWaitJobLongPolls(t *testing.T) {
	t.Parallel()
	events := []api.Event{
		{Seq: 0, Type: api.EventJobState, Step: -1, Message: "running"},
		{Seq: 1, Type: api.EventStepDone, Step: 0},
		{Seq: 2, Type: api.EventJobState, Step: -1, Message: "succeeded"},
	}
	var mu sync.Mutex
	var asked []string
	mux := http.NewServeMux()
	mux.HandleFunc(api.RouteGetJob, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		mu.Lock()
		asked = append(asked, q.Get(api.QueryWait)+" after "+q.Get(api.QueryAfter)+" until "+q.Get(api.QueryUntil))
		mu.Unlock()
		after, _ := strconv.Atoi(q.Get(api.QueryAfter))
		time.Sleep(30 * time.Millisecond) // the next event happens
		job := api.Job{ID: "j1", State: api.JobRunning, Events: events[:after+2]}
		if after+2 == len(events) {
			job.State = api.JobSucceeded
		}
		writeJSON(w, 200, job)
	})
	c := newClient(t, serveUnix(t, socketPath(t), mux))
	job, err := c.WaitJob(context.Background(), "j1", nil)
	if err != nil || job.State != api.JobSucceeded {
		t.Fatalf("WaitJob = %+v, %v", job, err)
	}
	// This executor answers at every event, as one that predates until=end
	// does: the client follows it all the same.
	if diff := cmp.Diff([]string{"10s after -1 until end", "10s after 0 until end", "10s after 1 until end"}, asked); diff != "" {
		t.Errorf("reads (-want +got):\n%s", diff)
	}
}

func TestWaitJobTimeout(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.HandleFunc(api.RouteGetJob, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, api.Job{ID: "j1", State: api.JobAwaitingApproval})
	})
	c := newClient(t, serveUnix(t, socketPath(t), mux))

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	job, err := c.WaitJob(ctx, "j1", nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error = %v, want deadline exceeded", err)
	}
	if job == nil || job.State != api.JobAwaitingApproval {
		t.Errorf("last job = %+v, want the awaiting_approval job", job)
	}
	if !strings.Contains(err.Error(), "last state awaiting_approval") {
		t.Errorf("error %q does not name the last state", err)
	}
}

func TestHTTPS(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.HandleFunc(api.RouteInfo, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, api.Info{HostID: "host-1", APIVersion: api.Version})
	})
	srv := httptest.NewUnstartedServer(mux)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the untrusted handshake below is expected
	srv.StartTLS()
	t.Cleanup(srv.Close)

	caFile := filepath.Join(t.TempDir(), "ca.pem")
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(caFile, caPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	endpoint := srv.URL // https://127.0.0.1:PORT; the test certificate names 127.0.0.1
	c, err := client.New(client.Config{Endpoint: endpoint, CAFile: caFile})
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if info.HostID != "host-1" {
		t.Errorf("host id = %q", info.HostID)
	}

	// Without the CA the server is not trusted, and that is not retried.
	untrusting, err := client.New(client.Config{Endpoint: endpoint})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := untrusting.Info(context.Background()); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("error = %v, want a certificate error", err)
	}
}

func TestNewRejectsBadTLSSettings(t *testing.T) {
	t.Parallel()
	testCases := map[string]struct {
		cfg     client.Config
		wantErr string
	}{
		"cert without key": {cfg: client.Config{Endpoint: "https://h:1", CertFile: "/c.pem"}, wantErr: "must be set together"},
		"missing CA":       {cfg: client.Config{Endpoint: "https://h:1", CAFile: "/nonexistent/ca.pem"}, wantErr: "read CA file"},
		"TLS on unix":      {cfg: client.Config{Endpoint: "unix:///x.sock", CAFile: "/ca.pem"}, wantErr: "only used with https"},
		"bad endpoint":     {cfg: client.Config{Endpoint: "tcp://h:1"}, wantErr: "scheme must be unix or https"},
	}
	for name, tc := range testCases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := client.New(tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error = %v, want it to contain %q", err, tc.wantErr)
			}
		})
	}
}
