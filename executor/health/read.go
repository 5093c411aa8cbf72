package health

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"syscall"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

// maxTransitions bounds the transitions TenantHealth lists.
const maxTransitions = 200

// TenantHealth reports tenant's health now: its status since its last
// transition, the last probe of this executor process (nil before the
// first), availability over Windows, its open incidents and the latest
// closed ones. It does not check that the tenant is registered.
func (m *Monitor) TenantHealth(ctx context.Context, tenant string) (api.TenantHealth, error) {
	now := m.o.Clock()
	h := api.TenantHealth{Tenant: tenant, Time: now, Status: api.HealthUnknown, Availability: []api.Availability{},
		OpenIncidents: []api.Incident{}, RecentIncidents: []api.Incident{}}
	m.mu.Lock()
	if st := m.state[tenant]; st != nil {
		h.Status, h.Cause, h.Since = st.status, st.cause, st.since
		if st.last != nil {
			p := *st.last
			h.LastProbe = &p
			h.Restarts = p.Unit.NRestarts
		}
	}
	m.mu.Unlock()
	if h.LastProbe == nil {
		tr, ok, err := m.o.Store.LastHealthTransition(ctx, tenant)
		if err != nil {
			return h, err
		}
		if ok {
			h.Status, h.Cause, h.Since = tr.Status, tr.Cause, tr.Time
		}
	}
	longest := Windows[len(Windows)-1]
	trs, err := m.o.Store.HealthTransitions(ctx, tenant, now.Add(-longest.Duration), now)
	if err != nil {
		return h, err
	}
	for _, w := range Windows {
		h.Availability = append(h.Availability, Availability(trs, w, now))
	}
	day := now.Add(-Windows[0].Duration)
	first := len(trs)
	for i, tr := range trs {
		if tr.Time.After(day) {
			first = i
			break
		}
	}
	if first > 0 {
		first-- // the status in force when the day began
	}
	h.Transitions = trs[first:]
	if n := len(h.Transitions); n > maxTransitions {
		h.Transitions = h.Transitions[n-maxTransitions:]
	}
	if h.OpenIncidents, err = m.o.Store.Incidents(ctx, tenant, true, 0); err != nil {
		return h, err
	}
	if h.RecentIncidents, err = m.o.Store.Incidents(ctx, tenant, false, recentIncidents); err != nil {
		return h, err
	}
	if h.OpenIncidents == nil {
		h.OpenIncidents = []api.Incident{}
	}
	if h.RecentIncidents == nil {
		h.RecentIncidents = []api.Incident{}
	}
	return h, nil
}

// Disk describes the tenants' root directory and its filesystem.
type Disk struct {
	// Bytes is the size of the regular files under the root (symlinks are
	// not followed; files that vanish during the walk are skipped).
	Bytes       int64
	TotalBytes  int64
	FreeBytes   int64 // available to unprivileged users
	UsedPercent float64
}

// DiskUsage measures root. Outcomes: (Disk, nil); (zero, error) when root
// cannot be statted or walked.
func DiskUsage(root string) (Disk, error) {
	var d Disk
	var sfs syscall.Statfs_t
	if err := syscall.Statfs(root, &sfs); err != nil {
		return d, &fs.PathError{Op: "statfs", Path: root, Err: err}
	}
	bs := int64(sfs.Bsize)
	d.TotalBytes = int64(sfs.Blocks) * bs
	d.FreeBytes = int64(sfs.Bavail) * bs
	if used := int64(sfs.Blocks-sfs.Bfree) * bs; used+d.FreeBytes > 0 {
		d.UsedPercent = float64(used) * 100 / float64(used+d.FreeBytes)
	}
	err := filepath.WalkDir(root, func(_ string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if e.Type().IsRegular() {
			if fi, err := e.Info(); err == nil {
				d.Bytes += fi.Size()
			}
		}
		return nil
	})
	if err != nil {
		return Disk{}, err
	}
	return d, nil
}
