package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/store"
)

func tenant(name string, uid, port int) store.TenantRecord {
	return store.TenantRecord{
		Name: name,
		Desired: api.Desired{
			Tenant: api.TenantSpec{Name: name, Environment: api.EnvDevelopment, Labels: map[string]string{"team": "a"}},
			Workspaces: []api.WorkspaceSpec{{
				Name: "main", Model: "m", Files: map[string]string{"AGENTS.md": "be nice"},
			}},
			Services: []api.ServiceSpec{{Kind: api.ServiceGateway, Enabled: true}},
		},
		Allocation: api.Allocation{
			User: "mc-" + name, Group: "mc-" + name, UID: uid, GID: uid, GatewayPort: port,
			Home: "/srv/missioncontrol/tenants/" + name, StateDir: "/srv/missioncontrol/tenants/" + name + "/.openclaw",
			ConfigDir: "/etc/missioncontrol/tenants/" + name, Unit: "missioncontrol-gateway@" + name + ".service",
		},
		LastJobID: "job-1",
		CreatedAt: t0,
		UpdatedAt: t0,
	}
}

func TestTenantRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openStore(t)

	if _, ok, err := s.GetTenant(ctx, "acme"); ok || err != nil {
		t.Fatalf("GetTenant(missing) = %v, %v; want false, nil", ok, err)
	}
	want := tenant("acme", 20001, 18789)
	if err := s.PutTenant(ctx, want); err != nil {
		t.Fatal(err)
	}
	got, ok, err := s.GetTenant(ctx, "acme")
	if !ok || err != nil {
		t.Fatalf("GetTenant = %v, %v", ok, err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GetTenant (-want +got):\n%s", diff)
	}

	// Update: CreatedAt stays, everything else follows.
	upd := want
	upd.Desired.Tenant.DisplayName = "Acme"
	upd.Allocation.GatewayPort = 18809
	upd.LastJobID = "job-2"
	upd.CreatedAt = t0.Add(time.Hour) // ignored on update
	upd.UpdatedAt = t0.Add(2 * time.Hour)
	if err := s.PutTenant(ctx, upd); err != nil {
		t.Fatal(err)
	}
	got, _, err = s.GetTenant(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	upd.CreatedAt = t0
	if diff := cmp.Diff(upd, got); diff != "" {
		t.Errorf("after update (-want +got):\n%s", diff)
	}

	// Insert without CreatedAt takes UpdatedAt; no allocation reserves nothing.
	bare := store.TenantRecord{Name: "bare", UpdatedAt: t0}
	if err := s.PutTenant(ctx, bare); err != nil {
		t.Fatal(err)
	}
	got, _, err = s.GetTenant(ctx, "bare")
	if err != nil {
		t.Fatal(err)
	}
	bare.CreatedAt = t0
	if diff := cmp.Diff(bare, got); diff != "" {
		t.Errorf("bare tenant (-want +got):\n%s", diff)
	}
}

func TestPutTenantAllocationTaken(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		uid, gid, port int
		wantField      string
		wantHolder     string
		wantHeld       int
	}{
		"uid of active tenant":     {uid: 20001, gid: 20100, port: 19000, wantField: "uid", wantHolder: "acme", wantHeld: 20001},
		"gid of active tenant":     {uid: 20100, gid: 20001, port: 19000, wantField: "gid", wantHolder: "acme", wantHeld: 20001},
		"same port":                {uid: 20100, gid: 20100, port: 18789, wantField: "gateway_port", wantHolder: "acme", wantHeld: 18789},
		"port overlaps base+2":     {uid: 20100, gid: 20100, port: 18791, wantField: "gateway_port", wantHolder: "acme", wantHeld: 18789},
		"port overlaps from below": {uid: 20100, gid: 20100, port: 18785, wantField: "gateway_port", wantHolder: "acme", wantHeld: 18789},
		"uid of decommissioned":    {uid: 20002, gid: 20100, port: 19000, wantField: "uid", wantHolder: "gone", wantHeld: 20002},
		"port of decommissioned":   {uid: 20100, gid: 20100, port: 18809, wantField: "gateway_port", wantHolder: "gone", wantHeld: 18809},
		"free":                     {uid: 20100, gid: 20100, port: 18794},
		"free below":               {uid: 20100, gid: 20100, port: 18784},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s := openStore(t)
			if err := s.PutTenant(ctx, tenant("acme", 20001, 18789)); err != nil {
				t.Fatal(err)
			}
			if err := s.PutTenant(ctx, tenant("gone", 20002, 18809)); err != nil {
				t.Fatal(err)
			}
			if err := s.MarkDecommissioned(ctx, "gone", t0); err != nil {
				t.Fatal(err)
			}

			rec := tenant("beta", tc.uid, tc.port)
			rec.Allocation.GID = tc.gid
			err := s.PutTenant(ctx, rec)
			if tc.wantField == "" {
				if err != nil {
					t.Fatalf("PutTenant = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, store.ErrAllocationTaken) {
				t.Fatalf("PutTenant = %v, want ErrAllocationTaken", err)
			}
			var ae *store.AllocationError
			if !errors.As(err, &ae) {
				t.Fatalf("PutTenant = %v, want *AllocationError", err)
			}
			want := &store.AllocationError{Tenant: "beta", Field: tc.wantField, Holder: tc.wantHolder, Held: tc.wantHeld}
			switch tc.wantField {
			case "uid":
				want.Value = tc.uid
			case "gid":
				want.Value = tc.gid
			default:
				want.Value = tc.port
			}
			if diff := cmp.Diff(want, ae); diff != "" {
				t.Errorf("AllocationError (-want +got):\n%s", diff)
			}
			if _, ok, _ := s.GetTenant(ctx, "beta"); ok {
				t.Error("refused tenant was stored")
			}
		})
	}
}

