package usage_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/usage"
)

func sessionsDir(stateDir, agent string) string {
	return filepath.Join(stateDir, "agents", agent, "sessions")
}

// Each hostile line is scanned on its own, after a valid header and before
// a valid assistant message, so a bad line can neither hide its neighbours
// nor stop the scan.
func TestJSONLHostileLines(t *testing.T) {
	t.Parallel()
	good := assistantEvent(turn{id: "good", at: day0, provider: "fake", model: "m1", input: 1034, output: 56, cr: 200, cost: 0.004002})
	testCases := map[string]struct {
		line      string
		want      *usage.Tokens // nil: the line yields no record
		malformed int
	}{
		"valid": {
			line: assistantEvent(turn{id: "x", at: day0, provider: "fake", model: "m1", input: 10, output: 5, cr: 2, cw: 1, cost: 0.01}),
			want: &usage.Tokens{Input: 10, Output: 5, CacheRead: 2, CacheWrite: 1, Total: 18},
		},
		"legacy aliases": {
			line: `{"type":"message","id":"x","timestamp":"2026-12-04T16:00:00.000Z","message":{"role":"assistant","provider":"anthropic","model":"claude-sonnet-4-5","usage":{"input_tokens":100,"output_tokens":10,"cache_read_input_tokens":50,"cache_creation_input_tokens":5}}}`,
			want: &usage.Tokens{Input: 100, Output: 10, CacheRead: 50, CacheWrite: 5, Total: 165},
		},
		"truncated":              {line: good[:len(good)/2], malformed: 1},
		"truncated inside usage": {line: good[:strings.Index(good, `"usage"`)+20], malformed: 1},
		"wrong types": {
			line: msg(`{"role":"assistant","provider":1,"model":null,"usage":{"input":"1034","output":[56],"cacheRead":{"n":1},"cacheWrite":true,"totalTokens":"x"}}`),
			want: &usage.Tokens{},
		},
		"huge numbers": {
			line: msg(`{"role":"assistant","usage":{"input":1e300,"output":1e400,"cacheRead":123456789012345678901234567890,"cacheWrite":9223372036854775808}}`),
			want: &usage.Tokens{Input: usage.MaxTokens, CacheRead: usage.MaxTokens, CacheWrite: usage.MaxTokens, Total: usage.MaxTokens},
		},
		"negative tokens": {
			line: msg(`{"role":"assistant","usage":{"input":-1034,"output":-1,"cacheRead":-0.5,"cacheWrite":-1e300,"totalTokens":-7}}`),
			want: &usage.Tokens{},
		},
		"NaN-like strings": {
			line: msg(`{"role":"assistant","usage":{"input":"NaN","output":"Infinity","cacheRead":"-Infinity","cacheWrite":"1e3"}}`),
			want: &usage.Tokens{},
		},
		"bare NaN is not JSON":      {line: msg(`{"role":"assistant","usage":{"input":NaN}}`), malformed: 1},
		"bare Infinity is not JSON": {line: msg(`{"role":"assistant","usage":{"input":Infinity}}`), malformed: 1},
		"missing fields": {
			line: `{"type":"message","timestamp":"2026-12-04T16:00:00Z","message":{"role":"assistant","usage":{}}}`,
			want: &usage.Tokens{},
		},
		"no timestamp at all": {
			line:      `{"type":"message","id":"x","message":{"role":"assistant","usage":{"input":5}}}`,
			malformed: 1,
		},
		"usage not an object": {line: msg(`{"role":"assistant","usage":"1034"}`), malformed: 1},
		"not JSON":            {line: "\x00\xff\xfe garbage", malformed: 1},
		"JSON array":          {line: `[{"type":"message"}]`, malformed: 1},
		"JSON string":         {line: `"message"`, malformed: 1},
		"blank":               {line: "   \t"},
		"CRLF line end": {
			line: assistantEvent(turn{id: "x", at: day0, provider: "fake", model: "m1", input: 3, cost: 0.01}) + "\r",
			want: &usage.Tokens{Input: 3, Total: 3},
		},
		"long line crossing the read buffer": {
			line: assistantEvent(turn{id: "x", at: day0, provider: "fake", model: "m1", input: 7, cost: 0.01, text: strings.Repeat("long ", 200_000)}),
			want: &usage.Tokens{Input: 7, Total: 7},
		},
	}
	for name, tc := range testCases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			writeLines(t, filepath.Join(sessionsDir(dir, "main"), "s1.jsonl"), sessionHeader("s1", day0), tc.line, good)
			recs, _, rep := scanAll(t, usage.NewScanner(usage.Options{Now: testClock}), dir, usage.Cursor{})
			var got *usage.Tokens
			sawGood := false
			for _, r := range recs {
				if r.Key == "good" {
					sawGood = true
					continue
				}
				if got != nil {
					t.Fatalf("more than one record from the line: %+v", recs)
				}
				tok := r.Tokens
				got = &tok
			}
			if !sawGood {
				t.Fatalf("the valid line after it was lost: %+v", recs)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("tokens (-want +got):\n%s", diff)
			}
			if rep.Malformed() != tc.malformed || rep.Readable() != 1 {
				t.Errorf("malformed %d (want %d), report %+v", rep.Malformed(), tc.malformed, rep.Sources)
			}
		})
	}
}

