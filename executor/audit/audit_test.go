package audit_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/audit"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/store"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC)

// stepClock returns a clock that advances one millisecond per call.
func stepClock() func() time.Time {
	var n atomic.Int64
	return func() time.Time { return t0.Add(time.Duration(n.Add(1)) * time.Millisecond) }
}

func openStore(tb testing.TB) *store.Store {
	tb.Helper()
	s, err := store.Open(filepath.Join(tb.TempDir(), "executor.db"))
	if err != nil {
		tb.Fatalf("store.Open: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func record(i int) audit.Record {
	return audit.Record{
		Type:      audit.TypeStep,
		Actor:     "executor",
		Tenant:    "acme",
		JobID:     "job-1",
		RequestID: fmt.Sprintf("req-%d", i),
		Rule:      "steps.allow",
		Outcome:   audit.OutcomeOK,
		Data:      json.RawMessage(fmt.Sprintf(`{"s":"value-%d","n":%d}`, i, i)),
	}
}

// fill appends n records and returns them as stored.
func fill(tb testing.TB, l *audit.Log, n int) []audit.Record {
	tb.Helper()
	out := make([]audit.Record, n)
	for i := range n {
		r, err := l.Append(context.Background(), record(i+1))
		if err != nil {
			tb.Fatalf("Append %d: %v", i+1, err)
		}
		out[i] = r
	}
	return out
}

func verifyOK(tb testing.TB, s *store.Store, want int64) audit.Report {
	tb.Helper()
	rep, err := audit.Verify(context.Background(), s.DB())
	if err != nil {
		tb.Fatalf("Verify: %v", err)
	}
	if !rep.OK || rep.Records != want {
		tb.Fatalf("Verify = %+v, want OK with %d records", rep, want)
	}
	return rep
}

func TestAppendAndVerify(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	l := audit.New(s.DB(), stepClock())

	rep := verifyOK(t, s, 0)
	if rep.Head != audit.Genesis {
		t.Errorf("empty log head = %q, want Genesis", rep.Head)
	}

	recs := fill(t, l, 200)
	prev := audit.Genesis
	for i, r := range recs {
		if r.Seq != int64(i+1) || r.PrevHash != prev || !strings.HasPrefix(r.Hash, "sha256:") {
			t.Fatalf("record %d: seq %d prev %s hash %s", i, r.Seq, r.PrevHash, r.Hash)
		}
		if want := t0.Add(time.Duration(i+1) * time.Millisecond); !r.Time.Equal(want) || r.Time.Location() != time.UTC {
			t.Fatalf("record %d: time %v, want %v UTC", i, r.Time, want)
		}
		prev = r.Hash
	}
	rep = verifyOK(t, s, 200)
	if rep.Head != recs[199].Hash {
		t.Errorf("head = %s, want last hash %s", rep.Head, recs[199].Hash)
	}
}

// docHash computes a record's hash independently, exactly as doc.go
// describes the format.
func docHash(prev string, seq int64, ts string, fields [7]string, data string) string {
	q := func(s string) string {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(s)
		return strings.TrimSpace(b.String())
	}
	if data == "" {
		data = "null"
	}
	obj := fmt.Sprintf(`{"seq":%d,"time":%s,"type":%s,"actor":%s,"tenant":%s,"job_id":%s,"request_id":%s,"rule":%s,"outcome":%s,"data":%s,"prev_hash":%s}`,
		seq, q(ts), q(fields[0]), q(fields[1]), q(fields[2]), q(fields[3]), q(fields[4]), q(fields[5]), q(fields[6]), data, q(prev))
	sum := sha256.Sum256([]byte(prev + obj))
	return "sha256:" + hex.EncodeToString(sum[:])
}

func TestHashFormat(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		in       audit.Record
		wantData string
	}{
		"canonicalised data": {
			in: audit.Record{Type: audit.TypeDecision, Actor: "key:ab12", Tenant: "acme", RequestID: "r1",
				Rule: "ports.range", Outcome: audit.OutcomeDenied,
				Data: json.RawMessage(" {\"z\": [1.50, \"a<b&c\"], \"a\": {\"y\":1e3,\"x\":null}}\n")},
			wantData: `{"a":{"x":null,"y":1e3},"z":[1.50,"a<b&c"]}`,
		},
		"no data":   {in: audit.Record{Type: audit.TypeRecovery, Actor: "executor"}},
		"null data": {in: audit.Record{Type: audit.TypeRecovery, Actor: "executor", Data: json.RawMessage("null")}},
		"non-ascii": {
			in:       audit.Record{Type: audit.TypeRequest, Actor: "uid:0", Tenant: "acmé", Data: json.RawMessage(`"☃"`)},
			wantData: `"☃"`,
		},
		"invalid utf-8 replaced": {
			in: audit.Record{Type: audit.TypeRequest, Actor: "uid:\xff"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := openStore(t)
			l := audit.New(s.DB(), func() time.Time { return t0.In(time.FixedZone("X", 3600)) })
			first, err := l.Append(context.Background(), audit.Record{Type: audit.TypeRequest, Actor: "executor"})
			if err != nil {
				t.Fatal(err)
			}
			got, err := l.Append(context.Background(), tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if string(got.Data) != tc.wantData {
				t.Errorf("stored data = %q, want %q", got.Data, tc.wantData)
			}
			ts := "2026-03-01T12:00:00.123456789Z"
			f := [7]string{got.Type, got.Actor, got.Tenant, got.JobID, got.RequestID, got.Rule, got.Outcome}
			if want := docHash(first.Hash, 2, ts, f, tc.wantData); got.Hash != want {
				t.Errorf("hash = %s, documented format gives %s", got.Hash, want)
			}
			if strings.ContainsRune(got.Actor, 0xFFFD) != (name == "invalid utf-8 replaced") {
				t.Errorf("actor = %q", got.Actor)
			}
			verifyOK(t, s, 2)
		})
	}
}

func TestAppendRejects(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	l := audit.New(s.DB(), stepClock())
	tests := map[string]audit.Record{
		"no type":       {Actor: "executor"},
		"no actor":      {Type: audit.TypeRequest},
		"invalid json":  {Type: audit.TypeRequest, Actor: "executor", Data: json.RawMessage(`{"a":`)},
		"trailing json": {Type: audit.TypeRequest, Actor: "executor", Data: json.RawMessage(`{"a":1} {"b":2}`)},
		"trailing junk": {Type: audit.TypeRequest, Actor: "executor", Data: json.RawMessage(`{"a":1} x`)},
	}
	for name, r := range tests {
		if _, err := l.Append(context.Background(), r); err == nil {
			t.Errorf("%s: Append succeeded", name)
		}
	}
	verifyOK(t, s, 0)
}

func TestAppendCancelledContext(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	l := audit.New(s.DB(), stepClock())
	fill(t, l, 3)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.Append(ctx, record(4)); err == nil {
		t.Fatal("Append with a cancelled context succeeded")
	}
	// Nothing half-written, and the log still takes records.
	fill(t, l, 2)
	verifyOK(t, s, 5)
}

// tamper runs stmts as an attacker with the sqlite3 shell would: with the
// append-only triggers dropped first.
func tamper(tb testing.TB, s *store.Store, stmts ...string) {
	tb.Helper()
	all := append([]string{
		`DROP TRIGGER audit_no_update`, `DROP TRIGGER audit_no_delete`,
		`DROP TRIGGER audit_head_forward`, `DROP TRIGGER audit_head_no_delete`,
	}, stmts...)
	for _, st := range all {
		if _, err := s.DB().ExecContext(context.Background(), st); err != nil {
			tb.Fatalf("%s: %v", st, err)
		}
	}
}

func TestVerifyDetectsTampering(t *testing.T) {
	t.Parallel()
	const n = 10
	tests := map[string]struct {
		// stmts may use {forged} for the correctly recomputed hash of record 5
		// with outcome "denied".
		stmts        []string
		wantFirstBad int64
		wantReason   string
	}{
		"flipped byte in data": {
			stmts:        []string{`UPDATE audit SET data = replace(data, 'value', 'valuf') WHERE seq = 4`},
			wantFirstBad: 4, wantReason: "hash mismatch",
		},
		"changed outcome": {
			stmts:        []string{`UPDATE audit SET outcome = 'denied' WHERE seq = 7`},
			wantFirstBad: 7, wantReason: "hash mismatch",
		},
		"changed time": {
			stmts:        []string{`UPDATE audit SET time = '2026-03-01T12:00:00Z' WHERE seq = 2`},
			wantFirstBad: 2, wantReason: "hash mismatch",
		},
		"changed first record": {
			stmts:        []string{`UPDATE audit SET actor = 'mallory' WHERE seq = 1`},
			wantFirstBad: 1, wantReason: "hash mismatch",
		},
		"changed stored hash": {
			stmts:        []string{`UPDATE audit SET hash = 'sha256:00' WHERE seq = 5`},
			wantFirstBad: 5, wantReason: "hash mismatch",
		},
		"altered record with recomputed hash": {
			stmts:        []string{`UPDATE audit SET outcome = 'denied', hash = '{forged}' WHERE seq = 5`},
			wantFirstBad: 6, wantReason: "broken link",
		},
		"whitespace added to data": {
			stmts:        []string{`UPDATE audit SET data = replace(data, ':', ': ') WHERE seq = 3`},
			wantFirstBad: 3, wantReason: "data not in canonical form",
		},
		"data not json": {
			stmts:        []string{`UPDATE audit SET data = '{' WHERE seq = 3`},
			wantFirstBad: 3, wantReason: "data is not valid JSON",
		},
		"invalid utf-8": {
			stmts:        []string{`UPDATE audit SET actor = CAST(X'ff' AS TEXT) WHERE seq = 8`},
			wantFirstBad: 8, wantReason: "invalid UTF-8",
		},
		"deleted middle record": {
			stmts:        []string{`DELETE FROM audit WHERE seq = 5`},
			wantFirstBad: 5, wantReason: "record missing",
		},
		"swapped seqs": {
			stmts: []string{
				`UPDATE audit SET seq = -1 WHERE seq = 3`,
				`UPDATE audit SET seq = 3 WHERE seq = 6`,
				`UPDATE audit SET seq = 6 WHERE seq = -1`,
			},
			wantFirstBad: 3, wantReason: "broken link",
		},
		"swapped neighbours": {
			stmts: []string{
				`UPDATE audit SET seq = -1 WHERE seq = 8`,
				`UPDATE audit SET seq = 8 WHERE seq = 9`,
				`UPDATE audit SET seq = 9 WHERE seq = -1`,
			},
			wantFirstBad: 8, wantReason: "broken link",
		},
		"deleted last record": {
			stmts:        []string{`DELETE FROM audit WHERE seq = 10`},
			wantFirstBad: 10, wantReason: "log truncated",
		},
		"deleted all records": {
			stmts:        []string{`DELETE FROM audit`},
			wantFirstBad: 1, wantReason: "log truncated",
		},
		"deleted head": {
			stmts:        []string{`DELETE FROM audit_head`},
			wantFirstBad: 11, wantReason: "audit head missing",
		},
		"head hash changed": {
			stmts:        []string{`UPDATE audit_head SET hash = 'sha256:ff'`},
			wantFirstBad: 10, wantReason: "head hash mismatch",
		},
		"record appended behind the head's back": {
			stmts: []string{`INSERT INTO audit (seq, time, type, actor, prev_hash, hash)
				SELECT 11, time, type, actor, hash, hash FROM audit WHERE seq = 10`},
			wantFirstBad: 11, wantReason: "hash mismatch",
		},
		"last record deleted and head rewound wrongly": {
			stmts:        []string{`DELETE FROM audit WHERE seq = 10`, `UPDATE audit_head SET seq = 9`},
			wantFirstBad: 9, wantReason: "head hash mismatch",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := openStore(t)
			recs := fill(t, audit.New(s.DB(), stepClock()), n)

			r5 := recs[4]
			forged := docHash(r5.PrevHash, 5, r5.Time.Format(time.RFC3339Nano),
				[7]string{r5.Type, r5.Actor, r5.Tenant, r5.JobID, r5.RequestID, r5.Rule, "denied"}, string(r5.Data))
			var stmts []string
			for _, st := range tc.stmts {
				stmts = append(stmts, strings.ReplaceAll(st, "{forged}", forged))
			}
			tamper(t, s, stmts...)

			rep, err := audit.Verify(context.Background(), s.DB())
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK || rep.FirstBad != tc.wantFirstBad || !strings.Contains(rep.Reason, tc.wantReason) || rep.Head != "" {
				t.Errorf("Verify = %+v, want first bad %d, reason containing %q", rep, tc.wantFirstBad, tc.wantReason)
			}
		})
	}
}

func TestAppendRefusesBrokenHead(t *testing.T) {
	t.Parallel()
	for name, stmt := range map[string]string{
		"truncated":    `DELETE FROM audit WHERE seq = 3`,
		"head deleted": `DELETE FROM audit_head`,
		"head changed": `UPDATE audit_head SET hash = 'sha256:ff'`,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := openStore(t)
			l := audit.New(s.DB(), stepClock())
			fill(t, l, 3)
			tamper(t, s, stmt)
			if _, err := l.Append(context.Background(), record(4)); !errors.Is(err, audit.ErrChainBroken) {
				t.Errorf("Append after tampering = %v, want ErrChainBroken", err)
			}
		})
	}
}

