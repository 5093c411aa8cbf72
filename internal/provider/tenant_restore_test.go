package provider_test

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/testhost"
)

// A destroyed tenant restored from its archive with `missioncontrol-executor
// archive restore` is adopted by `terraform import`: its files come back
// exactly (owner, mode and sha256 compared), and the configuration it was
// created from plans nothing afterwards.
func TestAccTenantResource_restoreThenImport(t *testing.T) {
	host := realHost(t)
	if host.executor == nil {
		t.Skip("SKIPPED: restoring runs the executor's CLI with its operator key, so the test boots its own executor; unset MISSIONCONTROL_ENDPOINT")
	}
	e := host.executor
	files := func() string {
		t.Helper()
		return host.mustExec(t, "sh", "-c", "find "+acmeHome+" /etc/missioncontrol/tenants/acme -printf '%p %U:%G %m %y %l\\n' | sort && "+
			"find "+acmeHome+" /etc/missioncontrol/tenants/acme -type f -exec sha256sum {} + | sort")
	}
	var before string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				ConfigFile: testConfig("workspace_resource", "basic.tf"),
				Check: func(*terraform.State) error {
					host.mustExec(t, "sh", "-c", "echo 'kept across the restore' > "+workspaceDir+"/notes.md && chown mc-acme:mc-acme "+workspaceDir+"/notes.md")
					before = files()
					if !strings.Contains(before, workspaceDir+"/notes.md ") {
						return fmt.Errorf("no notes.md among the tenant's files:\n%s", before)
					}
					return nil
				},
			},
			// destroyed: the tenant is archived and removed
			{ConfigFile: testConfig("tenant_restore", "forget_workspace.tf"), Check: tenantDecommissioned(host, "acme")},
			// restored by the executor, then imported
			{
				PreConfig: func() {
					out, err := exec.Command(e.Binary(), "archive", "restore", "acme.tar.gz", "--socket", e.Socket,
						"--key", e.Keys[testhost.KeyOperator]).CombinedOutput()
					if err != nil {
						t.Fatalf("archive restore: %v\n%s", err, out)
					}
					if after := files(); after != before {
						t.Fatalf("restored files differ:\nbefore:\n%s\nafter:\n%s", before, after)
					}
				},
				ConfigFile:         testConfig("workspace_resource", "basic.tf"),
				ResourceName:       tenantAddr,
				ImportState:        true,
				ImportStateId:      "acme",
				ImportStatePersist: true,
			},
			{
				ConfigFile:         testConfig("workspace_resource", "basic.tf"),
				ResourceName:       workspaceAddr,
				ImportState:        true,
				ImportStateId:      "acme/main",
				ImportStatePersist: true,
			},
			// adopted: the configuration plans nothing
			{
				ConfigFile: testConfig("workspace_resource", "basic.tf"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
			},
		},
	})
}
