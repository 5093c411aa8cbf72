package provider_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"

	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/provider"
	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/testhost"
)

// envHostExec is the command prefix, printed by `make dev-host`, that runs a
// command as root inside the throwaway host.
const envHostExec = "MISSIONCONTROL_HOST_EXEC"

// testAccProtoV6ProviderFactories serve the provider in-process.
var testAccProtoV6ProviderFactories = map[string]func() (tfprotov6.ProviderServer, error){
	"missioncontrol": providerserver.NewProtocol6WithError(provider.New("test")()),
}

// testAccPreCheck skips, loudly, unless a throwaway host with a real
// executor is available.
func testAccPreCheck(t *testing.T) {
	t.Helper()
	for _, env := range []string{provider.EnvEndpoint, envHostExec} {
		if os.Getenv(env) == "" {
			t.Skipf("SKIPPED: %s is not set. Acceptance tests against a real executor need a throwaway host: "+
				"run `eval \"$(make dev-host)\"` first (and the printed MISSIONCONTROL_HOST_DOWN command afterwards).", env)
		}
	}
}

// testHost is where a test's resources live: a throwaway host with the real
// executor running inside as a unit. exec runs a command as root on that
// host, for drift and for checks the provider cannot make.
type testHost struct {
	exec func(argv ...string) (string, error)
	// executor is the executor this test booted; nil for a host from
	// `make dev-host` (tests that need its approver keys skip then).
	executor *testhost.Executor
}

// realHost is the throwaway host from `make dev-host`; it skips the test
// when there is none.
func realHost(t *testing.T) testHost { t.Helper(); return realHostWith(t, testhost.ExecutorOptions{}) }

// realHostWith is realHost with executor options, e.g. RealGateway for
// tests of what a tenant's real OpenClaw gateway does; such a host needs
// its own executor, so an endpoint from `make dev-host` is not used.
func realHostWith(t *testing.T, o testhost.ExecutorOptions) testHost {
	t.Helper()
	if (o.RealGateway || os.Getenv(provider.EnvEndpoint) == "") && os.Getenv("TF_ACC") != "" && testhost.Available() == nil {
		// No host given: boot our own throwaway host with the real
		// executor running inside as a unit.
		seed, err := testhost.SudoSeed(context.Background())
		if err != nil {
			t.Fatalf("sudo seed: %v", err)
		}
		h := testhost.Boot(t, testhost.Options{Seeds: []string{seed}})
		e := testhost.BootExecutor(t, h, o)
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
	testAccPreCheck(t)
	prefix := strings.Fields(os.Getenv(envHostExec))
	return testHost{exec: func(argv ...string) (string, error) {
		args := append(append([]string(nil), prefix[1:]...), argv...)
		out, err := exec.Command(prefix[0], args...).CombinedOutput()
		if err != nil {
			return string(out), fmt.Errorf("%s: %w: %s", strings.Join(argv, " "), err, out)
		}
		return string(out), nil
	}}
}

// mustExec is exec that returns an error for use in PreConfig and checks.
func (h testHost) mustExec(t *testing.T, argv ...string) string {
	t.Helper()
	out, err := h.exec(argv...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// testConfig is a file under testdata/.
func testConfig(parts ...string) config.TestStepConfigFunc {
	return config.StaticFile(filepath.Join(append([]string{"testdata"}, parts...)...))
}

// anyElement checks that some element of a list of strings matches re,
// since the position of a step in a plan is the executor's business.
func anyElement(re string) knownvalue.Check {
	return anyElementCheck{regexp.MustCompile(re)}
}

type anyElementCheck struct{ re *regexp.Regexp }

func (c anyElementCheck) CheckValue(v any) error {
	list, ok := v.([]any)
	if !ok {
		return fmt.Errorf("expected a list, got %T", v)
	}
	for _, e := range list {
		if s, ok := e.(string); ok && c.re.MatchString(s) {
			return nil
		}
	}
	return fmt.Errorf("no element of %q matches %s", list, c.re)
}

func (c anyElementCheck) String() string { return "any element matching " + c.re.String() }

// digestPattern is a plan digest.
var digestPattern = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// changeHostBeforeApply is a plan check that changes the host after the
// plan was made and before it is applied: the reviewed plan goes stale.
type changeHostBeforeApply struct {
	host testHost
	argv []string
}

func (c changeHostBeforeApply) CheckPlan(_ context.Context, _ plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	_, resp.Error = c.host.exec(c.argv...)
}

// staleApply matches what a stale reviewed plan produces: the executor's
// refusal, or Terraform's own check when its apply-time re-plan already saw
// the new digest. Either way nothing ran.
var staleApply = regexp.MustCompile(`Plan Changed Since Review|Provider produced inconsistent final plan`)

// TestAccProvider_unreachable needs only terraform: no executor listens.
func TestAccProvider_unreachable(t *testing.T) {
	t.Setenv(provider.EnvEndpoint, "unix:///tmp/missioncontrol-test-nowhere/executor.sock")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			ConfigFile:  testConfig("tenant_resource", "basic.tf"),
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`(?s)Executor Unreachable.*cannot reach the executor at\s+unix:///tmp/missioncontrol-test-nowhere/executor.sock.*MISSIONCONTROL_ENDPOINT`),
		}},
	})
}

// TestExamplesAreAcceptanceConfigs keeps each resource's documented example
// identical to the configuration its basic acceptance test applies.
func TestExamplesAreAcceptanceConfigs(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"tenant", "workspace", "service"} {
		example, err := os.ReadFile(filepath.Join("..", "..", "examples", "resources", "missioncontrol_"+name, "resource.tf"))
		if err != nil {
			t.Fatal(err)
		}
		basic, err := os.ReadFile(filepath.Join("testdata", name+"_resource", "basic.tf"))
		if err != nil {
			t.Fatal(err)
		}
		if string(example) != string(basic) {
			t.Errorf("examples/resources/missioncontrol_%s/resource.tf and testdata/%s_resource/basic.tf differ; keep them identical", name, name)
		}
	}
}
