package server

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/audit"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/openclaw"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/plan"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/steps"
)

// handleGatewayToken answers a registered tenant's gateway token. The read is
// audited before the token leaves; if the audit record cannot be written,
// the token is not sent.
func (s *Server) handleGatewayToken(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	rec, ok, err := s.Store.GetTenant(r.Context(), name)
	if err != nil {
		writeError(w, err)
		return
	}
	if !ok || rec.Decommissioned {
		writeError(w, &api.Error{Code: api.CodeNotFound, Field: "tenant", Value: name, Message: fmt.Sprintf("tenant %q is not registered on this host", name)})
		return
	}
	l := plan.NewLayout(s.Planner.Config, name)
	st, err := steps.Stat(steps.Anchor{Base: s.Planner.Config.Tenants.ConfigRoot, Rel: name + "/token.env"})
	if err != nil {
		writeError(w, err)
		return
	}
	if !st.Exists || st.Type != 0 {
		writeError(w, &api.Error{Code: api.CodeNotFound, Field: "tenant", Value: name,
			Message: fmt.Sprintf("tenant %q has no gateway token yet (%s); apply the tenant first", name, l.TokenFile)})
		return
	}
	token, err := openclaw.ParseTokenEnv(st.Content)
	if err != nil {
		writeError(w, fmt.Errorf("read %s: %w", l.TokenFile, err))
		return
	}
	a := actor(r)
	if _, err := s.Audit.Append(r.Context(), audit.Record{Type: "request", Actor: a.Name, RequestID: a.RequestID, Tenant: name,
		Outcome: "gateway_token_read"}); err != nil {
		writeError(w, &api.Error{Code: api.CodeAuditFailed, Message: "cannot audit the token read, so the token is not sent: " + err.Error()})
		return
	}
	port := rec.Allocation.GatewayPort
	writeJSON(w, http.StatusOK, api.GatewayToken{Tenant: name, Token: token, Port: port, URL: "http://127.0.0.1:" + strconv.Itoa(port)})
}
