package usage_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/usage"
)

// A real assistant event from the acme fixture (agents/main, seq 5).
const realAssistant = `{"type":"message","id":"6c25a507-716b-401e-a6cb-a70c55d73644","parentId":"4e6d4476-847d-4f75-aff0-aeb40ffb95b5","timestamp":"2026-12-04T16:09:46.477Z","message":{"role":"assistant","content":[{"type":"text","text":"Hello from the fake LLM. (canned reply) #2"}],"api":"openai-completions","provider":"fake","model":"fake-model-1","usage":{"input":1034,"output":56,"cacheRead":200,"cacheWrite":0,"reasoningTokens":0,"totalTokens":1290,"cost":{"input":0.003102,"output":0.00084,"cacheRead":0.00006,"cacheWrite":0,"total":0.004002}},"stopReason":"stop","timestamp":1796400586280,"responseId":"chatcmpl-5701e830415c","__openclaw":{"runId":"chatcmpl_7bb0443f-dbc8-4ce1-9324-d93ade3d300e"}}}`

// msg wraps a message object in an event with an id and ISO timestamp.
func msg(message string) string {
	return `{"type":"message","id":"e1","timestamp":"2026-12-04T10:00:00.000Z","message":` + message + `}`
}

func TestParseEvent(t *testing.T) {
	t.Parallel()
	isoTime := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	testCases := map[string]struct {
		in        string
		want      usage.Event
		ok        bool
		malformed bool
	}{
		"real openai-completions event": {
			in: realAssistant,
			want: usage.Event{
				ID: "6c25a507-716b-401e-a6cb-a70c55d73644", Time: time.UnixMilli(1796400586280).UTC(),
				Provider: "fake", Model: "fake-model-1", StopReason: "stop",
				Tokens: usage.Tokens{Input: 1034, Output: 56, CacheRead: 200, Total: 1290},
				Cost:   0.004002,
			},
			ok: true,
		},
		"provider-billed cost keeps its origin": {
			in: msg(`{"role":"assistant","provider":"fake","model":"m","stopReason":"stop","timestamp":1796400591277,
				"usage":{"input":934,"output":56,"cacheRead":200,"cacheWrite":100,"totalTokens":1290,
				"cost":{"input":0.000934,"output":0.00028,"cacheRead":0.00002,"cacheWrite":0.000125,"total":0.0123,"totalOrigin":"provider-billed"}}}`),
			want: usage.Event{ID: "e1", Time: time.UnixMilli(1796400591277).UTC(), Provider: "fake", Model: "m", StopReason: "stop",
				Tokens: usage.Tokens{Input: 934, Output: 56, CacheRead: 200, CacheWrite: 100, Total: 1290}, Cost: 0.0123, CostOrigin: "provider-billed"},
			ok: true,
		},
		"failed turn with zero usage counts": {
			in: msg(`{"role":"assistant","content":[],"provider":"p","model":"m","stopReason":"error","errorMessage":"Connection error.",
				"usage":{"input":0,"output":0,"cacheRead":0,"cacheWrite":0,"totalTokens":0,"cost":{"input":0,"output":0,"cacheRead":0,"cacheWrite":0,"total":0}}}`),
			want: usage.Event{ID: "e1", Time: isoTime, Provider: "p", Model: "m", StopReason: "error"},
			ok:   true,
		},
		"anthropic aliases": {
			in: msg(`{"role":"assistant","usage":{"input_tokens":10,"output_tokens":5,"cache_read_input_tokens":7,"cache_creation_input_tokens":3}}`),
			want: usage.Event{ID: "e1", Time: isoTime,
				Tokens: usage.Tokens{Input: 10, Output: 5, CacheRead: 7, CacheWrite: 3, Total: 25}},
			ok: true,
		},
		"openai aliases subtract cached prompt tokens": {
			in: msg(`{"role":"assistant","usage":{"prompt_tokens":100,"completion_tokens":20,"total_tokens":120,"prompt_tokens_details":{"cached_tokens":30}}}`),
			want: usage.Event{ID: "e1", Time: isoTime,
				Tokens: usage.Tokens{Input: 70, Output: 20, CacheRead: 30, Total: 120}},
			ok: true,
		},
		"camelCase aliases": {
			in:   msg(`{"role":"assistant","usage":{"inputTokens":4,"outputTokens":2,"cache_read":1,"cache_write":1}}`),
			want: usage.Event{ID: "e1", Time: isoTime, Tokens: usage.Tokens{Input: 4, Output: 2, CacheRead: 1, CacheWrite: 1, Total: 8}},
			ok:   true,
		},
		"first present alias wins, even when invalid": {
			in:   msg(`{"role":"assistant","usage":{"input":"1034","input_tokens":99,"output":null,"output_tokens":7}}`),
			want: usage.Event{ID: "e1", Time: isoTime, Tokens: usage.Tokens{Output: 7, Total: 7}},
			ok:   true,
		},
		"negative, fractional and huge counts": {
			in: msg(`{"role":"assistant","usage":{"input":-5,"output":12.9,"cacheRead":1e300,"cacheWrite":1e400,"totalTokens":-1}}`),
			want: usage.Event{ID: "e1", Time: isoTime,
				Tokens: usage.Tokens{Output: 12, CacheRead: usage.MaxTokens}},
			ok: true,
		},
		"NaN-like and wrong-typed values": {
			in: msg(`{"role":"assistant","provider":7,"model":["x"],"stopReason":{},"usage":{"input":"NaN","output":true,"cacheRead":{},"cacheWrite":[1],
				"cost":{"total":"0.5"}}}`),
			want: usage.Event{ID: "e1", Time: isoTime},
			ok:   true,
		},
		"negative or NaN-like cost is no cost": {
			in:   msg(`{"role":"assistant","usage":{"input":1,"cost":{"total":-3}}}`),
			want: usage.Event{ID: "e1", Time: isoTime, Tokens: usage.Tokens{Input: 1, Total: 1}},
			ok:   true,
		},
		"cost that is not an object is no cost": {
			in:   msg(`{"role":"assistant","usage":{"input":1,"cost":0.5}}`),
			want: usage.Event{ID: "e1", Time: isoTime, Tokens: usage.Tokens{Input: 1, Total: 1}},
			ok:   true,
		},
		"empty usage object is a usage record": {
			in:   msg(`{"role":"assistant","usage":{}}`),
			want: usage.Event{ID: "e1", Time: isoTime},
			ok:   true,
		},
		"escaped strings": {
			in:   msg(`{"role":"assistant","provider":"a\"b","model":"m\u00e9","usage":{"input":1}}`),
			want: usage.Event{ID: "e1", Time: isoTime, Provider: `a"b`, Model: "mé", Tokens: usage.Tokens{Input: 1, Total: 1}},
			ok:   true,
		},
		"message timestamp out of range falls back to the event's": {
			in:   msg(`{"role":"assistant","timestamp":1e20,"usage":{"input":1}}`),
			want: usage.Event{ID: "e1", Time: isoTime, Tokens: usage.Tokens{Input: 1, Total: 1}},
			ok:   true,
		},
		"no usable timestamp leaves Time zero": {
			in:   `{"type":"message","timestamp":"yesterday","message":{"role":"assistant","timestamp":"1796400586280","usage":{"input":1}}}`,
			want: usage.Event{Tokens: usage.Tokens{Input: 1, Total: 1}},
			ok:   true,
		},
		"user message":                  {in: `{"type":"message","id":"u","message":{"role":"user","content":"hi"}}`},
		"assistant without usage":       {in: msg(`{"role":"assistant","content":[]}`)},
		"assistant with null usage":     {in: msg(`{"role":"assistant","usage":null}`)},
		"session header":                {in: `{"type":"session","version":4,"id":"s","timestamp":"2026-12-04T16:09:50.309Z","cwd":"/x"}`},
		"message that is not an object": {in: `{"type":"message","message":"hello","usage":{"input":5}}`},
		"type with the wrong type":      {in: `{"type":1,"message":{"role":"assistant","usage":{"input":1}}}`},
		"usage that is not an object":   {in: msg(`{"role":"assistant","usage":[1,2]}`), malformed: true},
		"usage string":                  {in: msg(`{"role":"assistant","usage":"lots"}`), malformed: true},
		"truncated line":                {in: realAssistant[:200], malformed: true},
		"not JSON":                      {in: `hello`, malformed: true},
		"array":                         {in: `[1,2]`, malformed: true},
		"empty":                         {in: ``, malformed: true},
		"trailing garbage":              {in: realAssistant + `}`, malformed: true},
	}
	for name, tc := range testCases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, ok, err := usage.ParseEvent([]byte(tc.in))
			if tc.malformed {
				if !errors.Is(err, usage.ErrMalformed) {
					t.Fatalf("err = %v, want ErrMalformed", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v", ok, tc.ok)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("event mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
