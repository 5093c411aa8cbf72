package api

import (
	"errors"
	"fmt"
	"net/http"
)

// Code is a stable, machine-readable error code.
type Code string

const (
	CodeInvalidRequest Code = "invalid_request" // malformed body or spec; Field says where
	CodePolicyDenied   Code = "policy_denied"   // a step or value is not allowed; Rule says which
	CodePlanChanged    Code = "plan_changed"    // re-planning gave another digest
	CodeNotFound       Code = "not_found"
	CodeConflict       Code = "conflict" // e.g. the tenant is busy with another job
	CodeUnauthorized   Code = "unauthorized"
	CodeForbidden      Code = "forbidden"
	CodeAuditFailed    Code = "audit_failed" // the audit record could not be written; nothing ran
	CodeInternal       Code = "internal"
)

// Error is the body of every non-2xx answer.
type Error struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
	// Field is the offending spec field in JSON-path-like form, e.g.
	// "tenant.gateway_port" or "workspaces[0].name", when known.
	Field string `json:"field,omitempty"`
	// Rule is the policy rule that decided a denial, e.g. "ports.range".
	Rule string `json:"rule,omitempty"`
	// Value is the offending value, quoted as received.
	Value string `json:"value,omitempty"`
	// Status is the HTTP status; not sent on the wire.
	Status int `json:"-"`
}

func (e *Error) Error() string {
	msg := string(e.Code) + ": " + e.Message
	if e.Field != "" {
		msg += " (field " + e.Field + ")"
	}
	if e.Rule != "" {
		msg += " (rule " + e.Rule + ")"
	}
	return msg
}

// HTTPStatus maps the code to the status the server answers with.
func (e *Error) HTTPStatus() int {
	if e.Status != 0 {
		return e.Status
	}
	switch e.Code {
	case CodeInvalidRequest:
		return http.StatusBadRequest
	case CodePolicyDenied, CodeForbidden:
		return http.StatusForbidden
	case CodeUnauthorized:
		return http.StatusUnauthorized
	case CodeNotFound:
		return http.StatusNotFound
	case CodePlanChanged, CodeConflict:
		return http.StatusConflict
	}
	return http.StatusInternalServerError
}

// Errorf builds an *Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// IsCode reports whether err is (or wraps) an *Error with the code.
func IsCode(err error, code Code) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}
