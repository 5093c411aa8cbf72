package provider

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/client"
)

func TestAttributePath(t *testing.T) {
	t.Parallel()
	testCases := map[string]struct {
		kind  api.ObjectKind
		field string
		want  path.Path
		ok    bool
	}{
		"tenant port":                {api.ObjectTenant, "tenant.gateway_port", path.Root("gateway_port"), true},
		"tenant bare attribute":      {api.ObjectTenant, "environment", path.Root("environment"), true},
		"tenant name from request":   {api.ObjectTenant, "tenant", path.Root("name"), true},
		"tenant limit":               {api.ObjectTenant, "tenant.limits.memory_max_mb", path.Root("limits").AtName("memory_max_mb"), true},
		"tenant limits whole":        {api.ObjectTenant, "tenant.limits", path.Root("limits"), true},
		"tenant label":               {api.ObjectTenant, "tenant.labels.team", path.Root("labels").AtMapKey("team"), true},
		"tenant sudo command":        {api.ObjectTenant, "tenant.sudo_commands[1]", path.Root("sudo_commands").AtListIndex(1), true},
		"change prefix":              {api.ObjectTenant, "changes[0].tenant.suspended", path.Root("suspended"), true},
		"workspace name":             {api.ObjectWorkspace, "workspaces[0].name", path.Root("name"), true},
		"workspace file with dots":   {api.ObjectWorkspace, "workspace.files.today.md", path.Root("files").AtMapKey("today.md"), true},
		"workspace file quoted":      {api.ObjectWorkspace, `workspaces[2].files["AGENTS.md"]`, path.Root("files").AtMapKey("AGENTS.md"), true},
		"workspace tenant":           {api.ObjectWorkspace, "tenant", path.Root("tenant"), true},
		"service env key":            {api.ObjectService, "services[0].environment.LOG_LEVEL", path.Root("environment").AtMapKey("LOG_LEVEL"), true},
		"service kind":               {api.ObjectService, "service.kind", path.Root("kind"), true},
		"tenant field for workspace": {api.ObjectWorkspace, "tenant.gateway_port", path.Empty(), false},
		"workspace field for tenant": {api.ObjectTenant, "workspaces[0].name", path.Empty(), false},
		"tenant budget value":        {api.ObjectTenant, "tenant.budget.monthly_usd", path.Root("budget").AtName("monthly_usd"), true},
		"unknown attribute":          {api.ObjectTenant, "tenant.quota", path.Empty(), false},
		"nearest attribute":          {api.ObjectTenant, "tenant.environment.X", path.Root("environment"), true},
		"empty":                      {api.ObjectTenant, "", path.Empty(), false},
		"garbage":                    {api.ObjectService, "$$$", path.Empty(), false},
	}
	for name, tc := range testCases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, ok := attributePath(tc.kind, tc.field)
			if ok != tc.ok || !got.Equal(tc.want) {
				t.Errorf("attributePath(%s, %q) = %s, %t; want %s, %t", tc.kind, tc.field, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestAddError(t *testing.T) {
	t.Parallel()
	acme := target{kind: api.ObjectTenant, tenant: "acme"}
	main := target{kind: api.ObjectWorkspace, tenant: "acme", name: "main"}
	unreachable := &client.UnreachableError{Endpoint: "unix:///run/x.sock",
		Err: fmt.Errorf("dial unix /run/x.sock: %w", syscall.ECONNREFUSED)}
	denied := &client.UnreachableError{Endpoint: "unix:///run/x.sock",
		Err: fmt.Errorf("dial unix /run/x.sock: %w", syscall.EACCES)}
	testCases := map[string]struct {
		target  target
		err     error
		summary string
		path    path.Path
		detail  []string
	}{
		"unreachable": {acme, unreachable, "Executor Unreachable", path.Empty(), []string{
			`Unable to plan tenant "acme": cannot reach the executor at unix:///run/x.sock`,
			"Is missioncontrol-executor running", "MISSIONCONTROL_ENDPOINT",
		}},
		"socket permission": {acme, denied, "Executor Unreachable", path.Empty(), []string{"missioncontrol group"}},
		"policy denied": {acme, &api.Error{Code: api.CodePolicyDenied, Message: "port outside the allowed range",
			Field: "tenant.gateway_port", Rule: "ports.range", Value: "80"}, "Policy Denied", path.Root("gateway_port"), []string{
			`The host's policy denied tenant "acme": port outside the allowed range.`, "Rule: ports.range", "Field: tenant.gateway_port", `Value: "80"`,
			"missioncontrol-executor policy check",
		}},
		"invalid workspace": {main, &api.Error{Code: api.CodeInvalidRequest, Message: "file name not allowed",
			Field: "workspaces[0].files.x y"}, "Invalid Workspace Specification", path.Root("files").AtMapKey("x y"), []string{
			`The executor rejected the specification of workspace "acme/main": file name not allowed.`,
		}},
		"busy": {acme, &api.Error{Code: api.CodeConflict, Message: "job j7 is running"}, "Tenant Busy", path.Empty(),
			[]string{`Another job is running for tenant "acme"`}},
		"audit": {acme, &api.Error{Code: api.CodeAuditFailed, Message: "disk full"}, "Executor Audit Log Unavailable", path.Empty(),
			[]string{"so nothing ran: disk full"}},
		"internal": {acme, &api.Error{Code: api.CodeInternal, Message: "boom", Status: 500}, "Executor Error", path.Empty(),
			[]string{"boom (code internal, HTTP status 500)"}},
		"other": {acme, errors.New("EOF"), "Executor Request Failed", path.Empty(), []string{`Unable to plan tenant "acme": EOF.`}},
	}
	for name, tc := range testCases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var diags diag.Diagnostics
			addError(&diags, tc.target, "plan", tc.err)
			if len(diags) != 1 {
				t.Fatalf("got %d diagnostics, want 1: %v", len(diags), diags)
			}
			d := diags[0]
			if d.Summary() != tc.summary {
				t.Errorf("summary = %q, want %q", d.Summary(), tc.summary)
			}
			var got path.Path
			if wp, ok := d.(diag.DiagnosticWithPath); ok {
				got = wp.Path()
			}
			if diff := cmp.Diff(tc.path.String(), got.String()); diff != "" {
				t.Errorf("path (-want +got):\n%s", diff)
			}
			for _, want := range tc.detail {
				if !strings.Contains(d.Detail(), want) {
					t.Errorf("detail does not contain %q:\n%s", want, d.Detail())
				}
			}
		})
	}
}

func TestAddBudgetHold(t *testing.T) {
	t.Parallel()
	var diags diag.Diagnostics
	addBudgetHold(&diags, target{kind: api.ObjectWorkspace, tenant: "acme", name: "main"}, &api.BudgetHold{
		Month: "2026-12", SpentUSD: 212.5, LimitUSD: 200, Since: time.Date(2026, 12, 4, 20, 0, 0, 0, time.UTC)})
	if len(diags) != 1 || diags.HasError() || diags[0].Summary() != "Tenant Suspended Over Budget" {
		t.Fatalf("diagnostics = %v, want one warning", diags)
	}
	for _, want := range []string{`tenant "acme" on 2026-12-04T20:00:00Z`, "$212.50 of its $200.00 monthly budget in 2026-12",
		`plan of workspace "acme/main" keeps it suspended`, "raise budget.monthly_usd", "next UTC month"} {
		if !strings.Contains(diags[0].Detail(), want) {
			t.Errorf("detail %q does not say %q", diags[0].Detail(), want)
		}
	}
}
