package e2e_test

import (
	"regexp"
	"strconv"
	"testing"
)

// TestGatewayUnitExposure scores a tenant's gateway unit, as the executor
// installs it, with `systemd-analyze security` and fails above 2.0. The
// gateway here is the light stand-in command (the template unit and its
// sandbox are the same as for the real gateway, whose run is scored by
// TestRealGateways and openclaw's TestGatewayUnitInThrowawayHost), so the
// bound is checked even where the OpenClaw runtime is not installed.
func TestGatewayUnitExposure(t *testing.T) {
	t.Parallel()
	e := boot(t)
	e.c.apply(bootstrapChanges("exposure"))
	const unit = "missioncontrol-gateway@exposure.service"
	out := e.host.Run(t, "systemd-analyze", "security", "--no-pager", unit)
	m := regexp.MustCompile(`Overall exposure level for \S+: ([0-9.]+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no exposure level in:\n%s", out)
	}
	exposure, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("systemd-analyze security %s: exposure %.1f", unit, exposure)
	if exposure > 2.0 {
		t.Errorf("exposure %.1f > 2.0:\n%s", exposure, out)
	}
}
