package server

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/audit"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/trust"
)

// Who may do what, after the peer check:
//
//   - GET requests (reads, including GET /v1/info, which tells clients the
//     host id they sign for) need no envelope: they change nothing, and
//     reaching them already needs root, the socket's group or a client
//     certificate. Signing them would also write a nonce per poll.
//   - Every other request needs a signed envelope (api.HeaderEnvelope) by a
//     key of the configuration with the route's role: POST /v1/plans (a dry
//     run) role plan; submitting, retrying and any route not listed here
//     role apply; approving and rejecting role approve; cancelling role
//     apply or approve.
//
// Every refusal is audited with the rule that decided it.
func requiredRoles(pattern string) []api.Role {
	switch pattern {
	case api.RoutePlan:
		return []api.Role{api.RolePlan}
	case api.RouteApproveJob, api.RouteRejectJob:
		return []api.Role{api.RoleApprove}
	case api.RouteCancelJob:
		return []api.Role{api.RoleApply, api.RoleApprove}
	}
	return []api.Role{api.RoleApply}
}

type keyCtxKey struct{}

// keyFrom returns the key that signed the request, nil for reads.
func keyFrom(ctx context.Context) *trust.Key {
	k, _ := ctx.Value(keyCtxKey{}).(*trust.Key)
	return k
}

// authenticate verifies the envelope of every request that is not a read
// and checks its key's role for the route mux would serve.
func (s *Server) authenticate(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			mux.ServeHTTP(w, r)
			return
		}
		_, pattern := mux.Handler(r)
		if pattern == "" || pattern == "/" {
			mux.ServeHTTP(w, r) // not found: nothing to protect
			return
		}
		body, ok := s.readBody(w, r)
		if !ok {
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		if s.Trust == nil || s.Trust.Keys.Len() == 0 {
			s.refuse(w, r, &api.Error{Code: api.CodeUnauthorized, Rule: trust.RuleUnknownKey,
				Message: "this executor has no key blocks in its configuration, so it accepts no signed request; add keys (missioncontrol-executor keygen prints them)"})
			return
		}
		key, err := s.Trust.VerifyRequest(r.Context(), r.Header.Get(api.HeaderEnvelope), r.Method, r.URL.RequestURI(), body)
		if err != nil {
			s.refuse(w, r, err)
			return
		}
		if err := trust.Authorize(key, r.Method+" "+r.URL.Path, requiredRoles(pattern)...); err != nil {
			s.refuse(w, r, err)
			return
		}
		mux.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), keyCtxKey{}, &key)))
	})
}

// refuse audits a refused request and answers err.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, err error) {
	var apiErr *api.Error
	if !errors.As(err, &apiErr) {
		writeError(w, err)
		return
	}
	who := "unknown peer"
	if p := peerFrom(r.Context()); p != nil {
		who = p.String()
	}
	if c := tlsPeer(r); c != "" {
		who = c
	}
	s.Logger.WarnContext(r.Context(), "refused request", "peer", who, "method", r.Method, "path", r.URL.Path, "rule", apiErr.Rule, "error", apiErr.Message)
	if s.Audit != nil {
		data, _ := api.CanonicalJSON(map[string]string{"method": r.Method, "path": r.URL.Path, "message": apiErr.Message})
		if _, aerr := s.Audit.Append(context.WithoutCancel(r.Context()), audit.Record{Type: "denial", Actor: who,
			RequestID: r.Header.Get(api.HeaderRequestID), Rule: apiErr.Rule, Outcome: string(apiErr.Code), Data: data}); aerr != nil {
			s.Logger.ErrorContext(r.Context(), "audit refusal", "error", aerr)
		}
	}
	writeError(w, apiErr)
}

func (s *Server) handleApprove(w http.ResponseWriter, r *http.Request) {
	var req api.ApproveRequest
	if !s.decode(w, r, &req) {
		return
	}
	job, err := s.Queue.Approve(r.Context(), r.PathValue("id"), req.Approvals, actor(r))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, job)
}

func (s *Server) handleReject(w http.ResponseWriter, r *http.Request) {
	var req api.RejectRequest
	if !s.decodeOptional(w, r, &req) {
		return
	}
	job, err := s.Queue.Reject(r.Context(), r.PathValue("id"), req.Reason, actor(r))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, job)
}

func (s *Server) handleCancel(w http.ResponseWriter, r *http.Request) {
	var req api.CancelRequest
	if !s.decodeOptional(w, r, &req) {
		return
	}
	job, err := s.Queue.Cancel(r.Context(), r.PathValue("id"), req.Reason, actor(r))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, job)
}

// scopePlan refuses a dry run by a key limited to other environments than
// the tenant's (its planned one, or for a decommission the registered one).
func (s *Server) scopePlan(r *http.Request, p api.Plan) error {
	k := keyFrom(r.Context())
	if k == nil || len(k.Environments) == 0 {
		return nil
	}
	env := p.Desired.Tenant.Environment
	if env == "" {
		if rec, ok, err := s.Store.GetTenant(r.Context(), p.Tenant); err == nil && ok {
			env = rec.Desired.Tenant.Environment
		}
	}
	return trust.Scope(*k, env)
}
