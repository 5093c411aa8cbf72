package provider

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/client"
)

// tenantServer answers GET /v1/tenants/{name} with tenants[name] (500 when
// fail is set), slowly enough for concurrent callers to overlap, and
// counts the GETs.
type tenantServer struct {
	tenants map[string]api.Tenant
	fail    atomic.Bool
	gets    atomic.Int32
}

func (s *tenantServer) start(t *testing.T) *observations {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc(api.RouteGetTenant, func(w http.ResponseWriter, r *http.Request) {
		s.gets.Add(1)
		time.Sleep(50 * time.Millisecond)
		if s.fail.Load() {
			w.WriteHeader(http.StatusInternalServerError)
			_ = json.NewEncoder(w).Encode(api.Error{Code: api.CodeInternal, Message: "boom"})
			return
		}
		_ = json.NewEncoder(w).Encode(s.tenants[r.PathValue("name")])
	})
	return newObservations(serveExecutor(t, mux, client.Config{RetryWaitMin: time.Millisecond, RetryWaitMax: time.Millisecond}))
}

func TestObservationsShareOneGetPerTenant(t *testing.T) {
	s := &tenantServer{tenants: map[string]api.Tenant{
		"a": {Name: "a", Registered: true},
		"b": {Name: "b", Registered: true},
	}}
	o := s.start(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	for _, name := range []string{"a", "a", "a", "b", "b", "b"} {
		wg.Go(func() {
			if got, err := o.tenant(ctx, name); err != nil || got.Name != name {
				t.Errorf("tenant(%s) = %+v, %v", name, got, err)
			}
		})
	}
	wg.Wait()
	if n := s.gets.Load(); n != 2 {
		t.Errorf("%d GETs for 6 concurrent reads of 2 tenants, want 2", n)
	}
	o.forget("a")
	if _, err := o.tenant(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if n := s.gets.Load(); n != 3 {
		t.Errorf("%d GETs after forgetting a and reading it again, want 3", n)
	}
	if _, err := o.fresh(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	if _, err := o.tenant(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	if n := s.gets.Load(); n != 4 {
		t.Errorf("%d GETs after a fresh read of b and a read that reuses it, want 4", n)
	}
}

func TestObservationsDoNotKeepErrors(t *testing.T) {
	s := &tenantServer{tenants: map[string]api.Tenant{"a": {Name: "a", Registered: true}}}
	o := s.start(t)
	ctx := context.Background()
	s.fail.Store(true)
	if _, err := o.tenant(ctx, "a"); err == nil {
		t.Fatal("tenant(a) succeeded while the executor failed")
	}
	if o.settled("a") {
		t.Error("settled after a failed observation")
	}
	failed := s.gets.Load() // with the client's retries
	s.fail.Store(false)
	if got, err := o.tenant(ctx, "a"); err != nil || !got.Registered {
		t.Fatalf("tenant(a) after the executor recovered = %+v, %v", got, err)
	}
	if n := s.gets.Load() - failed; n != 1 {
		t.Errorf("%d GETs after the executor recovered, want 1: a failure is not kept", n)
	}
}

func TestObservationsSettled(t *testing.T) {
	s := &tenantServer{tenants: map[string]api.Tenant{
		"clean":      {Name: "clean", Registered: true},
		"drifted":    {Name: "drifted", Registered: true, PendingSteps: []api.Step{{Summary: "start the gateway"}}},
		"held":       {Name: "held", Registered: true, BudgetHold: &api.BudgetHold{}},
		"absent":     {Name: "absent"},
		"unobserved": {Name: "unobserved", Registered: true},
	}}
	o := s.start(t)
	for name, want := range map[string]bool{"clean": true, "drifted": false, "held": false, "absent": false} {
		if _, err := o.tenant(context.Background(), name); err != nil {
			t.Fatal(err)
		}
		if got := o.settled(name); got != want {
			t.Errorf("settled(%s) = %v, want %v", name, got, want)
		}
	}
	if o.settled("unobserved") {
		t.Error("settled(unobserved) without an observation in this operation")
	}
	o.forget("clean")
	if o.settled("clean") {
		t.Error("settled(clean) after a job made this operation forget it")
	}
}
