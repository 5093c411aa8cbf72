package provider_test

import (
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

const (
	workspaceAddr = "missioncontrol_workspace.main"
	workspaceDir  = acmeHome + "/.openclaw/workspace-main"
)

func TestAccWorkspaceResource_lifecycle(t *testing.T) { testWorkspaceLifecycle(t, realHost(t)) }

func testWorkspaceLifecycle(t *testing.T, host testHost) {
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             tenantDecommissioned(host, "acme"),
		Steps: []resource.TestStep{
			// Tenant and workspace in one apply.
			{
				ConfigFile: testConfig("workspace_resource", "basic.tf"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(tenantAddr, plancheck.ResourceActionCreate),
					plancheck.ExpectResourceAction(workspaceAddr, plancheck.ResourceActionCreate),
					plancheck.ExpectKnownValue(workspaceAddr, tfjsonpath.New("id"), knownvalue.StringExact("acme/main")),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(workspaceAddr, tfjsonpath.New("path"), knownvalue.StringExact(workspaceDir)),
					statecheck.ExpectKnownValue(workspaceAddr, tfjsonpath.New("planned_steps"), anyElement(regexp.QuoteMeta(workspaceDir+"/AGENTS.md"))),
					statecheck.ExpectKnownValue(workspaceAddr, tfjsonpath.New("plan_digest"), knownvalue.StringRegexp(digestPattern)),
					statecheck.ExpectKnownValue(workspaceAddr, tfjsonpath.New("last_job_id"), knownvalue.NotNull()),
				},
			},
			{
				ConfigFile: testConfig("workspace_resource", "basic.tf"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
			},
			// Drift: a seeded file emptied by hand is rewritten.
			{
				PreConfig:  func() { host.mustExec(t, "truncate", "-s", "0", workspaceDir+"/AGENTS.md") },
				ConfigFile: testConfig("workspace_resource", "basic.tf"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(workspaceAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(workspaceAddr, tfjsonpath.New("planned_steps"), anyElement(regexp.QuoteMeta(workspaceDir+"/AGENTS.md"))),
				}},
			},
			{
				ConfigFile:              testConfig("workspace_resource", "basic.tf"),
				ResourceName:            workspaceAddr,
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"planned_steps", "plan_digest", "last_job_id", "timeouts"},
			},
			{
				ConfigFile: testConfig("workspace_resource", "update.tf"),
				ConfigVariables: config.Variables{
					"agents_md": config.StringVariable("# ACME support agent\n\nBe brief.\n"),
				},
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(workspaceAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectResourceAction(tenantAddr, plancheck.ResourceActionNoop),
					plancheck.ExpectKnownValue(workspaceAddr, tfjsonpath.New("planned_steps"), anyElement(regexp.QuoteMeta(workspaceDir+"/today.md"))),
				}},
			},
		},
	})
}

func TestAccWorkspaceResource_invalidConfig(t *testing.T) {
	t.Parallel()
	testCases := map[string]string{
		"invalid_name":  `(?s)Attribute name must start with a lowercase letter.*got: Main Workspace`,
		"absolute_file": `(?s)Invalid Workspace File Name.*"/etc/passwd" is absolute`,
		"parent_file":   `(?s)Invalid Workspace File Name.*"../openclaw.json" is not a clean relative path`,
	}
	for name, want := range testCases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					ConfigFile:  testConfig("workspace_resource", "errors", name+".tf"),
					PlanOnly:    true,
					ExpectError: regexp.MustCompile(want),
				}},
			})
		})
	}
}

func TestAccWorkspaceResource_changedWithTenant(t *testing.T) {
	testWorkspaceChangedWithTenant(t, realHost(t))
}

// One apply changes a tenant and its workspace. Both plans are reviewed
// up front; applying the tenant first must not change the workspace's
// plan, or Terraform's apply-time re-plan of the workspace fails. This
// holds only if a plan's digest covers its own change's scope.
func testWorkspaceChangedWithTenant(t *testing.T, host testHost) {
	vars := func(memory int, agents string) config.Variables {
		return config.Variables{"memory_max_mb": config.IntegerVariable(memory), "agents_md": config.StringVariable(agents)}
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             tenantDecommissioned(host, "acme"),
		Steps: []resource.TestStep{
			{
				ConfigFile:      testConfig("workspace_resource", "with_tenant_limits.tf"),
				ConfigVariables: vars(1024, "# v1\n"),
			},
			{
				ConfigFile:      testConfig("workspace_resource", "with_tenant_limits.tf"),
				ConfigVariables: vars(2048, "# v2\n"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(tenantAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectResourceAction(workspaceAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(tenantAddr, tfjsonpath.New("planned_steps"), anyElement(`(?i)memory|limits\.conf`)),
					plancheck.ExpectKnownValue(workspaceAddr, tfjsonpath.New("planned_steps"), anyElement(regexp.QuoteMeta(workspaceDir+"/AGENTS.md"))),
				}},
			},
		},
	})
}

// A model must name a model of a provider the tenant declares; the real
// renderer refuses any other, and the error lands on the model attribute.
func TestAccWorkspaceResource_undeclaredModel(t *testing.T) {
	realHost(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			ConfigFile: testConfig("workspace_resource", "update.tf"),
			ConfigVariables: config.Variables{
				"agents_md": config.StringVariable("# hi\n"),
				"model":     config.StringVariable("anthropic/claude-haiku-4-5"),
			},
			ExpectError: regexp.MustCompile(`(?s)with missioncontrol_workspace.main.*model.*declared provider model`),
		}},
	})
}

// A job that fails half way (here: the workspace's filesystem is full) leaves
// what it did; Terraform records the workspace as tainted and the next apply,
// once the disk has room, finishes it.
func TestAccWorkspaceResource_failedJob(t *testing.T) {
	host := realHost(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             tenantDecommissioned(host, "acme"),
		Steps: []resource.TestStep{
			{ConfigFile: testConfig("workspace_resource", "tenant_only.tf")},
			{
				PreConfig: func() {
					host.mustExec(t, "mkdir", "-p", workspaceDir)
					host.mustExec(t, "mount", "-t", "tmpfs", "-o", "size=4k", "full", workspaceDir)
					host.mustExec(t, "dd", "if=/dev/zero", "of="+workspaceDir+"/.fill", "bs=4096", "count=1")
				},
				ConfigFile:  testConfig("workspace_resource", "basic.tf"),
				ExpectError: regexp.MustCompile(`(?s)Job Failed.*workspace "acme/main".*AGENTS\.md.*no\s+space\s+left\s+on\s+device.*terraform\s+untaint`),
			},
			{
				PreConfig:  func() { host.mustExec(t, "umount", workspaceDir) },
				ConfigFile: testConfig("workspace_resource", "basic.tf"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(workspaceAddr, plancheck.ResourceActionDestroyBeforeCreate),
					plancheck.ExpectResourceAction(tenantAddr, plancheck.ResourceActionNoop),
				}},
				Check: func(*terraform.State) error {
					_, err := host.exec("grep", "-q", "ACME support agent", workspaceDir+"/AGENTS.md")
					return err
				},
			},
		},
	})
}
