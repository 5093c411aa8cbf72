package plan_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

// A plan that would start a gateway whose files the policy does not pin is
// refused: systemd runs them, outside the executor's pinned runner. A plan
// without a running gateway needs no pin.
func TestPlanRefusesUnpinnedGateway(t *testing.T) {
	f := newFixture(t)
	spec := api.TenantSpec{Name: "acme", Environment: api.EnvDevelopment}
	if _, err := f.planner.Plan(context.Background(), tenantReq(spec)); err != nil {
		t.Fatalf("Plan(tenant without a gateway) = %v", err)
	}
	req := tenantReq(spec)
	req.Changes = append(req.Changes, api.Change{Kind: api.ObjectService, Action: api.ActionApply,
		Service: &api.ServiceSpec{Kind: api.ServiceGateway, Enabled: true}})
	_, err := f.planner.Plan(context.Background(), req)
	var apiErr *api.Error
	node := f.planner.Config.Gateway.Command[0]
	if !errors.As(err, &apiErr) || apiErr.Code != api.CodePolicyDenied || apiErr.Rule != "command" ||
		apiErr.Value != node || !strings.Contains(apiErr.Message, "is not pinned") {
		t.Fatalf("Plan(gateway on unpinned %s) = %v, want policy_denied naming it", node, err)
	}
}
