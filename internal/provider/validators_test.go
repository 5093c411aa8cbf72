package provider

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

func TestNamePatterns(t *testing.T) {
	t.Parallel()
	testCases := map[string]struct {
		pattern interface{ MatchString(string) bool }
		valid   []string
		invalid []string
	}{
		"tenant": {tenantNamePattern,
			[]string{"ab", "acme", "acme-2", "a" + strings.Repeat("b", 28)},
			[]string{"a", "Acme", "2acme", "-acme", "acme_corp", "a" + strings.Repeat("b", 29), ""}},
		"workspace": {workspaceNamePattern,
			[]string{"main", "m", "support-2"},
			[]string{"Main", "1main", "main workspace", strings.Repeat("m", 33)}},
		"label key": {labelKeyPattern,
			[]string{"team", "team.example.com/owner", "a", "cost-center"},
			[]string{"Team", "-team", "team-", "team name", strings.Repeat("a", 64)}},
		"env key": {envKeyPattern,
			[]string{"LOG_LEVEL", "_X", "A1"},
			[]string{"log_level", "1A", "A-B", ""}},
		"model": {modelPattern,
			[]string{"anthropic/claude-sonnet-4-5", "openai:gpt-5@2026", "local/llama3.1+q4"},
			[]string{"", "has space", "/leading-slash"}},
	}
	for name, tc := range testCases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for _, v := range tc.valid {
				if !tc.pattern.MatchString(v) {
					t.Errorf("%q rejected, want accepted", v)
				}
			}
			for _, v := range tc.invalid {
				if tc.pattern.MatchString(v) {
					t.Errorf("%q accepted, want rejected", v)
				}
			}
		})
	}
}

func TestCheckRelativeFile(t *testing.T) {
	t.Parallel()
	testCases := map[string]string{
		"AGENTS.md":        "",
		"today.md":         "",
		".hidden":          "",
		"":                 "empty",
		"/etc/passwd":      "absolute",
		"../openclaw.json": "not a clean relative path",
		"a/../b":           "not a clean relative path",
		"a//b":             "not a clean relative path",
		"./a":              "not a clean relative path",
		"a/":               "not a clean relative path",
		"..":               "not a clean relative path",
		"a\\b":             "backslash",
		"a\nb":             "control character",
	}
	for name, want := range testCases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			err := checkRelativeFile(name)
			if want == "" {
				if err != nil {
					t.Errorf("error = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("error = %v, want it to contain %q", err, want)
			}
		})
	}
}

func TestStringValidators(t *testing.T) {
	t.Parallel()
	testCases := map[string]struct {
		validator validator.String
		value     types.String
		wantError string
	}{
		"endpoint default":  {endpointValidator{}, types.StringValue("unix:///run/missioncontrol/executor.sock"), ""},
		"endpoint https":    {endpointValidator{}, types.StringValue("https://h:8443"), ""},
		"endpoint tcp":      {endpointValidator{}, types.StringValue("tcp://h:1"), "scheme must be unix or https"},
		"endpoint unknown":  {endpointValidator{}, types.StringUnknown(), ""},
		"duration":          {durationValidator{}, types.StringValue("90s"), ""},
		"duration no unit":  {durationValidator{}, types.StringValue("30"), `"30" is not a duration`},
		"duration zero":     {durationValidator{}, types.StringValue("0s"), "must be positive"},
		"duration null":     {durationValidator{}, types.StringNull(), ""},
		"command absolute":  {absoluteCommandValidator{}, types.StringValue("/usr/bin/systemctl restart nginx"), ""},
		"command relative":  {absoluteCommandValidator{}, types.StringValue("systemctl restart nginx"), "does not start with an absolute path"},
		"command two lines": {absoluteCommandValidator{}, types.StringValue("/bin/true\n/bin/sh"), "newline"},
		"file clean":        {relativeFileValidator{}, types.StringValue("SOUL.md"), ""},
		"file escapes":      {relativeFileValidator{}, types.StringValue("../x"), "not a clean relative path"},
	}
	for name, tc := range testCases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			resp := &validator.StringResponse{}
			tc.validator.ValidateString(context.Background(), validator.StringRequest{Path: path.Root("x"), ConfigValue: tc.value}, resp)
			if tc.wantError == "" {
				if resp.Diagnostics.HasError() {
					t.Errorf("unexpected error: %v", resp.Diagnostics)
				}
				return
			}
			if !resp.Diagnostics.HasError() || !strings.Contains(resp.Diagnostics[0].Detail(), tc.wantError) {
				t.Errorf("diagnostics = %v, want an error containing %q", resp.Diagnostics, tc.wantError)
			}
		})
	}
}

func TestBudgetUSDValidator(t *testing.T) {
	t.Parallel()
	testCases := map[string]struct {
		value     types.Float64
		wantError bool
	}{
		"a cent":   {types.Float64Value(0.01), false},
		"largest":  {types.Float64Value(1e9), false},
		"zero":     {types.Float64Value(0), true},
		"negative": {types.Float64Value(-5), true},
		"too big":  {types.Float64Value(1e9 + 1), true},
		"infinite": {types.Float64Value(math.Inf(1)), true},
		"null":     {types.Float64Null(), false},
		"unknown":  {types.Float64Unknown(), false},
	}
	for name, tc := range testCases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			resp := &validator.Float64Response{}
			budgetUSDValidator{}.ValidateFloat64(context.Background(),
				validator.Float64Request{Path: path.Root("budget").AtName("monthly_usd"), ConfigValue: tc.value}, resp)
			if resp.Diagnostics.HasError() != tc.wantError {
				t.Fatalf("diagnostics = %v, want error %t", resp.Diagnostics, tc.wantError)
			}
			if tc.wantError && !strings.Contains(resp.Diagnostics[0].Detail(), "budget.monthly_usd value must be greater than 0") {
				t.Errorf("detail %q does not name the attribute and the rule", resp.Diagnostics[0].Detail())
			}
		})
	}
}
