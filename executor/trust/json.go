package trust

import (
	"bytes"
	"encoding/json"
)

// strictJSON decodes b into v refusing unknown fields.
func strictJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}
