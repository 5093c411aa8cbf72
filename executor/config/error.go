package config

import (
	"errors"
	"fmt"

	"github.com/hashicorp/hcl/v2"
)

// Sentinel errors. Every *Error wraps exactly one of them.
var (
	ErrNotFound  = errors.New("config file not found")
	ErrSyntax    = errors.New("invalid syntax")
	ErrUnknown   = errors.New("unknown setting")
	ErrDuplicate = errors.New("set more than once")
	ErrType      = errors.New("wrong type")

	ErrPath           = errors.New("must be an absolute, clean path")
	ErrRootDir        = errors.New(`must not be "/"`)
	ErrHostID         = errors.New("must be 1-128 letters, digits, '.', '_', ':' or '-'")
	ErrMode           = errors.New(`must be an octal permission string like "0660"`)
	ErrModeOthers     = errors.New("must not grant any access to others")
	ErrGroup          = errors.New("must be a unix group name")
	ErrUIDMin         = errors.New("must be at least 1000")
	ErrUIDMax         = errors.New("must be at least uid_min and below 65534")
	ErrPortRange      = errors.New("must be within 1024..65535")
	ErrPortSpan       = errors.New("must be at least port_min+4")
	ErrPortStride     = errors.New("must be 20")
	ErrUnitTemplate   = errors.New(`must be a template unit name ending in "@.service"`)
	ErrCommand        = errors.New("must be an argv with an absolute, clean path first and no NUL or newline")
	ErrReadiness      = errors.New(`must be "http" or "none"`)
	ErrReadyTimeout   = errors.New("must be 1..3600 seconds")
	ErrEgress         = errors.New(`must be "localhost" or "any"`)
	ErrRuntimeVersion = errors.New("must be a version like 2026.9.6")

	ErrDuration          = errors.New(`must be a duration like "15s" or "2m"`)
	ErrHealthInterval    = errors.New("must be 1s..1h")
	ErrProbeTimeout      = errors.New("must be positive and shorter than health.interval")
	ErrProbeCount        = errors.New("must be 1..100 probes")
	ErrCrashLoopRestarts = errors.New("must be 2..100 restarts")
	ErrCrashLoopWindow   = errors.New("must be at least health.interval")
)

// Error is one problem with a configuration file. It prints like
//
//	executor.hcl:12,3: tenants.port_stride: must be 20 (got 10)
//
// Range is where the offending setting was written; it is the zero Range for
// a problem with a value that did not come from a file. Field is the dotted
// setting name ("tenants.port_stride"), Value the offending value as HCL would
// write it, and Err one of the sentinel errors of this package.
type Error struct {
	Range hcl.Range
	Field string
	Value string
	Err   error
}

func (e *Error) Error() string {
	return formatError(e.Range, e.Field, e.Value, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

func formatError(rng hcl.Range, field, value string, err error) string {
	var msg string
	switch {
	case rng.Filename != "" && rng.Start.Line > 0:
		msg = fmt.Sprintf("%s:%d,%d: ", rng.Filename, rng.Start.Line, rng.Start.Column)
	case rng.Filename != "":
		msg = rng.Filename + ": "
	}
	if field != "" {
		msg += field + ": "
	}
	if err != nil {
		msg += err.Error()
	}
	if value != "" {
		msg += " (got " + value + ")"
	}
	return msg
}

// diagErrors turns HCL diagnostics into *Errors wrapping ErrSyntax.
func diagErrors(diags hcl.Diagnostics, field string) []error {
	var errs []error
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		e := &Error{Field: field, Err: fmt.Errorf("%w: %s", ErrSyntax, diagText(d))}
		if d.Subject != nil {
			e.Range = *d.Subject
		}
		errs = append(errs, e)
	}
	return errs
}

func diagText(d *hcl.Diagnostic) string {
	if d.Detail == "" {
		return d.Summary
	}
	return d.Summary + "; " + d.Detail
}
