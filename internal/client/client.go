// Package client talks to the missioncontrol executor over its HTTP+JSON API
// (the contract in executor/api), through a unix socket or HTTPS with mutual
// TLS.
//
// It knows transports, request ids and retries, and nothing about Terraform
// except that it logs through tflog. Every method maps to one endpoint and
// returns api types; an answer that is not 2xx comes back as *api.Error
// (use errors.As), a failed connection as *UnreachableError.
//
// Retries: GETs are retried with backoff on connection errors, 429 and 5xx.
// Every other method is retried only when the dial failed, i.e. before any
// byte of the request was sent, so a POST never runs twice.
package client

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"time"

	"github.com/hashicorp/go-cleanhttp"
	"github.com/hashicorp/go-retryablehttp"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

// DefaultTimeout bounds one HTTP request (not a whole job).
const DefaultTimeout = 30 * time.Second

const (
	headerRequestID = api.HeaderRequestID
	// maxResponseBytes bounds every body the client reads; a job with many
	// events carries at most a few MiB of bounded output.
	maxResponseBytes = 32 << 20
	// maxErrorBytes bounds how much of a non-API error body is quoted.
	maxErrorBytes = 4 << 10
)

// Config says how to reach the executor. The zero value of every field but
// Endpoint means its default.
type Config struct {
	// Endpoint is "unix:///abs/path.sock" or "https://host:port".
	Endpoint string
	// Timeout bounds each HTTP request; DefaultTimeout when zero.
	Timeout time.Duration
	// CAFile, CertFile and KeyFile are PEM files for https endpoints: the CA
	// that signed the executor's certificate (system roots when empty) and
	// the client certificate and key for mutual TLS (both or neither).
	CAFile, CertFile, KeyFile string
	// UserAgent is sent with every request.
	UserAgent string
	// RetryMax is how many times a retryable request is retried (default 3);
	// RetryWaitMin and RetryWaitMax bound the backoff (200ms and 2s).
	RetryMax                   int
	RetryWaitMin, RetryWaitMax time.Duration
	// PollMin and PollMax bound the interval at which WaitJob polls
	// (20ms doubling up to 500ms). Most jobs take well under a second, and
	// a poll is one cheap read, so a coarse first interval would dominate
	// the time a job appears to take.
	PollMin, PollMax time.Duration
	// SigningKey signs every request that is not a GET (a signed envelope,
	// see sign.go); nil sends them unsigned, which executors refuse.
	SigningKey ed25519.PrivateKey
}

// Client is an executor API client. It is safe for concurrent use.
type Client struct {
	endpoint  Endpoint
	http      *http.Client
	userAgent string

	retryMax                   int
	retryWaitMin, retryWaitMax time.Duration
	pollMin, pollMax           time.Duration

	signer *signer
}

// New builds a client. It parses the endpoint and loads the TLS files but
// does not connect: an unreachable executor shows up on the first request.
func New(cfg Config) (*Client, error) {
	ep, err := ParseEndpoint(cfg.Endpoint)
	if err != nil {
		return nil, err
	}
	c := &Client{
		endpoint:     ep,
		userAgent:    cfg.UserAgent,
		retryMax:     orDefault(cfg.RetryMax, 3),
		retryWaitMin: orDefault(cfg.RetryWaitMin, 200*time.Millisecond),
		retryWaitMax: orDefault(cfg.RetryWaitMax, 2*time.Second),
		pollMin:      orDefault(cfg.PollMin, 20*time.Millisecond),
		pollMax:      orDefault(cfg.PollMax, 500*time.Millisecond),
	}
	if c.userAgent == "" {
		c.userAgent = "terraform-provider-missioncontrol"
	}
	if cfg.SigningKey != nil {
		c.signer = &signer{s: api.Signer{Key: cfg.SigningKey}}
	}

	transport := cleanhttp.DefaultPooledTransport()
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	switch ep.Scheme {
	case "unix":
		if cfg.CAFile != "" || cfg.CertFile != "" || cfg.KeyFile != "" {
			return nil, fmt.Errorf("endpoint %s: TLS files are only used with https endpoints", ep)
		}
		// Never send socket traffic to an HTTP proxy from the environment.
		transport.Proxy = nil
		transport.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			conn, err := dialer.DialContext(ctx, "unix", ep.SocketPath)
			if err != nil {
				return nil, &dialError{err}
			}
			return conn, nil
		}
	case "https":
		tlsConfig, err := loadTLS(cfg.CAFile, cfg.CertFile, cfg.KeyFile)
		if err != nil {
			return nil, err
		}
		transport.TLSClientConfig = tlsConfig
		transport.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := dialer.DialContext(ctx, network, addr)
			if err != nil {
				return nil, &dialError{err}
			}
			return conn, nil
		}
	}
	c.http = &http.Client{
		Transport: transport,
		Timeout:   orDefault(cfg.Timeout, DefaultTimeout),
		// The API never redirects; following one would resend a POST.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return c, nil
}

