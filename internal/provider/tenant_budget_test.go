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
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/zclconf/go-cty/cty"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/client"
	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/provider"
	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/testhost"
)

const (
	initechAddr  = "missioncontrol_tenant.initech"
	initechState = "/srv/missioncontrol/tenants/initech/.openclaw"
)

// budgetVars are the variables of testdata/tenant_budget/budget.tf; a
// negative soft limit or an empty action leaves the attribute out.
func budgetVars(usd float64, soft int, action string) config.Variables {
	v := config.Variables{"monthly_usd": config.FloatVariable(usd)}
	if soft >= 0 {
		v["soft_limit_percent"] = config.IntegerVariable(soft)
	}
	if action != "" {
		v["action"] = config.StringVariable(action)
	}
	return v
}

func expectBudget(usd float64, soft int64, action string) statecheck.StateCheck {
	return statecheck.ExpectKnownValue(initechAddr, tfjsonpath.New("budget"), knownvalue.ObjectExact(map[string]knownvalue.Check{
		"monthly_usd": knownvalue.Float64Exact(usd), "soft_limit_percent": knownvalue.Int64Exact(soft), "action": knownvalue.StringExact(action),
	}))
}

// TestAccTenantResource_budget: a budget is created with its defaults,
// changed in place and removed; each apply leaves an empty plan, and an
// import reads it back as configured.
func TestAccTenantResource_budget(t *testing.T) {
	host := realHost(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             tenantDecommissioned(host, "initech"),
		Steps: []resource.TestStep{
			// Create with the defaults: soft limit 80%, action alert.
			{
				ConfigFile:      testConfig("tenant_budget", "budget.tf"),
				ConfigVariables: budgetVars(50, -1, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(initechAddr, plancheck.ResourceActionCreate),
					plancheck.ExpectKnownValue(initechAddr, tfjsonpath.New("budget").AtMapKey("soft_limit_percent"), knownvalue.Int64Exact(80)),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					expectBudget(50, 80, "alert"),
					statecheck.ExpectKnownValue(initechAddr, tfjsonpath.New("status"), knownvalue.StringExact("active")),
					statecheck.ExpectKnownValue(initechAddr, tfjsonpath.New("month_to_date_usd"), knownvalue.Float64Exact(0)),
				},
			},
			{
				ConfigFile:       testConfig("tenant_budget", "budget.tf"),
				ConfigVariables:  budgetVars(50, -1, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
			// Update: a budget changes no file on the host, only the
			// executor's registry.
			{
				ConfigFile:      testConfig("tenant_budget", "budget.tf"),
				ConfigVariables: budgetVars(75.5, 90, "suspend"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(initechAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(initechAddr, tfjsonpath.New("planned_steps"), knownvalue.ListExact(nil)),
				}},
				ConfigStateChecks: []statecheck.StateCheck{expectBudget(75.5, 90, "suspend")},
			},
			{
				ConfigFile:       testConfig("tenant_budget", "budget.tf"),
				ConfigVariables:  budgetVars(75.5, 90, "suspend"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
			// Import reads the registered budget back.
			{
				ConfigFile:              testConfig("tenant_budget", "budget.tf"),
				ConfigVariables:         budgetVars(75.5, 90, "suspend"),
				ResourceName:            initechAddr,
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"planned_steps", "plan_digest", "timeouts"},
			},
			// Removing the budget is an update, then nothing to do.
			{
				Config: `resource "missioncontrol_tenant" "initech" {
  name        = "initech"
  environment = "development"
}`,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(initechAddr, plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(initechAddr, tfjsonpath.New("budget"), knownvalue.Null()),
				},
			},
			{
				Config: `resource "missioncontrol_tenant" "initech" {
  name        = "initech"
  environment = "development"
}`,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
		},
	})
}

// fastUsageConfig is the example executor configuration with the light
// gateway and usage ingestion (and so budget checks) every second.
func fastUsageConfig(t *testing.T) []byte {
	t.Helper()
	src, err := os.ReadFile("../../examples/executor/executor.hcl")
	if err != nil {
		t.Fatal(err)
	}
	if src, err = testhost.LightGatewayConfig(src); err != nil {
		t.Fatal(err)
	}
	f, diags := hclwrite.ParseConfig(src, "executor.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	usage := f.Body().FirstMatchingBlock("usage", nil)
	if usage == nil {
		usage = f.Body().AppendNewBlock("usage", nil)
	}
	usage.Body().SetAttributeValue("interval", cty.StringVal("1s"))
	return f.Bytes()
}

// putSpend writes an OpenClaw session transcript with one assistant
// message that cost costUSD now into the tenant's state dir, owned by the
// tenant, appearing whole by rename.
func putSpend(t *testing.T, host testHost, stateDir, owner string, costUSD float64) {
	t.Helper()
	now := time.Now().UTC()
	line, err := json.Marshal(map[string]any{
		"type": "message", "id": "budget-a1", "timestamp": now.Format("2006-01-02T15:04:05.000Z"),
		"message": map[string]any{
			"role": "assistant", "api": "openai-completions", "provider": "fake", "model": "fake-model-1", "stopReason": "stop",
			"timestamp": now.UnixMilli(),
			"usage": map[string]any{"input": 1000, "output": 100, "totalTokens": 1100,
				"cost": map[string]any{"input": 0, "output": 0, "cacheRead": 0, "cacheWrite": 0, "total": costUSD}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	script := `set -e
tmp="$1/.budget-incoming"
rm -rf "$tmp"; mkdir -p "$tmp/agents/main/sessions"
printf '%s\n' "$3" > "$tmp/agents/main/sessions/budget.jsonl"
chown -R "$2:$2" "$tmp"
mv "$tmp/agents" "$1/agents"
rmdir "$tmp"`
	host.mustExec(t, "sh", "-c", script, "sh", stateDir, owner, string(line))
}

// waitForTenantStatus polls the executor until the tenant reads status.
func waitForTenantStatus(t *testing.T, tenant string, status api.TenantStatus, timeout time.Duration) {
	t.Helper()
	c, err := client.New(client.Config{Endpoint: os.Getenv(provider.EnvEndpoint), RetryMax: 10, RetryWaitMax: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(timeout)
	var last string
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		tn, err := c.GetTenant(ctx, tenant)
		cancel()
		if err == nil && tn.Status == status && len(tn.PendingSteps) == 0 {
			return
		}
		if err != nil {
			last = err.Error()
		} else {
			last = fmt.Sprintf("%s, pending %q", tn.Status, (&api.Plan{Steps: tn.PendingSteps}).Summaries())
		}
		time.Sleep(time.Second)
	}
	t.Fatalf("tenant %s: not %s within %v (last: %s)", tenant, status, timeout, last)
}

// TestAccTenantResource_budgetBreach: a tenant spends its budget → the
// executor suspends it by itself, the refresh shows `suspended (budget)`
// and plans keep it so; raising the budget in the configuration plans the
// resume, and after it the plan is empty.
func TestAccTenantResource_budgetBreach(t *testing.T) {
	host := realHostWith(t, testhost.ExecutorOptions{Config: fastUsageConfig(t)})
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             tenantDecommissioned(host, "initech"),
		Steps: []resource.TestStep{
			{
				ConfigFile:      testConfig("tenant_budget", "budget.tf"),
				ConfigVariables: budgetVars(0.01, -1, "suspend"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(initechAddr, tfjsonpath.New("status"), knownvalue.StringExact("active")),
				},
			},
			// $0.05 of $0.01: the executor locks the account by itself;
			// the plan keeps it so (nothing to do) and the refreshed
			// state shows why.
			{
				PreConfig: func() {
					putSpend(t, host, initechState, "mc-initech", 0.05)
					waitForTenantStatus(t, "initech", api.TenantSuspendedBudget, 3*time.Minute)
					if shadow := host.mustExec(t, "getent", "shadow", "mc-initech"); strings.Split(shadow, ":")[7] != "1" {
						t.Errorf("account not expired by the budget suspension: %s", shadow)
					}
				},
				ConfigFile:       testConfig("tenant_budget", "budget.tf"),
				ConfigVariables:  budgetVars(0.01, -1, "suspend"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(initechAddr, tfjsonpath.New("status"), knownvalue.StringExact("suspended (budget)")),
					statecheck.ExpectKnownValue(initechAddr, tfjsonpath.New("month_to_date_usd"), knownvalue.Float64Exact(0.05)),
					statecheck.ExpectKnownValue(initechAddr, tfjsonpath.New("suspended"), knownvalue.Bool(false)),
				},
			},
			// Raised above the spend: the plan is the resume.
			{
				ConfigFile:      testConfig("tenant_budget", "budget.tf"),
				ConfigVariables: budgetVars(10, -1, "suspend"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(initechAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(initechAddr, tfjsonpath.New("planned_steps"), anyElement(`^unlock account mc-initech\b`)),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(initechAddr, tfjsonpath.New("status"), knownvalue.StringExact("active")),
					expectBudget(10, 80, "suspend"),
				},
			},
			{
				PreConfig: func() {
					if shadow := host.mustExec(t, "getent", "shadow", "mc-initech"); strings.Split(shadow, ":")[7] != "" {
						t.Errorf("account still expired after the resume: %s", shadow)
					}
				},
				ConfigFile:       testConfig("tenant_budget", "budget.tf"),
				ConfigVariables:  budgetVars(10, -1, "suspend"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
		},
	})
}
