package server

import (
	"context"
	"net/http"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/health"
)

// HealthReader reports a tenant's gateway health (health.Monitor does).
type HealthReader interface {
	TenantHealth(ctx context.Context, tenant string) (api.TenantHealth, error)
}

func (s *Server) handleTenantHealth(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	rec, ok, err := s.Store.GetTenant(r.Context(), name)
	if err != nil {
		writeError(w, err)
		return
	}
	if !ok || rec.Decommissioned {
		writeError(w, &api.Error{Code: api.CodeNotFound, Field: "tenant", Value: name,
			Message: "tenant " + name + " is not registered on this host"})
		return
	}
	if s.Health == nil {
		writeError(w, api.Errorf(api.CodeInternal, "health probes are not running in this executor"))
		return
	}
	h, err := s.Health.TenantHealth(r.Context(), name)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, h)
}

func (s *Server) handleHost(w http.ResponseWriter, r *http.Request) {
	h, err := s.host(r.Context())
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, h)
}

// host summarises the executor and the host's capacity: gateway base ports
// on the configured grid that no tenant (decommissioned ones included)
// holds, and the disk use of the tenants' root.
func (s *Server) host(ctx context.Context) (api.Host, error) {
	info := s.Info(ctx)
	cfg := s.Planner.Config
	t := cfg.Tenants
	out := api.Host{Version: info.Version, HostID: info.HostID, PolicyRevision: info.PolicyRevision,
		TenantCount: info.TenantCount, TenantRoot: t.Root}
	if t.PortStride > 0 && t.PortMax-4 >= t.PortMin {
		out.PortsTotal = (t.PortMax-4-t.PortMin)/t.PortStride + 1
	}
	reserved, err := s.Store.ReservedPorts(ctx)
	if err != nil {
		return out, err
	}
	held := 0
	for port := range reserved {
		if port >= t.PortMin && port <= t.PortMax-4 && (port-t.PortMin)%t.PortStride == 0 {
			held++
		}
	}
	out.PortsFree = max(0, out.PortsTotal-held)
	d, err := health.DiskUsage(t.Root)
	if err != nil {
		return out, err
	}
	out.TenantRootBytes, out.DiskTotalBytes, out.DiskFreeBytes, out.DiskUsedPercent = d.Bytes, d.TotalBytes, d.FreeBytes, d.UsedPercent
	return out, nil
}
