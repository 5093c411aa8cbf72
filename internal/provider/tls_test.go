package provider_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/zclconf/go-cty/cty"

	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/provider"
	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/testhost"
)

// TestAccTenantResource_mutualTLS runs the tenant flow against an executor
// reached over https with mutual TLS instead of its unix socket: without a
// client certificate the connection is refused; with one, plan, apply and
// destroy work as over the socket (requests are still signed).
func TestAccTenantResource_mutualTLS(t *testing.T) {
	if os.Getenv("TF_ACC") == "" || os.Getenv(provider.EnvEndpoint) != "" || testhost.Available() != nil {
		t.Skip("SKIPPED: needs TF_ACC, root and no MISSIONCONTROL_ENDPOINT: the test boots its own host with a TLS listener")
	}
	seed, err := testhost.SudoSeed(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// The machine's network, so the provider reaches the TCP listener.
	h := testhost.Boot(t, testhost.Options{Seeds: []string{seed}, Net: "host"})
	files, err := testhost.MakeTLS(filepath.Join(h.Share, "tls"))
	if err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	e := testhost.BootExecutor(t, h, testhost.ExecutorOptions{Config: tlsConfig(t, addr)})
	waitTCP(t, addr)
	host := testHost{executor: e, exec: func(argv ...string) (string, error) {
		out, err := h.Command(argv...).CombinedOutput()
		if err != nil {
			return string(out), fmt.Errorf("%s: %w: %s", strings.Join(argv, " "), err, out)
		}
		return string(out), nil
	}}
	t.Setenv(provider.EnvEndpoint, "https://"+addr)
	t.Setenv(provider.EnvSigningKeyFile, e.SigningKeyFile())
	t.Setenv(provider.EnvCAFile, files.CA)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             tenantDecommissioned(host, "acme"),
		Steps: []resource.TestStep{
			// No client certificate: the TLS handshake fails.
			{
				PreConfig: func() {
					t.Setenv(provider.EnvCertFile, "")
					t.Setenv(provider.EnvKeyFile, "")
				},
				ConfigFile:  testConfig("tenant_resource", "basic.tf"),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?i)certificate required`),
			},
			// With the client certificate: the usual create.
			{
				PreConfig: func() {
					t.Setenv(provider.EnvCertFile, files.ClientCert)
					t.Setenv(provider.EnvKeyFile, files.ClientKey)
				},
				ConfigFile: testConfig("tenant_resource", "basic.tf"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(tenantAddr, tfjsonpath.New("unix_user"), knownvalue.StringExact("mc-acme")),
				},
			},
		},
	})
}

// tlsConfig is the example executor configuration with a mutual TLS
// listener on addr, using the files MakeTLS wrote into the host's /share/tls.
func tlsConfig(t *testing.T, addr string) []byte {
	t.Helper()
	src, err := os.ReadFile("../../examples/executor/executor.hcl")
	if err != nil {
		t.Fatal(err)
	}
	f, diags := hclwrite.ParseConfig(src, "executor.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	listen := f.Body().FirstMatchingBlock("listen", nil)
	if listen == nil {
		listen = f.Body().AppendNewBlock("listen", nil)
	}
	b := listen.Body()
	b.SetAttributeValue("tls_address", cty.StringVal(addr))
	b.SetAttributeValue("tls_cert_file", cty.StringVal("/share/tls/executor.crt"))
	b.SetAttributeValue("tls_key_file", cty.StringVal("/share/tls/executor.key"))
	b.SetAttributeValue("tls_client_ca", cty.StringVal("/share/tls/ca.crt"))
	return f.Bytes()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitTCP(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("the executor's TLS listener %s did not come up", addr)
}
