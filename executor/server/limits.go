package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/audit"
)

// Limits of both listeners. A client gets ReadHeaderTimeout to send its
// request line and headers and ReadTimeout for the whole request; one that
// trickles bytes (slowloris) is cut off then, and holds nothing but its own
// connection meanwhile: every connection is served by its own goroutine.
const (
	ReadHeaderTimeout = 10 * time.Second
	ReadTimeout       = 30 * time.Second
	IdleTimeout       = 2 * time.Minute
	// MaxHeaderBytes bounds request headers; an envelope header is well
	// under 2 KiB. Larger headers are answered 431 by net/http.
	MaxHeaderBytes = 64 << 10
)

// Rules of the API's own refusals of malformed or abusive requests, as the
// audit log records them.
const (
	RuleBodySize   = "request.body_size"   // body larger than api.MaxBodyBytes (413)
	RuleBodyRead   = "request.body_read"   // body could not be read (timeout, reset)
	RuleJSON       = "request.json"        // malformed JSON, wrong types, unknown fields, trailing data
	RuleSlowClient = "request.slow_client" // no complete request within ReadHeaderTimeout
)

// newHTTPServer returns an http.Server for h with the limits above, whose
// connections are tracked so that slow clients are audited.
func (s *Server) newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           s.markServed(h),
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
		ConnState:         s.connState,
	}
}

// readBody reads the whole body within api.MaxBodyBytes. A refusal is
// audited and answered: 413 when the body is too large, 400 when it could
// not be read.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, api.MaxBodyBytes))
	if err != nil {
		s.refuse(w, r, bodyError(err))
		return nil, false
	}
	return body, true
}

func bodyError(err error) *api.Error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return &api.Error{Code: api.CodeInvalidRequest, Status: http.StatusRequestEntityTooLarge, Rule: RuleBodySize,
			Message: fmt.Sprintf("request body larger than %d bytes, the executor's limit; nothing was read further or done", api.MaxBodyBytes)}
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return &api.Error{Code: api.CodeInvalidRequest, Rule: RuleBodyRead,
			Message: fmt.Sprintf("request body not complete within %s, the executor's read timeout (slow or stalled client)", ReadTimeout)}
	}
	return &api.Error{Code: api.CodeInvalidRequest, Rule: RuleBodyRead, Message: "read request body: " + err.Error()}
}

// decode reads the body into v with api.Decode (no unknown fields, nothing
// after the value). A refusal is audited and answered.
func (s *Server) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	err := api.Decode(http.MaxBytesReader(w, r.Body, api.MaxBodyBytes), v)
	if err == nil {
		return true
	}
	var tooBig *http.MaxBytesError
	var netErr net.Error
	switch {
	case errors.As(err, &tooBig), errors.As(err, &netErr):
		s.refuse(w, r, bodyError(err))
	default:
		s.refuse(w, r, &api.Error{Code: api.CodeInvalidRequest, Rule: RuleJSON, Message: "malformed JSON body: " + err.Error()})
	}
	return false
}

// decodeOptional is decode for bodies that may be empty.
func (s *Server) decodeOptional(w http.ResponseWriter, r *http.Request, v any) bool {
	body, ok := s.readBody(w, r)
	if !ok {
		return false
	}
	if len(trimSpace(body)) == 0 {
		return true
	}
	if err := api.DecodeBytes(body, v); err != nil {
		s.refuse(w, r, &api.Error{Code: api.CodeInvalidRequest, Rule: RuleJSON, Message: "malformed JSON body: " + err.Error()})
		return false
	}
	return true
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\n' || b[0] == '\r') {
		b = b[1:]
	}
	return b
}

// conn is what the server knows of one connection for the slow-client
// audit: since when it has been waiting for a request, whether it is idle
// between requests (closing it then is the idle timeout, not a refusal),
// and whether its current request reached a handler.
type conn struct {
	mu     sync.Mutex
	who    string
	since  time.Time
	idle   bool
	served bool
}

type connKey struct{}

// trackConn registers c when it is accepted (http.Server.ConnContext); who
// names its peer for the audit log.
func (s *Server) trackConn(ctx context.Context, c net.Conn, who string) context.Context {
	tc := &conn{who: who, since: time.Now()}
	s.conns.Store(c, tc)
	return context.WithValue(ctx, connKey{}, tc)
}

// markServed notes on the request's connection that a request reached the
// handler, so closing it afterwards is not a slow client.
func (s *Server) markServed(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tc, ok := r.Context().Value(connKey{}).(*conn); ok {
			tc.mu.Lock()
			tc.served = true
			tc.mu.Unlock()
		}
		next.ServeHTTP(w, r)
	})
}

// connState audits a connection that net/http closes after waiting
// ReadHeaderTimeout for a complete request: a slow or stalled client.
// net/http closes those without an answer, so this is the only record.
func (s *Server) connState(c net.Conn, st http.ConnState) {
	v, ok := s.conns.Load(c)
	if !ok {
		return
	}
	tc := v.(*conn)
	tc.mu.Lock()
	defer tc.mu.Unlock()
	switch st {
	case http.StateActive: // net/http read (part of) a request
		tc.idle, tc.served = false, false
	case http.StateIdle:
		tc.since, tc.idle = time.Now(), true
	case http.StateHijacked:
		s.conns.Delete(c)
	case http.StateClosed:
		s.conns.Delete(c)
		waited := time.Since(tc.since)
		if tc.served || tc.idle || waited < ReadHeaderTimeout {
			return // answered, idle, or the client went away by itself
		}
		msg := fmt.Sprintf("no complete request within %s (slow or stalled client); the connection was closed", ReadHeaderTimeout)
		s.Logger.Warn("refused slow client", "peer", tc.who, "waited", waited.Round(time.Millisecond))
		if s.Audit == nil {
			return
		}
		data, _ := api.CanonicalJSON(map[string]string{"message": msg, "waited": waited.Round(time.Millisecond).String()})
		if _, err := s.Audit.Append(context.Background(), audit.Record{Type: "denial", Actor: tc.who,
			Rule: RuleSlowClient, Outcome: string(api.CodeInvalidRequest), Data: data}); err != nil {
			s.Logger.Error("audit slow client", "error", err)
		}
	}
}
