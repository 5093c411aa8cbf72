package config_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/config"
)

// TestConfigurationReference keeps docs/operations/configuration.md true:
// every setting of the reference configuration (examples/executor) has a
// row, and the document's example is a valid configuration.
func TestConfigurationReference(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../../docs/operations/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile("../../examples/executor/executor.hcl")
	if err != nil {
		t.Fatal(err)
	}
	f, diags := hclsyntax.ParseConfig(example, "executor.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	body := f.Body.(*hclsyntax.Body)
	var settings []string
	for name := range body.Attributes {
		settings = append(settings, name)
	}
	for _, b := range body.Blocks {
		for name := range b.Body.Attributes {
			settings = append(settings, b.Type+"."+name)
		}
	}
	if len(settings) < 40 {
		t.Fatalf("only %d settings in the example: %v", len(settings), settings)
	}
	for _, s := range settings {
		if !strings.Contains(string(doc), "| `"+s+"` |") {
			t.Errorf("setting %s has no row in the configuration reference", s)
		}
	}

	m := regexp.MustCompile("(?s)```hcl\n(.*?)```").FindSubmatch(doc)
	if m == nil {
		t.Fatal("no hcl example")
	}
	cfg, err := config.Parse(m[1], "configuration.md")
	if err == nil {
		err = cfg.Validate()
	}
	if err != nil {
		t.Fatalf("the reference's example is not a valid configuration: %v", err)
	}
	if len(cfg.Keys) != 3 || cfg.Metrics.Listen != "127.0.0.1:9464" || cfg.Gateway.Egress != "any" {
		t.Errorf("the example parsed to keys %d, metrics %q, egress %q", len(cfg.Keys), cfg.Metrics.Listen, cfg.Gateway.Egress)
	}
}