// Endpoint returns the endpoint requests go to, in canonical form.
func (c *Client) Endpoint() string { return c.endpoint.String() }

// Info returns the executor's version, host id and policy revision.
func (c *Client) Info(ctx context.Context) (*api.Info, error) {
	var out api.Info
	if err := c.do(ctx, http.MethodGet, api.PathInfo, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Plan asks for a dry run. The executor observes the host and answers the
// steps and digest; nothing on the host changes and nothing is reserved.
// Policy denials and invalid specs come back as *api.Error with Field and
// Rule set.
func (c *Client) Plan(ctx context.Context, req api.PlanRequest) (*api.Plan, error) {
	var out api.Plan
	if err := c.do(ctx, http.MethodPost, api.PathPlans, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// SubmitJob asks the executor to run the plan of req if it still has
// req.Digest. It answers the queued job; api.CodePlanChanged means the host
// or policy changed since the plan was made and nothing was queued.
func (c *Client) SubmitJob(ctx context.Context, req api.SubmitRequest) (*api.Job, error) {
	var out api.Job
	if err := c.do(ctx, http.MethodPost, api.PathJobs, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetJob returns a job with its events.
func (c *Client) GetJob(ctx context.Context, id string) (*api.Job, error) {
	var out api.Job
	if err := c.do(ctx, http.MethodGet, api.PathJobs+"/"+url.PathEscape(id), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// getJob reads a job once it has an event after sequence number after, or
// is terminal, waiting up to longPollWait on the executor.
func (c *Client) getJob(ctx context.Context, id string, after int) (*api.Job, error) {
	q := url.Values{api.QueryWait: {longPollWait.String()}, api.QueryAfter: {strconv.Itoa(after)}, api.QueryUntil: {api.UntilEnd}}
	var out api.Job
	if err := c.do(ctx, http.MethodGet, api.PathJobs+"/"+url.PathEscape(id)+"?"+q.Encode(), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// longPollWait is how long one read of a job waits for its next event
// (api.QueryWait), well within the request timeout.
const longPollWait = 10 * time.Second

// WaitJob follows a job until its state is terminal and returns it, whatever
// the terminal state (check Job.State). onEvent, if not nil, sees every event
// once, in sequence order, as it is observed. When ctx ends first, WaitJob
// returns the last job it saw (nil if none) together with an error wrapping
// ctx.Err(); other errors also come with the last job seen.
//
// Each read long-polls: the executor answers at the job's next event. An
// executor that answers at once with nothing new (one without long polls)
// is polled instead, from PollMin doubling to PollMax.
func (c *Client) WaitJob(ctx context.Context, id string, onEvent func(api.Event)) (*api.Job, error) {
	lastSeq := -1
	wait := c.pollMin
	var last *api.Job
	for {
		asked := time.Now()
		job, err := c.getJob(ctx, id, lastSeq)
		if err != nil {
			if last != nil && ctx.Err() != nil {
				return last, fmt.Errorf("wait for job %s (last state %s): %w", id, last.State, ctx.Err())
			}
			return last, err
		}
		last = job
		seen := lastSeq
		events := append([]api.Event(nil), job.Events...)
		sort.SliceStable(events, func(i, j int) bool { return events[i].Seq < events[j].Seq })
		for _, ev := range events {
			if ev.Seq > lastSeq {
				lastSeq = ev.Seq
				if onEvent != nil {
					onEvent(ev)
				}
			}
		}
		if job.State.Terminal() {
			return job, nil
		}
		if lastSeq > seen || time.Since(asked) >= longPollWait/2 {
			continue // the executor waited for the change
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return job, fmt.Errorf("wait for job %s (last state %s): %w", id, job.State, ctx.Err())
		case <-timer.C:
		}
		wait = min(2*wait, c.pollMax)
	}
}

// GetTenant returns a tenant as the executor observes it now. A tenant the
// host has never heard of is not an error: it comes back with Registered
// false (and Status absent) unless the executor answers not_found.
func (c *Client) GetTenant(ctx context.Context, name string) (*api.Tenant, error) {
	var out api.Tenant
	if err := c.do(ctx, http.MethodGet, api.PathTenants+"/"+url.PathEscape(name), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListTenants returns every tenant the executor knows, observed now.
func (c *Client) ListTenants(ctx context.Context) ([]api.Tenant, error) {
	var out api.TenantList
	if err := c.do(ctx, http.MethodGet, api.PathTenants, nil, &out); err != nil {
		return nil, err
	}
	return out.Tenants, nil
}

// do sends one request (with retries as the package doc says) and decodes a
// 2xx body into out, or returns the error body as *api.Error.
func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body any
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode %s %s: %w", method, path, err)
		}
		body = b
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, method, c.endpoint.baseURL()+path, body)
	if err != nil {
		return fmt.Errorf("build %s %s: %w", method, path, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	// One id per call: retries of the same call share it, so the executor's
	// log and audit can tie the attempts together.
	req.Header.Set(headerRequestID, newRequestID())
	if method != http.MethodGet {
		if err := c.sign(ctx, req, method, path, body); err != nil {
			return err
		}
	}

	resp, err := c.retrying(ctx, method).Do(req)
	if err != nil {
		return c.transportError(method, path, err)
	}
	defer resp.Body.Close()
	return decode(resp, out)
}

// retrying builds the retrying client for one call; it is cheap, and binding
// it to the call lets it log into the call's context.
func (c *Client) retrying(ctx context.Context, method string) *retryablehttp.Client {
	return &retryablehttp.Client{
		HTTPClient:      c.http,
		Logger:          logger{ctx},
		RetryWaitMin:    c.retryWaitMin,
		RetryWaitMax:    c.retryWaitMax,
		RetryMax:        c.retryMax,
		RequestLogHook:  logRequest(ctx),
		ResponseLogHook: logResponse(ctx),
		CheckRetry:      retryPolicy(method),
		Backoff:         retryablehttp.DefaultBackoff,
		// Hand back the last response or error unchanged; do() turns it into
		// *api.Error or a transport error.
		ErrorHandler: retryablehttp.PassthroughErrorHandler,
	}
}

// retryPolicy retries GETs like retryablehttp's default policy (connection
// errors, 429, 5xx) and every other method only when the dial failed.
func retryPolicy(method string) retryablehttp.CheckRetry {
	return func(ctx context.Context, resp *http.Response, err error) (bool, error) {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		if err != nil && isDialError(err) {
			return true, nil
		}
		if method == http.MethodGet {
			return retryablehttp.DefaultRetryPolicy(ctx, resp, err)
		}
		return false, nil
	}
}

func (c *Client) transportError(method, path string, err error) error {
	// url.Error repeats the placeholder URL of unix requests; keep its cause.
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if isDialError(err) {
		return &UnreachableError{Endpoint: c.endpoint.String(), Err: err}
	}
	return fmt.Errorf("%s %s at %s: %w", method, path, c.endpoint, err)
}

func decode(resp *http.Response, out any) error {
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if out == nil {
			return nil
		}
		if err := json.NewDecoder(io.LimitReader(resp.Body, maxResponseBytes)).Decode(out); err != nil {
			return fmt.Errorf("decode %s %s answer: %w", resp.Request.Method, resp.Request.URL.Path, err)
		}
		return nil
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	var apiErr api.Error
	if err := json.Unmarshal(b, &apiErr); err == nil && apiErr.Code != "" {
		apiErr.Status = resp.StatusCode
		return &apiErr
	}
	// Not an API error body (a proxy, or an executor too old for the route).
	if len(b) > maxErrorBytes {
		b = b[:maxErrorBytes]
	}
	return &api.Error{
		Code:    codeForStatus(resp.StatusCode),
		Message: fmt.Sprintf("executor answered %s to %s %s: %s", resp.Status, resp.Request.Method, resp.Request.URL.Path, bytes.TrimSpace(b)),
		Status:  resp.StatusCode,
	}
}

func codeForStatus(status int) api.Code {
	switch status {
	case http.StatusBadRequest:
		return api.CodeInvalidRequest
	case http.StatusUnauthorized:
		return api.CodeUnauthorized
	case http.StatusForbidden:
		return api.CodeForbidden
	case http.StatusNotFound:
		return api.CodeNotFound
	case http.StatusConflict:
		return api.CodeConflict
	}
	return api.CodeInternal
}

func loadTLS(caFile, certFile, keyFile string) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("read CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA file %s: no PEM certificate found", caFile)
		}
		cfg.RootCAs = pool
	}
	if (certFile == "") != (keyFile == "") {
		return nil, errors.New("client certificate and key must be set together (cert_file and key_file)")
	}
	if certFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("load client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on Linux
	return hex.EncodeToString(b[:])
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
