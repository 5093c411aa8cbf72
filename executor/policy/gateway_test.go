package policy_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/policy"
)

func TestGatewayFiles(t *testing.T) {
	t.Parallel()
	got := policy.GatewayFiles([]string{"/opt/oc/node/bin/node", "/opt/oc/node_modules/openclaw/openclaw.mjs",
		"gateway", "run", "--port", "${PORT}", "--bind", "loopback", "/not/../clean"})
	want := "/opt/oc/node/bin/node /opt/oc/node_modules/openclaw/openclaw.mjs"
	if strings.Join(got, " ") != want {
		t.Errorf("GatewayFiles() = %q, want %q", got, want)
	}
}

// A gateway starts only on files the policy pins with their current hash.
func TestCheckGateway(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	node, script := filepath.Join(dir, "node"), filepath.Join(dir, "openclaw.mjs")
	for _, f := range []string{node, script} {
		if err := os.WriteFile(f, []byte("content of "+f), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	argv := []string{node, script, "gateway", "run"}
	src := testPolicy + `command "` + node + `" { sha256 = "" }` + "\n" + `command "` + script + `" { sha256 = "" }` + "\n"
	pinned, err := policy.Pin([]byte(src), "policy.hcl", policy.HashFile)
	if err != nil {
		t.Fatal(err)
	}
	p, err := policy.Parse(pinned, "policy.hcl")
	if err != nil {
		t.Fatal(err)
	}
	if e := p.CheckGateway(argv, policy.HashFile); e != nil {
		t.Fatalf("CheckGateway(pinned) = %v", e)
	}

	// A file not pinned at all.
	unpinned, err := policy.Parse([]byte(testPolicy+`command "`+node+`" { sha256 = "" }`+"\n"), "policy.hcl")
	if err != nil {
		t.Fatal(err)
	}
	if e := unpinned.CheckGateway(argv, policy.HashFile); e == nil || !strings.Contains(e.Message, node+" is not pinned") {
		t.Errorf("CheckGateway(node without sha256) = %v, want not pinned", e)
	}

	// The runtime changed after pinning.
	if err := os.WriteFile(script, []byte("upgraded"), 0o755); err != nil {
		t.Fatal(err)
	}
	e := p.CheckGateway(argv, policy.HashFile)
	if e == nil || e.Code != "policy_denied" || !strings.Contains(e.Message, script+" has sha256") || e.Rule != "command" {
		t.Errorf("CheckGateway(after the script changed) = %+v, want a pin mismatch naming it", e)
	}
}
