package provider_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/zclconf/go-cty/cty"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/client"
	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/provider"
	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/testhost"
)

const (
	healthAddr = "data.missioncontrol_tenant_health.acme"
	hostAddr   = "data.missioncontrol_host.this"
	healthUnit = "missioncontrol-gateway@acme.service"
)

// healthHost boots a throwaway host whose executor probes gateways every
// second (the default is 15s), so that incidents open and close within a
// test. A host from `make dev-host` probes too slowly for that.
func healthHost(t *testing.T) testHost {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("SKIPPED: TF_ACC is not set; acceptance tests need terraform and a throwaway host (make test sets it)")
	}
	if err := testhost.Available(); err != nil {
		t.Skipf("SKIPPED: the health data source test boots its own throwaway host with 1s probes: %v", err)
	}
	src, err := os.ReadFile("../../examples/executor/executor.hcl")
	if err != nil {
		t.Fatal(err)
	}
	// The light stand-in gateway, probed through systemd only.
	if src, err = testhost.LightGatewayConfig(src); err != nil {
		t.Fatal(err)
	}
	f, diags := hclwrite.ParseConfig(src, "executor.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	hb := f.Body().FirstMatchingBlock("health", nil)
	if hb == nil {
		hb = f.Body().AppendNewBlock("health", nil)
	}
	hb.Body().SetAttributeValue("interval", cty.StringVal("1s"))
	hb.Body().SetAttributeValue("probe_timeout", cty.StringVal("500ms"))
	hb.Body().SetAttributeValue("http", cty.False)
	seed, err := testhost.SudoSeed(context.Background())
	if err != nil {
		t.Fatalf("sudo seed: %v", err)
	}
	h := testhost.Boot(t, testhost.Options{Seeds: []string{seed}})
	e := testhost.BootExecutor(t, h, testhost.ExecutorOptions{Config: f.Bytes()})
	t.Setenv(provider.EnvEndpoint, e.Endpoint())
	t.Setenv(provider.EnvSigningKeyFile, e.SigningKeyFile())
	return testHost{executor: e, exec: func(argv ...string) (string, error) {
		out, err := h.Command(argv...).CombinedOutput()
		if err != nil {
			return string(out), fmt.Errorf("%s: %w: %s", strings.Join(argv, " "), err, out)
		}
		return string(out), nil
	}}
}

