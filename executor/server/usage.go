package server

import (
	"context"
	"net/http"
	"time"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

// handleUsage answers GET /v1/usage from the ingested rollups.
func (s *Server) handleUsage(w http.ResponseWriter, r *http.Request) {
	q, err := api.ParseUsageQuery(r.URL.Query())
	if err != nil {
		writeError(w, err)
		return
	}
	rep, err := s.Store.QueryUsage(r.Context(), q)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

// monthToDate fills the tenant's month-to-date cost from the rollups.
func (s *Server) monthToDate(ctx context.Context, t *api.Tenant) error {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	nano, unpriced, err := s.Store.MonthToDate(ctx, t.Name, now())
	if err != nil {
		return err
	}
	t.MonthToDateUSD, t.MonthToDateUnpriced = float64(nano)/1e9, unpriced
	return nil
}
