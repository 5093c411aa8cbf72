package usage_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/usage"
)

func keys(recs []usage.Record) []string {
	var out []string
	for _, r := range recs {
		out = append(out, r.Key)
	}
	slices.Sort(out)
	return out
}

// A store held open by a "gateway" (WAL, -wal and -shm present) is read in
// place, creates no file, and is read incrementally.
func TestScanLiveStore(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	st := newStore(t, dir, "main")
	big := strings.Repeat("long reply ", 200) // > 1 KiB: stored compressed
	st.add("s1", 0, day0, sessionHeader("s1", day0))
	st.add("s1", 1, day0.Add(time.Second), userEvent("u1", day0.Add(time.Second), "hi"))
	st.add("s1", 2, day0.Add(2*time.Second), assistantEvent(turn{id: "a1", at: day0.Add(2 * time.Second), provider: "fake", model: "m1", input: 10, output: 5, cost: 0.001}))
	st.add("s1", 3, day0.Add(3*time.Second), assistantEvent(turn{id: "a2", at: day0.Add(3 * time.Second), provider: "fake", model: "m1", input: 20, output: 5, cost: 0.002, text: big}))
	var compressed int
	if err := st.db.QueryRow(`SELECT count(*) FROM transcript_events WHERE event_json IS NULL`).Scan(&compressed); err != nil || compressed != 1 {
		t.Fatalf("compressed rows = %d (%v), want 1", compressed, err)
	}
	before := names(t, dir)
	if !slices.Contains(before, "agents/main/agent/openclaw-agent.sqlite-wal") || !slices.Contains(before, "agents/main/agent/openclaw-agent.sqlite-shm") {
		t.Fatalf("writer should hold -wal and -shm: %v", before)
	}

	// No usable TempDir: a snapshot copy would fail, so this proves the
	// store is read in place.
	s := usage.NewScanner(usage.Options{Now: testClock, TempDir: filepath.Join(dir, "no-such-dir")})
	recs, cur, rep := scanAll(t, s, dir, usage.Cursor{})
	if diff := cmp.Diff([]string{"a1", "a2"}, keys(recs)); diff != "" {
		t.Fatalf("first scan (-want +got):\n%s", diff)
	}
	if rep.Malformed() != 0 {
		t.Fatalf("report %+v", rep)
	}

	// New rows, one of them stamped a little before the high-water mark
	// (a late commit): each is read exactly once.
	st.add("s1", 4, day0.Add(4*time.Second), assistantEvent(turn{id: "a3", at: day0.Add(4 * time.Second), provider: "fake", model: "m1", input: 1, output: 1, cost: 0.001}))
	st.add("s2", 0, day0.Add(2500*time.Millisecond), assistantEvent(turn{id: "a4", at: day0.Add(2500 * time.Millisecond), provider: "fake", model: "m2", input: 1, output: 1, cost: 0.001}))
	recs2, cur2, _ := scanAll(t, s, dir, cur)
	if diff := cmp.Diff([]string{"a3", "a4"}, keys(recs2)); diff != "" {
		t.Fatalf("second scan (-want +got):\n%s", diff)
	}
	recs3, _, rep3 := scanAll(t, s, dir, cur2)
	if len(recs3) != 0 || !rep3.Sources[0].Unchanged {
		t.Fatalf("third scan: %d records, %+v", len(recs3), rep3.Sources)
	}
	if diff := cmp.Diff(before, names(t, dir)); diff != "" {
		t.Fatalf("files in the state dir changed (-before +after):\n%s", diff)
	}
}

// A stopped gateway leaves only the database: it is opened immutable and no
// -wal or -shm appears.
func TestScanStoppedStore(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	st := newStore(t, dir, "main")
	st.add("s1", 0, day0, assistantEvent(turn{id: "a1", at: day0, provider: "fake", model: "m1", input: 10, output: 5, cost: 0.001}))
	st.close()
	before := names(t, dir)
	if slices.ContainsFunc(before, func(n string) bool { return strings.HasSuffix(n, "-wal") || strings.HasSuffix(n, "-shm") }) {
		t.Fatalf("closed store still has side files: %v", before)
	}
	// Make the directory read-only too, as a tenant's may be to us.
	agentDir := filepath.Join(dir, "agents", "main", "agent")
	if err := os.Chmod(agentDir, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(agentDir, 0o755) })
	recs, _, rep := scanAll(t, usage.NewScanner(usage.Options{Now: testClock, TempDir: filepath.Join(dir, "no-such-dir")}), dir, usage.Cursor{})
	if len(recs) != 1 || rep.Readable() != 1 {
		t.Fatalf("records %d, report %+v", len(recs), rep)
	}
	if diff := cmp.Diff(before, names(t, dir)); diff != "" {
		t.Fatalf("scan created files (-before +after):\n%s", diff)
	}
}

