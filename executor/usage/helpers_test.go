package usage_test

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	_ "modernc.org/sqlite"
)

// turn describes one generated assistant message.
type turn struct {
	id                        string
	at                        time.Time // message.timestamp
	provider, model           string
	input, output, cr, cw     int64
	cost                      float64 // usage.cost.total; 0 leaves it 0 (unpriced unless the table has a price)
	stop                      string  // "" means "stop"
	text                      string  // reply text; long text makes a big event
	costOrigin                string
	omitID, omitCost, isoOnly bool
}

// assistantEvent renders t the way OpenClaw 2026.9.6 writes an assistant
// message event (compare the event_json in testdata/openclaw): the same
// field names, nesting and timestamp formats.
func assistantEvent(t turn) string {
	stop := t.stop
	if stop == "" {
		stop = "stop"
	}
	text := t.text
	if text == "" {
		text = "Hello from the fake LLM. (canned reply)"
	}
	cost := map[string]any{"input": 0, "output": 0, "cacheRead": 0, "cacheWrite": 0, "total": t.cost}
	if t.costOrigin != "" {
		cost["totalOrigin"] = t.costOrigin
	}
	u := map[string]any{
		"input": t.input, "output": t.output, "cacheRead": t.cr, "cacheWrite": t.cw,
		"reasoningTokens": 0, "totalTokens": t.input + t.output + t.cr + t.cw,
	}
	if !t.omitCost {
		u["cost"] = cost
	}
	content := []any{}
	if stop != "error" {
		content = append(content, map[string]any{"type": "text", "text": text})
	}
	m := map[string]any{
		"role": "assistant", "content": content, "api": "openai-completions",
		"provider": t.provider, "model": t.model, "usage": u, "stopReason": stop,
		"responseId": "chatcmpl-" + t.id, "__openclaw": map[string]any{"runId": "chatcmpl_" + t.id},
	}
	if !t.isoOnly {
		m["timestamp"] = t.at.UnixMilli()
	}
	if stop == "error" {
		m["errorMessage"] = "Connection error."
		m["errorCode"] = "ECONNREFUSED"
	}
	ev := map[string]any{
		"type": "message", "parentId": "p-" + t.id,
		"timestamp": t.at.Add(40 * time.Millisecond).UTC().Format("2006-01-02T15:04:05.000Z"),
		"message":   m,
	}
	if !t.omitID {
		ev["id"] = t.id
	}
	return mustJSON(ev)
}

func userEvent(id string, at time.Time, text string) string {
	return mustJSON(map[string]any{
		"type": "message", "id": id, "parentId": nil,
		"timestamp": at.UTC().Format("2006-01-02T15:04:05.000Z"),
		"message":   map[string]any{"role": "user", "content": text, "timestamp": at.UnixMilli()},
	})
}

func sessionHeader(id string, at time.Time) string {
	return mustJSON(map[string]any{"type": "session", "version": 4, "id": id,
		"timestamp": at.UTC().Format("2006-01-02T15:04:05.000Z"), "cwd": "/srv/missioncontrol/tenants/t/.openclaw/workspace"})
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

var day0 = time.Date(2026, 12, 4, 16, 0, 0, 0, time.UTC)

// testClock is the scanners' clock in tests: after every generated or
// fixture timestamp, whatever the host's clock says.
func testClock() time.Time { return time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC) }

// store is an agent database written the way a running gateway writes it:
// WAL mode, one connection held open, so -wal and -shm exist.
type store struct {
	t    testing.TB
	path string
	db   *sql.DB
	enc  *zstd.Encoder
}

// transcriptEventsDDL is the CREATE TABLE of transcript_events in the real
// fixture, so generated stores carry the same columns and CHECKs.
func transcriptEventsDDL(t testing.TB) string {
	t.Helper()
	abs, err := filepath.Abs(filepath.Join("testdata", "openclaw", "acme", "agents", "main", "agent", "openclaw-agent.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file://"+abs+"?mode=ro&immutable=1")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var ddl string
	if err := db.QueryRow(`SELECT sql FROM sqlite_master WHERE name = 'transcript_events'`).Scan(&ddl); err != nil {
		t.Fatal(err)
	}
	return ddl
}

func newStore(t testing.TB, stateDir, agent string) *store {
	t.Helper()
	dir := filepath.Join(stateDir, "agents", agent, "agent")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "openclaw-agent.sqlite")
	db, err := sql.Open("sqlite", "file://"+p+"?_pragma=journal_mode(WAL)&_pragma=wal_autocheckpoint(0)")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	db.SetConnMaxIdleTime(0)
	db.SetConnMaxLifetime(0)
	// foreign_keys is off, so session_windows need not exist.
	if _, err := db.Exec(transcriptEventsDDL(t)); err != nil {
		t.Fatal(err)
	}
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	s := &store{t: t, path: p, db: db, enc: enc}
	t.Cleanup(s.close)
	return s
}

// add inserts one event; like OpenClaw, events of 1 KiB or more go to
// event_zstd with event_json NULL.
func (s *store) add(session string, seq int64, createdAt time.Time, event string) {
	s.t.Helper()
	var err error
	if len(event) >= 1024 {
		nav := `{"version":1,"report":{"kind":"canonical"},"navigation":{},"reset":{},"model":{},"modelBytes":0,"modelWithoutCheckpointBytes":0,"withoutCustomDataBytes":0}`
		_, err = s.db.Exec(`INSERT INTO transcript_events (session_id, seq, event_json, created_at, event_zstd, event_utf8_bytes, navigation_json)
			VALUES (?, ?, NULL, ?, ?, ?, ?)`, session, seq, createdAt.UnixMilli(), s.enc.EncodeAll([]byte(event), nil), len(event), nav)
	} else {
		_, err = s.db.Exec(`INSERT INTO transcript_events (session_id, seq, event_json, created_at) VALUES (?, ?, ?, ?)`,
			session, seq, event, createdAt.UnixMilli())
	}
	if err != nil {
		s.t.Fatalf("insert %s/%d: %v", session, seq, err)
	}
}

func (s *store) exec(q string, args ...any) {
	s.t.Helper()
	if _, err := s.db.Exec(q, args...); err != nil {
		s.t.Fatal(err)
	}
}

// close ends the writer; SQLite checkpoints and removes -wal and -shm.
func (s *store) close() {
	if s.db != nil {
		s.db.Close()
		s.db = nil
	}
}

// names lists the file names under dir, sorted.
func names(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out = append(out, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// writeLines appends lines (each with a newline) to a file.
func writeLines(t *testing.T, p string, lines ...string) {
	t.Helper()
	appendRaw(t, p, strings.Join(lines, "\n")+"\n")
}

func appendRaw(t *testing.T, p, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func id(prefix string, i int) string { return fmt.Sprintf("%s-%04d", prefix, i) }
