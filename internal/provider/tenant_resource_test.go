package provider_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

const (
	tenantAddr = "missioncontrol_tenant.acme"
	acmeHome   = "/srv/missioncontrol/tenants/acme"
)

func TestAccTenantResource_lifecycle(t *testing.T) { testTenantLifecycle(t, realHost(t)) }

func testTenantLifecycle(t *testing.T, host testHost) {
	uid := statecheck.CompareValue(compare.ValuesSame())
	update := func(displayName string) config.Variables {
		return config.Variables{"display_name": config.StringVariable(displayName), "memory_max_mb": config.IntegerVariable(4096)}
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             tenantDecommissioned(host, "acme"),
		Steps: []resource.TestStep{
			// Create: the plan is the executor's dry run, with the allocation.
			{
				ConfigFile: testConfig("tenant_resource", "basic.tf"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(tenantAddr, plancheck.ResourceActionCreate),
					plancheck.ExpectKnownValue(tenantAddr, tfjsonpath.New("planned_steps"), anyElement(`create user mc-acme\b`)),
					plancheck.ExpectKnownValue(tenantAddr, tfjsonpath.New("plan_digest"), knownvalue.StringRegexp(digestPattern)),
					plancheck.ExpectKnownValue(tenantAddr, tfjsonpath.New("uid"), knownvalue.Int64Func(between(1000, 1<<31))),
					plancheck.ExpectKnownValue(tenantAddr, tfjsonpath.New("gateway_port"), knownvalue.Int64Func(between(1024, 65535))),
					plancheck.ExpectKnownValue(tenantAddr, tfjsonpath.New("unix_user"), knownvalue.StringExact("mc-acme")),
					plancheck.ExpectUnknownValue(tenantAddr, tfjsonpath.New("status")),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(tenantAddr, tfjsonpath.New("id"), knownvalue.StringExact("acme")),
					statecheck.ExpectKnownValue(tenantAddr, tfjsonpath.New("home"), knownvalue.StringExact(acmeHome)),
					statecheck.ExpectKnownValue(tenantAddr, tfjsonpath.New("state_dir"), knownvalue.StringExact(acmeHome+"/.openclaw")),
					statecheck.ExpectKnownValue(tenantAddr, tfjsonpath.New("unit_name"), knownvalue.StringExact("missioncontrol-gateway@acme.service")),
					statecheck.ExpectKnownValue(tenantAddr, tfjsonpath.New("last_job_id"), knownvalue.NotNull()),
					statecheck.ExpectKnownValue(tenantAddr, tfjsonpath.New("status"), knownvalue.NotNull()),
					uid.AddStateValue(tenantAddr, tfjsonpath.New("uid")),
				},
			},
			// Nothing changed on the host or in the configuration: no diff.
			{
				ConfigFile: testConfig("tenant_resource", "basic.tf"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
			},
			// Drift: the home directory's mode changed by hand. The plan is
			// exactly the repair, and after it the plan is empty again.
			{
				PreConfig:  func() { host.mustExec(t, "chmod", "0755", acmeHome) },
				ConfigFile: testConfig("tenant_resource", "basic.tf"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(tenantAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(tenantAddr, tfjsonpath.New("planned_steps"), anyElement(regexp.QuoteMeta(acmeHome)+`\b`)),
				}},
				ConfigStateChecks: []statecheck.StateCheck{uid.AddStateValue(tenantAddr, tfjsonpath.New("uid"))},
			},
			// Import by name.
			{
				ConfigFile:              testConfig("tenant_resource", "basic.tf"),
				ResourceName:            tenantAddr,
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"planned_steps", "plan_digest", "timeouts"},
			},
			// Update in place.
			{
				ConfigFile:      testConfig("tenant_resource", "update.tf"),
				ConfigVariables: update("ACME Corporation"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(tenantAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(tenantAddr, tfjsonpath.New("planned_steps"), anyElement(`(?i)memory|limits\.conf`)),
					plancheck.ExpectKnownValue(tenantAddr, tfjsonpath.New("plan_digest"), knownvalue.StringRegexp(digestPattern)),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(tenantAddr, tfjsonpath.New("display_name"), knownvalue.StringExact("ACME Corporation")),
					statecheck.ExpectKnownValue(tenantAddr, tfjsonpath.New("limits").AtMapKey("memory_max_mb"), knownvalue.Int64Exact(4096)),
					uid.AddStateValue(tenantAddr, tfjsonpath.New("uid")),
				},
			},
			// The host changes between plan and apply: the reviewed plan is
			// stale and nothing runs.
			{
				ConfigFile:      testConfig("tenant_resource", "update.tf"),
				ConfigVariables: update("ACME"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(tenantAddr, plancheck.ResourceActionUpdate),
					changeHostBeforeApply{host: host, argv: []string{"chmod", "0700", acmeHome}},
				}},
				ExpectError: staleApply,
			},
			// The refused apply left the host as it was; a fresh plan shows
			// the repair next to the change.
			{
				PreConfig: func() {
					if mode := strings.TrimSpace(host.mustExec(t, "stat", "-c", "%a", acmeHome)); mode != "700" {
						t.Errorf("after the refused apply the home mode is %s, want the 700 set by hand", mode)
					}
				},
				ConfigFile:      testConfig("tenant_resource", "update.tf"),
				ConfigVariables: update("ACME"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(tenantAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(tenantAddr, tfjsonpath.New("planned_steps"), anyElement(regexp.QuoteMeta(acmeHome)+`\b`)),
				}},
			},
		},
	})
}

