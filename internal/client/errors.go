package client

import (
	"errors"
	"fmt"
)

// UnreachableError means no connection to the executor could be made, so no
// request reached it: the socket is missing, refused the connection, or is
// not accessible, or the TCP dial failed.
type UnreachableError struct {
	Endpoint string
	Err      error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("cannot reach the executor at %s: %v", e.Endpoint, e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// dialError marks an error from dialing, before any byte of a request was
// written. Only such errors are safe to retry for every method.
type dialError struct{ err error }

func (e *dialError) Error() string { return e.err.Error() }
func (e *dialError) Unwrap() error { return e.err }

func isDialError(err error) bool {
	var d *dialError
	return errors.As(err, &d)
}
