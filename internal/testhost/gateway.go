package testhost

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/config"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/policy"
)

// RealGatewayConfig rewrites an executor configuration so that tenants'
// gateways run command (the real OpenClaw gateway, e.g.
// openclaw.Runtime.GatewayCommand("${PORT}")), and jobs wait for their
// readiness. Tests that check what a tenant gets use it; the many tests of
// the executor's own mechanics keep the light stand-in command, since each
// real gateway takes about 1 GB and 10 s to start.
func RealGatewayConfig(src []byte, command []string) ([]byte, error) {
	return setGateway(src, command, "http", nil)
}

// LightGatewayCommand is the stand-in gateway of tests of the executor's
// own mechanics: a long-running process with no endpoint.
var LightGatewayCommand = []string{"/usr/bin/sleep", "infinity"}

// LightGatewayConfig rewrites an executor configuration so that tenants run
// LightGatewayCommand and jobs wait only for systemd's active state. The
// stand-in needs no OpenClaw runtime (gateway.runtime = "").
func LightGatewayConfig(src []byte) ([]byte, error) {
	noRuntime := cty.StringVal("")
	return setGateway(src, LightGatewayCommand, "none", &noRuntime)
}

func setGateway(src []byte, command []string, readiness string, runtime *cty.Value) ([]byte, error) {
	f, diags := hclwrite.ParseConfig(src, "executor.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		return nil, fmt.Errorf("executor config: %w", diags)
	}
	gw := f.Body().FirstMatchingBlock("gateway", nil)
	if gw == nil {
		gw = f.Body().AppendNewBlock("gateway", nil)
	}
	var argv []cty.Value
	for _, a := range command {
		argv = append(argv, cty.StringVal(a))
	}
	gw.Body().SetAttributeValue("command", cty.ListVal(argv))
	gw.Body().SetAttributeValue("readiness", cty.StringVal(readiness))
	if runtime != nil {
		gw.Body().SetAttributeValue("runtime", *runtime)
	}
	return f.Bytes(), nil
}

// pinGateway adds an unpinned `command` block to policy for every file of
// the gateway command in cfg that it lacks, for `policy pin --write` to
// fill: the executor starts no gateway on files its policy does not pin.
func pinGateway(policySrc, cfg []byte) ([]byte, error) {
	c, err := config.Parse(cfg, "executor.hcl")
	if err != nil {
		return nil, fmt.Errorf("executor config: %w", err)
	}
	p, err := policy.Parse(policySrc, "policy.hcl")
	if err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	f, diags := hclwrite.ParseConfig(policySrc, "policy.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		return nil, fmt.Errorf("policy: %w", diags)
	}
	have := map[string]bool{}
	for _, path := range p.Unpinned() {
		have[path] = true
	}
	for path := range p.Pins() {
		have[path] = true
	}
	for _, path := range policy.GatewayFiles(c.Gateway.Command) {
		if !have[path] {
			f.Body().AppendNewBlock("command", []string{path}).Body().SetAttributeValue("sha256", cty.StringVal(""))
			have[path] = true
		}
	}
	return f.Bytes(), nil
}

// FakeLLMAddr is where StartFakeLLM listens inside a host.
const FakeLLMAddr = "127.0.0.1:18999"

// StartFakeLLM runs internal/fakellm (the test double of a paid model API)
// inside h as the unit fake-llm.service on FakeLLMAddr, so tenants' real
// gateways can run turns offline, and returns its base URL.
func StartFakeLLM(ctx context.Context, h *Host) (string, error) {
	dir, err := moduleDir()
	if err != nil {
		return "", err
	}
	bin, err := buildOnce(ctx, dir, "./internal/fakellm/cmd/fakellm", nil)
	if err != nil {
		return "", fmt.Errorf("fake LLM: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(h.Share, "bin"), 0o755); err != nil {
		return "", err
	}
	if err := placeBinary(bin, filepath.Join(h.Share, "bin", "fakellm")); err != nil {
		return "", fmt.Errorf("fake LLM: %w", err)
	}
	out, err := h.CommandContext(ctx, "systemd-run", "--unit=fake-llm", "--property=DynamicUser=yes",
		"/share/bin/fakellm", "-addr", FakeLLMAddr).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("fake LLM: systemd-run: %w: %s", err, out)
	}
	return "http://" + FakeLLMAddr + "/v1", nil
}
