package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/audit"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/jobs"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/plan"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/steps"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/store"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/trust"
)

// Server serves the API.
type Server struct {
	Planner *plan.Planner
	Queue   *jobs.Queue
	Store   *store.Store
	Audit   *audit.Log // records refusals and reads of secrets
	Info    func(ctx context.Context) api.Info
	// GID is the group whose members may connect; -1 allows root only.
	GID    int
	Logger *slog.Logger
	// Health answers GET /v1/tenants/{name}/health (health.go); nil answers
	// it with an internal error.
	Health HealthReader
	// Trust verifies the signed envelopes of mutating requests (auth.go);
	// nil refuses them all. Refusals are audited in Audit.
	Trust *trust.Verifier
	// Now is the clock for month-to-date usage (nil: time.Now).
	Now func() time.Time

	http  *http.Server
	tls   *http.Server // the mutual TLS listener's server, if any (tls.go)
	conns sync.Map     // net.Conn -> *conn, for the slow-client audit (limits.go)
}

// Handler returns the API's routes.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(api.RouteInfo, s.handleInfo)
	mux.HandleFunc(api.RoutePlan, s.handlePlan)
	mux.HandleFunc(api.RouteSubmitJob, s.handleSubmit)
	mux.HandleFunc(api.RouteListJobs, s.handleListJobs)
	mux.HandleFunc(api.RouteGetJob, s.handleGetJob)
	mux.HandleFunc(api.RouteRetryJob, s.handleRetry)
	mux.HandleFunc(api.RouteApproveJob, s.handleApprove)
	mux.HandleFunc(api.RouteRejectJob, s.handleReject)
	mux.HandleFunc(api.RouteCancelJob, s.handleCancel)
	mux.HandleFunc(api.RouteListTenants, s.handleListTenants)
	mux.HandleFunc(api.RouteGetTenant, s.handleGetTenant)
	mux.HandleFunc(api.RouteTenantHealth, s.handleTenantHealth)
	mux.HandleFunc(api.RouteHost, s.handleHost)
	mux.HandleFunc(api.RouteGetGatewayToken, s.handleGatewayToken)
	mux.HandleFunc(api.RouteListArchives, s.handleListArchives)
	mux.HandleFunc(api.RouteUsage, s.handleUsage)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, &api.Error{Code: api.CodeNotFound, Message: "no route " + r.Method + " " + r.URL.Path})
	})
	return s.requestLog(s.authorize(s.authenticate(mux)))
}

