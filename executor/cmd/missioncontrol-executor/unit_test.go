package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestUnitTemplate(t *testing.T) {
	t.Parallel()
	out, err := runCmd(newUnitCmd(), "template", "--config", "../../../examples/executor/executor.hcl")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"User=mc-%i\n",
		"EnvironmentFile=/etc/missioncontrol/tenants/%i/gateway.env\n",
		"ExecStart=/opt/missioncontrol/openclaw/node/bin/node ",
		"IPAddressDeny=any\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("template lacks %q:\n%s", want, out)
		}
	}

	bad := filepath.Join(t.TempDir(), "bad.hcl")
	if err := os.WriteFile(bad, []byte("tenants {\n  port_stride = 10\n}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := runCmd(newUnitCmd(), "template", "--config", bad); err == nil || !strings.Contains(err.Error(), "port_stride") {
		t.Errorf("a bad configuration printed %q, err %v; want the field named", out, err)
	}
}
