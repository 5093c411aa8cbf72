package usage

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
)

// MaxTokens caps one token count of one message. It is JavaScript's
// Number.MAX_SAFE_INTEGER, the same cap OpenClaw applies when it normalises
// usage, so a hostile or corrupt value cannot overflow a sum of a few records.
const MaxTokens = 1<<53 - 1

// Tokens are the token counts of one assistant message, or a sum of them.
// Input excludes cache reads and writes, as OpenClaw records it.
type Tokens struct {
	Input      int64
	Output     int64
	CacheRead  int64
	CacheWrite int64
	// Total is usage.totalTokens as recorded, or the sum of the four counts
	// when the record has none.
	Total int64
}

// Billable reports whether any of the four priced counts is above zero.
func (t Tokens) Billable() bool {
	return t.Input > 0 || t.Output > 0 || t.CacheRead > 0 || t.CacheWrite > 0
}

// add sums field by field, saturating at math.MaxInt64.
func (t *Tokens) add(u Tokens) {
	t.Input = satAdd(t.Input, u.Input)
	t.Output = satAdd(t.Output, u.Output)
	t.CacheRead = satAdd(t.CacheRead, u.CacheRead)
	t.CacheWrite = satAdd(t.CacheWrite, u.CacheWrite)
	t.Total = satAdd(t.Total, u.Total)
}

// StopReasonError is message.stopReason of a failed model turn.
const StopReasonError = "error"

// Event is the usage-relevant part of one OpenClaw assistant message event.
type Event struct {
	// ID is the event id (a UUID in OpenClaw 2026.9.6), "" if the event has none.
	ID string
	// Time is message.timestamp (epoch ms, end of the model call) or, when
	// that is missing or invalid, the event's ISO timestamp. It is the zero
	// time when neither is usable; readers then fall back or reject the event.
	Time       time.Time
	Provider   string
	Model      string
	StopReason string
	Tokens     Tokens
	// Cost is usage.cost.total in USD as recorded; 0 when absent, negative
	// or not a finite number.
	Cost float64
	// CostOrigin is usage.cost.totalOrigin ("provider-billed" when the
	// provider's own figure replaced the computed total), "" if absent.
	CostOrigin string
}

// Failed reports whether the model turn failed (stopReason "error").
func (e Event) Failed() bool { return e.StopReason == StopReasonError }

// ErrMalformed is wrapped by every error ParseEvent returns.
var ErrMalformed = errors.New("malformed event")

