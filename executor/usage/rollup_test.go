package usage_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/usage"
)

func TestAggregator(t *testing.T) {
	t.Parallel()
	prices, err := usage.ParsePrices([]byte(`
version = "v7" # 1000 USD per 1M tokens = 1e6 nano-USD per token
price "fake" "priced" {
  input  = 1000
  output = 1000
}
`), "t.hcl")
	if err != nil {
		t.Fatal(err)
	}
	rec := func(key, agent, model string, at time.Time, tok usage.Tokens, cost float64, stop string) usage.Record {
		return usage.Record{Agent: agent, Key: key, Event: usage.Event{
			ID: key, Time: at, Provider: "fake", Model: model, StopReason: stop, Tokens: tok, Cost: cost,
		}}
	}
	late := time.Date(2026, 12, 4, 23, 59, 59, 999e6, time.UTC)
	nextDay := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	in := []usage.Record{
		rec("z1", "zeta", "priced", late, usage.Tokens{Input: 1, Output: 1, Total: 2}, 0, "stop"),
		rec("m1", "main", "unknown", late, usage.Tokens{Input: 5, Total: 5}, 0, "stop"),
		rec("m2", "main", "unknown", late, usage.Tokens{Input: 5, Total: 5}, 0.5, "stop"),
		rec("m3", "main", "unknown", late, usage.Tokens{}, 0, "error"),
		rec("m4", "main", "unknown", nextDay, usage.Tokens{Output: 3, Total: 3}, 0.25, "stop"),
		rec("m2", "main", "unknown", late, usage.Tokens{Input: 500, Total: 500}, 9, "stop"), // duplicate key
		rec("m2", "ops", "unknown", late, usage.Tokens{Input: 1, Total: 1}, 0.1, "stop"),    // same key, other agent
		rec("p1", "main", "priced", late, usage.Tokens{Input: 2, Output: 1, Total: 3}, 0, "error"),
	}
	agg := usage.NewAggregator(prices)
	for _, r := range in {
		agg.Add(r)
	}
	want := []usage.Rollup{
		{Agent: "main", Provider: "fake", Model: "priced", Day: "2026-12-04", Tokens: usage.Tokens{Input: 2, Output: 1, Total: 3},
			NanoUSD: 3_000_000, Messages: 1, Errors: 1, PriceVersion: "v7"},
		{Agent: "main", Provider: "fake", Model: "unknown", Day: "2026-12-04", Tokens: usage.Tokens{Input: 10, Total: 10},
			NanoUSD: 500_000_000, Messages: 3, Errors: 1, Unpriced: 1},
		{Agent: "main", Provider: "fake", Model: "unknown", Day: "2026-12-05", Tokens: usage.Tokens{Output: 3, Total: 3},
			NanoUSD: 250_000_000, Messages: 1},
		{Agent: "ops", Provider: "fake", Model: "unknown", Day: "2026-12-04", Tokens: usage.Tokens{Input: 1, Total: 1},
			NanoUSD: 100_000_000, Messages: 1},
		{Agent: "zeta", Provider: "fake", Model: "priced", Day: "2026-12-04", Tokens: usage.Tokens{Input: 1, Output: 1, Total: 2},
			NanoUSD: 2_000_000, Messages: 1, PriceVersion: "v7"},
	}
	if diff := cmp.Diff(want, agg.Rollups()); diff != "" {
		t.Errorf("rollups (-want +got):\n%s", diff)
	}
	if agg.Duplicates() != 1 {
		t.Errorf("duplicates %d, want 1", agg.Duplicates())
	}

	// The same records in reverse order give the same rollups.
	rev := usage.NewAggregator(prices)
	for i := len(in) - 1; i >= 0; i-- {
		rev.Add(in[i])
	}
	got := rev.Rollups()
	// Reversed, the duplicate m2 with 500 tokens is the one kept.
	got[1].Input, got[1].Total, got[1].NanoUSD = 10, 10, 500_000_000
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("reverse order (-want +got):\n%s", diff)
	}
}

func TestRollupSaturates(t *testing.T) {
	t.Parallel()
	var r usage.Rollup
	ev := usage.Event{Tokens: usage.Tokens{Input: usage.MaxTokens, Total: usage.MaxTokens}}
	for range 2000 {
		r.Add(ev, usage.Cost{NanoUSD: 1 << 62, Source: usage.CostRecorded})
	}
	if r.Input != 1<<63-1 || r.NanoUSD != 1<<63-1 || r.Messages != 2000 {
		t.Fatalf("%+v", r)
	}
}
