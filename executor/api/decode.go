package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// ErrTrailingData is returned by Decode when more follows the JSON value.
var ErrTrailingData = errors.New("trailing data after the JSON body")

// Decode reads exactly one JSON value from r into v, the way the executor
// reads every request body: fields v does not have are refused (a typo such
// as "gateway_prot" must not silently fall back to a default), and so is
// anything after the value. Outcomes: nil; an error from r (e.g.
// *http.MaxBytesError) wrapped; a JSON syntax, type or unknown-field error;
// or ErrTrailingData.
func Decode(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return errors.New("empty body: a JSON object is required")
		}
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		if err != nil && !isSyntax(err) {
			return err // the reader failed (size limit, timeout)
		}
		return ErrTrailingData
	}
	return nil
}

// DecodeBytes is Decode of b.
func DecodeBytes(b []byte, v any) error {
	if err := Decode(bytes.NewReader(b), v); err != nil {
		return fmt.Errorf("decode %T: %w", v, err)
	}
	return nil
}

func isSyntax(err error) bool {
	var se *json.SyntaxError
	return errors.As(err, &se)
}