func TestPutTenantKeepsOwnAllocation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openStore(t)
	rec := tenant("acme", 20001, 18789)
	for range 2 {
		if err := s.PutTenant(ctx, rec); err != nil {
			t.Fatalf("re-putting a tenant with its own allocation: %v", err)
		}
	}
	rec.Allocation.GatewayPort = 18791 // overlaps only its own old port
	if err := s.PutTenant(ctx, rec); err != nil {
		t.Fatalf("moving a tenant's own port: %v", err)
	}
}

func TestListAndReserved(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openStore(t)
	for _, rec := range []store.TenantRecord{
		tenant("zeta", 20003, 18829),
		tenant("acme", 20001, 18789),
		tenant("mid", 20002, 18809),
		{Name: "new", UpdatedAt: t0},
	} {
		if err := s.PutTenant(ctx, rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.MarkDecommissioned(ctx, "mid", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkDecommissioned(ctx, "nope", t0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("MarkDecommissioned(missing) = %v, want ErrNotFound", err)
	}

	list, err := s.ListTenants(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range list {
		names = append(names, r.Name)
		if r.Name == "mid" && (!r.Decommissioned || !r.UpdatedAt.Equal(t0.Add(time.Hour))) {
			t.Errorf("mid = decommissioned %v at %v", r.Decommissioned, r.UpdatedAt)
		}
	}
	if diff := cmp.Diff([]string{"acme", "mid", "new", "zeta"}, names); diff != "" {
		t.Errorf("ListTenants order (-want +got):\n%s", diff)
	}

	for name, tc := range map[string]struct {
		get  func(context.Context) (map[int]string, error)
		want map[int]string
	}{
		"uids":  {s.ReservedUIDs, map[int]string{20001: "acme", 20002: "mid", 20003: "zeta"}},
		"gids":  {s.ReservedGIDs, map[int]string{20001: "acme", 20002: "mid", 20003: "zeta"}},
		"ports": {s.ReservedPorts, map[int]string{18789: "acme", 18809: "mid", 18829: "zeta"}},
	} {
		got, err := tc.get(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}
}
