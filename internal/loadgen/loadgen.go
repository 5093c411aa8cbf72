// Package loadgen drives a running executor with many concurrent signed
// requests and measures them: dry runs (POST /v1/plans) at a given
// concurrency, applies on many tenants at once, and the run windows of the
// resulting jobs. The host load test (executor/e2e) and the benchmark
// programs under bench/ share it.
//
// It has its own HTTP client and never retries: under load every error must
// be seen, not absorbed by a retry policy.
package loadgen

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

// Driver sends signed requests to one executor over its unix socket.
type Driver struct {
	http     *http.Client
	signer   api.Signer
	audience string
	// Poll is the interval at which Wait polls a job (default 50 ms).
	Poll time.Duration
}

// New returns a driver for the executor listening on socket, signing with
// key (a key with the plan and apply roles). It asks the executor for its
// host id, the audience of every envelope.
func New(ctx context.Context, socket string, key ed25519.PrivateKey) (*Driver, error) {
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", socket)
		},
		// Enough idle connections that concurrency 50 reuses them rather
		// than dialling per request.
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 256,
	}
	d := &Driver{http: &http.Client{Transport: tr, Timeout: 5 * time.Minute}, signer: api.Signer{Key: key}, Poll: 50 * time.Millisecond}
	var info api.Info
	if err := d.do(ctx, http.MethodGet, api.PathInfo, nil, &info); err != nil {
		return nil, fmt.Errorf("executor info: %w", err)
	}
	d.audience = info.HostID
	return d, nil
}

// Close releases the idle connections.
func (d *Driver) Close() { d.http.CloseIdleConnections() }

// do sends one request; a non-2xx answer comes back as *api.Error (or a
// plain error quoting the body when it is not one).
func (d *Driver) do(ctx context.Context, method, path string, in, out any) error {
	var raw []byte
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode %s %s: %w", method, path, err)
		}
		raw = b
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://executor"+path, bytes.NewReader(raw))
	if err != nil {
		return err
	}
	if method != http.MethodGet {
		env, err := d.signer.SignRequest(method, path, raw, d.audience, time.Now(), 5*time.Minute)
		if err != nil {
			return fmt.Errorf("sign %s %s: %w", method, path, err)
		}
		req.Header.Set(api.HeaderEnvelope, env)
	}
	resp, err := d.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode >= 300 {
		var e api.Error
		if json.Unmarshal(b, &e) != nil || e.Code == "" {
			return fmt.Errorf("%s %s: status %d: %s", method, path, resp.StatusCode, b)
		}
		return &e
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
	}
	return nil
}

// Plan asks for a dry run.
func (d *Driver) Plan(ctx context.Context, req api.PlanRequest) (api.Plan, error) {
	var p api.Plan
	err := d.do(ctx, http.MethodPost, api.PathPlans, req, &p)
	return p, err
}

// Submit submits a reviewed plan.
func (d *Driver) Submit(ctx context.Context, req api.PlanRequest, digest string) (api.Job, error) {
	var j api.Job
	err := d.do(ctx, http.MethodPost, api.PathJobs, api.SubmitRequest{PlanRequest: req, Digest: digest}, &j)
	return j, err
}

// Get reads path (a GET route) into out.
func (d *Driver) Get(ctx context.Context, path string, out any) error {
	return d.do(ctx, http.MethodGet, path, nil, out)
}

// Job reads a job with its events.
func (d *Driver) Job(ctx context.Context, id string) (api.Job, error) {
	var j api.Job
	err := d.do(ctx, http.MethodGet, api.PathJobs+"/"+id, nil, &j)
	return j, err
}

// Wait polls job id until it ends (or ctx does).
func (d *Driver) Wait(ctx context.Context, id string) (api.Job, error) {
	for {
		j, err := d.Job(ctx, id)
		if err != nil {
			return j, err
		}
		if j.State.Terminal() {
			return j, nil
		}
		select {
		case <-ctx.Done():
			return j, fmt.Errorf("wait for job %s (still %s): %w", id, j.State, ctx.Err())
		case <-time.After(d.Poll):
		}
	}
}

// Apply plans req, submits its digest and waits for the job to end. A job
// that ends in any state but succeeded is an error naming it.
func (d *Driver) Apply(ctx context.Context, req api.PlanRequest) (api.Job, error) {
	p, err := d.Plan(ctx, req)
	if err != nil {
		return api.Job{}, fmt.Errorf("plan %s: %w", req.Tenant, err)
	}
	return d.SubmitAndWait(ctx, req, p.Digest)
}

// SubmitAndWait submits a reviewed digest and waits for the job to end; a
// job that does not succeed is an error naming it.
func (d *Driver) SubmitAndWait(ctx context.Context, req api.PlanRequest, digest string) (api.Job, error) {
	j, err := d.Submit(ctx, req, digest)
	if err != nil {
		return api.Job{}, fmt.Errorf("submit %s: %w", req.Tenant, err)
	}
	if j, err = d.Wait(ctx, j.ID); err != nil {
		return j, err
	}
	if j.State != api.JobSucceeded {
		return j, fmt.Errorf("job %s of tenant %s ended %s: %s", j.ID, j.Tenant, j.State, j.Error)
	}
	return j, nil
}

// Run is what a batch of concurrent requests gave.
type Run struct {
	Latencies []time.Duration // of the requests that succeeded, in completion order
	Errors    []error
	Wall      time.Duration
}

// DryRuns sends n dry runs, at most concurrency at a time; req(i) is the
// i-th request.
func (d *Driver) DryRuns(ctx context.Context, n, concurrency int, req func(i int) api.PlanRequest) Run {
	return Concurrently(n, concurrency, func(i int) error {
		_, err := d.Plan(ctx, req(i))
		return err
	})
}

// Concurrently calls fn(0..n-1), at most concurrency at a time, and times
// each call.
func Concurrently(n, concurrency int, fn func(i int) error) Run {
	var (
		mu  sync.Mutex
		run Run
		wg  sync.WaitGroup
	)
	next := make(chan int)
	start := time.Now()
	for range max(1, min(concurrency, n)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				t0 := time.Now()
				err := fn(i)
				d := time.Since(t0)
				mu.Lock()
				if err != nil {
					run.Errors = append(run.Errors, fmt.Errorf("request %d: %w", i, err))
				} else {
					run.Latencies = append(run.Latencies, d)
				}
				mu.Unlock()
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	run.Wall = time.Since(start)
	return run
}

// Stats summarizes the latencies of a run.
func (r Run) Stats() Stats { return Summarize(r.Latencies) }

// PerSecond is the number of successful requests per second of wall time.
func (r Run) PerSecond() float64 {
	if r.Wall <= 0 {
		return 0
	}
	return float64(len(r.Latencies)) / r.Wall.Seconds()
}
