package store_test

import (
	"context"
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
