// Command usagebench generates a synthetic OpenClaw state dir and measures
// the executor's usage ingestion and queries on it (see bench/usage.sh and
// BENCHMARKS.md).
//
//	usagebench gen    -dir DIR [-records N] [-files F] [-agents A] [-models M] [-days D]
//	usagebench ingest -dir DIR -db FILE [-queries Q]
//	usagebench fill   -db FILE [-records N] [-queries Q]
//	usagebench query  -db FILE [-queries Q]
//
// gen writes F JSONL transcripts agents/<agent>/sessions/<session>.jsonl
// with N assistant messages in all (each after one user message), shaped
// like OpenClaw 2026.9.6 events, spread over D UTC days ending 2026-12-30.
// ingest counts DIR into a fresh executor database through the executor's
// own code path (usage.Scanner, store.AddUsage), rescans it unchanged, runs
// Q day x agent x model queries over the D days and prints the figures.
// fill adds N records straight through store.AddUsage (no files, no
// parsing: for database sizes whose corpus would not fit) and times the
// same queries.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/ingest"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/store"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: usagebench gen|ingest [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "gen":
		err = gen(os.Args[2:])
	case "ingest":
		err = runIngest(os.Args[2:])
	case "fill":
		err = fill(os.Args[2:])
	case "query":
		err = query(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}

var end = time.Date(2026, 12, 30, 23, 0, 0, 0, time.UTC)

