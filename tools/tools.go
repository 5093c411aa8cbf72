//go:build generate

// Package tools pins the tools that generate the provider's documentation.
// Run them with `make docs` (provider.mk), not by hand.
package tools

import (
	_ "github.com/hashicorp/terraform-plugin-docs/cmd/tfplugindocs"
)

// Format the examples that the documentation embeds.
//go:generate terraform fmt -recursive ../examples/

// Generate docs/ from the provider's schema, examples/ and templates/.
//go:generate go run github.com/hashicorp/terraform-plugin-docs/cmd/tfplugindocs generate --provider-dir .. --provider-name missioncontrol