// ParseEvent decodes one transcript event: a row's event_json, a decompressed
// event_zstd, or one JSONL line. The outcomes are:
//
//   - (ev, true, nil): an event of type "message" whose message has role
//     "assistant" and a usage object; one billable model turn, failed turns
//     included.
//   - (Event{}, false, nil): well-formed JSON that is not such an event (a
//     session header, a user message, an assistant message without usage).
//   - (Event{}, false, err): err wraps ErrMalformed: not valid JSON (the
//     whole event is checked, as json.Valid does), not an object, or an
//     assistant message whose usage is present but not an object.
//
// Keys match exactly and a repeated key keeps its last value, as in
// OpenClaw's JSON.parse; values of the wrong type count as absent.
// Token counts follow OpenClaw's normaliser: the first present alias wins
// (input, inputTokens, input_tokens, promptTokens, prompt_tokens, ...), a
// value that is not a finite number counts as absent, negatives become 0,
// fractions are truncated and counts are capped at MaxTokens. OpenAI-style
// prompt totals that include cached tokens have the cache reads subtracted.
func ParseEvent(data []byte) (Event, bool, error) {
	f, err := walkEvent(data)
	if err != nil {
		return Event{}, false, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	var typ, role str
	typ.parse(f.typ)
	if typ.s != "message" || !f.msgIsObj {
		return Event{}, false, nil
	}
	m := &f.msg
	if role.parse(m.role); role.s != "assistant" {
		return Event{}, false, nil
	}
	if len(m.usage) == 0 || string(m.usage) == "null" {
		return Event{}, false, nil
	}
	if m.usage[0] != '{' {
		return Event{}, false, fmt.Errorf("%w: message.usage is not an object", ErrMalformed)
	}
	u := decodeUsage(m.usage)
	var id, provider, model, stop, iso str
	var ms num
	id.parse(f.id)
	iso.parse(f.timestamp)
	provider.parse(m.provider)
	model.parse(m.model)
	stop.parse(m.stopReason)
	ms.parse(m.timestamp)
	ev := Event{
		ID:         id.s,
		Time:       eventTime(ms, iso),
		Provider:   provider.s,
		Model:      model.s,
		StopReason: stop.s,
		Tokens:     u.tokens(),
	}
	if c := u.Cost; c != nil {
		if c.Total.ok && c.Total.v > 0 {
			ev.Cost = c.Total.v
		}
		ev.CostOrigin = c.TotalOrigin.s
	}
	return ev, true, nil
}

// minTime and maxTime bound the timestamps accepted as a message time.
var (
	minTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
)

func eventTime(ms num, iso str) time.Time {
	if ms.ok && ms.v >= float64(minTime.UnixMilli()) && ms.v <= float64(maxTime.UnixMilli()) {
		return time.UnixMilli(int64(ms.v)).UTC()
	}
	if iso.s != "" {
		if t, err := time.Parse(time.RFC3339Nano, iso.s); err == nil && validTime(t) {
			return t.UTC()
		}
	}
	return time.Time{}
}

func validTime(t time.Time) bool { return !t.Before(minTime) && !t.After(maxTime) }

// rawUsage holds usage's counts under each alias OpenClaw accepts
// (src/agents/usage.ts).
type rawUsage struct {
	Input, InputTokens, InputTokensSnake, PromptTokens, PromptTokensSnake, PromptN         num
	Output, OutputTokens, OutputTokensSnake, CompletionTokens, CompletionSnake, PredictedN num
	CacheRead, CacheReadSnake, CacheReadInput, CachedTokens                                num
	CacheWrite, CacheWriteSnake, CacheCreationInput                                        num
	Total, TotalTokens, TotalTokensSnake                                                   num
	InputTokensDetails, PromptTokensDetails, Timings                                       *rawDetail
	Cost                                                                                   *rawCost
}

type rawDetail struct {
	CachedTokens, PromptN, PredictedN num
}

type rawCost struct {
	Total       num
	TotalOrigin str
}

// tokens mirrors OpenClaw's normalizeUsage (src/agents/usage.ts).
func (u *rawUsage) tokens() Tokens {
	cacheRead := first(u.CacheRead, u.CacheReadSnake, u.CacheReadInput, u.CachedTokens,
		cached(u.InputTokensDetails),
		cached(u.PromptTokensDetails))
	input := first(u.Input, u.InputTokens, u.InputTokensSnake, u.PromptTokens, u.PromptTokensSnake,
		u.PromptN, timing(u.Timings, false))
	// OpenAI-style prompt totals include the cached tokens reported beside
	// them; subtract so Input is uncached input, as OpenClaw stores it.
	openAIStyle := u.CachedTokens.set ||
		cached(u.InputTokensDetails).set ||
		cached(u.PromptTokensDetails).set
	if input.ok && openAIStyle && cacheRead.ok {
		input.v -= float64(tokenCount(cacheRead))
	}
	t := Tokens{
		Input: tokenCount(input),
		Output: tokenCount(first(u.Output, u.OutputTokens, u.OutputTokensSnake, u.CompletionTokens,
			u.CompletionSnake, u.PredictedN, timing(u.Timings, true))),
		CacheRead:  tokenCount(cacheRead),
		CacheWrite: tokenCount(first(u.CacheWrite, u.CacheWriteSnake, u.CacheCreationInput)),
	}
	if total := first(u.Total, u.TotalTokens, u.TotalTokensSnake); total.ok {
		t.Total = tokenCount(total)
	} else {
		t.Total = min(t.Input+t.Output+t.CacheRead+t.CacheWrite, MaxTokens)
	}
	return t
}

// first returns the first value that is present and not null, like a chain
// of JavaScript ?? operators; it may still be invalid (not a number).
func first(vs ...num) num {
	for _, v := range vs {
		if v.set {
			return v
		}
	}
	return num{}
}

// tokenCount normalises one count: invalid or absent is 0, negatives are 0,
// fractions are truncated, and the result is at most MaxTokens.
func tokenCount(n num) int64 {
	if !n.ok || n.v <= 0 {
		return 0
	}
	if n.v >= MaxTokens {
		return MaxTokens
	}
	return int64(n.v)
}

// num is a leniently read JSON value that should be a number: set when
// present and not null, ok when it is a finite number.
type num struct {
	v   float64
	set bool
	ok  bool
}

// parse reads a raw JSON value (nil: absent).
func (n *num) parse(b []byte) {
	*n = num{}
	if len(b) == 0 || string(b) == "null" {
		return
	}
	n.set = true
	if c := b[0]; c != '-' && (c < '0' || c > '9') {
		return
	}
	// ParseFloat returns ±Inf with ErrRange for 1e400; JavaScript parses
	// that as Infinity, which OpenClaw treats as absent.
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return
	}
	n.v, n.ok = v, true
}

// str is a leniently read JSON value that should be a string; any other
// type leaves it empty.
type str struct{ s string }

// parse reads a raw JSON value (nil: absent).
func (s *str) parse(b []byte) {
	s.s = ""
	if len(b) < 2 || b[0] != '"' {
		return
	}
	if bytes.IndexByte(b, '\\') < 0 {
		s.s = string(b[1 : len(b)-1])
		return
	}
	var v string
	if json.Unmarshal(b, &v) == nil {
		s.s = v
	}
}

func cached(d *rawDetail) num {
	if d == nil {
		return num{}
	}
	return d.CachedTokens
}

func timing(d *rawDetail, predicted bool) num {
	switch {
	case d == nil:
		return num{}
	case predicted:
		return d.PredictedN
	}
	return d.PromptN
}

// satAdd adds two non-negative counts, saturating at math.MaxInt64.
func satAdd(a, b int64) int64 {
	if b > 0 && a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}
