package provider_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/testhost"
)

// twoTenants is two tenants with a workspace and a gateway each: six
// resources, three per tenant.
const twoTenants = `
resource "missioncontrol_tenant" "t" {
  count       = 2
  name        = "obs${count.index + 1}"
  environment = "development"
}
resource "missioncontrol_workspace" "w" {
  count  = 2
  tenant = missioncontrol_tenant.t[count.index].name
  name   = "main"
  files  = { "AGENTS.md" = "# obs${count.index + 1}\n" }
}
resource "missioncontrol_service" "s" {
  count      = 2
  tenant     = missioncontrol_tenant.t[count.index].name
  kind       = "gateway"
  depends_on = [missioncontrol_workspace.w]
}
`

// TestAccPlan_observesEachTenantOnce counts, in the executor's request log,
// what a no-change plan asks of the host. A PlanOnly step runs two plans: one
// with -refresh=false, then one with refresh. The refresh observes each
// tenant once for its three resources (one GET), and since every tenant came
// back with nothing pending and the configuration is unchanged, no resource
// needs a dry run. Without a refresh nothing was observed, so every resource
// gets its dry run: the plan still looks at the host.
func TestAccPlan_observesEachTenantOnce(t *testing.T) {
	host := realHost(t)
	var before requestCounts
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             tenantDecommissioned(host, "obs1", "obs2"),
		Steps: []resource.TestStep{
			{Config: twoTenants},
			{
				PreConfig: func() { before = executorRequests(t, host) },
				Config:    twoTenants,
				PlanOnly:  true,
			},
			{
				PreConfig: func() {
					d := executorRequests(t, host).minus(before)
					for _, name := range []string{"obs1", "obs2"} {
						if got := d["GET "+api.PathTenants+"/"+name]; got != 1 {
							t.Errorf("GET of tenant %s: %d in a plan and a refresh-less plan, want 1 (one observation per tenant)", name, got)
						}
					}
					if got := d["POST "+api.PathPlans]; got != 6 {
						t.Errorf("dry runs: %d, want 6 (one per resource in the -refresh=false plan, none after the refresh)", got)
					}
				},
				Config:   twoTenants,
				PlanOnly: true,
			},
		},
	})
}

// requestCounts counts the executor's requests by "METHOD path".
type requestCounts map[string]int

func (c requestCounts) minus(b requestCounts) requestCounts {
	out := requestCounts{}
	for k, v := range c {
		if d := v - b[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}

// executorRequests reads the request lines of the executor's journal.
func executorRequests(t *testing.T, host testHost) requestCounts {
	t.Helper()
	host.mustExec(t, "journalctl", "--sync")
	out := host.mustExec(t, "journalctl", "-q", "-u", testhost.ExecutorUnit, "-o", "cat", "--no-pager")
	counts := requestCounts{}
	for _, line := range strings.Split(out, "\n") {
		var rec struct{ Msg, Method, Path string }
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "request" {
			counts[fmt.Sprintf("%s %s", rec.Method, rec.Path)]++
		}
	}
	return counts
}

// keyedTenant is a tenant with a model provider whose API key is the
// write-only value given.
func keyedTenant(key string) string {
	return fmt.Sprintf(`
resource "missioncontrol_tenant" "keyed" {
  name        = "keyed"
  environment = "development"
  model_providers = [{
    name     = "local"
    base_url = "http://127.0.0.1:9/v1"
    api      = "openai-completions"
    models   = [{ id = "m1" }]
  }]
  api_keys_wo = { local = %q }
}
`, key)
}

// TestAccPlan_newAPIKeyIsPlanned checks the exception to skipping the dry
// run of an unchanged, settled resource: a write-only key is in neither
// plan nor state, so only the executor's dry run can tell that it changed.
func TestAccPlan_newAPIKeyIsPlanned(t *testing.T) {
	host := realHost(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             tenantDecommissioned(host, "keyed"),
		Steps: []resource.TestStep{
			{Config: keyedTenant("sk-first")},
			{Config: keyedTenant("sk-first"), PlanOnly: true},
			{
				Config: keyedTenant("sk-second"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("missioncontrol_tenant.keyed", plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue("missioncontrol_tenant.keyed", tfjsonpath.New("planned_steps"), anyElement(`credentials\.env`)),
				}},
			},
		},
	})
}