// The life of a transcript: partial lines, appends, a reset archive, a
// truncation, a rewrite and a deleted archive without a final newline. Every
// message is counted once and every malformed line is reported once.
func TestJSONLIncremental(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sessions := sessionsDir(dir, "main")
	live := filepath.Join(sessions, "s1.jsonl")
	ev := func(i int) string {
		at := day0.Add(time.Duration(i) * time.Minute)
		return assistantEvent(turn{id: id("a", i), at: at, provider: "fake", model: "m1", input: int64(100 * i), output: 1, cost: 0.001})
	}
	s := usage.NewScanner(usage.Options{Now: testClock})
	agg := usage.NewAggregator(nil)
	var cur usage.Cursor
	step := func(name string, wantKeys []string, wantMalformed int) usage.Report {
		t.Helper()
		recs, next, rep := scanAll(t, s, dir, cur)
		for _, r := range recs {
			agg.Add(r)
		}
		if diff := cmp.Diff(wantKeys, keys(recs)); diff != "" {
			t.Fatalf("%s: records (-want +got):\n%s", name, diff)
		}
		if rep.Malformed() != wantMalformed {
			t.Fatalf("%s: malformed %d, want %d: %+v", name, rep.Malformed(), wantMalformed, rep.Sources)
		}
		cur = next
		return rep
	}

	// Two lines, a malformed one, and half of the next line.
	a3 := ev(3)
	writeLines(t, live, sessionHeader("s1", day0), ev(1), "{broken", ev(2))
	appendRaw(t, live, a3[:40])
	step("first", []string{"a-0001", "a-0002"}, 1)
	if rep := step("unchanged", nil, 0); !rep.Sources[0].Unchanged {
		t.Fatalf("unchanged file was read: %+v", rep.Sources)
	}

	// The gateway finishes the line and appends another.
	appendRaw(t, live, a3[40:]+"\n")
	writeLines(t, live, ev(4))
	step("completed line", []string{"a-0003", "a-0004"}, 0)

	// Reset: the transcript becomes an archive (same inode) and a new one starts.
	archive := live + ".reset.2026-12-04T16-10-00.000Z"
	if err := os.Rename(live, archive); err != nil {
		t.Fatal(err)
	}
	writeLines(t, live, sessionHeader("s1b", day0), ev(5))
	step("after reset", []string{"a-0005"}, 0)

	// Truncated and rewritten by something else: read again from the start.
	if err := os.WriteFile(live, []byte(ev(6)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if rep := step("truncated", []string{"a-0006"}, 0); rep.Sources[0].Path != "agents/main/sessions/s1.jsonl" || !rep.Sources[0].Restarted {
		t.Fatalf("truncation not detected: %+v", rep.Sources)
	}

	// Rewritten in place with a longer content that keeps nothing of the old
	// tail: read from the start; a-0006 comes again and is dropped.
	if err := os.WriteFile(live, []byte("{bad\n"+ev(6)+"\n"+ev(7)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	future := time.Now().Add(time.Hour)
	if err := os.Chtimes(live, future, future); err != nil {
		t.Fatal(err)
	}
	step("rewritten", []string{"a-0006", "a-0007"}, 1)

	// A deleted archive whose last line has no newline: it will not grow,
	// so the line counts.
	deleted := filepath.Join(sessions, "s2.jsonl.deleted.2026-12-04T17-00-00.000Z")
	writeLines(t, deleted, sessionHeader("s2", day0))
	appendRaw(t, deleted, ev(8))
	step("deleted archive", []string{"a-0008"}, 0)
	step("quiet", nil, 0)

	rs := agg.Rollups()
	if len(rs) != 1 || rs[0].Messages != 8 || agg.Duplicates() != 1 {
		t.Fatalf("rollups %+v, duplicates %d", rs, agg.Duplicates())
	}
	var wantInput int64
	for i := 1; i <= 8; i++ {
		wantInput += int64(100 * i)
	}
	if rs[0].Input != wantInput {
		t.Fatalf("input %d, want %d", rs[0].Input, wantInput)
	}
}

// Duplicate ids across transcripts (a legacy file and its copy) are
// emitted by the reader and dropped by the aggregator.
func TestJSONLDuplicateIDs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a := assistantEvent(turn{id: "dup", at: day0, provider: "fake", model: "m1", input: 5, cost: 0.001})
	noID := assistantEvent(turn{id: "noid", at: day0, provider: "fake", model: "m1", input: 7, cost: 0.001, omitID: true})
	writeLines(t, filepath.Join(sessionsDir(dir, "main"), "s1.jsonl"), a, a, noID)
	writeLines(t, filepath.Join(sessionsDir(dir, "main"), "s1.jsonl.reset.2026-12-04T00-00-00.000Z"), a, noID)
	recs, _, _ := scanAll(t, usage.NewScanner(usage.Options{Now: testClock}), dir, usage.Cursor{})
	agg := usage.NewAggregator(nil)
	for _, r := range recs {
		agg.Add(r)
	}
	rs := agg.Rollups()
	if len(recs) != 5 || len(rs) != 1 || rs[0].Messages != 2 || rs[0].Input != 12 || agg.Duplicates() != 3 {
		t.Fatalf("records %d, rollups %+v, duplicates %d", len(recs), rs, agg.Duplicates())
	}
}

func TestJSONLOversizedLine(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(sessionsDir(dir, "main"), "s1.jsonl")
	huge := `{"type":"message","pad":"` + strings.Repeat("x", usage.MaxEventBytes) + `"}`
	writeLines(t, p, huge, assistantEvent(turn{id: "a1", at: day0, provider: "fake", model: "m1", input: 1, cost: 0.001}))
	s := usage.NewScanner(usage.Options{Now: testClock})
	recs, cur, rep := scanAll(t, s, dir, usage.Cursor{})
	if len(recs) != 1 || rep.Malformed() != 1 {
		t.Fatalf("records %d, report %+v", len(recs), rep.Sources)
	}
	writeLines(t, p, assistantEvent(turn{id: "a2", at: day0, provider: "fake", model: "m1", input: 1, cost: 0.001}))
	recs, _, rep = scanAll(t, s, dir, cur)
	if len(recs) != 1 || rep.Malformed() != 0 {
		t.Fatalf("re-scan: records %d, report %+v", len(recs), rep.Sources)
	}
}

// Symlinks and FIFOs planted in a state dir are not followed or opened; a
// store reached through a symlinked directory is refused.
func TestScanRefusesPlantedFiles(t *testing.T) {
	t.Parallel()
	other := t.TempDir() // another tenant
	writeLines(t, filepath.Join(sessionsDir(other, "main"), "s1.jsonl"), assistantEvent(turn{id: "theirs", at: day0, provider: "fake", model: "m1", input: 1, cost: 0.001}))
	st := newStore(t, other, "main")
	st.add("s1", 0, day0, assistantEvent(turn{id: "theirs-db", at: day0, provider: "fake", model: "m1", input: 1, cost: 0.001}))
	st.close()

	dir := t.TempDir()
	sessions := sessionsDir(dir, "main")
	writeLines(t, filepath.Join(sessions, "s1.jsonl"), assistantEvent(turn{id: "mine", at: day0, provider: "fake", model: "m1", input: 1, cost: 0.001}))
	for name, target := range map[string]string{
		"passwd.jsonl": "/etc/passwd",
		"theirs.jsonl": filepath.Join(sessionsDir(other, "main"), "s1.jsonl"),
		"inside.jsonl": "s1.jsonl",
	} {
		if err := os.Symlink(target, filepath.Join(sessions, name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mkfifo(filepath.Join(sessions, "fifo.jsonl"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(other, "agents", "main"), filepath.Join(dir, "agents", "linked")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "agents", "sneaky"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(other, "agents", "main", "agent"), filepath.Join(dir, "agents", "sneaky", "agent")); err != nil {
		t.Fatal(err)
	}

	done := make(chan struct{})
	var (
		recs []usage.Record
		rep  usage.Report
	)
	go func() {
		defer close(done)
		recs, _, rep = scanAll(t, usage.NewScanner(usage.Options{Now: testClock}), dir, usage.Cursor{})
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("scan hung (FIFO opened?)")
	}
	if diff := cmp.Diff([]string{"mine"}, keys(recs)); diff != "" {
		t.Fatalf("records (-want +got):\n%s", diff)
	}
	var refused []string
	for _, s := range rep.Sources {
		if s.Err != nil {
			refused = append(refused, s.Path)
		}
	}
	if diff := cmp.Diff([]string{"agents/sneaky/agent/openclaw-agent.sqlite"}, refused); diff != "" {
		t.Fatalf("refused sources (-want +got):\n%s\n%+v", diff, rep.Sources)
	}
}