func gen(args []string) error {
	fs := flag.NewFlagSet("gen", flag.ExitOnError)
	dir := fs.String("dir", "", "state dir to create")
	records := fs.Int("records", 1_000_000, "assistant messages with usage")
	files := fs.Int("files", 1000, "transcript files")
	agents := fs.Int("agents", 10, "agents")
	models := fs.Int("models", 5, "models")
	days := fs.Int("days", 30, "days")
	_ = fs.Parse(args)
	if *dir == "" {
		return fmt.Errorf("-dir is required")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	perFile := *records / *files
	n := 0
	for f := range *files {
		agent := fmt.Sprintf("agent-%02d", f%*agents)
		sd := filepath.Join(*dir, "agents", agent, "sessions")
		if err := os.MkdirAll(sd, 0o755); err != nil {
			return err
		}
		session := fmt.Sprintf("%08x-0000-4000-8000-%012x", f, f)
		out, err := os.Create(filepath.Join(sd, session+".jsonl"))
		if err != nil {
			return err
		}
		w := bufio.NewWriterSize(out, 1<<20)
		count := perFile
		if f == *files-1 {
			count = *records - n
		}
		for i := range count {
			at := end.Add(-time.Duration(rng.Int64N(int64(*days) * int64(24*time.Hour))))
			model := fmt.Sprintf("bench-model-%d", rng.IntN(*models))
			in, outTok, cr := 500+rng.Int64N(3000), 20+rng.Int64N(500), rng.Int64N(1000)
			cost := float64(in)*3e-6 + float64(outTok)*15e-6 + float64(cr)*0.3e-6
			user := map[string]any{"type": "message", "id": fmt.Sprintf("u-%d-%d", f, i), "timestamp": at.Add(-time.Second).Format("2006-01-02T15:04:05.000Z"),
				"message": map[string]any{"role": "user", "content": []any{map[string]any{"type": "text", "text": "What is the status of ticket 4711?"}}, "timestamp": at.Add(-time.Second).UnixMilli()}}
			// Event ids are random UUIDs, as OpenClaw writes them: the
			// dedupe index sees them in no particular order.
			id := fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", rng.Uint32(), rng.Uint32()&0xffff, rng.Uint32()&0xfff, rng.Uint32()&0xfff, rng.Uint64()&0xffffffffffff)
			asst := map[string]any{"type": "message", "id": id, "parentId": fmt.Sprintf("u-%d-%d", f, i),
				"timestamp": at.Add(40 * time.Millisecond).Format("2006-01-02T15:04:05.000Z"),
				"message": map[string]any{
					"role": "assistant", "content": []any{map[string]any{"type": "text", "text": "Ticket 4711 is waiting for the customer's reply since Tuesday."}},
					"api": "openai-completions", "provider": "bench", "model": model,
					"usage": map[string]any{"input": in, "output": outTok, "cacheRead": cr, "cacheWrite": 0, "reasoningTokens": 0, "totalTokens": in + outTok + cr,
						"cost": map[string]any{"input": float64(in) * 3e-6, "output": float64(outTok) * 15e-6, "cacheRead": float64(cr) * 0.3e-6, "cacheWrite": 0, "total": cost}},
					"stopReason": "stop", "timestamp": at.UnixMilli(), "responseId": fmt.Sprintf("chatcmpl-%d-%d", f, i),
				}}
			for _, ev := range []any{user, asst} {
				b, _ := json.Marshal(ev)
				w.Write(b)
				w.WriteByte('\n')
			}
		}
		n += count
		if err := w.Flush(); err != nil {
			return err
		}
		if err := out.Close(); err != nil {
			return err
		}
	}
	fmt.Printf("generated %d records in %d files under %s\n", n, *files, *dir)
	return nil
}

func runIngest(args []string) error {
	fs := flag.NewFlagSet("ingest", flag.ExitOnError)
	dir := fs.String("dir", "", "state dir (from gen)")
	db := fs.String("db", "", "executor database to create (must not exist)")
	queries := fs.Int("queries", 1000, "queries for the latency figures")
	days := fs.Int("days", 30, "days the query spans, ending 2026-12-30")
	_ = fs.Parse(args)
	if *dir == "" || *db == "" {
		return fmt.Errorf("-dir and -db are required")
	}
	if _, err := os.Stat(*db); err == nil {
		return fmt.Errorf("%s exists; give a new file", *db)
	}
	ctx := context.Background()
	st, err := store.Open(*db)
	if err != nil {
		return err
	}
	defer st.Close()
	in := ingest.New(st, ingest.Options{})

	start := time.Now()
	if err := in.ScanTenant(ctx, "bench", *dir); err != nil {
		return err
	}
	full := time.Since(start)
	added := in.Status()["bench"].Added
	fmt.Printf("full ingest: %d records in %v: %.0f records/s\n", added, full.Round(time.Millisecond), float64(added)/full.Seconds())

	var rescans []time.Duration
	for range 5 {
		start = time.Now()
		if err := in.ScanTenant(ctx, "bench", *dir); err != nil {
			return err
		}
		rescans = append(rescans, time.Since(start))
	}
	slices.Sort(rescans)
	fmt.Printf("incremental rescan, nothing changed: median %v (min %v, max %v) over 5 runs; added %d\n",
		rescans[2].Round(time.Microsecond), rescans[0].Round(time.Microsecond), rescans[4].Round(time.Microsecond),
		in.Status()["bench"].Added-added)

	return queryLatency(ctx, st, *days, *queries)
}

func queryLatency(ctx context.Context, st *store.Store, days, queries int) error {
	q := api.UsageQuery{Tenant: "bench", From: end.AddDate(0, 0, -(days - 1)).Format(api.UsageDayLayout), To: end.Format(api.UsageDayLayout),
		GroupBy: []string{api.UsageByDay, api.UsageByModel, api.UsageByAgent}}
	var lat []time.Duration
	var rows int
	var msgs int64
	for range queries {
		start := time.Now()
		rep, err := st.QueryUsage(ctx, q)
		if err != nil {
			return err
		}
		lat = append(lat, time.Since(start))
		rows, msgs = len(rep.Rows), rep.Totals.Messages
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	fmt.Printf("query %d-day day x model x agent: %d rows, %d messages; p50 %v p99 %v max %v over %d queries\n",
		days, rows, msgs, pct(0.50).Round(time.Microsecond), pct(0.99).Round(time.Microsecond), lat[len(lat)-1].Round(time.Microsecond), len(lat))
	return nil
}

func fill(args []string) error {
	fs := flag.NewFlagSet("fill", flag.ExitOnError)
	db := fs.String("db", "", "executor database to create (must not exist)")
	records := fs.Int("records", 10_000_000, "records to add")
	agents := fs.Int("agents", 10, "agents")
	models := fs.Int("models", 5, "models")
	days := fs.Int("days", 30, "days")
	queries := fs.Int("queries", 1000, "queries for the latency figures")
	_ = fs.Parse(args)
	if *db == "" {
		return fmt.Errorf("-db is required")
	}
	if _, err := os.Stat(*db); err == nil {
		return fmt.Errorf("%s exists; give a new file", *db)
	}
	ctx := context.Background()
	st, err := store.Open(*db)
	if err != nil {
		return err
	}
	defer st.Close()
	rng := rand.New(rand.NewPCG(3, 4))
	const batch = 4096
	recs := make([]store.PricedRecord, 0, batch)
	start := time.Now()
	for i := range *records {
		var r store.PricedRecord
		r.Agent = fmt.Sprintf("agent-%02d", rng.IntN(*agents))
		// Sequential keys: this measures the query over a 10M-record
		// database; ingestion speed is what `ingest` measures.
		r.Key = fmt.Sprintf("%012d", i)
		r.Time = end.Add(-time.Duration(rng.Int64N(int64(*days) * int64(24*time.Hour))))
		r.Provider, r.Model = "bench", fmt.Sprintf("bench-model-%d", rng.IntN(*models))
		r.Tokens.Input, r.Tokens.Output, r.Tokens.CacheRead = 500+rng.Int64N(3000), 20+rng.Int64N(500), rng.Int64N(1000)
		r.Tokens.Total = r.Tokens.Input + r.Tokens.Output + r.Tokens.CacheRead
		r.Cost.NanoUSD, r.Cost.Source = r.Tokens.Input*3000+r.Tokens.Output*15000, "recorded"
		recs = append(recs, r)
		if len(recs) == batch || i == *records-1 {
			if _, err := st.AddUsage(ctx, "bench", recs, nil, time.Now()); err != nil {
				return err
			}
			recs = recs[:0]
		}
	}
	took := time.Since(start)
	fmt.Printf("fill: %d records through store.AddUsage in %v: %.0f records/s\n", *records, took.Round(time.Millisecond), float64(*records)/took.Seconds())
	return queryLatency(ctx, st, *days, *queries)
}

// query times the queries on an existing database (from ingest or fill).
func query(args []string) error {
	fs := flag.NewFlagSet("query", flag.ExitOnError)
	db := fs.String("db", "", "executor database")
	days := fs.Int("days", 30, "days the query spans, ending 2026-12-30")
	queries := fs.Int("queries", 1000, "queries for the latency figures")
	_ = fs.Parse(args)
	st, err := store.Open(*db)
	if err != nil {
		return err
	}
	defer st.Close()
	return queryLatency(context.Background(), st, *days, *queries)
}