func TestAccTenantResource_policyDenied(t *testing.T) { testTenantPolicyDenied(t, realHost(t)) }

// A port the validators accept but the host's policy does not is a plan
// error on the attribute, quoting the rule.
func testTenantPolicyDenied(t *testing.T, _ testHost) {
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			ConfigFile:      testConfig("tenant_resource", "gateway_port.tf"),
			ConfigVariables: config.Variables{"gateway_port": config.IntegerVariable(1040)},
			PlanOnly:        true,
			ExpectError:     regexp.MustCompile(`(?s)Policy Denied.*gateway_port.*Rule: `),
		}},
	})
}

// TestAccTenantResource_invalidConfig needs terraform but no executor: the
// validators reject these before anything is planned.
func TestAccTenantResource_invalidConfig(t *testing.T) {
	t.Parallel()
	testCases := map[string]string{
		"invalid_name":          `(?s)Attribute name must start with a lowercase letter.*got: Acme_Corp`,
		"name_too_long":         `(?s)Attribute name must start with a lowercase letter.*got: a-tenant-name`,
		"unknown_environment":   `(?s)Attribute environment value must be one of.*got: "qa"`,
		"privileged_port":       `Attribute gateway_port value must be between 1024 and 65535, got: 80`,
		"memory_too_small":      `(?s)Attribute limits.memory_max_mb value must be between 64 and\s+1048576, got: 16`,
		"relative_sudo_command": `(?s)Invalid Sudo Command.*does not start with an absolute path`,
		"bad_label_key":         `(?s)labels.*must be lowercase letters.*got: Team Name`,
		"budget_zero":           `(?s)Invalid Budget.*budget.monthly_usd value must be greater than 0.*got: 0`,
		"budget_soft_limit":     `(?s)budget.soft_limit_percent value must be between 1 and 100, got: 120`,
		"budget_action":         `(?s)budget.action value must be one of: \["alert" "suspend"\], got:\s+"stop"`,
		"budget_missing_amount": `(?s)Incorrect attribute value type.*budget.*monthly_usd.*required`,
	}
	for name, want := range testCases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					ConfigFile:  testConfig("tenant_resource", "errors", name+".tf"),
					PlanOnly:    true,
					ExpectError: regexp.MustCompile(want),
				}},
			})
		})
	}
}

// tenantDecommissioned checks on the host that destroy removed the tenant's
// user and kept its archive.
func tenantDecommissioned(host testHost, names ...string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		archives, err := host.exec("ls", "/var/lib/missioncontrol/archives")
		if err != nil {
			return err
		}
		for _, name := range names {
			if out, err := host.exec("getent", "passwd", "mc-"+name); err == nil {
				return fmt.Errorf("user mc-%s still exists after destroy: %s", name, out)
			}
			if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + `\b`).MatchString(archives) {
				return fmt.Errorf("no archive of %s in /var/lib/missioncontrol/archives after destroy:\n%s", name, archives)
			}
		}
		return nil
	}
}

func between(lo, hi int64) func(int64) error {
	return func(v int64) error {
		if v < lo || v > hi {
			return fmt.Errorf("%d is not between %d and %d", v, lo, hi)
		}
		return nil
	}
}
