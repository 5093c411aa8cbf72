package provider

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/client"
)

// target names the object a request is about, for diagnostics and for
// mapping executor field paths to attributes.
type target struct {
	kind   api.ObjectKind
	tenant string
	name   string // workspace name or service kind; empty for tenants
}

// String reads well in a sentence: tenant "acme", workspace "acme/main".
func (t target) String() string {
	if t.kind == api.ObjectTenant {
		return fmt.Sprintf("tenant %q", t.tenant)
	}
	return fmt.Sprintf("%s %q", t.kind, t.tenant+"/"+t.name)
}

// addError adds the diagnostic for an error of a client call; op says what
// the provider was doing, e.g. "plan" or "read".
func addError(diags *diag.Diagnostics, t target, op string, err error) {
	var unreachable *client.UnreachableError
	var apiErr *api.Error
	switch {
	case errors.As(err, &unreachable):
		detail := err.Error() + ".\n\nIs missioncontrol-executor running on the host? Set endpoint in the provider block or MISSIONCONTROL_ENDPOINT."
		if errors.Is(err, fs.ErrPermission) {
			detail += " The socket is only open to root and the missioncontrol group: run Terraform as a member of that group."
		}
		diags.AddError("Executor Unreachable", fmt.Sprintf("Unable to %s %s: %s", op, t, detail))
	case errors.As(err, &apiErr):
		addAPIError(diags, t, op, apiErr)
	case errors.Is(err, context.DeadlineExceeded):
		diags.AddError("Executor Request Timed Out",
			fmt.Sprintf("Unable to %s %s: %v.\n\nThe executor did not answer in time. Raise request_timeout (MISSIONCONTROL_REQUEST_TIMEOUT) if the host is slow.", op, t, err))
	default:
		diags.AddError("Executor Request Failed", fmt.Sprintf("Unable to %s %s: %v.", op, t, err))
	}
}

func addAPIError(diags *diag.Diagnostics, t target, op string, e *api.Error) {
	var summary, detail string
	switch e.Code {
	case api.CodePolicyDenied:
		summary = "Policy Denied"
		detail = fmt.Sprintf("The host's policy denied %s: %s.%s\n\n"+
			"Change the value to one the policy allows, or ask the host's operator to change the policy "+
			"(missioncontrol-executor policy check lints it).", t, e.Message, quoteRule(e))
	case api.CodeInvalidRequest:
		summary = "Invalid " + titleKind(t.kind) + " Specification"
		detail = fmt.Sprintf("The executor rejected the specification of %s: %s.%s\n\nCorrect the value and run terraform plan again.",
			t, e.Message, quoteRule(e))
	case api.CodeConflict:
		summary = "Tenant Busy"
		detail = fmt.Sprintf("Unable to %s %s: %s.\n\nAnother job is running for tenant %q; the executor runs one job per tenant. "+
			"Wait for it to finish (missioncontrol-executor jobs) and run terraform apply again.", op, t, e.Message, t.tenant)
	case api.CodeUnauthorized, api.CodeForbidden:
		summary = "Executor Refused Request"
		detail = fmt.Sprintf("Unable to %s %s: %s.%s\n\nThe executor checks who is asking: the unix socket's user and group "+
			"(or the client certificate over https), then the signed envelope of every plan and apply, whose key must be "+
			"in the executor's configuration with the role (plan for dry runs, apply to submit). Check the provider's "+
			"signing_key (or MISSIONCONTROL_SIGNING_KEY_FILE), its key blocks on the host, and the user Terraform runs as.",
			op, t, e.Message, quoteRule(e))
	case api.CodeAuditFailed:
		summary = "Executor Audit Log Unavailable"
		detail = fmt.Sprintf("The executor could not write the audit record for the %s of %s, so nothing ran: %s.\n\n"+
			"Ask the host's operator to check the executor's storage, then apply again.", op, t, e.Message)
	case api.CodeNotFound:
		summary = "Not Found On Executor"
		detail = fmt.Sprintf("Unable to %s %s: %s.", op, t, e.Message)
	default:
		summary = "Executor Error"
		detail = fmt.Sprintf("Unable to %s %s: %s (code %s, HTTP status %d).\n\nThe executor's log has the details; "+
			"this is a problem on the host, not in the configuration.", op, t, e.Message, e.Code, e.Status)
	}
	if p, ok := attributePath(t.kind, e.Field); ok {
		diags.AddAttributeError(p, summary, detail)
		return
	}
	diags.AddError(summary, detail)
}

