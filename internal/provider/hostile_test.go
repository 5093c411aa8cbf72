package provider_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
)

// TestAccHostileConfig is the provider's share of the hostile input corpus
// (executor/e2e/testdata/hostile holds the executor's): values the schema
// refuses during validation, before any executor is asked, each with the
// diagnostic that names it. It needs terraform but no executor.
func TestAccHostileConfig(t *testing.T) {
	t.Parallel()
	tenant := func(attrs string) string {
		return "resource \"missioncontrol_tenant\" \"bad\" {\n  environment = \"development\"\n" + attrs + "\n}\n"
	}
	named := func(name string) string {
		return "resource \"missioncontrol_tenant\" \"bad\" {\n  name = " + name + "\n  environment = \"development\"\n}\n"
	}
	workspace := func(attrs string) string {
		return "resource \"missioncontrol_workspace\" \"bad\" {\n  tenant = \"acme\"\n" + attrs + "\n}\n"
	}
	service := func(attrs string) string {
		return "resource \"missioncontrol_service\" \"bad\" {\n  tenant = \"acme\"\n  kind = \"gateway\"\n" + attrs + "\n}\n"
	}
	nameErr := `(?s)Attribute name must start with a lowercase letter`
	testCases := map[string]struct{ config, want string }{
		"name traversal":         {named(`"../etc"`), nameErr},
		"name absolute":          {named(`"/etc/passwd"`), nameErr},
		"name newline":           {named(`"acme\nroot"`), nameErr},
		"name NUL":               {named(`"acme\u0000"`), nameErr},
		"name cyrillic a":        {named(`"\u0430cme"`), nameErr},
		"name fullwidth":         {named(`"\uff41cme"`), nameErr},
		"name zero-width space":  {named(`"acme\u200b"`), nameErr},
		"name shell":             {named(`"acme$(id)"`), nameErr},
		"name over-long":         {named(`"` + strings.Repeat("a", 30) + `"`), nameErr},
		"name upper case":        {named(`"ROOT"`), nameErr},
		"name wrong type":        {named(`["acme"]`), `(?s)Incorrect attribute value type.*string required`},
		"environment":            {`resource "missioncontrol_tenant" "bad" {` + "\n" + `  name = "acme"` + "\n" + `  environment = "production\n"` + "\n}\n", `Attribute environment value must be one of`},
		"port zero":              {tenant(`name = "acme"` + "\n" + `gateway_port = 0`), `Attribute gateway_port value must be between 1024 and 65535, got: 0`},
		"port too big":           {tenant(`name = "acme"` + "\n" + `gateway_port = 65536`), `Attribute gateway_port value must be between 1024 and 65535, got: 65536`},
		"port negative":          {tenant(`name = "acme"` + "\n" + `gateway_port = -1`), `Attribute gateway_port value must be between 1024 and 65535, got: -1`},
		"port as text":           {tenant(`name = "acme"` + "\n" + `gateway_port = "http"`), `(?s)Incorrect attribute value type|a number is required`},
		"memory negative":        {tenant(`name = "acme"` + "\n" + `limits = { memory_max_mb = -1 }`), `(?s)Attribute limits.memory_max_mb value must be between 64 and\s+1048576`},
		"tasks too many":         {tenant(`name = "acme"` + "\n" + `limits = { tasks_max = 10000000 }`), `(?s)Attribute limits.tasks_max value must be between 16 and 65535`},
		"cpu zero":               {tenant(`name = "acme"` + "\n" + `limits = { cpu_quota_percent = 0 }`), `(?s)Attribute limits.cpu_quota_percent value must be between 1 and 10000`},
		"sudo relative":          {tenant(`name = "acme"` + "\n" + `sudo_commands = ["sh -c id"]`), `(?s)Invalid Sudo Command.*does not start with an absolute path`},
		"sudo 33 commands":       {tenant(`name = "acme"` + "\n" + `sudo_commands = [` + strings.Repeat(`"/bin/true",`, 33) + `]`), `(?s)sudo_commands list must contain at least 1 elements and at most 32\s+elements, got: 33`},
		"label key newline":      {tenant(`name = "acme"` + "\n" + `labels = { "a\nb" = "x" }`), `(?s)labels.*must be lowercase letters`},
		"label value over-long":  {tenant(`name = "acme"` + "\n" + `labels = { a = "` + strings.Repeat("v", 257) + `" }`), `(?s)labels\["a"\].*length must be at most 256`},
		"display name empty":     {tenant(`name = "acme"` + "\n" + `display_name = ""`), `(?s)display_name string length must be between 1 and 128`},
		"heartbeat injection":    {tenant(`name = "acme"` + "\n" + `heartbeat_every = "30m\"; rm"`), `(?s)heartbeat_every must be a duration`},
		"provider api":           {tenant(`name = "acme"` + "\n" + `model_providers = [{ name = "fake", base_url = "http://127.0.0.1/v1", api = "grpc", models = [{ id = "m" }] }]`), `(?s)api value must be one of`},
		"provider name":          {tenant(`name = "acme"` + "\n" + `model_providers = [{ name = "../x", base_url = "http://127.0.0.1/v1", api = "openai-completions", models = [{ id = "m" }] }]`), `(?s)model_providers\[0\].name must be lowercase letters, digits or\s+hyphens`},
		"unknown attribute":      {tenant(`name = "acme"` + "\n" + `run_as = "root"`), `(?s)Unsupported argument.*run_as`},
		"workspace traversal":    {workspace(`name = "../../etc"`), `(?s)Attribute name must start with a lowercase letter`},
		"workspace file parent":  {workspace(`name = "main"` + "\n" + `files = { "../../etc/shadow" = "x" }`), `(?s)Invalid Workspace File Name`},
		"workspace file abs":     {workspace(`name = "main"` + "\n" + `files = { "/etc/shadow" = "x" }`), `(?s)Invalid Workspace File Name`},
		"workspace tenant":       {`resource "missioncontrol_workspace" "bad" {` + "\n" + `  tenant = "root/.."` + "\n" + `  name = "main"` + "\n}\n", `(?s)Attribute tenant must be a tenant name`},
		"workspace model space":  {workspace(`name = "main"` + "\n" + `model = "a b"`), `(?s)Attribute model must be a model reference`},
		"service kind":           {`resource "missioncontrol_service" "bad" {` + "\n" + `  tenant = "acme"` + "\n" + `  kind = "../gateway"` + "\n}\n", `(?s)Attribute kind value must be one of`},
		"service env key":        {service(`environment = { "A=B" = "x" }`), `(?s)must be an environment variable name`},
		"service env newline":    {service(`environment = { LOG = "a\nExecStartPre=/bin/sh" }`), `(?s)must not contain newlines or NUL`},
		"service env NUL":        {service(`environment = { LOG = "a\u0000b" }`), `(?s)must not contain newlines or NUL`},
		"service env over-long":  {service(`environment = { LOG = "` + strings.Repeat("v", 4097) + `" }`), `(?s)length must be at most 4096`},
		"service env wrong type": {service(`environment = ["LOG=1"]`), `(?s)Incorrect attribute value type|map of string required`},
	}
	for name, tc := range testCases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config:      tc.config,
					PlanOnly:    true,
					ExpectError: regexp.MustCompile(tc.want),
				}},
			})
		})
	}
}
