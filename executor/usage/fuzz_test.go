package usage

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzParseEvent checks that no input panics the parser, that what it
// accepts is sane (counts in range, a finite non-negative cost, a valid
// time), and that it agrees with referenceParse, a slow decoder built on
// encoding/json, on validity and on every field.
func FuzzParseEvent(f *testing.F) {
	for _, s := range []string{
		`{"type":"message","id":"6c25a507","parentId":"4e6d","timestamp":"2026-12-04T16:09:46.477Z","message":{"role":"assistant","content":[{"type":"text","text":"Hello \"x\" \u00e9"}],"api":"openai-completions","provider":"fake","model":"fake-model-1","usage":{"input":1034,"output":56,"cacheRead":200,"cacheWrite":0,"reasoningTokens":0,"totalTokens":1290,"cost":{"input":0.003102,"output":0.00084,"cacheRead":0.00006,"cacheWrite":0,"total":0.004002,"totalOrigin":"provider-billed"}},"stopReason":"stop","timestamp":1796400586280,"__openclaw":{"runId":"r"}}}`,
		`{"type":"message","timestamp":"2026-01-01T00:00:00Z","message":{"role":"assistant","usage":{"prompt_tokens":100,"completion_tokens":20,"prompt_tokens_details":{"cached_tokens":300},"timings":{"prompt_n":1}}}}`,
		`{"type":"message","message":{"role":"assistant","usage":{"input":-1e308,"output":1e400,"cost":{"total":1e308}},"timestamp":1e13}}`,
		`{"type":"message","message":{"role":"assistant","usage":[]}}`,
		`{"typ\u0065":"message","message":{"role":"assistant","usage":{"input":1},"usage":null}}`,
		`{"type":"message","message":"x","message":{"role":"assistant","usage":{}}}`,
		`{"type":"session","id":"s"}`,
		`{`, `null`, `"x"`, ` {"a":[1,2,{"b":null}]} `, "{\"a\":\"\x01\"}", `{"a":1}x`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ev, ok, err := ParseEvent(data)
		want, wantOK, wantMalformed := referenceParse(data)
		if (err != nil) != wantMalformed {
			t.Fatalf("malformed: got %v, reference %v", err, wantMalformed)
		}
		if err != nil {
			if ok || !errors.Is(err, ErrMalformed) {
				t.Fatalf("ok=%v err=%v", ok, err)
			}
			return
		}
		if ok != wantOK {
			t.Fatalf("ok: got %v, reference %v", ok, wantOK)
		}
		if diff := cmp.Diff(want, ev); diff != "" {
			t.Fatalf("event (-reference +got):\n%s", diff)
		}
		if !ok {
			return
		}
		for _, n := range []int64{ev.Tokens.Input, ev.Tokens.Output, ev.Tokens.CacheRead, ev.Tokens.CacheWrite, ev.Tokens.Total} {
			if n < 0 || n > MaxTokens {
				t.Fatalf("token count %d out of range: %+v", n, ev.Tokens)
			}
		}
		if ev.Cost < 0 || math.IsNaN(ev.Cost) || math.IsInf(ev.Cost, 0) {
			t.Fatalf("cost %v", ev.Cost)
		}
		if !ev.Time.IsZero() && !validTime(ev.Time) {
			t.Fatalf("time %v", ev.Time)
		}
	})
}

// referenceParse decodes an event with encoding/json: maps keep keys exactly
// and the last of repeated keys, as JSON.parse does.
func referenceParse(data []byte) (ev Event, ok, malformed bool) {
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if !json.Valid(data) || len(trimmed) == 0 || trimmed[0] != '{' {
		return Event{}, false, true
	}
	var top map[string]json.RawMessage
	if json.Unmarshal(data, &top) != nil {
		return Event{}, false, true
	}
	var typ, role str
	typ.parse(top["type"])
	msg := top["message"]
	if typ.s != "message" || len(msg) == 0 || msg[0] != '{' {
		return Event{}, false, false
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(msg, &m) != nil {
		return Event{}, false, true
	}
	if role.parse(m["role"]); role.s != "assistant" {
		return Event{}, false, false
	}
	raw := m["usage"]
	if len(raw) == 0 || string(raw) == "null" {
		return Event{}, false, false
	}
	if raw[0] != '{' {
		return Event{}, false, true
	}
	var um map[string]json.RawMessage
	if json.Unmarshal(raw, &um) != nil {
		return Event{}, false, true
	}
	var u rawUsage
	for k, p := range map[string]*num{
		"input": &u.Input, "inputTokens": &u.InputTokens, "input_tokens": &u.InputTokensSnake,
		"promptTokens": &u.PromptTokens, "prompt_tokens": &u.PromptTokensSnake, "prompt_n": &u.PromptN,
		"output": &u.Output, "outputTokens": &u.OutputTokens, "output_tokens": &u.OutputTokensSnake,
		"completionTokens": &u.CompletionTokens, "completion_tokens": &u.CompletionSnake, "predicted_n": &u.PredictedN,
		"cacheRead": &u.CacheRead, "cache_read": &u.CacheReadSnake, "cache_read_input_tokens": &u.CacheReadInput,
		"cached_tokens": &u.CachedTokens, "cacheWrite": &u.CacheWrite, "cache_write": &u.CacheWriteSnake,
		"cache_creation_input_tokens": &u.CacheCreationInput, "total": &u.Total, "totalTokens": &u.TotalTokens,
		"total_tokens": &u.TotalTokensSnake,
	} {
		p.parse(um[k])
	}
	detail := func(raw json.RawMessage) *rawDetail {
		var dm map[string]json.RawMessage
		if len(raw) == 0 || raw[0] != '{' || json.Unmarshal(raw, &dm) != nil {
			return nil
		}
		d := &rawDetail{}
		d.CachedTokens.parse(dm["cached_tokens"])
		d.PromptN.parse(dm["prompt_n"])
		d.PredictedN.parse(dm["predicted_n"])
		return d
	}
	u.InputTokensDetails = detail(um["input_tokens_details"])
	u.PromptTokensDetails = detail(um["prompt_tokens_details"])
	u.Timings = detail(um["timings"])
	var cm map[string]json.RawMessage
	if c := um["cost"]; len(c) > 0 && c[0] == '{' && json.Unmarshal(c, &cm) == nil {
		u.Cost = &rawCost{}
		u.Cost.Total.parse(cm["total"])
		u.Cost.TotalOrigin.parse(cm["totalOrigin"])
	}

	var id, provider, model, stop, iso str
	var ms num
	id.parse(top["id"])
	iso.parse(top["timestamp"])
	provider.parse(m["provider"])
	model.parse(m["model"])
	stop.parse(m["stopReason"])
	ms.parse(m["timestamp"])
	ev = Event{ID: id.s, Time: eventTime(ms, iso), Provider: provider.s, Model: model.s, StopReason: stop.s, Tokens: u.tokens()}
	if u.Cost != nil {
		if u.Cost.Total.ok && u.Cost.Total.v > 0 {
			ev.Cost = u.Cost.Total.v
		}
		ev.CostOrigin = u.Cost.TotalOrigin.s
	}
	return ev, true, false
}
