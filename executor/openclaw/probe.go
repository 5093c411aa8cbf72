package openclaw

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"time"
)

// Health is what a gateway's health endpoints said.
type Health struct {
	// Live: /healthz answered {"status":"live"}.
	Live bool
	// Ready: /readyz answered {"ready":true}.
	Ready bool
	// Failing lists the readiness checks /readyz reports as failing.
	Failing []string
	// UptimeMS is the gateway's uptime from /readyz (shown to local callers).
	UptimeMS int64
	// Degraded: /readyz reported eventLoop.degraded (common during the first
	// turn; the gateway is still ready).
	Degraded bool
}

// OK reports whether the gateway is live and ready.
func (h Health) OK() bool { return h.Live && h.Ready }

var (
	// ErrUnreachable: nothing answered HTTP on the port.
	ErrUnreachable = errors.New("gateway unreachable")
	// ErrNotGateway: something answered, but not a gateway health body (for
	// example the Control UI's 200 text/html catch-all, or a 404).
	ErrNotGateway = errors.New("not an OpenClaw health answer")
)

// maxProbeBody bounds what Probe reads of a health answer.
const maxProbeBody = 64 << 10

// Probe asks the gateway on 127.0.0.1:port for GET /healthz, then (when
// live) GET /readyz, and parses the JSON bodies; a 200 with any other body
// is not healthy. Outcomes:
//   - (h, nil): both answers were gateway JSON; h.OK() says live and ready.
//     A /readyz of 503 with {"ready":false,...} is h.Ready false, not an error.
//   - (h, error wrapping ErrUnreachable): connection failed (not started yet,
//     or down); h is zero.
//   - (h, error wrapping ErrNotGateway): an answer that is not gateway health
//     JSON (HTML, 404, other status, malformed body).
//   - (h, ctx.Err()-wrapping error) when ctx ends.
func Probe(ctx context.Context, client *http.Client, port int) (Health, error) {
	var h Health
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	var live struct {
		Status string `json:"status"`
	}
	if err := getJSON(ctx, client, base+"/healthz", false, &live); err != nil {
		return h, err
	}
	h.Live = live.Status == "live"
	if !h.Live {
		return h, nil
	}
	var ready struct {
		Ready     *bool    `json:"ready"`
		Failing   []string `json:"failing"`
		UptimeMS  int64    `json:"uptimeMs"`
		EventLoop struct {
			Degraded bool `json:"degraded"`
		} `json:"eventLoop"`
	}
	if err := getJSON(ctx, client, base+"/readyz", true, &ready); err != nil {
		return h, err
	}
	if ready.Ready == nil {
		return h, fmt.Errorf("GET %s/readyz: no \"ready\" field: %w", base, ErrNotGateway)
	}
	h.Ready = *ready.Ready
	h.Failing = ready.Failing
	h.UptimeMS = ready.UptimeMS
	h.Degraded = ready.EventLoop.Degraded
	return h, nil
}

func getJSON(ctx context.Context, client *http.Client, url string, allow503 bool, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("probe %s: %w", url, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("probe %s: %w", url, ctx.Err())
		}
		return fmt.Errorf("probe %s: %w: %v", url, ErrUnreachable, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxProbeBody))
	if err != nil {
		return fmt.Errorf("probe %s: read body: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK && !(allow503 && resp.StatusCode == http.StatusServiceUnavailable) {
		return fmt.Errorf("GET %s: status %d: %w", url, resp.StatusCode, ErrNotGateway)
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "application/json" {
		return fmt.Errorf("GET %s: content type %q: %w", url, resp.Header.Get("Content-Type"), ErrNotGateway)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("GET %s: %v: %w", url, err, ErrNotGateway)
	}
	return nil
}

// WaitHealthy probes every interval until the gateway is live and ready or
// ctx ends. Outcomes: (h, nil) with h.OK(); or the last Health and an error
// wrapping ctx's error and the last probe error, for the caller to report
// together with the unit's last log lines.
func WaitHealthy(ctx context.Context, client *http.Client, port int, interval time.Duration) (Health, error) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		h, err := Probe(ctx, client, port)
		if err == nil && h.OK() {
			return h, nil
		}
		select {
		case <-ctx.Done():
			if err == nil {
				err = fmt.Errorf("live=%v ready=%v failing=%v", h.Live, h.Ready, h.Failing)
			}
			return h, fmt.Errorf("wait for gateway on port %d: %w (last probe: %v)", port, ctx.Err(), err)
		case <-t.C:
		}
	}
}
