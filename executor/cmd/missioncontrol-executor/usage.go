package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/usage"
)

func newUsageCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "usage",
		Short: "Inspect the model usage OpenClaw recorded for tenants",
	}
	cmd.AddCommand(newUsageScanCmd())
	return cmd
}

func newUsageScanCmd() *cobra.Command {
	var pricesFile string
	cmd := &cobra.Command{
		Use:   "scan DIR",
		Short: "Print the usage rollups of one OpenClaw state dir as JSON lines",
		Long: `Reads the usage OpenClaw recorded under DIR (an OpenClaw state dir: the per-agent
SQLite stores agents/<agentId>/agent/openclaw-agent.sqlite and any legacy JSONL
transcripts agents/<agentId>/sessions/*.jsonl), read-only, and prints one JSON
object per agent, model and UTC day:

  {"agent":"main","model":"...","day":"2026-12-04","input":0,"output":0,
   "cache_read":0,"cache_write":0,"cost_usd":0,"messages":0,"errors":0,
   "provider":"...","total_tokens":0,"unpriced":0,"price_version":""}

cost_usd is OpenClaw's recorded usage.cost.total, or the price table's price when
none was recorded (price_version names the table). "unpriced" counts messages with
tokens but neither; their cost is missing from cost_usd. Problems per file go to
stderr. The command fails only if nothing under DIR could be read.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runUsageScan(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), args[0], pricesFile)
		},
	}
	cmd.Flags().StringVar(&pricesFile, "prices", "",
		"operator price file (HCL; HCL's JSON syntax if it ends in .json), overlaid on the shipped prices")
	return cmd
}

// usageLine is one line of `usage scan` output, the contract in DESIGN.md.
type usageLine struct {
	Agent        string  `json:"agent"`
	Model        string  `json:"model"`
	Day          string  `json:"day"`
	Input        int64   `json:"input"`
	Output       int64   `json:"output"`
	CacheRead    int64   `json:"cache_read"`
	CacheWrite   int64   `json:"cache_write"`
	CostUSD      float64 `json:"cost_usd"`
	Messages     int64   `json:"messages"`
	Errors       int64   `json:"errors"`
	Provider     string  `json:"provider"`
	TotalTokens  int64   `json:"total_tokens"`
	Unpriced     int64   `json:"unpriced"`
	PriceVersion string  `json:"price_version"`
}

func runUsageScan(ctx context.Context, stdout, stderr io.Writer, dir, pricesFile string) error {
	if ctx == nil {
		ctx = context.Background()
	}
	prices := usage.DefaultPrices()
	if pricesFile != "" {
		var err error
		if prices, err = usage.LoadPrices(pricesFile); err != nil {
			return err
		}
	}
	agg := usage.NewAggregator(prices)
	_, rep, err := usage.NewScanner(usage.Options{}).Scan(ctx, dir, usage.Cursor{}, func(r usage.Record) error {
		agg.Add(r)
		return nil
	})
	if err != nil {
		return err
	}
	if rep.Readable() == 0 {
		printScanProblems(stderr, rep, nil, 0)
		if len(rep.Sources) == 0 {
			return fmt.Errorf("no OpenClaw usage stores under %s: expected agents/<agentId>/agent/%s or agents/<agentId>/%s/*.jsonl",
				dir, usage.DatabaseName, usage.SessionsDir)
		}
		return fmt.Errorf("none of the %d usage stores under %s could be read", len(rep.Sources), dir)
	}

	rollups := agg.Rollups()
	enc := json.NewEncoder(stdout)
	for _, r := range rollups {
		if err := enc.Encode(usageLine{
			Agent: r.Agent, Model: r.Model, Day: r.Day,
			Input: r.Input, Output: r.Output, CacheRead: r.CacheRead, CacheWrite: r.CacheWrite,
			CostUSD: r.CostUSD(), Messages: r.Messages, Errors: r.Errors,
			Provider: r.Provider, TotalTokens: r.Total, Unpriced: r.Unpriced, PriceVersion: r.PriceVersion,
		}); err != nil {
			return fmt.Errorf("write rollups: %w", err)
		}
	}
	printScanProblems(stderr, rep, rollups, agg.Duplicates())
	return nil
}

// printScanProblems writes one line per store that could not be read or
// had malformed records, then a summary, and nothing when all is well.
func printScanProblems(w io.Writer, rep usage.Report, rollups []usage.Rollup, duplicates int) {
	failed := 0
	for _, s := range rep.Sources {
		switch {
		case s.Err != nil:
			failed++
			fmt.Fprintf(w, "usage scan: %s: not read: %v\n", s.Path, s.Err)
		case s.Malformed > 0:
			fmt.Fprintf(w, "usage scan: %s: %d malformed %s skipped\n", s.Path, s.Malformed, plural(s.Kind))
			for _, p := range s.Problems {
				fmt.Fprintf(w, "  %s\n", p)
			}
		}
	}
	var unpriced int64
	var models []string
	for _, r := range rollups {
		if r.Unpriced > 0 {
			unpriced += r.Unpriced
			if m := r.Provider + "/" + r.Model; !slices.Contains(models, m) {
				models = append(models, m)
			}
		}
	}
	if unpriced > 0 {
		fmt.Fprintf(w, "usage scan: %d messages have tokens but no recorded cost and no price (%s); their cost is not in cost_usd: add prices with --prices FILE\n",
			unpriced, strings.Join(models, ", "))
	}
	if failed > 0 || rep.Malformed() > 0 || unpriced > 0 {
		fmt.Fprintf(w, "usage scan: %d of %d stores read, %d records (%d duplicates), %d malformed, %d unpriced\n",
			len(rep.Sources)-failed, len(rep.Sources), rep.Records(), duplicates, rep.Malformed(), unpriced)
	}
}

func plural(k usage.SourceKind) string {
	if k == usage.SourceJSONL {
		return "lines"
	}
	return "events"
}
