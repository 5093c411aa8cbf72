package usage_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/usage"
)

// Fixtures: real stores written by OpenClaw 2026.9.6 (see testdata/openclaw/README.md).
var fixtureTenants = []string{"acme", "globex"}

// expectedTotals is expected-totals.json, written by usage-totals.py.
type expectedTotals struct {
	Groups []expectedGroup `json:"groups"`
	Total  expectedGroup   `json:"total"`
}

type expectedGroup struct {
	AgentID     string  `json:"agentId"`
	Provider    string  `json:"provider"`
	Model       string  `json:"model"`
	Day         string  `json:"day"`
	Input       int64   `json:"input"`
	Output      int64   `json:"output"`
	CacheRead   int64   `json:"cacheRead"`
	CacheWrite  int64   `json:"cacheWrite"`
	TotalTokens int64   `json:"totalTokens"`
	CostTotal   float64 `json:"costTotal"`
	Messages    int64   `json:"messages"`
	Errors      int64   `json:"errors"`
}

// expectedRecord is one line of expected-usage.jsonl (usage-records.mjs).
type expectedRecord struct {
	AgentID          string `json:"agentId"`
	SessionID        string `json:"sessionId"`
	Seq              int64  `json:"seq"`
	EventID          string `json:"eventId"`
	MessageTimestamp int64  `json:"messageTimestamp"`
	Compressed       bool   `json:"compressed"`
	Provider         string `json:"provider"`
	Model            string `json:"model"`
	StopReason       string `json:"stopReason"`
	Usage            struct {
		Input       int64 `json:"input"`
		Output      int64 `json:"output"`
		CacheRead   int64 `json:"cacheRead"`
		CacheWrite  int64 `json:"cacheWrite"`
		TotalTokens int64 `json:"totalTokens"`
		Cost        struct {
			Total       float64 `json:"total"`
			TotalOrigin string  `json:"totalOrigin"`
		} `json:"cost"`
	} `json:"usage"`
}

func readExpected(t *testing.T, tenant string) (expectedTotals, []expectedRecord) {
	t.Helper()
	dir := filepath.Join("testdata", "openclaw", tenant)
	b, err := os.ReadFile(filepath.Join(dir, "expected-totals.json"))
	if err != nil {
		t.Fatal(err)
	}
	var totals expectedTotals
	if err := json.Unmarshal(b, &totals); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, "expected-usage.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var recs []expectedRecord
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r expectedRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return totals, recs
}

// group turns a rollup into the shape of expected-totals.json.
func group(r usage.Rollup) expectedGroup {
	return expectedGroup{
		AgentID: r.Agent, Provider: r.Provider, Model: r.Model, Day: r.Day,
		Input: r.Input, Output: r.Output, CacheRead: r.CacheRead, CacheWrite: r.CacheWrite,
		TotalTokens: r.Total, CostTotal: r.CostUSD(), Messages: r.Messages, Errors: r.Errors,
	}
}

// nanos compares costs as whole nano-USD: expected-totals.json rounds to 10
// decimals, the rollups sum exact nano-USD.
var nanos = cmp.Comparer(func(a, b float64) bool { return math.Round(a*1e9) == math.Round(b*1e9) })

// scanAll scans dir from cur and returns the records, next cursor and report.
func scanAll(t *testing.T, s *usage.Scanner, dir string, cur usage.Cursor) ([]usage.Record, usage.Cursor, usage.Report) {
	t.Helper()
	var recs []usage.Record
	next, rep, err := s.Scan(context.Background(), dir, cur, func(r usage.Record) error {
		recs = append(recs, r)
		return nil
	})
	if err != nil {
		t.Fatalf("Scan(%s): %v", dir, err)
	}
	return recs, next, rep
}

func rollup(recs []usage.Record, prices *usage.Prices) []usage.Rollup {
	agg := usage.NewAggregator(prices)
	for _, r := range recs {
		agg.Add(r)
	}
	return agg.Rollups()
}

