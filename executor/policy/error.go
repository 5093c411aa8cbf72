package policy

import (
	"errors"
	"fmt"
	"sort"

	"github.com/hashicorp/hcl/v2"
)

// Sentinel errors of policy files. Every *Error wraps exactly one of them.
var (
	ErrNotFound  = errors.New("policy file not found")
	ErrSyntax    = errors.New("invalid syntax")
	ErrUnknown   = errors.New("unknown setting")
	ErrDuplicate = errors.New("set more than once")
	ErrType      = errors.New("wrong type")
	ErrMissing   = errors.New("is required")

	ErrAction      = errors.New("unknown step kind")
	ErrPattern     = errors.New("must be a valid regular expression anchored with ^ and $")
	ErrEnvironment = errors.New("unknown environment")
	ErrPath        = errors.New("must be an absolute, clean path")
	ErrUIDMin      = errors.New("must be at least 1000")
	ErrPortRange   = errors.New("must be within 1024..65535")
	ErrMinMax      = errors.New("must be at least min (ports: min+4)")
	ErrGlob        = errors.New("must be a valid glob pattern")
	ErrVerb        = errors.New("must be a systemctl verb like \"restart\"")
	ErrSHA256      = errors.New("must be 64 lowercase hex digits")
	ErrSudoPattern = errors.New("must be an absolute command line of single-space separated words")
	ErrApprovals   = errors.New("must be a whole number within 0..16")

	// ErrUnpinned and ErrPinMismatch are reported by Verify, not by Parse:
	// an unpinned policy parses (so that Pin can fill it) but must not serve.
	ErrUnpinned    = errors.New("command is not pinned; run: missioncontrol-executor policy pin --write FILE")
	ErrPinMismatch = errors.New("sha256 does not match the file on this host")
)

// Error is one problem with a policy file. It prints like
//
//	policy.hcl:9,3: uids.min: must be at least 1000 (got 0)
//
// Range is where the offending setting was written, Field its dotted name
// (commands are `command["/usr/sbin/useradd"].sha256`), Value the offending
// value as HCL would write it, and Err one of the sentinels of this package.
type Error struct {
	Range hcl.Range
	Field string
	Value string
	Err   error
}

func (e *Error) Error() string {
	var msg string
	switch {
	case e.Range.Filename != "" && e.Range.Start.Line > 0:
		msg = fmt.Sprintf("%s:%d,%d: ", e.Range.Filename, e.Range.Start.Line, e.Range.Start.Column)
	case e.Range.Filename != "":
		msg = e.Range.Filename + ": "
	}
	if e.Field != "" {
		msg += e.Field + ": "
	}
	if e.Err != nil {
		msg += e.Err.Error()
	}
	if e.Value != "" {
		msg += " (got " + e.Value + ")"
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// diagErrors turns HCL diagnostics into *Errors wrapping ErrSyntax.
func diagErrors(diags hcl.Diagnostics, field string) []error {
	var errs []error
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		text := d.Summary
		if d.Detail != "" {
			text += "; " + d.Detail
		}
		e := &Error{Field: field, Err: fmt.Errorf("%w: %s", ErrSyntax, text)}
		if d.Subject != nil {
			e.Range = *d.Subject
		}
		errs = append(errs, e)
	}
	return errs
}

// joinSorted joins errs ordered by position so that output is stable.
func joinSorted(errs []error) error {
	sort.SliceStable(errs, func(i, j int) bool {
		var a, b *Error
		errors.As(errs[i], &a)
		errors.As(errs[j], &b)
		if a == nil || b == nil {
			return false
		}
		return a.Range.Start.Byte < b.Range.Start.Byte
	})
	return errors.Join(errs...)
}
