package provider

import (
	"context"
	"sync"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/client"
)

// observations shares the executor's observation of a tenant among the
// resources of one Terraform operation. A tenant's observation is its whole
// drift plan (account, files, units, every workspace and service), so the
// Reads of a tenant, its workspaces and its services, and the host checks of
// their plans, need one GET instead of one each. It lives as long as one
// configured provider (Terraform configures the provider anew for every
// plan, apply or refresh walk), and forgets a tenant when a job of this
// operation changes it.
type observations struct {
	client *client.Client

	mu      sync.Mutex
	tenants map[string]*observation
}

// observation is one GET of a tenant; done closes when tenant and err are set.
type observation struct {
	done   chan struct{}
	tenant *api.Tenant
	err    error
}

func newObservations(c *client.Client) *observations {
	return &observations{client: c, tenants: map[string]*observation{}}
}

// tenant returns the tenant as observed in this operation, asking the
// executor the first time (concurrent callers wait for that one answer).
// A failed GET is not kept: the next caller asks again.
func (o *observations) tenant(ctx context.Context, name string) (*api.Tenant, error) {
	o.mu.Lock()
	ob, ok := o.tenants[name]
	if !ok {
		ob = &observation{done: make(chan struct{})}
		o.tenants[name] = ob
	}
	o.mu.Unlock()
	if ok {
		select {
		case <-ob.done:
			if ob.err == nil {
				return ob.tenant, nil
			}
			return o.client.GetTenant(ctx, name)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	ob.tenant, ob.err = o.client.GetTenant(ctx, name)
	close(ob.done)
	if ob.err != nil {
		o.forget(name)
	}
	return ob.tenant, ob.err
}

// fresh observes the tenant anew, after a job of this operation changed it,
// and keeps that observation for the resources applied after it.
func (o *observations) fresh(ctx context.Context, name string) (*api.Tenant, error) {
	o.forget(name)
	return o.tenant(ctx, name)
}

// settled reports whether this operation has observed the tenant with
// nothing to do: registered, no pending step and no budget hold. The
// executor's dry run of its unchanged configuration would plan no step.
func (o *observations) settled(name string) bool {
	o.mu.Lock()
	ob, ok := o.tenants[name]
	o.mu.Unlock()
	if !ok {
		return false
	}
	select {
	case <-ob.done:
	default:
		return false
	}
	t := ob.tenant
	return ob.err == nil && t != nil && t.Registered && len(t.PendingSteps) == 0 && t.BudgetHold == nil
}

// forget drops the tenant's observation, when a job may have changed it.
func (o *observations) forget(name string) {
	o.mu.Lock()
	delete(o.tenants, name)
	o.mu.Unlock()
}