// quoteRule renders the field, rule and value an error names, if any.
func quoteRule(e *api.Error) string {
	var b strings.Builder
	if e.Rule != "" {
		fmt.Fprintf(&b, "\n\nRule: %s", e.Rule)
	}
	if e.Field != "" {
		if b.Len() == 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "\nField: %s", e.Field)
	}
	if e.Value != "" {
		fmt.Fprintf(&b, "\nValue: %q", e.Value)
	}
	return b.String()
}

func titleKind(k api.ObjectKind) string {
	switch k {
	case api.ObjectWorkspace:
		return "Workspace"
	case api.ObjectService:
		return "Service"
	}
	return "Tenant"
}

// fieldPattern splits an executor field path such as "tenant.gateway_port",
// "workspaces[0].files.AGENTS.md" or "changes[0].service.environment.PORT"
// into object, attribute and the rest.
var fieldPattern = regexp.MustCompile(`^(?:changes\[\d+\]\.)?(?:(tenant|workspaces?|services?)(?:\[\d+\])?\.)?([a-z_]+)(.*)$`)

// attributePath maps an executor field path to the attribute of a resource
// of the given kind. It reports false when the field is empty, names another
// object (e.g. the tenant's spec while planning a workspace) or is unknown;
// the diagnostic then belongs to the whole resource.
func attributePath(kind api.ObjectKind, field string) (path.Path, bool) {
	// The bare "tenant" field is PlanRequest.tenant, the tenant's name.
	if field == "tenant" {
		if kind == api.ObjectTenant {
			return path.Root("name"), true
		}
		return path.Root("tenant"), true
	}
	m := fieldPattern.FindStringSubmatch(field)
	if m == nil {
		return path.Empty(), false
	}
	object, attr, rest := strings.TrimSuffix(m[1], "s"), m[2], m[3]
	if object != "" && api.ObjectKind(object) != kind {
		return path.Empty(), false
	}
	key, index, hasKey := subscript(rest)

	switch {
	case kind == api.ObjectTenant && (attr == "limits" || attr == "budget") && hasKey && index < 0:
		return path.Root(attr).AtName(key), true
	case kind == api.ObjectTenant && attr == "sudo_commands" && hasKey && index >= 0:
		return path.Root(attr).AtListIndex(index), true
	case (kind == api.ObjectTenant && attr == "labels" ||
		kind == api.ObjectWorkspace && attr == "files" ||
		kind == api.ObjectService && attr == "environment") && hasKey && index < 0:
		return path.Root(attr).AtMapKey(key), true
	case kind == api.ObjectTenant && slices.Contains([]string{"name", "display_name", "environment", "labels", "gateway_port", "limits", "budget", "suspended", "sudo_commands"}, attr),
		kind == api.ObjectWorkspace && slices.Contains([]string{"name", "model", "files"}, attr),
		kind == api.ObjectService && slices.Contains([]string{"kind", "enabled", "environment"}, attr):
		return path.Root(attr), true
	}
	return path.Empty(), false
}

// subscript parses what follows an attribute name: ".key" (the rest of the
// field, dots included, since map keys such as file names contain dots),
// `["key"]` or "[3]". index is -1 for keys.
func subscript(rest string) (key string, index int, ok bool) {
	switch {
	case strings.HasPrefix(rest, "."):
		return rest[1:], -1, len(rest) > 1
	case strings.HasPrefix(rest, "[") && strings.HasSuffix(rest, "]"):
		inner := rest[1 : len(rest)-1]
		if unquoted, err := strconv.Unquote(inner); err == nil {
			return unquoted, -1, true
		}
		if i, err := strconv.Atoi(inner); err == nil && i >= 0 {
			return "", i, true
		}
	}
	return "", 0, false
}
