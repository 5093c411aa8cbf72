package usage_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/usage"
)

// writeCorpus writes agents x files legacy transcripts of turns turns each.
// A turn is what OpenClaw appends per model call: a user message, a
// bootstrap custom event and the assistant message with usage. It returns
// the number of usage records and bytes written.
func writeCorpus(tb testing.TB, dir string, agents, files, turns int) (records, size int64) {
	tb.Helper()
	models := []string{"fake-model-1", "fake-model-2", "claude-sonnet-4-5"}
	for a := range agents {
		sessions := filepath.Join(dir, "agents", fmt.Sprintf("agent-%02d", a), "sessions")
		if err := os.MkdirAll(sessions, 0o755); err != nil {
			tb.Fatal(err)
		}
		for f := range files {
			session := fmt.Sprintf("%08d-0000-4000-8000-%012d", a, f)
			fh, err := os.Create(filepath.Join(sessions, session+".jsonl"))
			if err != nil {
				tb.Fatal(err)
			}
			w := bufio.NewWriter(fh)
			n, _ := w.WriteString(sessionHeader(session, day0) + "\n")
			size += int64(n)
			for i := range turns {
				at := day0.Add(time.Duration(f*turns+i) * time.Minute)
				tid := fmt.Sprintf("%s-%06d", session, i)
				lines := []string{
					userEvent("u-"+tid, at, "question number "+tid+" about the deployment"),
					`{"type":"custom","customType":"openclaw:bootstrap-context:full","data":{"timestamp":` + fmt.Sprint(at.UnixMilli()) + `,"runId":"chatcmpl_` + tid + `","sessionId":"` + session + `"},"id":"c-` + tid + `","parentId":"u-` + tid + `","timestamp":"` + at.Format("2006-01-02T15:04:05.000Z") + `"}`,
					assistantEvent(turn{id: "a-" + tid, at: at.Add(time.Second), provider: "fake", model: models[i%len(models)],
						input: int64(1000 + i), output: 56, cr: 200, cost: 0.004002, text: strings.Repeat("Canned reply text. ", 10)}),
				}
				for _, l := range lines {
					n, _ := w.WriteString(l + "\n")
					size += int64(n)
				}
				records++
			}
			if err := w.Flush(); err != nil {
				tb.Fatal(err)
			}
			if err := fh.Close(); err != nil {
				tb.Fatal(err)
			}
		}
	}
	return records, size
}

// BenchmarkScanJSONL is a full scan (parse, price, roll up) of a generated
// corpus of 4 agents x 25 transcripts x 500 turns: 50,000 usage records in
// 150,000 lines.
func BenchmarkScanJSONL(b *testing.B) {
	dir := b.TempDir()
	records, size := writeCorpus(b, dir, 4, 25, 500)
	s := usage.NewScanner(usage.Options{Now: testClock})
	prices := usage.DefaultPrices()
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		agg := usage.NewAggregator(prices)
		_, rep, err := s.Scan(context.Background(), dir, usage.Cursor{}, func(r usage.Record) error {
			agg.Add(r)
			return nil
		})
		if err != nil || int64(rep.Records()) != records || rep.Malformed() != 0 {
			b.Fatalf("err %v, %d records, %d malformed", err, rep.Records(), rep.Malformed())
		}
		if len(agg.Rollups()) == 0 {
			b.Fatal("no rollups")
		}
	}
	b.ReportMetric(float64(records)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkRescanUnchanged re-scans 1,000 unchanged transcripts with the
// cursor of the previous scan: one stat per file, nothing read.
func BenchmarkRescanUnchanged(b *testing.B) {
	dir := b.TempDir()
	writeCorpus(b, dir, 10, 100, 2)
	s := usage.NewScanner(usage.Options{Now: testClock})
	cur, _, err := s.Scan(context.Background(), dir, usage.Cursor{}, func(usage.Record) error { return nil })
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		_, rep, err := s.Scan(context.Background(), dir, cur, func(usage.Record) error {
			b.Fatal("re-scan emitted a record")
			return nil
		})
		if err != nil || len(rep.Sources) != 1000 {
			b.Fatalf("err %v, %d sources", err, len(rep.Sources))
		}
	}
}

// BenchmarkScanSQLite is a full scan of one generated agent store of 20,000
// turns (60,000 rows), about one in seven assistant events compressed.
func BenchmarkScanSQLite(b *testing.B) {
	dir := b.TempDir()
	st := newStore(b, dir, "main")
	const turns = 20_000
	tx, err := st.db.Begin()
	if err != nil {
		b.Fatal(err)
	}
	for i := range turns {
		at := day0.Add(time.Duration(i) * time.Second)
		text := ""
		if i%7 == 0 {
			text = strings.Repeat("long reply ", 150)
		}
		for j, ev := range []string{
			userEvent(fmt.Sprintf("u-%d", i), at, "question"),
			`{"type":"custom","customType":"openclaw:bootstrap-context:full","data":{},"id":"c-` + fmt.Sprint(i) + `","timestamp":"` + at.Format(time.RFC3339) + `"}`,
			assistantEvent(turn{id: fmt.Sprintf("a-%d", i), at: at, provider: "fake", model: "fake-model-1", input: 1034, output: 56, cr: 200, cost: 0.004002, text: text}),
		} {
			if len(ev) >= 1024 {
				nav := `{"version":1,"report":{"kind":"canonical"},"navigation":{},"reset":{},"model":{},"modelBytes":0,"modelWithoutCheckpointBytes":0,"withoutCustomDataBytes":0}`
				_, err = tx.Exec(`INSERT INTO transcript_events (session_id, seq, event_json, created_at, event_zstd, event_utf8_bytes, navigation_json) VALUES ('s', ?, NULL, ?, ?, ?, ?)`,
					i*3+j, at.UnixMilli(), st.enc.EncodeAll([]byte(ev), nil), len(ev), nav)
			} else {
				_, err = tx.Exec(`INSERT INTO transcript_events (session_id, seq, event_json, created_at) VALUES ('s', ?, ?, ?)`, i*3+j, ev, at.UnixMilli())
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	st.close()
	s := usage.NewScanner(usage.Options{Now: testClock})
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		_, rep, err := s.Scan(context.Background(), dir, usage.Cursor{}, func(usage.Record) error { return nil })
		if err != nil || rep.Records() != turns {
			b.Fatalf("err %v, %d records", err, rep.Records())
		}
	}
	b.ReportMetric(float64(turns)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