// A -wal without its -shm (a crash, a partial copy) cannot be opened in
// place without creating -shm: the scan reads a private snapshot instead,
// including the rows that are only in the WAL.
func TestScanWALWithoutSHM(t *testing.T) {
	t.Parallel()
	live := t.TempDir()
	st := newStore(t, live, "main")
	for i := range 3 {
		at := day0.Add(time.Duration(i) * time.Second)
		st.add("s1", int64(i), at, assistantEvent(turn{id: id("a", i), at: at, provider: "fake", model: "m1", input: 1, output: 1, cost: 0.001}))
	}
	// Copy the database and its WAL, not the -shm.
	copied := t.TempDir()
	agentDir := filepath.Join(copied, "agents", "main", "agent")
	if err := os.MkdirAll(agentDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, suffix := range []string{"", "-wal"} {
		copyFile(t, st.path+suffix, filepath.Join(agentDir, "openclaw-agent.sqlite"+suffix))
	}
	before := names(t, copied)
	tmp := t.TempDir()
	recs, cur, rep := scanAll(t, usage.NewScanner(usage.Options{Now: testClock, TempDir: tmp}), copied, usage.Cursor{})
	if len(recs) != 3 || rep.Readable() != 1 {
		t.Fatalf("records %d, report %+v", len(recs), rep.Sources)
	}
	if diff := cmp.Diff(before, names(t, copied)); diff != "" {
		t.Fatalf("scan created files (-before +after):\n%s", diff)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Fatalf("snapshot left behind: %v", left)
	}
	if again, _, _ := scanAll(t, usage.NewScanner(usage.Options{Now: testClock, TempDir: tmp}), copied, cur); len(again) != 0 {
		t.Fatalf("re-scan read %d records", len(again))
	}
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// A database replaced by another file (a restore) is read from the start;
// the aggregator drops what it already has.
func TestScanReplacedStore(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	st := newStore(t, dir, "main")
	st.add("s1", 0, day0, assistantEvent(turn{id: "a1", at: day0, provider: "fake", model: "m1", input: 10, output: 5, cost: 0.001}))
	st.close()
	s := usage.NewScanner(usage.Options{Now: testClock})
	agg := usage.NewAggregator(nil)
	recs, cur, _ := scanAll(t, s, dir, usage.Cursor{})
	for _, r := range recs {
		agg.Add(r)
	}

	// Restore: a new file with the old row and a new one, moved into place.
	other := t.TempDir()
	st2 := newStore(t, other, "main")
	st2.add("s1", 0, day0, assistantEvent(turn{id: "a1", at: day0, provider: "fake", model: "m1", input: 10, output: 5, cost: 0.001}))
	st2.add("s1", 1, day0.Add(time.Hour), assistantEvent(turn{id: "a2", at: day0.Add(time.Hour), provider: "fake", model: "m1", input: 1, output: 1, cost: 0.001}))
	st2.close()
	if err := os.Rename(st2.path, st.path); err != nil {
		t.Fatal(err)
	}
	recs2, _, rep := scanAll(t, s, dir, cur)
	if !rep.Sources[0].Restarted || len(recs2) != 2 {
		t.Fatalf("restarted %v, %d records", rep.Sources[0].Restarted, len(recs2))
	}
	for _, r := range recs2 {
		agg.Add(r)
	}
	if got := agg.Rollups()[0]; got.Messages != 2 || agg.Duplicates() != 1 {
		t.Fatalf("messages %d, duplicates %d", got.Messages, agg.Duplicates())
	}
}

// Malformed rows are reported once, by the scan that first reads them.
func TestScanMalformedRows(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	st := newStore(t, dir, "main")
	st.add("s1", 0, day0, `{"type":"message","message":{"role":"assistant","usage":`)
	nav := `{"version":1,"report":{"kind":"canonical"},"navigation":{},"reset":{},"model":{},"modelBytes":0,"modelWithoutCheckpointBytes":0,"withoutCustomDataBytes":0}`
	st.exec(`INSERT INTO transcript_events (session_id, seq, event_json, created_at, event_zstd, event_utf8_bytes, navigation_json) VALUES ('s1', 1, NULL, ?, X'28B52FFD00DEADBEEF', 2000, ?)`, day0.UnixMilli(), nav)
	st.add("s1", 2, day0, assistantEvent(turn{id: "a1", at: day0, provider: "fake", model: "m1", input: 1, cost: 0.001}))
	s := usage.NewScanner(usage.Options{Now: testClock})
	recs, cur, rep := scanAll(t, s, dir, usage.Cursor{})
	if len(recs) != 1 || rep.Malformed() != 2 || len(rep.Sources[0].Problems) != 2 {
		t.Fatalf("records %d, report %+v", len(recs), rep.Sources)
	}
	st.add("s1", 3, day0.Add(time.Second), assistantEvent(turn{id: "a2", at: day0, provider: "fake", model: "m1", input: 1, cost: 0.001}))
	recs, _, rep = scanAll(t, s, dir, cur)
	if len(recs) != 1 || rep.Malformed() != 0 {
		t.Fatalf("re-scan: records %d, report %+v", len(recs), rep.Sources)
	}
}

// A scan loop beside a writing gateway sees every message exactly once.
func TestScanWhileWriting(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	st := newStore(t, dir, "main")
	const n = 300
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range n {
			at := day0.Add(time.Duration(i) * time.Millisecond)
			text := ""
			if i%7 == 0 {
				text = strings.Repeat("x", 1500)
			}
			if _, err := st.db.Exec(`INSERT INTO transcript_events (session_id, seq, event_json, created_at) VALUES (?, ?, ?, ?)`,
				"s1", i, assistantEvent(turn{id: id("a", i), at: at, provider: "fake", model: "m1", input: 1, output: 1, cost: 0.001, text: text}), at.UnixMilli()); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	s := usage.NewScanner(usage.Options{Now: testClock})
	agg := usage.NewAggregator(nil)
	var cur usage.Cursor
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	for finished := false; !finished; {
		select {
		case <-done:
			finished = true
		default:
		}
		next, rep, err := s.Scan(context.Background(), dir, cur, func(r usage.Record) error {
			agg.Add(r)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Malformed() != 0 || rep.Readable() != 1 {
			t.Fatalf("report %+v", rep.Sources)
		}
		cur = next
	}
	rs := agg.Rollups()
	if len(rs) != 1 || rs[0].Messages != n || agg.Duplicates() != 0 {
		t.Fatalf("rollups %+v, duplicates %d", rs, agg.Duplicates())
	}
}

// A row stamped far in the future (a bad clock, or a tenant hiding usage)
// does not move the high-water mark past the scanner's clock.
func TestScanFutureCreatedAt(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	st := newStore(t, dir, "main")
	now := day0.Add(time.Hour)
	st.add("s1", 0, day0.AddDate(10, 0, 0), assistantEvent(turn{id: "future", at: day0, provider: "fake", model: "m1", input: 1, cost: 0.001}))
	s := usage.NewScanner(usage.Options{Now: func() time.Time { return now }})
	recs, cur, _ := scanAll(t, s, dir, usage.Cursor{})
	if diff := cmp.Diff([]string{"future"}, keys(recs)); diff != "" {
		t.Fatalf("first scan (-want +got):\n%s", diff)
	}
	if got := cur.Databases["agents/main/agent/openclaw-agent.sqlite"].CreatedAt; got != now.UnixMilli() {
		t.Fatalf("mark %d, want the clock's %d", got, now.UnixMilli())
	}
	st.add("s1", 1, now, assistantEvent(turn{id: "next", at: now, provider: "fake", model: "m1", input: 1, cost: 0.001}))
	recs, _, _ = scanAll(t, s, dir, cur)
	if diff := cmp.Diff([]string{"next"}, keys(recs)); diff != "" {
		t.Fatalf("second scan (-want +got):\n%s", diff)
	}
}
