package provider_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/echoprovider"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/testhost"
)

// A tenant applied through Terraform gets a real OpenClaw gateway; the
// ephemeral token opens it, and never lands in the state of the tenant.
func TestAccGatewayTokenEphemeralResource_realGateway(t *testing.T) {
	host := realHostWith(t, testhost.ExecutorOptions{RealGateway: true})
	if host.executor == nil {
		t.Skip("SKIPPED: needs a throwaway host booted by the test (a make dev-host endpoint runs its own gateways)")
	}
	llm, err := testhost.StartFakeLLM(context.Background(), host.executor.Host)
	if err != nil {
		t.Fatal(err)
	}
	vars := config.Variables{"llm_base_url": config.StringVariable(llm)}
	factories := map[string]func() (tfprotov6.ProviderServer, error){"echo": echoprovider.NewProviderServer()}
	for k, v := range testAccProtoV6ProviderFactories {
		factories[k] = v
	}
	var token string
	resource.Test(t, resource.TestCase{
		TerraformVersionChecks: []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_11_0)},
		CheckDestroy:           tenantDecommissioned(host, "acme"),
		// The echo provider block makes these step-level providers.
		Steps: []resource.TestStep{
			{ProtoV6ProviderFactories: factories, ConfigFile: testConfig("gateway_token_ephemeral_resource", "tenant.tf"), ConfigVariables: vars},
			{
				ProtoV6ProviderFactories: factories,
				ConfigFile:               testConfig("gateway_token_ephemeral_resource", "with_token.tf"),
				ConfigVariables:          vars,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("echo.token", tfjsonpath.New("data").AtMapKey("token"), knownvalue.StringRegexp(regexp.MustCompile(`^[0-9a-f]{64}$`))),
					statecheck.ExpectKnownValue("echo.token", tfjsonpath.New("data").AtMapKey("url"), knownvalue.StringRegexp(regexp.MustCompile(`^http://127\.0\.0\.1:\d+$`))),
				},
				Check: func(s *terraform.State) error {
					token = s.RootModule().Resources["echo.token"].Primary.Attributes["data.token"]
					url := s.RootModule().Resources["echo.token"].Primary.Attributes["data.url"]
					tenant := s.RootModule().Resources["missioncontrol_tenant.acme"].Primary.Attributes
					if strings.Contains(fmt.Sprint(tenant), token) {
						return fmt.Errorf("the token is in the tenant's state")
					}
					if strings.Contains(fmt.Sprint(tenant), "sk-acceptance") {
						return fmt.Errorf("the write-only API key is in the tenant's state")
					}
					chat := func(tok string) (string, error) {
						return host.exec("curl", "-s", "-m", "120", "-o", "/dev/null", "-w", "%{http_code}",
							"-H", "Authorization: Bearer "+tok, "-H", "Content-Type: application/json",
							"-d", `{"model":"openclaw/main","messages":[{"role":"user","content":"Say hello."}]}`, url+"/v1/chat/completions")
					}
					if code, err := chat(token); err != nil || code != "200" {
						return fmt.Errorf("chat turn with the ephemeral token: %s %v", code, err)
					}
					other := "0" + token[1:] // another token: differs in its first digit
					if token[0] == '0' {
						other = "1" + token[1:]
					}
					if code, err := chat(other); err != nil || code != "401" {
						return fmt.Errorf("chat turn with another token: %s %v", code, err)
					}
					return nil
				},
			},
		},
	})
	if token == "" {
		t.Error("the ephemeral resource gave no token")
	}
}
