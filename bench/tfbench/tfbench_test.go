package tfbench_test

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/missioncontrol/terraform-provider-missioncontrol/bench/tfbench"
	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/testhost"
)

// The bench harness at 2 tenants, so it cannot rot: terraform apply through
// the executor and the no-change and one-change plans (scale), the
// terraform_data floor (plan), and both baseline scripts (apply), each
// checked for what it must have done (gateways running, plans' exit codes).
func TestHarnessTinyN(t *testing.T) {
	testhost.Require(t)
	if _, err := exec.LookPath("terraform"); err != nil {
		t.Skip("needs terraform on PATH: bench harness")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	var log bytes.Buffer
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	env, err := tfbench.New(ctx, root, t.TempDir(), &log)
	if err != nil {
		t.Fatal(err)
	}
	env.Settle = 0
	defer func() { t.Log(log.String()) }()

	rows, err := env.Scale(ctx, []int{1, 2}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[1].RSSKiB <= 0 || rows[1].NoChange[0] <= 0 || rows[1].Change[0] <= 0 {
		t.Fatalf("scale rows: %+v", rows)
	}
	var png1 bytes.Buffer
	if err := tfbench.ScaleChart(rows).WritePNG(&png1); err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(&png1); err != nil {
		t.Fatalf("chart is not a PNG: %v", err)
	}

	floor, err := env.Workdir("floor", tfbench.Floor)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.Apply(ctx, floor, nil, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Plan(ctx, floor, nil, 2, "", 0); err != nil {
		t.Fatal(err)
	}

	res, err := env.ApplyThroughput(ctx, 2, 1, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 3 {
		t.Fatalf("apply runs: %+v", res)
	}
	var table bytes.Buffer
	tfbench.WriteApplyTable(&table, 2, res)
	for _, m := range []tfbench.Method{tfbench.MethodTerraform, tfbench.MethodPlain, tfbench.MethodBatch} {
		if !strings.Contains(table.String(), string(m)) {
			t.Errorf("table lacks %s:\n%s", m, table.String())
		}
	}
	if _, err := os.Stat(filepath.Join("..", "baseline", "site.yml")); err != nil {
		t.Fatal(err)
	}
}

func TestMedian(t *testing.T) {
	t.Parallel()
	s := time.Second
	for name, tc := range map[string]struct {
		in   []time.Duration
		want time.Duration
	}{
		"none": {nil, 0},
		"odd":  {[]time.Duration{3 * s, 1 * s, 2 * s}, 2 * s},
		"even": {[]time.Duration{4 * s, 1 * s, 2 * s, 3 * s}, 2500 * time.Millisecond},
	} {
		if got := tfbench.Median(tc.in); got != tc.want {
			t.Errorf("%s: median %v, want %v", name, got, tc.want)
		}
	}
}
