package provider_test

import (
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

// Removing a tenant from the configuration decommissions it; the archive it
// leaves is listed with its checksum.
func TestAccArchivesDataSource(t *testing.T) {
	host := realHost(t)
	archive := tfjsonpath.New("archives").AtSliceIndex(0)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{ConfigFile: testConfig("workspace_resource", "tenant_only.tf")},
			// the tenant leaves the configuration: decommissioned
			{ConfigFile: testConfig("archives_data_source", "archives.tf"), Check: tenantDecommissioned(host, "acme")},
			// read again after the decommission
			{
				ConfigFile: testConfig("archives_data_source", "archives.tf"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.missioncontrol_archives.acme", archive.AtMapKey("tenant"), knownvalue.StringExact("acme")),
					statecheck.ExpectKnownValue("data.missioncontrol_archives.acme", archive.AtMapKey("path"), knownvalue.StringExact("/var/lib/missioncontrol/archives/acme.tar.gz")),
					statecheck.ExpectKnownValue("data.missioncontrol_archives.acme", archive.AtMapKey("sha256"), knownvalue.StringRegexp(regexp.MustCompile(`^[0-9a-f]{64}$`))),
				},
			},
		},
	})
}
