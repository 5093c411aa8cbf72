package usage

import (
	"encoding/json"
	"errors"
)

// This file is a strict, single-pass JSON walker for transcript events. It
// validates the whole event (RFC 8259 grammar, the same as json.Valid,
// including its nesting limit) and keeps only the raw values ParseEvent needs,
// without building anything for the rest: most of an event's bytes are
// message content that is skipped. Keys match exactly, like JavaScript's
// JSON.parse, and a repeated key keeps its last value.

// maxDepth is encoding/json's nesting limit.
const maxDepth = 10000

var (
	errSyntax = errors.New("invalid JSON")
	errDepth  = errors.New("JSON nested too deeply")
)

// eventFields are the raw values of an event's interesting keys; nil when
// absent. For message, msg holds the fields when it is an object.
type eventFields struct {
	typ, id, timestamp []byte
	hasMsg, msgIsObj   bool
	msg                msgFields
}

type msgFields struct {
	role, provider, model, stopReason, timestamp, usage []byte
}

type walker struct {
	b     []byte
	i     int
	depth int
	err   error
}

// walkEvent validates data as one JSON object and returns its fields.
func walkEvent(data []byte) (eventFields, error) {
	w := walker{b: data}
	var ev eventFields
	w.ws()
	if w.i >= len(w.b) || w.b[w.i] != '{' {
		return ev, errors.New("not a JSON object")
	}
	w.object(func(key []byte) {
		switch string(key) {
		case "type":
			ev.typ = w.value()
		case "id":
			ev.id = w.value()
		case "timestamp":
			ev.timestamp = w.value()
		case "message":
			ev.hasMsg = true
			if w.i < len(w.b) && w.b[w.i] == '{' {
				ev.msgIsObj, ev.msg = true, w.message()
			} else {
				ev.msgIsObj, ev.msg = false, msgFields{}
				w.value()
			}
		default:
			w.value()
		}
	})
	if w.err == nil {
		w.ws()
		if w.i != len(w.b) {
			w.fail(errSyntax)
		}
	}
	return ev, w.err
}

func (w *walker) message() msgFields {
	var m msgFields
	w.object(func(key []byte) {
		switch string(key) {
		case "role":
			m.role = w.value()
		case "provider":
			m.provider = w.value()
		case "model":
			m.model = w.value()
		case "stopReason":
			m.stopReason = w.value()
		case "timestamp":
			m.timestamp = w.value()
		case "usage":
			m.usage = w.value()
		default:
			w.value()
		}
	})
	return m
}

// unescapeKey decodes a key that contains escapes (rare: OpenClaw writes
// plain keys).
func unescapeKey(raw []byte) []byte {
	var s string
	if json.Unmarshal(append(append([]byte{'"'}, raw...), '"'), &s) != nil {
		return nil
	}
	return []byte(s)
}

func (w *walker) fail(err error) {
	if w.err == nil {
		w.err = err
	}
	w.i = len(w.b)
}

func (w *walker) ws() {
	for w.i < len(w.b) {
		switch w.b[w.i] {
		case ' ', '\t', '\n', '\r':
			w.i++
		default:
			return
		}
	}
}

// value skips one value after optional whitespace and returns its bytes
// (nil on error).
func (w *walker) value() []byte {
	w.ws()
	if w.i >= len(w.b) {
		w.fail(errSyntax)
		return nil
	}
	start := w.i
	switch c := w.b[w.i]; {
	case c == '{':
		w.object(func([]byte) { w.value() })
	case c == '[':
		w.array()
	case c == '"':
		w.str()
	case c == '-' || (c >= '0' && c <= '9'):
		w.number()
	case c == 't':
		w.literal("true")
	case c == 'f':
		w.literal("false")
	case c == 'n':
		w.literal("null")
	default:
		w.fail(errSyntax)
	}
	if w.err != nil {
		return nil
	}
	return w.b[start:w.i]
}

// object walks an object at w.i, calling field with each key (unquoted and
// unescaped) with w.i before the value; field must consume the value.
func (w *walker) object(field func(key []byte)) {
	if w.depth++; w.depth > maxDepth {
		w.fail(errDepth)
		return
	}
	w.i++ // {
	w.ws()
	if w.i < len(w.b) && w.b[w.i] == '}' {
		w.i++
		w.depth--
		return
	}
	for w.err == nil {
		w.ws()
		if w.i >= len(w.b) || w.b[w.i] != '"' {
			w.fail(errSyntax)
			return
		}
		start := w.i + 1
		esc := w.str()
		if w.err != nil {
			return
		}
		key := w.b[start : w.i-1]
		if esc {
			key = unescapeKey(key)
		}
		w.ws()
		if w.i >= len(w.b) || w.b[w.i] != ':' {
			w.fail(errSyntax)
			return
		}
		w.i++
		field(key)
		if w.err != nil {
			return
		}
		w.ws()
		if w.i >= len(w.b) {
			w.fail(errSyntax)
			return
		}
		switch w.b[w.i] {
		case ',':
			w.i++
		case '}':
			w.i++
			w.depth--
			return
		default:
			w.fail(errSyntax)
			return
		}
	}
}