// waitHealth polls the executor until the tenant's health satisfies ok.
func waitHealth(t *testing.T, tenant, what string, ok func(api.TenantHealth) bool) {
	t.Helper()
	c, err := client.New(client.Config{Endpoint: os.Getenv(provider.EnvEndpoint), RetryMax: 3, RetryWaitMax: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(45 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		h, err := c.TenantHealth(ctx, tenant)
		cancel()
		if err == nil && ok(*h) {
			return
		}
		if err != nil {
			last = err.Error()
		} else {
			last = fmt.Sprintf("status %s cause %s, %d open and %d closed incidents", h.Status, h.Cause, len(h.OpenIncidents), len(h.RecentIncidents))
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("tenant %s: %s not seen within 45s (last: %s)", tenant, what, last)
}

// floatBetween checks a number attribute lies in [lo, hi].
type floatBetween struct{ lo, hi float64 }

func (c floatBetween) CheckValue(v any) error {
	n, ok := v.(json.Number)
	if !ok {
		return fmt.Errorf("expected a number, got %T", v)
	}
	f, err := n.Float64()
	if err != nil {
		return err
	}
	if f < c.lo || f > c.hi {
		return fmt.Errorf("%v is not between %v and %v", f, c.lo, c.hi)
	}
	return nil
}

func (c floatBetween) String() string { return fmt.Sprintf("between %v and %v", c.lo, c.hi) }

// TestAccTenantHealthDataSource_events reads the health and host data
// sources after real events on the host: the gateway's process killed
// (systemd restarts it), its unit stopped for a while, and the tenant
// suspended and resumed through Terraform.
func TestAccTenantHealthDataSource_events(t *testing.T) {
	host := healthHost(t)
	suspended := func(b bool) config.Variables { return config.Variables{"suspended": config.BoolVariable(b)} }
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             tenantDecommissioned(host, "acme"),
		Steps: []resource.TestStep{
			// A new tenant and its gateway; the host summary counts it.
			{
				ConfigFile: testConfig("tenant_health_data_source", "basic.tf"), ConfigVariables: suspended(false),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(healthAddr, tfjsonpath.New("tenant"), knownvalue.StringExact("acme")),
					statecheck.ExpectKnownValue(hostAddr, tfjsonpath.New("tenant_count"), knownvalue.Int64Exact(1)),
					statecheck.ExpectKnownValue(hostAddr, tfjsonpath.New("ports_total"), knownvalue.Int64Exact(500)),
					statecheck.ExpectKnownValue(hostAddr, tfjsonpath.New("ports_free"), knownvalue.Int64Exact(499)),
					statecheck.ExpectKnownValue(hostAddr, tfjsonpath.New("tenant_root"), knownvalue.StringExact("/srv/missioncontrol/tenants")),
					statecheck.ExpectKnownValue(hostAddr, tfjsonpath.New("version"), knownvalue.NotNull()),
					statecheck.ExpectKnownValue(hostAddr, tfjsonpath.New("disk_total_bytes"), knownvalue.NotNull()),
				},
			},
			// The gateway's process is killed (an incident that closes when
			// systemd restarts it), then its unit is stopped for a while
			// (down, another incident, closed once started again).
			{
				PreConfig: func() {
					waitHealth(t, "acme", "healthy", func(h api.TenantHealth) bool { return h.Status == api.HealthHealthy })
					host.mustExec(t, "systemctl", "kill", "--signal=SIGKILL", healthUnit)
					waitHealth(t, "acme", "the kill's incident", func(h api.TenantHealth) bool { return len(h.OpenIncidents) == 1 })
					waitHealth(t, "acme", "recovery", func(h api.TenantHealth) bool {
						return h.Status == api.HealthHealthy && len(h.OpenIncidents) == 0 && len(h.RecentIncidents) == 1
					})
					host.mustExec(t, "systemctl", "stop", healthUnit)
					waitHealth(t, "acme", "down", func(h api.TenantHealth) bool {
						return h.Status == api.HealthDown && len(h.OpenIncidents) == 1
					})
					time.Sleep(2 * time.Second)
					host.mustExec(t, "systemctl", "start", healthUnit)
					waitHealth(t, "acme", "recovery", func(h api.TenantHealth) bool {
						return h.Status == api.HealthHealthy && len(h.RecentIncidents) == 2
					})
				},
				ConfigFile: testConfig("tenant_health_data_source", "basic.tf"), ConfigVariables: suspended(false),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(healthAddr, tfjsonpath.New("status"), knownvalue.StringExact("healthy")),
					statecheck.ExpectKnownValue(healthAddr, tfjsonpath.New("cause"), knownvalue.Null()),
					statecheck.ExpectKnownValue(healthAddr, tfjsonpath.New("open_incidents"), knownvalue.ListSizeExact(0)),
					statecheck.ExpectKnownValue(healthAddr, tfjsonpath.New("recent_incidents"), knownvalue.ListExact([]knownvalue.Check{
						knownvalue.ObjectPartial(map[string]knownvalue.Check{
							"cause": knownvalue.StringExact("unit_stopped"), "status": knownvalue.StringExact("down"), "end": knownvalue.NotNull(),
						}),
						knownvalue.ObjectPartial(map[string]knownvalue.Check{
							"cause": knownvalue.StringExact("unit_failed"), "restarts": knownvalue.Int64Exact(1),
						}),
					})),
					statecheck.ExpectKnownValue(healthAddr, tfjsonpath.New("unit").AtMapKey("active_state"), knownvalue.StringExact("active")),
					statecheck.ExpectKnownValue(healthAddr, tfjsonpath.New("restarts"), knownvalue.Int64Exact(0)),
					statecheck.ExpectKnownValue(healthAddr, tfjsonpath.New("availability").AtMapKey("24h").AtMapKey("ratio"), floatBetween{0.01, 0.99}),
					statecheck.ExpectKnownValue(healthAddr, tfjsonpath.New("availability").AtMapKey("24h").AtMapKey("down_seconds"), floatBetween{2, 60}),
				},
			},
			// Suspended through Terraform: the gateway stops and reads
			// suspended.
			{
				ConfigFile: testConfig("tenant_health_data_source", "basic.tf"), ConfigVariables: suspended(true),
			},
			{
				PreConfig: func() {
					waitHealth(t, "acme", "suspended", func(h api.TenantHealth) bool { return h.Status == api.HealthSuspended })
					time.Sleep(3 * time.Second)
				},
				ConfigFile: testConfig("tenant_health_data_source", "basic.tf"), ConfigVariables: suspended(true),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(healthAddr, tfjsonpath.New("status"), knownvalue.StringExact("suspended")),
					statecheck.ExpectKnownValue(healthAddr, tfjsonpath.New("availability").AtMapKey("24h").AtMapKey("suspended_seconds"), floatBetween{3, 600}),
					statecheck.ExpectKnownValue(healthAddr, tfjsonpath.New("open_incidents"), knownvalue.ListSizeExact(0)),
				},
			},
			// Resumed: healthy again; suspension did not count against it.
			{
				ConfigFile: testConfig("tenant_health_data_source", "basic.tf"), ConfigVariables: suspended(false),
			},
			{
				PreConfig: func() {
					waitHealth(t, "acme", "healthy after resume", func(h api.TenantHealth) bool { return h.Status == api.HealthHealthy })
				},
				ConfigFile: testConfig("tenant_health_data_source", "basic.tf"), ConfigVariables: suspended(false),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(healthAddr, tfjsonpath.New("status"), knownvalue.StringExact("healthy")),
					statecheck.ExpectKnownValue(healthAddr, tfjsonpath.New("recent_incidents"), knownvalue.ListSizeExact(2)),
					statecheck.ExpectKnownValue(healthAddr, tfjsonpath.New("availability").AtMapKey("24h").AtMapKey("ratio"), floatBetween{0.01, 0.99}),
					statecheck.ExpectKnownValue(healthAddr, tfjsonpath.New("last_probe").AtMapKey("status"), knownvalue.StringExact("healthy")),
				},
			},
		},
	})
}
