package openclaw

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func serve(t *testing.T, h http.HandlerFunc) int {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s.Listener.Addr().(*net.TCPAddr).Port
}

func answer(status int, ctype, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", ctype)
		w.WriteHeader(status)
		w.Write([]byte(body))
	}
}

func gateway(ready http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/healthz":
			answer(200, "application/json; charset=utf-8", `{"ok":true,"status":"live"}`)(w, r)
		case "/readyz":
			ready(w, r)
		default:
			http.NotFound(w, r)
		}
	}
}

func TestProbe(t *testing.T) {
	t.Parallel()
	client := &http.Client{Timeout: 2 * time.Second}
	closed := func() int { // a port nothing listens on
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		p := l.Addr().(*net.TCPAddr).Port
		l.Close()
		return p
	}
	for name, tc := range map[string]struct {
		port    func() int
		want    Health
		wantErr error
	}{
		"ready": {port: func() int {
			return serve(t, gateway(answer(200, "application/json",
				`{"ready":true,"failing":[],"uptimeMs":8996,"eventLoop":{"degraded":true}}`)))
		}, want: Health{Live: true, Ready: true, Failing: []string{}, UptimeMS: 8996, Degraded: true}},
		"not ready yet": {port: func() int {
			return serve(t, gateway(answer(503, "application/json", `{"ready":false,"failing":["sidecars"]}`)))
		}, want: Health{Live: true, Failing: []string{"sidecars"}}},
		"html catch-all": {port: func() int {
			return serve(t, answer(200, "text/html", `<!doctype html><html>control ui</html>`))
		}, wantErr: ErrNotGateway},
		"readyz html": {port: func() int {
			return serve(t, gateway(answer(200, "text/html", `<html></html>`)))
		}, wantErr: ErrNotGateway},
		"readyz without ready": {port: func() int {
			return serve(t, gateway(answer(200, "application/json", `{"ok":true}`)))
		}, wantErr: ErrNotGateway},
		"not found": {port: func() int { return serve(t, http.NotFound) }, wantErr: ErrNotGateway},
		"not live": {port: func() int {
			return serve(t, answer(200, "application/json", `{"status":"starting"}`))
		}, want: Health{}},
		"unreachable": {port: closed, wantErr: ErrUnreachable},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h, err := Probe(context.Background(), client, tc.port())
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if h.Live != tc.want.Live || h.Ready != tc.want.Ready || h.UptimeMS != tc.want.UptimeMS ||
				h.Degraded != tc.want.Degraded || len(h.Failing) != len(tc.want.Failing) {
				t.Fatalf("health = %+v, want %+v", h, tc.want)
			}
		})
	}
}

func TestWaitHealthy(t *testing.T) {
	t.Parallel()
	calls := 0
	port := serve(t, gateway(func(w http.ResponseWriter, r *http.Request) {
		calls++
		if calls < 3 {
			answer(503, "application/json", `{"ready":false,"failing":["startup"]}`)(w, r)
			return
		}
		answer(200, "application/json", `{"ready":true,"failing":[]}`)(w, r)
	}))
	client := &http.Client{Timeout: time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	h, err := WaitHealthy(ctx, client, port, 10*time.Millisecond)
	if err != nil || !h.OK() {
		t.Fatalf("WaitHealthy = %+v, %v", h, err)
	}
	short, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := l.Addr().(*net.TCPAddr).Port
	l.Close()
	if _, err := WaitHealthy(short, client, dead, 10*time.Millisecond); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("dead port: err = %v", err)
	}
}
