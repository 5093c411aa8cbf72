package provider_test

import (
	"path/filepath"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

const (
	serviceAddr = "missioncontrol_service.gateway"
	acmeUnit    = "missioncontrol-gateway@acme.service"
)

func TestAccServiceResource_lifecycle(t *testing.T) { testServiceLifecycle(t, realHost(t)) }

func testServiceLifecycle(t *testing.T, host testHost) {
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             tenantDecommissioned(host, "acme"),
		Steps: []resource.TestStep{
			{
				ConfigFile: testConfig("service_resource", "basic.tf"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(serviceAddr, plancheck.ResourceActionCreate),
					plancheck.ExpectKnownValue(serviceAddr, tfjsonpath.New("id"), knownvalue.StringExact("acme/gateway")),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(serviceAddr, tfjsonpath.New("unit_name"), knownvalue.StringExact(acmeUnit)),
					statecheck.ExpectKnownValue(serviceAddr, tfjsonpath.New("active_state"), knownvalue.StringExact("active")),
					statecheck.ExpectKnownValue(serviceAddr, tfjsonpath.New("planned_steps"), anyElement(regexp.QuoteMeta(acmeUnit))),
				},
			},
			{
				ConfigFile: testConfig("service_resource", "basic.tf"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
			},
			// Drift: the gateway stopped by hand. The plan starts it again.
			{
				PreConfig:  func() { host.mustExec(t, "systemctl", "stop", acmeUnit) },
				ConfigFile: testConfig("service_resource", "basic.tf"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(serviceAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(serviceAddr, tfjsonpath.New("planned_steps"), anyElement(regexp.QuoteMeta(acmeUnit))),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(serviceAddr, tfjsonpath.New("active_state"), knownvalue.StringExact("active")),
				},
			},
			{
				ConfigFile:              testConfig("service_resource", "basic.tf"),
				ResourceName:            serviceAddr,
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"planned_steps", "plan_digest", "last_job_id", "timeouts"},
			},
			{
				ConfigFile: testConfig("service_resource", "disabled.tf"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(serviceAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(serviceAddr, tfjsonpath.New("planned_steps"), anyElement(`disable.*`+regexp.QuoteMeta(acmeUnit))),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(serviceAddr, tfjsonpath.New("active_state"), knownvalue.StringExact("inactive")),
				},
			},
		},
	})
}

func TestAccServiceResource_invalidConfig(t *testing.T) {
	t.Parallel()
	testCases := map[string]string{
		"unknown_kind":        `(?s)Attribute kind value must be one of: \["gateway"\], got: "cron"`,
		"bad_environment_key": `environment\["log-level"\] must be an environment variable name`,
	}
	for name, want := range testCases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					ConfigFile:  testConfig("service_resource", "errors", name+".tf"),
					PlanOnly:    true,
					ExpectError: regexp.MustCompile(want),
				}},
			})
		})
	}
}

func TestAccQuickstart(t *testing.T) { testQuickstart(t, realHost(t)) }

// testQuickstart applies examples/quickstart as a user would: two tenants,
// each with a workspace and a gateway, in one apply.
func testQuickstart(t *testing.T, host testHost) {
	// The example names its provider's real source address.
	t.Setenv("TF_ACC_PROVIDER_NAMESPACE", "missioncontrol")
	// acme is a production tenant: two reviewers approve its jobs.
	autoApprove(t)
	dir := config.StaticDirectory(filepath.Join("..", "..", "examples", "quickstart"))
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				ConfigDirectory: dir,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(`missioncontrol_tenant.this["acme"]`, plancheck.ResourceActionCreate),
					plancheck.ExpectResourceAction(`missioncontrol_service.gateway["globex"]`, plancheck.ResourceActionCreate),
					plancheck.ExpectKnownValue(`missioncontrol_tenant.this["globex"]`, tfjsonpath.New("planned_steps"), anyElement(`create user mc-globex\b`)),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(`missioncontrol_service.gateway["acme"]`, tfjsonpath.New("active_state"), knownvalue.StringExact("active")),
					statecheck.ExpectKnownValue(`missioncontrol_service.gateway["globex"]`, tfjsonpath.New("active_state"), knownvalue.StringExact("active")),
				},
			},
			{
				ConfigDirectory: dir,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
			},
			// Destroy by removing everything from the configuration (the
			// testing framework's own destroy check cannot read for_each
			// state), then check the host.
			{
				ConfigFile: testConfig("empty.tf"),
				Check:      tenantDecommissioned(host, "acme", "globex"),
			},
		},
	})
}
