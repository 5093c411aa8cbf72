package steps

import (
	"context"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

type unitStatesKey struct{}

// WithUnitStates returns a context in which Host.UnitStates answers from
// states, observed beforehand in one `systemctl show` of many units, for
// every call whose units are all in it. A request that observes many
// tenants (the tenant list) then runs one systemctl instead of one per
// tenant; its view is as of that one call.
func WithUnitStates(ctx context.Context, states map[string]api.UnitState) context.Context {
	return context.WithValue(ctx, unitStatesKey{}, states)
}

// cachedUnitStates answers units from ctx's states, if all are there.
func cachedUnitStates(ctx context.Context, units []string) (map[string]api.UnitState, bool) {
	states, _ := ctx.Value(unitStatesKey{}).(map[string]api.UnitState)
	if states == nil {
		return nil, false
	}
	out := make(map[string]api.UnitState, len(units))
	for _, u := range units {
		st, ok := states[u]
		if !ok {
			return nil, false
		}
		out[u] = st
	}
	return out, true
}
