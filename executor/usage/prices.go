package usage

import (
	_ "embed"
	"errors"
	"fmt"
	"math"
	"os"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsimple"
)

// defaultPricesHCL is the shipped price table. Its version changes with every
// edit, so a rollup priced from it names the prices it used.
//
//go:embed defaults.hcl
var defaultPricesHCL string

// AnyProvider is the provider label of a price that applies to a model under
// every provider that has no price of its own for it.
const AnyProvider = "*"

// Price is what one million tokens of each kind cost, in USD.
type Price struct {
	Input      float64
	Output     float64
	CacheRead  float64
	CacheWrite float64
	// Version is the version of the table the price was loaded from.
	Version string
}

// Prices is a price table keyed by provider and model. A nil *Prices is an
// empty table. Prices is immutable once built.
type Prices struct {
	byKey map[priceKey]Price
}

type priceKey struct{ provider, model string }

// Lookup returns the price of provider/model, falling back to the model's
// AnyProvider price; false if there is neither. Names match exactly.
func (p *Prices) Lookup(provider, model string) (Price, bool) {
	if p == nil {
		return Price{}, false
	}
	if pr, ok := p.byKey[priceKey{provider, model}]; ok {
		return pr, true
	}
	pr, ok := p.byKey[priceKey{AnyProvider, model}]
	return pr, ok
}

// Len is the number of prices in the table.
func (p *Prices) Len() int {
	if p == nil {
		return 0
	}
	return len(p.byKey)
}

// Overlay returns a table with the prices of p, each replaced by q's price for
// the same provider and model where q has one. Neither input changes.
func (p *Prices) Overlay(q *Prices) *Prices {
	out := &Prices{byKey: make(map[priceKey]Price, p.Len()+q.Len())}
	for _, t := range []*Prices{p, q} {
		if t == nil {
			continue
		}
		for k, v := range t.byKey {
			out.byKey[k] = v
		}
	}
	return out
}

// CostSource says where the cost of one message came from.
type CostSource string

const (
	// CostRecorded: usage.cost.total as OpenClaw recorded it (> 0), computed
	// from the gateway's configured prices or billed by the provider.
	CostRecorded CostSource = "recorded"
	// CostTable: no recorded cost; computed from the price table.
	CostTable CostSource = "table"
	// CostNone: no recorded cost, no price and no billable tokens (a failed
	// turn of an unknown model); there is nothing to price.
	CostNone CostSource = "none"
	// CostUnpriced: billable tokens but neither a recorded cost nor a price.
	// The cost is unknown, not zero; rollups count and flag these messages.
	CostUnpriced CostSource = "unpriced"
)

// Cost is the cost of one message.
type Cost struct {
	// NanoUSD is the cost in units of 1e-9 USD. Integer units make sums
	// exact and independent of the order records arrive in.
	NanoUSD int64
	Source  CostSource
	// PriceVersion is the version of the price used when Source is
	// CostTable, "" otherwise.
	PriceVersion string
}

// Cost prices one message: usage.cost.total when it is above zero, else the
// table's price for its provider and model. The outcomes are CostRecorded,
// CostTable, CostNone (nothing billable and no price) and CostUnpriced.
func (p *Prices) Cost(ev Event) Cost {
	if ev.Cost > 0 {
		return Cost{NanoUSD: usdToNano(ev.Cost), Source: CostRecorded}
	}
	if pr, ok := p.Lookup(ev.Provider, ev.Model); ok {
		t := ev.Tokens
		// USD per 1M tokens is 1e3 nano-USD per token.
		nano := (float64(t.Input)*pr.Input + float64(t.Output)*pr.Output +
			float64(t.CacheRead)*pr.CacheRead + float64(t.CacheWrite)*pr.CacheWrite) * 1e3
		return Cost{NanoUSD: nanoRound(nano), Source: CostTable, PriceVersion: pr.Version}
	}
	if !ev.Tokens.Billable() {
		return Cost{Source: CostNone}
	}
	return Cost{Source: CostUnpriced}
}

func usdToNano(usd float64) int64 { return nanoRound(usd * 1e9) }

func nanoRound(n float64) int64 {
	switch {
	case !(n > 0): // also NaN
		return 0
	case n >= math.MaxInt64:
		return math.MaxInt64
	}
	return int64(math.Round(n))
}

// DefaultPrices returns the shipped price table (defaults.hcl). It panics if
// the embedded file is invalid, which the package tests rule out.
func DefaultPrices() *Prices {
	p, err := ParsePrices([]byte(defaultPricesHCL), "defaults.hcl")
	if err != nil {
		panic(fmt.Sprintf("usage: embedded defaults.hcl: %v", err))
	}
	return p
}