func TestTriggersRefuseChanges(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	fill(t, audit.New(s.DB(), stepClock()), 3)
	for _, st := range []string{
		`UPDATE audit SET outcome = 'x' WHERE seq = 1`,
		`DELETE FROM audit WHERE seq = 3`,
		`DELETE FROM audit_head`,
		`UPDATE audit_head SET seq = 2`,
		`UPDATE audit_head SET seq = 5`,
	} {
		if _, err := s.DB().ExecContext(context.Background(), st); err == nil {
			t.Errorf("%s succeeded", st)
		}
	}
	verifyOK(t, s, 3)
}

func TestVerifyWithoutAuditTable(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	tamper(t, s, `DROP TABLE audit`)
	if rep, err := audit.Verify(context.Background(), s.DB()); err == nil {
		t.Errorf("Verify without an audit table = %+v, nil", rep)
	}
}

// TestConcurrentAppend appends from 50 goroutines while others write to the
// store, which shares its write lock with the log as the executor wires them
// (without it, a loaded machine starved appends into SQLITE_BUSY). Every
// append must succeed and the chain must stay valid.
func TestConcurrentAppend(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	l := audit.New(s.DB(), stepClock()).SharingWrites(s.WriteLock())
	ctx := context.Background()
	const workers, each = 50, 10

	var wg sync.WaitGroup
	errs := make(chan error, 2*workers*each)
	seqs := make(chan int64, workers*each)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				r, err := l.Append(ctx, record(w*each+i))
				if err != nil {
					errs <- err
					continue
				}
				seqs <- r.Seq
			}
		})
		wg.Go(func() {
			for i := range each {
				if err := s.UseNonce(ctx, fmt.Sprint(w), fmt.Sprint(i), t0); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	close(seqs)
	for err := range errs {
		t.Error(err)
	}
	seen := map[int64]bool{}
	for sq := range seqs {
		if seen[sq] {
			t.Errorf("seq %d handed out twice", sq)
		}
		seen[sq] = true
	}
	verifyOK(t, s, workers*each)
}

func TestReportJSON(t *testing.T) {
	t.Parallel()
	b, err := api.CanonicalJSON(audit.Report{Records: 3, FirstBad: 2, Reason: "hash mismatch"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(`{"records":3,"ok":false,"first_bad":2,"reason":"hash mismatch"}`, string(b)); diff != "" {
		t.Errorf("report JSON (-want +got):\n%s", diff)
	}
}

func BenchmarkAppend(b *testing.B) {
	s := openStore(b)
	l := audit.New(s.DB(), time.Now)
	ctx := context.Background()
	r := record(1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := l.Append(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
}
