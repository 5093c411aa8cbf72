package openclaw

import (
	"strings"
	"testing"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

func gatewayUnitOptions() UnitOptions {
	return UnitOptions{
		ConfigRoot: "/etc/missioncontrol/tenants", TenantsRoot: "/srv/missioncontrol/tenants",
		Command: Runtime{Prefix: DefaultPrefix}.GatewayCommand("${PORT}"),
	}
}

func TestUnitTemplateGolden(t *testing.T) {
	t.Parallel()
	golden(t, "gateway-local-models.service", UnitTemplate(gatewayUnitOptions()))
	remote := gatewayUnitOptions()
	remote.RemoteModels = true
	golden(t, "gateway-remote-models.service", UnitTemplate(remote))
	light := gatewayUnitOptions()
	light.Description = "scale benchmark stand-in for %i"
	light.Command = []string{"/usr/bin/python3", "-m", "http.server", "--bind", "127.0.0.1", "${PORT}", "odd arg \"q\"\t"}
	golden(t, "gateway-light.service", UnitTemplate(light))
}

func TestUnitTemplateShape(t *testing.T) {
	t.Parallel()
	u := string(UnitTemplate(gatewayUnitOptions()))
	for _, want := range []string{
		"User=mc-%i\n", "Group=mc-%i\n",
		"EnvironmentFile=/etc/missioncontrol/tenants/%i/gateway.env\n",
		"EnvironmentFile=/etc/missioncontrol/tenants/%i/token.env\n",
		"WorkingDirectory=/srv/missioncontrol/tenants/%i\n",
		"ReadWritePaths=/srv/missioncontrol/tenants/%i\n",
		"ExecStart=/opt/missioncontrol/openclaw/node/bin/node /opt/missioncontrol/openclaw/node_modules/openclaw/openclaw.mjs gateway run --port ${PORT} --bind loopback\n",
		"Restart=on-failure\n", "IPAddressDeny=any\n",
	} {
		if !strings.Contains(u, want) {
			t.Errorf("unit lacks %q", want)
		}
	}
	// Node's JIT needs W+X memory.
	if strings.Contains(u, "MemoryDenyWriteExecute") {
		t.Error("unit sets MemoryDenyWriteExecute; node cannot run under it")
	}
}

func TestLimitsDropIn(t *testing.T) {
	t.Parallel()
	golden(t, "limits-all.conf", LimitsDropIn(api.Limits{MemoryMaxMB: 1536, CPUQuotaPercent: 150, TasksMax: 256}))
	golden(t, "limits-memory.conf", LimitsDropIn(api.Limits{MemoryMaxMB: 2048}))
	if b := LimitsDropIn(api.Limits{}); b != nil {
		t.Errorf("empty limits rendered %q, want nil", b)
	}
}

func TestUnitNames(t *testing.T) {
	t.Parallel()
	if got := GatewayUnit("acme"); got != "missioncontrol-gateway@acme.service" {
		t.Errorf("GatewayUnit = %s", got)
	}
	if got := InstanceUnit("other-gw@.service", "acme"); got != "other-gw@acme.service" {
		t.Errorf("InstanceUnit = %s", got)
	}
}