func (s *Server) authorize(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tlsPeer(r) != "" { // mutual TLS: the client certificate verified (tls.go)
			next.ServeHTTP(w, r)
			return
		}
		p := peerFrom(r.Context())
		if p == nil || !p.allowed(s.GID) {
			who := "unknown peer"
			if p != nil {
				who = fmt.Sprintf("uid %d gid %d", p.UID, p.GID)
			}
			s.Logger.WarnContext(r.Context(), "refused peer", "peer", who)
			writeError(w, &api.Error{Code: api.CodeForbidden, Message: who + " is not root and not in the executor's group"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Listen creates the unix socket at path with the given mode and group. The
// directory is created 0750 root:group first, so the socket is never
// reachable before its mode is set.
func Listen(path string, mode os.FileMode, gid int) (net.Listener, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create socket dir: %w", err)
	}
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode().Type() != os.ModeSocket {
			return nil, fmt.Errorf("refusing to replace %s: not a socket", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("remove stale socket: %w", err)
		}
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("listen on unix socket: %w", err)
	}
	if gid >= 0 {
		if err := os.Chown(path, 0, gid); err != nil {
			ln.Close()
			return nil, fmt.Errorf("chown socket: %w", err)
		}
	}
	if err := os.Chmod(path, mode); err != nil {
		ln.Close()
		return nil, fmt.Errorf("chmod socket: %w", err)
	}
	return ln, nil
}

// Serve serves on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	s.http = s.newHTTPServer(s.Handler())
	s.http.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
		p, err := peerOf(c)
		if err != nil {
			s.Logger.Warn("peer credentials", "error", err)
			return s.trackConn(ctx, c, "unknown peer")
		}
		return s.trackConn(context.WithValue(ctx, peerKey{}, p), c, p.String())
	}
	err := s.http.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops the server within ctx.
func (s *Server) Shutdown(ctx context.Context) error {
	if s.tls != nil {
		if err := s.tls.Shutdown(ctx); err != nil {
			return err
		}
	}
	if s.http == nil {
		return nil
	}
	return s.http.Shutdown(ctx)
}

func actor(r *http.Request) jobs.Actor {
	a := jobs.Actor{RequestID: r.Header.Get(api.HeaderRequestID)}
	if p := peerFrom(r.Context()); p != nil {
		a.Name = p.String()
	}
	if c := tlsPeer(r); c != "" {
		a.Name = c
	}
	if k := keyFrom(r.Context()); k != nil {
		a.Key = k
		a.Name = "key " + k.String() + " " + a.Name
	}
	return a
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError writes any error as an *api.Error; errors that are not API
// errors are internal and keep their text for the operator.
func writeError(w http.ResponseWriter, err error) {
	var apiErr *api.Error
	switch {
	case errors.As(err, &apiErr):
	case errors.Is(err, store.ErrNotFound):
		apiErr = &api.Error{Code: api.CodeNotFound, Message: err.Error()}
	default:
		apiErr = &api.Error{Code: api.CodeInternal, Message: err.Error()}
	}
	writeJSON(w, apiErr.HTTPStatus(), apiErr)
}

func (s *Server) handleInfo(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.Info(r.Context()))
}

func (s *Server) handlePlan(w http.ResponseWriter, r *http.Request) {
	var req api.PlanRequest
	if !s.decode(w, r, &req) {
		return
	}
	res, err := s.Planner.Plan(r.Context(), req)
	if err != nil {
		writeError(w, err)
		return
	}
	if err := s.scopePlan(r, res.Plan); err != nil {
		s.refuse(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res.Plan)
}

func (s *Server) handleSubmit(w http.ResponseWriter, r *http.Request) {
	var req api.SubmitRequest
	if !s.decode(w, r, &req) {
		return
	}
	if req.Digest == "" {
		writeError(w, &api.Error{Code: api.CodeInvalidRequest, Field: "digest", Message: "the reviewed plan digest is required"})
		return
	}
	job, err := s.Queue.Submit(r.Context(), req, actor(r))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusAccepted, job)
}

func (s *Server) handleRetry(w http.ResponseWriter, r *http.Request) {
	job, err := s.Queue.Retry(r.Context(), r.PathValue("id"), actor(r))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusAccepted, job)
}

func (s *Server) handleGetJob(w http.ResponseWriter, r *http.Request) {
	wait, after, untilEnd, err := longPoll(r)
	if err != nil {
		writeError(w, err)
		return
	}
	id := r.PathValue("id")
	timer := time.NewTimer(wait)
	defer timer.Stop()
	var changed <-chan struct{}
	job, err := s.Store.GetJob(r.Context(), id)
	for {
		if err != nil {
			writeError(w, err)
			return
		}
		if wait == 0 || s.Queue == nil || job.State.Terminal() || !untilEnd && lastSeq(job) > after {
			writeJSON(w, http.StatusOK, job)
			return
		}
		if changed == nil {
			// Watch, then read again: an event between the two reads is
			// seen by the second; one after it closes changed.
			changed = s.Queue.Changes(id)
			job, err = s.Store.GetJob(r.Context(), id)
			continue
		}
		select {
		case <-changed:
			changed = nil
			if untilEnd {
				// Most events are steps: a look at the state says
				// whether the whole job is worth reading. Watch first,
				// as above.
				changed = s.Queue.Changes(id)
				if state, serr := s.Store.JobState(r.Context(), id); serr == nil && !state.Terminal() {
					continue
				}
			}
			job, err = s.Store.GetJob(r.Context(), id)
		case <-timer.C:
			job, err = s.Store.GetJob(r.Context(), id)
			if err == nil {
				writeJSON(w, http.StatusOK, job)
				return
			}
		case <-r.Context().Done():
			return
		}
	}
}

// longPoll reads the wait, after and until parameters of a job read
// (api.QueryWait).
func longPoll(r *http.Request) (wait time.Duration, after int, untilEnd bool, err error) {
	q := r.URL.Query()
	if q.Get(api.QueryWait) == "" {
		return 0, 0, false, nil
	}
	wait, err = time.ParseDuration(q.Get(api.QueryWait))
	if err != nil || wait < 0 || wait > api.MaxJobWait {
		return 0, 0, false, &api.Error{Code: api.CodeInvalidRequest, Field: api.QueryWait, Value: q.Get(api.QueryWait),
			Message: fmt.Sprintf("wait must be a duration from 0s to %s", api.MaxJobWait)}
	}
	after, err = strconv.Atoi(q.Get(api.QueryAfter))
	if err != nil || after < -1 {
		return 0, 0, false, &api.Error{Code: api.CodeInvalidRequest, Field: api.QueryAfter, Value: q.Get(api.QueryAfter),
			Message: "after must be the sequence number of the last event seen, or -1"}
	}
	switch until := q.Get(api.QueryUntil); until {
	case "", api.UntilEnd:
		untilEnd = until == api.UntilEnd
	default:
		return 0, 0, false, &api.Error{Code: api.CodeInvalidRequest, Field: api.QueryUntil, Value: until,
			Message: fmt.Sprintf("until must be %q or absent", api.UntilEnd)}
	}
	return wait, after, untilEnd, nil
}

// lastSeq is the sequence number of job's newest event (-1 without any).
func lastSeq(job api.Job) int {
	last := -1
	for _, ev := range job.Events {
		last = max(last, ev.Seq)
	}
	return last
}

func (s *Server) handleListJobs(w http.ResponseWriter, r *http.Request) {
	limit := 100
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			writeError(w, &api.Error{Code: api.CodeInvalidRequest, Field: "limit", Value: v, Message: "limit must be 1..1000"})
			return
		}
		limit = n
	}
	list, err := s.Store.ListJobs(r.Context(), r.URL.Query().Get("tenant"), limit)
	if err != nil {
		writeError(w, err)
		return
	}
	if list == nil {
		list = []api.Job{}
	}
	writeJSON(w, http.StatusOK, api.JobList{Jobs: list})
}

func (s *Server) handleListTenants(w http.ResponseWriter, r *http.Request) {
	recs, err := s.Store.ListTenants(r.Context())
	if err != nil {
		writeError(w, err)
		return
	}
	// One systemctl for every tenant's unit, rather than one per tenant.
	units := make([]string, 0, len(recs))
	for _, rec := range recs {
		units = append(units, plan.GatewayUnit(s.Planner.Config, rec.Name))
	}
	states, err := s.Planner.Host.UnitStates(r.Context(), units...)
	if err != nil {
		writeError(w, err)
		return
	}
	ctx := steps.WithUnitStates(r.Context(), states)
	out := api.TenantList{Tenants: []api.Tenant{}}
	for _, rec := range recs {
		t, err := s.observe(ctx, rec.Name)
		if err != nil {
			writeError(w, err)
			return
		}
		out.Tenants = append(out.Tenants, t)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleGetTenant(w http.ResponseWriter, r *http.Request) {
	t, err := s.observe(r.Context(), r.PathValue("name"))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, t)
}
