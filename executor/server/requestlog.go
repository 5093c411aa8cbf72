package server

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"regexp"
	"time"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/logctx"
)

// validRequestID bounds what a client may choose as its request id: it is
// logged and audited verbatim, so nothing that could forge a log line.
var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// requestLog gives every request an id (the client's X-Request-Id if it is
// well formed, else a fresh one), puts it into the request's context for
// every log line about the request and into the header the handlers audit,
// answers it in X-Request-Id, and logs one line per request when it ends.
func (s *Server) requestLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(api.HeaderRequestID)
		if !validRequestID.MatchString(id) {
			id = newRequestID()
			r.Header.Set(api.HeaderRequestID, id)
		}
		w.Header().Set(api.HeaderRequestID, id)
		ctx := logctx.With(r.Context(), slog.String(logctx.KeyRequestID, id))
		r = r.WithContext(ctx)
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		start := time.Now()
		next.ServeHTTP(rec, r)
		level := slog.LevelInfo
		if rec.status >= 500 {
			level = slog.LevelError
		}
		s.Logger.LogAttrs(ctx, level, "request", slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", rec.status), slog.Duration("duration", time.Since(start)))
	})
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand never fails on Linux
	return hex.EncodeToString(b[:])
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection (flushes).
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