// LoadPrices reads an operator price file and returns the shipped defaults
// overlaid with it. A file name ending in ".json" is read as HCL's JSON
// syntax, anything else as native HCL. A missing file wraps os.ErrNotExist;
// an invalid one returns hcl.Diagnostics or a *PriceError.
func LoadPrices(filename string) (*Prices, error) {
	src, err := os.ReadFile(filename)
	if err != nil {
		return nil, fmt.Errorf("read price file: %w", err)
	}
	p, err := ParsePrices(src, filename)
	if err != nil {
		return nil, err
	}
	return DefaultPrices().Overlay(p), nil
}

// ErrInvalidPrice is wrapped by every *PriceError.
var ErrInvalidPrice = errors.New("invalid price")

// PriceError is an invalid value in a price file, with where it is.
type PriceError struct {
	Range hcl.Range
	Field string // e.g. price.anthropic.claude-sonnet-4-5.input
	Err   error
}

func (e *PriceError) Error() string {
	return fmt.Sprintf("%s:%d,%d: %s: %v", e.Range.Filename, e.Range.Start.Line, e.Range.Start.Column, e.Field, e.Err)
}

func (e *PriceError) Unwrap() error { return e.Err }

type priceFile struct {
	Version      string       `hcl:"version"`
	VersionRange hcl.Range    `hcl:"version,attr_range"`
	Prices       []priceBlock `hcl:"price,block"`
}

type priceBlock struct {
	Provider   string    `hcl:"provider,label"`
	Model      string    `hcl:"model,label"`
	Input      float64   `hcl:"input"`
	Output     float64   `hcl:"output"`
	CacheRead  float64   `hcl:"cache_read,optional"`
	CacheWrite float64   `hcl:"cache_write,optional"`
	DefRange   hcl.Range `hcl:",def_range"`
	InputR     hcl.Range `hcl:"input,attr_range"`
	OutputR    hcl.Range `hcl:"output,attr_range"`
	CacheReadR hcl.Range `hcl:"cache_read,attr_range"`
	CacheWrtR  hcl.Range `hcl:"cache_write,attr_range"`
}

// ParsePrices parses one price file on its own (no defaults):
//
//	version = "2026-12-01"            # required; recorded on every rollup priced from it
//	price "anthropic" "claude-sonnet-4-5" {
//	  input       = 3                 # USD per 1M tokens
//	  output      = 15
//	  cache_read  = 0.3               # optional, default 0
//	  cache_write = 3.75              # optional, default 0
//	}
//
// The provider label may be AnyProvider ("*"). Prices must be finite and >= 0
// and each provider/model pair may appear once. filename names the source in
// errors and selects the syntax (".json" for JSON).
func ParsePrices(src []byte, filename string) (*Prices, error) {
	var f priceFile
	if err := hclsimple.Decode(filename, src, nil, &f); err != nil {
		return nil, err
	}
	if f.Version == "" {
		return nil, &PriceError{Range: f.VersionRange, Field: "version", Err: fmt.Errorf("%w: must not be empty", ErrInvalidPrice)}
	}
	p := &Prices{byKey: make(map[priceKey]Price, len(f.Prices))}
	seen := make(map[priceKey]hcl.Range, len(f.Prices))
	for _, b := range f.Prices {
		field := "price." + b.Provider + "." + b.Model
		if b.Provider == "" || b.Model == "" || b.Model == "*" {
			return nil, &PriceError{Range: b.DefRange, Field: field, Err: fmt.Errorf("%w: provider and model must be named (got %q %q)", ErrInvalidPrice, b.Provider, b.Model)}
		}
		for _, v := range []struct {
			name string
			val  float64
			rng  hcl.Range
		}{{"input", b.Input, b.InputR}, {"output", b.Output, b.OutputR}, {"cache_read", b.CacheRead, b.CacheReadR}, {"cache_write", b.CacheWrite, b.CacheWrtR}} {
			if !(v.val >= 0) || math.IsInf(v.val, 0) {
				rng := v.rng
				if rng.Filename == "" {
					rng = b.DefRange
				}
				return nil, &PriceError{Range: rng, Field: field + "." + v.name, Err: fmt.Errorf("%w: must be a finite number >= 0 (got %v)", ErrInvalidPrice, v.val)}
			}
		}
		k := priceKey{b.Provider, b.Model}
		if prev, dup := seen[k]; dup {
			return nil, &PriceError{Range: b.DefRange, Field: field, Err: fmt.Errorf("%w: duplicate price (first at line %d)", ErrInvalidPrice, prev.Start.Line)}
		}
		seen[k] = b.DefRange
		p.byKey[k] = Price{Input: b.Input, Output: b.Output, CacheRead: b.CacheRead, CacheWrite: b.CacheWrite, Version: f.Version}
	}
	return p, nil
}
