package provider

import (
	"context"
	"fmt"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/client"
)

// Patterns of names the host model fixes (DESIGN.md, "Host model"). They are
// checked here so that bad configuration fails at validation with an
// attribute path; the executor checks them again.
var (
	// tenantNamePattern keeps "mc-<name>" within the 32 characters of a
	// Linux user name.
	tenantNamePattern = regexp.MustCompile(`^[a-z][a-z0-9-]{1,28}$`)
	// workspaceNamePattern names the directory "workspace-<name>" and the
	// OpenClaw agent id.
	workspaceNamePattern = regexp.MustCompile(`^[a-z][a-z0-9-]{0,31}$`)
	// labelKeyPattern is a lowercase key, optionally prefixed like
	// "team.example.com/owner".
	labelKeyPattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9._/-]{0,61}[a-z0-9])?$`)
	// envKeyPattern is a portable environment variable name.
	envKeyPattern = regexp.MustCompile(`^[A-Z_][A-Z0-9_]*$`)
	// modelPattern is a provider/model reference such as
	// "anthropic/claude-sonnet-4-5" without spaces or control characters.
	modelPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,199}$`)
	// providerNamePattern is a model provider name as OpenClaw accepts it.
	providerNamePattern = regexp.MustCompile(`^[a-z][a-z0-9-]{0,62}$`)
	// heartbeatPattern is an OpenClaw duration such as "30m" or "1h30m".
	heartbeatPattern = regexp.MustCompile(`^([0-9]{1,6}[smhd]){1,4}$`)
)

// endpointValidator accepts what client.ParseEndpoint accepts.
type endpointValidator struct{}

func (endpointValidator) Description(context.Context) string {
	return "value must be unix:///absolute/path.sock or https://host:port"
}

func (v endpointValidator) MarkdownDescription(ctx context.Context) string {
	return "value must be `unix:///absolute/path.sock` or `https://host:port`"
}

func (endpointValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if _, err := client.ParseEndpoint(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid Executor Endpoint",
			fmt.Sprintf("%v.\n\nUse unix:///run/missioncontrol/executor.sock (the default) or https://host:port.", err))
	}
}

// durationValidator accepts a positive Go duration such as "30s" or "2m".
type durationValidator struct{}

func (durationValidator) Description(context.Context) string {
	return `value must be a positive duration such as "30s" or "2m"`
}

func (v durationValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (durationValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if _, err := parseDuration(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid Duration", err.Error())
	}
}

func parseDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration: use a number with a unit, such as \"30s\" or \"2m\"", s)
	}
	if d <= 0 {
		return 0, fmt.Errorf("%q: the duration must be positive", s)
	}
	return d, nil
}

// relativeFileValidator accepts a clean relative file path inside a
// workspace, such as "AGENTS.md" or "today.md".
type relativeFileValidator struct{}

func (relativeFileValidator) Description(context.Context) string {
	return `value must be a relative file path without ".." or empty segments, such as "AGENTS.md"`
}

func (v relativeFileValidator) MarkdownDescription(ctx context.Context) string {
	return "value must be a relative file path without `..` or empty segments, such as `AGENTS.md`"
}

func (relativeFileValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if err := checkRelativeFile(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid Workspace File Name", err.Error())
	}
}

func checkRelativeFile(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("the file name is empty")
	case len(name) > 255:
		return fmt.Errorf("%q is longer than 255 bytes", name)
	case strings.HasPrefix(name, "/"):
		return fmt.Errorf("%q is absolute; name a file relative to the workspace, such as \"AGENTS.md\"", name)
	case strings.ContainsAny(name, "\\\x00\n\r\t"):
		return fmt.Errorf("%q contains a backslash or control character", name)
	case path.Clean(name) != name || strings.HasPrefix(name, "../") || name == ".." || name == ".":
		return fmt.Errorf("%q is not a clean relative path inside the workspace (no \"..\", \".\" or empty segments)", name)
	}
	return nil
}

// absoluteCommandValidator accepts a sudoers command line that starts with
// an absolute path, as sudoers requires.
type absoluteCommandValidator struct{}

func (absoluteCommandValidator) Description(context.Context) string {
	return "value must be a command line starting with an absolute path, without newlines"
}

func (v absoluteCommandValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (absoluteCommandValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	cmd := req.ConfigValue.ValueString()
	switch {
	case !strings.HasPrefix(cmd, "/"):
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid Sudo Command",
			fmt.Sprintf("%q does not start with an absolute path. sudoers matches commands by absolute path, e.g. \"/usr/bin/systemctl restart nginx\".", cmd))
	case strings.ContainsAny(cmd, "\n\r\x00"):
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid Sudo Command",
			fmt.Sprintf("%q contains a newline or NUL; give one command per list element.", cmd))
	}
}

// maxBudgetUSD is the largest monthly budget the executor accepts.
const maxBudgetUSD = 1e9

// budgetUSDValidator accepts a monthly budget the executor accepts: more
// than 0 and at most maxBudgetUSD. float64validator has no strict lower
// bound, and a budget of 0 would suspend a tenant before its first turn.
type budgetUSDValidator struct{}

func (budgetUSDValidator) Description(context.Context) string {
	return fmt.Sprintf("value must be greater than 0 and at most %g", float64(maxBudgetUSD))
}

func (v budgetUSDValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (v budgetUSDValidator) ValidateFloat64(ctx context.Context, req validator.Float64Request, resp *validator.Float64Response) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if usd := req.ConfigValue.ValueFloat64(); !(usd > 0) || usd > maxBudgetUSD { // +Inf too
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid Budget",
			fmt.Sprintf("Attribute %s %s, got: %g. Give the monthly budget in USD, e.g. 200.", req.Path, v.Description(ctx), usd))
	}
}
