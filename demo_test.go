package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/testhost"
)

// TestDemo runs `make demo` start to end, as the README promises: a
// throwaway host, the executor inside it, terraform plan/apply/destroy of
// examples/quickstart, and the teardown.
func TestDemo(t *testing.T) {
	if testing.Short() || os.Getenv("TF_ACC") == "" {
		t.Skip("SKIPPED: make demo runs terraform against a throwaway host; set TF_ACC=1 (make test does)")
	}
	testhost.Require(t)
	out, err := exec.Command("make", "-s", "demo").CombinedOutput()
	if err != nil {
		t.Fatalf("make demo: %v\n%s", err, out)
	}
	for _, want := range []string{
		"create user mc-acme", "Apply complete! Resources: 6 added", "missioncontrol-gateway@globex.service: active",
		"no changes", "Destroy complete! Resources: 6 destroyed", "acme.tar.gz", "this machine was not changed",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("make demo output lacks %q:\n%s", want, out)
		}
	}
}