func (w *walker) array() {
	if w.depth++; w.depth > maxDepth {
		w.fail(errDepth)
		return
	}
	w.i++ // [
	w.ws()
	if w.i < len(w.b) && w.b[w.i] == ']' {
		w.i++
		w.depth--
		return
	}
	for w.err == nil {
		w.value()
		if w.err != nil {
			return
		}
		w.ws()
		if w.i >= len(w.b) {
			w.fail(errSyntax)
			return
		}
		switch w.b[w.i] {
		case ',':
			w.i++
		case ']':
			w.i++
			w.depth--
			return
		default:
			w.fail(errSyntax)
			return
		}
	}
}

// str skips a string at w.i (on its opening quote) and reports whether it
// contains escapes. Control characters must be escaped; other bytes,
// including invalid UTF-8, pass, as with encoding/json.
func (w *walker) str() (escaped bool) {
	b := w.b
	i := w.i + 1
	for i < len(b) {
		c := b[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			i++
			continue
		}
		switch c {
		case '"':
			w.i = i + 1
			return escaped
		case '\\':
			escaped = true
			if i+1 >= len(b) {
				w.fail(errSyntax)
				return
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) || !isHex(b[i+2]) || !isHex(b[i+3]) || !isHex(b[i+4]) || !isHex(b[i+5]) {
					w.fail(errSyntax)
					return
				}
				i += 6
			default:
				w.fail(errSyntax)
				return
			}
		default: // control character
			w.fail(errSyntax)
			return
		}
	}
	w.fail(errSyntax)
	return
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// number skips -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (w *walker) number() {
	b, i := w.b, w.i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		w.fail(errSyntax)
		return
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			w.fail(errSyntax)
			return
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			w.fail(errSyntax)
			return
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	w.i = i
}

func (w *walker) literal(lit string) {
	if len(w.b)-w.i < len(lit) || string(w.b[w.i:w.i+len(lit)]) != lit {
		w.fail(errSyntax)
		return
	}
	w.i += len(lit)
}

// usage decodes a validated usage object.
func decodeUsage(raw []byte) rawUsage {
	var u rawUsage
	w := walker{b: raw}
	w.object(func(key []byte) {
		switch string(key) {
		case "input":
			u.Input.parse(w.value())
		case "inputTokens":
			u.InputTokens.parse(w.value())
		case "input_tokens":
			u.InputTokensSnake.parse(w.value())
		case "promptTokens":
			u.PromptTokens.parse(w.value())
		case "prompt_tokens":
			u.PromptTokensSnake.parse(w.value())
		case "prompt_n":
			u.PromptN.parse(w.value())
		case "output":
			u.Output.parse(w.value())
		case "outputTokens":
			u.OutputTokens.parse(w.value())
		case "output_tokens":
			u.OutputTokensSnake.parse(w.value())
		case "completionTokens":
			u.CompletionTokens.parse(w.value())
		case "completion_tokens":
			u.CompletionSnake.parse(w.value())
		case "predicted_n":
			u.PredictedN.parse(w.value())
		case "cacheRead":
			u.CacheRead.parse(w.value())
		case "cache_read":
			u.CacheReadSnake.parse(w.value())
		case "cache_read_input_tokens":
			u.CacheReadInput.parse(w.value())
		case "cached_tokens":
			u.CachedTokens.parse(w.value())
		case "cacheWrite":
			u.CacheWrite.parse(w.value())
		case "cache_write":
			u.CacheWriteSnake.parse(w.value())
		case "cache_creation_input_tokens":
			u.CacheCreationInput.parse(w.value())
		case "total":
			u.Total.parse(w.value())
		case "totalTokens":
			u.TotalTokens.parse(w.value())
		case "total_tokens":
			u.TotalTokensSnake.parse(w.value())
		case "input_tokens_details":
			u.InputTokensDetails = w.detail()
		case "prompt_tokens_details":
			u.PromptTokensDetails = w.detail()
		case "timings":
			u.Timings = w.detail()
		case "cost":
			u.Cost = w.cost()
		default:
			w.value()
		}
	})
	return u
}

// detail decodes an optional nested object; anything else is absent.
func (w *walker) detail() *rawDetail {
	if w.ws(); w.i >= len(w.b) || w.b[w.i] != '{' {
		w.value()
		return nil
	}
	d := &rawDetail{}
	w.object(func(key []byte) {
		switch string(key) {
		case "cached_tokens":
			d.CachedTokens.parse(w.value())
		case "prompt_n":
			d.PromptN.parse(w.value())
		case "predicted_n":
			d.PredictedN.parse(w.value())
		default:
			w.value()
		}
	})
	return d
}

// cost decodes usage.cost; anything but an object is absent.
func (w *walker) cost() *rawCost {
	if w.ws(); w.i >= len(w.b) || w.b[w.i] != '{' {
		w.value()
		return nil
	}
	c := &rawCost{}
	w.object(func(key []byte) {
		switch string(key) {
		case "total":
			c.Total.parse(w.value())
		case "totalOrigin":
			c.TotalOrigin.parse(w.value())
		default:
			w.value()
		}
	})
	return c
}
