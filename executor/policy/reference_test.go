package policy

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

const referenceDoc = "../../docs/operations/policy.md"

// TestPolicyReference keeps docs/operations/policy.md true: its examples,
// put together, are a policy this package accepts; every rule type the
// parser knows has a section; every step kind is explained.
func TestPolicyReference(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile(referenceDoc)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(src)
	var examples []string
	for _, m := range regexp.MustCompile("(?s)```hcl\n(.*?)```").FindAllStringSubmatch(doc, -1) {
		examples = append(examples, m[1])
	}
	if len(examples) == 0 {
		t.Fatal("no hcl examples")
	}
	p, err := Parse([]byte(strings.Join(examples, "\n")), "policy.md")
	if err != nil {
		t.Fatalf("the reference's examples do not make a valid policy: %v", err)
	}
	if !p.BudgetSuspend().Allowed {
		t.Error("the budget example does not allow suspensions")
	}
	for _, rule := range []string{"actions", "names", "environments", "paths", "uids", "ports", "units", "command", "sudo", "approvals", "budget"} {
		if !strings.Contains(doc, "\n### `"+rule+"`\n") {
			t.Errorf("no section ### `%s`", rule)
		}
	}
	for kind := range knownActions {
		if !strings.Contains(doc, "| `"+string(kind)+"` |") {
			t.Errorf("step kind %s is not in the actions table", kind)
		}
	}
}
