package store_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/store"
)

func TestArchives(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := store.Open(filepath.Join(t.TempDir(), "executor.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	at := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	a := store.ArchiveRecord{Path: "/var/lib/missioncontrol/archives/acme.tar.gz", Tenant: "acme", SHA256: "ab", Size: 42, JobID: "job-1",
		Desired:    api.Desired{Tenant: api.TenantSpec{Name: "acme", Environment: api.EnvProduction}},
		Allocation: api.Allocation{User: "mc-acme", UID: 20001, GID: 20001, GatewayPort: 20020}, CreatedAt: at}
	b := a
	b.Path, b.Tenant, b.CreatedAt = "/var/lib/missioncontrol/archives/globex.tar.gz", "globex", at.Add(time.Hour)
	for _, r := range []store.ArchiveRecord{a, b} {
		if err := st.PutArchive(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	all, err := st.ListArchives(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]store.ArchiveRecord{b, a}, all); diff != "" {
		t.Errorf("all archives, newest first (-want +got):\n%s", diff)
	}
	one, err := st.ListArchives(ctx, "acme")
	if err != nil || len(one) != 1 || one[0].Path != a.Path {
		t.Errorf("acme's archives: %+v %v", one, err)
	}
}

// Purging the last archive of a decommissioned tenant frees its uid; an
// earlier archive, or a live tenant, keeps it reserved.
func TestDeleteArchive(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := store.Open(filepath.Join(t.TempDir(), "executor.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	at := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	alloc := api.Allocation{User: "mc-acme", Group: "mc-acme", UID: 20001, GID: 20001, GatewayPort: 20020}
	for _, name := range []string{"acme", "live"} {
		a := alloc
		if name == "live" {
			a = api.Allocation{User: "mc-live", Group: "mc-live", UID: 20002, GID: 20002, GatewayPort: 20040}
		}
		if err := st.PutTenant(ctx, store.TenantRecord{Name: name, Allocation: a, UpdatedAt: at}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.MarkDecommissioned(ctx, "acme", at); err != nil {
		t.Fatal(err)
	}
	dir := "/var/lib/missioncontrol/archives/"
	for _, r := range []store.ArchiveRecord{
		{Path: dir + "acme.tar.gz", Tenant: "acme", Allocation: alloc, CreatedAt: at},
		{Path: dir + "acme-1.tar.gz", Tenant: "acme", Allocation: alloc, CreatedAt: at.Add(time.Hour)},
		{Path: dir + "live.tar.gz", Tenant: "live", CreatedAt: at},
	} {
		if err := st.PutArchive(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := st.GetArchive(ctx, dir+"acme-1.tar.gz"); err != nil || got.Tenant != "acme" || got.Allocation.UID != 20001 {
		t.Fatalf("get archive: %+v %v", got, err)
	}
	if _, err := st.GetArchive(ctx, dir+"ghost.tar.gz"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("get unknown archive: %v", err)
	}
	reserved := func(uid int) bool {
		t.Helper()
		m, err := st.ReservedUIDs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		_, ok := m[uid]
		return ok
	}
	for _, c := range []struct {
		path      string
		freed     bool
		uid       int
		stillHeld bool
	}{
		{dir + "acme.tar.gz", false, 20001, true},   // another archive of acme remains
		{dir + "live.tar.gz", false, 20002, true},   // live's tenant is registered
		{dir + "acme-1.tar.gz", true, 20001, false}, // acme's last archive
	} {
		freed, err := st.DeleteArchive(ctx, c.path)
		if err != nil || freed != c.freed {
			t.Fatalf("delete %s: freed %v %v, want freed %v", c.path, freed, err, c.freed)
		}
		if reserved(c.uid) != c.stillHeld {
			t.Errorf("after deleting %s uid %d reserved %v, want %v", c.path, c.uid, !c.stillHeld, c.stillHeld)
		}
	}
	if _, err := st.DeleteArchive(ctx, dir+"acme.tar.gz"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("delete twice: %v", err)
	}
	if _, ok, _ := st.GetTenant(ctx, "acme"); ok {
		t.Error("acme is still registered after its last archive was purged")
	}
}
