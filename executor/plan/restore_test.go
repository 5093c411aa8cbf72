package plan_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/steps"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/store"
)

func archiveReq(action api.Action, tenant, archive string) api.PlanRequest {
	return api.PlanRequest{Tenant: tenant, Changes: []api.Change{{Kind: api.ObjectTenant, Action: action, Archive: archive}}}
}

// Restores and purges that cannot be done are refused with the reason,
// before anything observes or changes the host's files; a restore that can
// is still a plan the policy checks (this fixture's policy does not allow
// the restore step).
func TestPlanRestoreAndPurgeRefusals(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	dir := filepath.Join(f.root, "archives")
	os.MkdirAll(dir, 0o700)
	f.planner.Config.Tenants.ArchiveDir = dir
	at := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)

	// acme: decommissioned, with a readable archive; busy: an archive whose
	// uid a host user took; live: registered and not decommissioned
	l := f.planner.Config.Tenants
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	tw.WriteHeader(&tar.Header{Name: strings.TrimPrefix(filepath.Join(l.Root, "acme"), "/") + "/", Typeflag: tar.TypeDir, Mode: 0o750, Uid: 20001, Gid: 20001})
	tw.Close()
	zw.Close()
	os.WriteFile(filepath.Join(dir, "acme.tar.gz"), buf.Bytes(), 0o600)
	spec := func(name string) api.Desired {
		return api.Desired{Tenant: api.TenantSpec{Name: name, Environment: api.EnvDevelopment}}
	}
	alloc := func(name string, id, port int) api.Allocation {
		return api.Allocation{User: "mc-" + name, Group: "mc-" + name, UID: id, GID: id, GatewayPort: port}
	}
	for _, r := range []store.TenantRecord{
		{Name: "acme", Desired: spec("acme"), Allocation: alloc("acme", 20001, 20020), UpdatedAt: at},
		{Name: "busy", Desired: spec("busy"), Allocation: alloc("busy", 20000, 20040), UpdatedAt: at},
		{Name: "live", Desired: spec("live"), Allocation: alloc("live", 20003, 20060), UpdatedAt: at},
	} {
		if err := f.store.PutTenant(ctx, r); err != nil {
			t.Fatal(err)
		}
		if r.Name != "live" {
			if err := f.store.MarkDecommissioned(ctx, r.Name, at); err != nil {
				t.Fatal(err)
			}
		}
		sum := steps.SHA256(buf.Bytes())
		if err := f.store.PutArchive(ctx, store.ArchiveRecord{Path: filepath.Join(dir, r.Name+".tar.gz"), Tenant: r.Name, SHA256: sum,
			Desired: r.Desired, Allocation: r.Allocation, CreatedAt: at}); err != nil {
			t.Fatal(err)
		}
	}
	cases := map[string]struct {
		req  api.PlanRequest
		code api.Code
		want string
	}{
		"no archive":               {req: archiveReq(api.ActionRestore, "acme", ""), code: api.CodeInvalidRequest, want: "needs the archive"},
		"dot-dot":                  {req: archiveReq(api.ActionRestore, "acme", "../acme.tar.gz"), code: api.CodeInvalidRequest, want: "file name in"},
		"path outside":             {req: archiveReq(api.ActionPurge, "acme", "/etc/shadow"), code: api.CodeInvalidRequest, want: "file name in"},
		"unknown":                  {req: archiveReq(api.ActionRestore, "acme", "ghost.tar.gz"), code: api.CodeNotFound, want: "archive list"},
		"another tenant's":         {req: archiveReq(api.ActionRestore, "acme", "busy.tar.gz"), code: api.CodeInvalidRequest, want: `of tenant "busy"`},
		"with other changes":       {req: api.PlanRequest{Tenant: "acme", Changes: append(archiveReq(api.ActionRestore, "acme", "acme.tar.gz").Changes, api.Change{Kind: api.ObjectWorkspace, Action: api.ActionDestroy, Name: "w"})}, code: api.CodeInvalidRequest, want: "only change"},
		"workspace restore":        {req: api.PlanRequest{Tenant: "acme", Changes: []api.Change{{Kind: api.ObjectWorkspace, Action: api.ActionRestore, Archive: "acme.tar.gz"}}}, code: api.CodeInvalidRequest, want: "applies to a tenant"},
		"live tenant":              {req: archiveReq(api.ActionRestore, "live", "live.tar.gz"), code: api.CodeConflict, want: "is live"},
		"purge of a live tenant's": {req: archiveReq(api.ActionPurge, "live", "live.tar.gz"), code: api.CodeConflict, want: "live again"},
		"uid taken":                {req: archiveReq(api.ActionRestore, "busy", "busy.tar.gz"), code: api.CodeConflict, want: "taken by user busy"},
		"restore not allowed":      {req: archiveReq(api.ActionRestore, "acme", "acme.tar.gz"), code: api.CodePolicyDenied, want: "restore"},
		"purge outside paths":      {req: archiveReq(api.ActionPurge, "acme", filepath.Join(dir, "acme.tar.gz")), code: api.CodePolicyDenied, want: "paths.allow"},
	}
	before := tree(t, f.root)
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := f.planner.Plan(ctx, tc.req)
			if !api.IsCode(err, tc.code) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want code %s and %q", err, tc.code, tc.want)
			}
		})
	}
	// the archive file went missing: named as such
	os.Rename(filepath.Join(dir, "acme.tar.gz"), filepath.Join(dir, "moved"))
	if _, err := f.planner.Plan(ctx, archiveReq(api.ActionRestore, "acme", "acme.tar.gz")); !api.IsCode(err, api.CodeConflict) ||
		!strings.Contains(err.Error(), "file is missing") {
		t.Errorf("restore of a missing file: %v", err)
	}
	os.Rename(filepath.Join(dir, "moved"), filepath.Join(dir, "acme.tar.gz"))
	if diff := strings.Join(tree(t, f.root), "\n"); diff != strings.Join(before, "\n") {
		t.Errorf("planning changed files:\n%s", diff)
	}
}