// listTree returns every path under dir with its mode and size.
func listTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		out[p] = fi.Mode().String() + " " + fi.ModTime().String()
		if !d.IsDir() {
			out[p] += " " + string(rune(fi.Size()))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestScanFixtures(t *testing.T) {
	t.Parallel()
	for _, tenant := range fixtureTenants {
		t.Run(tenant, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join("testdata", "openclaw", tenant)
			totals, want := readExpected(t, tenant)
			before := listTree(t, dir)

			s := usage.NewScanner(usage.Options{Now: testClock})
			recs, cur, rep := scanAll(t, s, dir, usage.Cursor{})
			if rep.Malformed() != 0 || rep.Readable() != len(rep.Sources) {
				t.Fatalf("report: %+v", rep)
			}

			// Per message: every expected row, nothing else.
			type msgKey struct {
				Agent, Session string
				Seq            int64
			}
			gotByKey := map[msgKey]usage.Record{}
			for _, r := range recs {
				gotByKey[msgKey{r.Agent, r.SessionID, r.Seq}] = r
			}
			if len(recs) != len(want) || len(gotByKey) != len(want) {
				t.Fatalf("got %d records (%d distinct), want %d", len(recs), len(gotByKey), len(want))
			}
			var compressed, billed int
			for _, w := range want {
				r, ok := gotByKey[msgKey{w.AgentID, w.SessionID, w.Seq}]
				if !ok {
					t.Errorf("missing %s %s/%d (compressed %v)", w.AgentID, w.SessionID, w.Seq, w.Compressed)
					continue
				}
				wantEv := usage.Event{
					ID: w.EventID, Time: time.UnixMilli(w.MessageTimestamp).UTC(),
					Provider: w.Provider, Model: w.Model, StopReason: w.StopReason,
					Tokens: usage.Tokens{Input: w.Usage.Input, Output: w.Usage.Output, CacheRead: w.Usage.CacheRead,
						CacheWrite: w.Usage.CacheWrite, Total: w.Usage.TotalTokens},
					Cost: w.Usage.Cost.Total, CostOrigin: w.Usage.Cost.TotalOrigin,
				}
				if diff := cmp.Diff(wantEv, r.Event); diff != "" {
					t.Errorf("%s/%d (-want +got):\n%s", w.SessionID, w.Seq, diff)
				}
				if r.Key != w.EventID || r.Kind != usage.SourceSQLite {
					t.Errorf("%s/%d: key %q kind %q", w.SessionID, w.Seq, r.Key, r.Kind)
				}
				if w.Compressed {
					compressed++
				}
				if w.Usage.Cost.TotalOrigin != "" {
					billed++
				}
			}
			if tenant == "acme" && (compressed == 0 || billed == 0) {
				t.Errorf("acme fixture should hold a compressed and a provider-billed message: %d, %d", compressed, billed)
			}

			// Rollups equal expected-totals.json, group by group and in total.
			rollups := rollup(recs, usage.DefaultPrices())
			var got []expectedGroup
			var total usage.Rollup
			for _, r := range rollups {
				got = append(got, group(r))
				if r.Unpriced != 0 || r.PriceVersion != "" {
					t.Errorf("%s/%s: unpriced %d, price version %q; every fixture cost is recorded", r.Agent, r.Model, r.Unpriced, r.PriceVersion)
				}
				total.Tokens.Input += r.Input
				total.Tokens.Output += r.Output
				total.Tokens.CacheRead += r.CacheRead
				total.Tokens.CacheWrite += r.CacheWrite
				total.Tokens.Total += r.Total
				total.NanoUSD += r.NanoUSD
				total.Messages += r.Messages
				total.Errors += r.Errors
			}
			if diff := cmp.Diff(totals.Groups, got, nanos); diff != "" {
				t.Errorf("groups (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(totals.Total, group(total), nanos); diff != "" {
				t.Errorf("total (-want +got):\n%s", diff)
			}

			// Incremental: the cursor survives a JSON round trip, and a
			// re-scan reads nothing new.
			b, err := json.Marshal(cur)
			if err != nil {
				t.Fatal(err)
			}
			var restored usage.Cursor
			if err := json.Unmarshal(b, &restored); err != nil {
				t.Fatal(err)
			}
			again, cur2, rep2 := scanAll(t, s, dir, restored)
			if len(again) != 0 {
				t.Errorf("re-scan emitted %d records", len(again))
			}
			for _, src := range rep2.Sources {
				if !src.Unchanged {
					t.Errorf("%s: not skipped as unchanged", src.Path)
				}
			}
			if diff := cmp.Diff(restored, cur2, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("cursor moved on a re-scan (-want +got):\n%s", diff)
			}

			// Read-only: the fixture dir is exactly as before (no -wal/-shm).
			if diff := cmp.Diff(before, listTree(t, dir)); diff != "" {
				t.Errorf("state dir changed (-before +after):\n%s", diff)
			}
		})
	}
}

// A re-scan with a cursor whose fingerprint is stale (as after a checkpoint
// of the same content) reads the database again but emits nothing new.
func TestScanFixtureStaleFingerprint(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("testdata", "openclaw", "acme")
	s := usage.NewScanner(usage.Options{Now: testClock})
	recs, cur, _ := scanAll(t, s, dir, usage.Cursor{})
	for k, c := range cur.Databases {
		c.Fingerprint = "stale"
		cur.Databases[k] = c
	}
	again, next, rep := scanAll(t, s, dir, cur)
	if len(again) != 0 {
		t.Fatalf("re-scan emitted %d of %d records", len(again), len(recs))
	}
	for _, src := range rep.Sources {
		if src.Unchanged || src.Restarted || src.Err != nil {
			t.Errorf("%s: %+v", src.Path, src)
		}
	}
	for k, c := range next.Databases {
		if c.Fingerprint == "stale" || c.CreatedAt != cur.Databases[k].CreatedAt {
			t.Errorf("%s: cursor %+v", k, c)
		}
	}
}

func TestScanWithoutAgents(t *testing.T) {
	t.Parallel()
	recs, cur, rep := scanAll(t, usage.NewScanner(usage.Options{Now: testClock}), t.TempDir(), usage.Cursor{})
	if len(recs) != 0 || len(rep.Sources) != 0 || len(cur.Databases)+len(cur.Files) != 0 {
		t.Fatalf("records %d, report %+v, cursor %+v", len(recs), rep, cur)
	}
	if _, _, err := usage.NewScanner(usage.Options{Now: testClock}).Scan(context.Background(), filepath.Join(t.TempDir(), "missing"), usage.Cursor{}, func(usage.Record) error { return nil }); err == nil {
		t.Fatal("scan of a missing dir succeeded")
	}
}

func TestScanStopsOnEmitError(t *testing.T) {
	t.Parallel()
	stop := os.ErrClosed
	n := 0
	_, _, err := usage.NewScanner(usage.Options{Now: testClock}).Scan(context.Background(), filepath.Join("testdata", "openclaw", "acme"), usage.Cursor{}, func(usage.Record) error {
		n++
		return stop
	})
	if err != stop || n != 1 {
		t.Fatalf("err = %v after %d records, want %v after 1", err, n, stop)
	}
}

func TestSourcesInOrder(t *testing.T) {
	t.Parallel()
	_, _, rep := scanAll(t, usage.NewScanner(usage.Options{Now: testClock}), filepath.Join("testdata", "openclaw", "acme"), usage.Cursor{})
	var paths []string
	for _, s := range rep.Sources {
		paths = append(paths, s.Path)
	}
	want := []string{"agents/main/agent/openclaw-agent.sqlite", "agents/ops/agent/openclaw-agent.sqlite"}
	if !slices.Equal(paths, want) {
		t.Fatalf("sources %v, want %v", paths, want)
	}
}
