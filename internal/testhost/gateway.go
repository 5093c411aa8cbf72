package testhost

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/openclaw"
)

// RealGatewayConfig rewrites an executor configuration so that tenants'
// gateways are the real OpenClaw gateway of rt, and jobs wait for their
// readiness. Tests that check what a tenant gets use it; the many tests of
// the executor's own mechanics keep the light stand-in command, since each
// real gateway takes about 1 GB and 10 s to start.
func RealGatewayConfig(src []byte, rt openclaw.Runtime) ([]byte, error) {
	f, diags := hclwrite.ParseConfig(src, "executor.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		return nil, fmt.Errorf("executor config: %w", diags)
	}
	gw := f.Body().FirstMatchingBlock("gateway", nil)
	if gw == nil {
		gw = f.Body().AppendNewBlock("gateway", nil)
	}
	var argv []cty.Value
	for _, a := range rt.GatewayCommand("${PORT}") {
		argv = append(argv, cty.StringVal(a))
	}
	gw.Body().SetAttributeValue("command", cty.ListVal(argv))
	gw.Body().SetAttributeValue("readiness", cty.StringVal("http"))
	return f.Bytes(), nil
}
