package server

import (
	"net/http"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

func (s *Server) handleListArchives(w http.ResponseWriter, r *http.Request) {
	recs, err := s.Store.ListArchives(r.Context(), r.URL.Query().Get("tenant"))
	if err != nil {
		writeError(w, err)
		return
	}
	out := api.ArchiveList{Archives: []api.Archive{}}
	for _, a := range recs {
		out.Archives = append(out.Archives, api.Archive{Path: a.Path, Tenant: a.Tenant, SHA256: a.SHA256, Size: a.Size, JobID: a.JobID,
			UID: a.Allocation.UID, Environment: a.Desired.Tenant.Environment, CreatedAt: a.CreatedAt})
	}
	writeJSON(w, http.StatusOK, out)
}
