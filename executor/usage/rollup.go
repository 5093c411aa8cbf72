package usage

import (
	"cmp"
	"slices"
	"time"
)

// DayLayout formats Rollup.Day: the UTC date of the message time.
const DayLayout = "2006-01-02"

// Rollup sums the usage of one agent, provider and model on one UTC day.
// The caller adds the tenant.
type Rollup struct {
	Agent    string
	Provider string
	Model    string
	Day      string // UTC, DayLayout
	Tokens
	// NanoUSD is the cost in 1e-9 USD: recorded costs plus table-priced
	// ones. Unpriced messages add nothing here and are counted in Unpriced.
	NanoUSD int64
	// Messages counts assistant messages with usage, failed turns included.
	Messages int64
	// Errors counts messages with stopReason "error".
	Errors int64
	// Unpriced counts messages with billable tokens whose cost is unknown
	// (CostUnpriced). A rollup with Unpriced > 0 under-states its cost.
	Unpriced int64
	// PriceVersion is the version of the table price applied to any of the
	// messages, "" when every cost was recorded by OpenClaw.
	PriceVersion string
}

// CostUSD is NanoUSD in USD.
func (r Rollup) CostUSD() float64 { return float64(r.NanoUSD) / 1e9 }

// Add folds one priced message into r. It does not check the grouping keys.
func (r *Rollup) Add(ev Event, c Cost) {
	r.Tokens.add(ev.Tokens)
	r.NanoUSD = satAdd(r.NanoUSD, c.NanoUSD)
	r.Messages++
	if ev.Failed() {
		r.Errors++
	}
	if c.Source == CostUnpriced {
		r.Unpriced++
	}
	if c.PriceVersion != "" && r.PriceVersion == "" {
		r.PriceVersion = c.PriceVersion
	}
}

// Day returns the rollup day of a message time.
func Day(t time.Time) string { return t.UTC().Format(DayLayout) }

// Aggregator builds rollups in memory from records, dropping duplicates by
// agent and Record.Key. It is what `usage scan` uses; the executor's
// ingestion does the same in its database (unique key, then Rollup.Add).
// An Aggregator is not safe for concurrent use.
type Aggregator struct {
	prices     *Prices
	seen       map[seenKey]struct{}
	groups     map[groupKey]*Rollup
	duplicates int
}

type seenKey struct{ agent, key string }

type groupKey struct{ agent, provider, model, day string }

// NewAggregator returns an empty Aggregator that prices with prices (nil:
// recorded costs only, everything else is unpriced).
func NewAggregator(prices *Prices) *Aggregator {
	return &Aggregator{prices: prices, seen: map[seenKey]struct{}{}, groups: map[groupKey]*Rollup{}}
}

// Add prices r and folds it into its rollup. It returns false, and changes
// nothing, when a record with the same agent and key was added before.
func (a *Aggregator) Add(r Record) bool {
	sk := seenKey{r.Agent, r.Key}
	if _, dup := a.seen[sk]; dup {
		a.duplicates++
		return false
	}
	a.seen[sk] = struct{}{}
	gk := groupKey{r.Agent, r.Provider, r.Model, Day(r.Time)}
	g := a.groups[gk]
	if g == nil {
		g = &Rollup{Agent: gk.agent, Provider: gk.provider, Model: gk.model, Day: gk.day}
		a.groups[gk] = g
	}
	g.Add(r.Event, a.prices.Cost(r.Event))
	return true
}

// Duplicates is the number of records Add dropped.
func (a *Aggregator) Duplicates() int { return a.duplicates }

// Rollups returns the rollups ordered by agent, model, day and provider.
func (a *Aggregator) Rollups() []Rollup {
	out := make([]Rollup, 0, len(a.groups))
	for _, g := range a.groups {
		out = append(out, *g)
	}
	slices.SortFunc(out, func(x, y Rollup) int {
		return cmp.Or(cmp.Compare(x.Agent, y.Agent), cmp.Compare(x.Model, y.Model),
			cmp.Compare(x.Day, y.Day), cmp.Compare(x.Provider, y.Provider))
	})
	return out
}
