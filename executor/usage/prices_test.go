package usage_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/usage"
)

func TestDefaultPrices(t *testing.T) {
	t.Parallel()
	p := usage.DefaultPrices()
	if p.Len() == 0 {
		t.Fatal("no shipped prices")
	}
	pr, ok := p.Lookup("anthropic", "claude-sonnet-4-5")
	if !ok || pr.Version == "" || pr.Input <= 0 || pr.Output <= 0 {
		t.Fatalf("claude-sonnet-4-5: %+v, %v", pr, ok)
	}
}

func TestLoadPrices(t *testing.T) {
	t.Parallel()
	p, err := usage.LoadPrices(filepath.Join("testdata", "prices", "fake.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	// The operator file adds its models and overrides a default.
	want := map[[2]string]usage.Price{
		{"fake", "fake-model-1"}:           {Input: 3, Output: 15, CacheRead: 0.3, CacheWrite: 3.75, Version: "test-2026-12"},
		{"other", "fake-model-2"}:          {Input: 1, Output: 5, CacheRead: 0.1, CacheWrite: 1.25, Version: "test-2026-12"},
		{"anthropic", "claude-sonnet-4-5"}: {Input: 2, Output: 10, Version: "test-2026-12"},
	}
	for k, w := range want {
		got, ok := p.Lookup(k[0], k[1])
		if !ok {
			t.Errorf("%v: no price", k)
			continue
		}
		if diff := cmp.Diff(w, got); diff != "" {
			t.Errorf("%v (-want +got):\n%s", k, diff)
		}
	}
	if got, ok := p.Lookup("anthropic", "claude-haiku-4-5"); !ok || strings.HasPrefix(got.Version, "test") {
		t.Errorf("defaults lost or relabelled: %+v %v", got, ok)
	}
	if _, ok := p.Lookup("fake", "unknown-model"); ok {
		t.Error("unknown model priced")
	}

	j, err := usage.LoadPrices(filepath.Join("testdata", "prices", "fake.json"))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := j.Lookup("fake", "fake-model-1"); got.Output != 15 || got.Version != "test-json" {
		t.Errorf("JSON syntax: %+v", got)
	}
}

func TestParsePricesErrors(t *testing.T) {
	t.Parallel()
	testCases := map[string]struct {
		src   string
		field string // "" when the error is an HCL diagnostic
		line  int
	}{
		"negative": {
			src:   "version = \"v\"\nprice \"p\" \"m\" {\n  input  = -1\n  output = 1\n}\n",
			field: "price.p.m.input", line: 3,
		},
		"duplicate": {
			src:   "version = \"v\"\nprice \"p\" \"m\" {\n  input = 1\n  output = 1\n}\nprice \"p\" \"m\" {\n  input = 2\n  output = 2\n}\n",
			field: "price.p.m", line: 6,
		},
		"empty version": {src: "version = \"\"\n", field: "version", line: 1},
		"wildcard model": {
			src:   "version = \"v\"\nprice \"p\" \"*\" {\n  input = 1\n  output = 1\n}\n",
			field: "price.p.*", line: 2,
		},
		"missing version":   {src: "price \"p\" \"m\" {\n  input = 1\n  output = 1\n}\n"},
		"missing output":    {src: "version = \"v\"\nprice \"p\" \"m\" {\n  input = 1\n}\n"},
		"unknown attribute": {src: "version = \"v\"\nprice \"p\" \"m\" {\n  input = 1\n  output = 1\n  cached = 2\n}\n"},
		"string price":      {src: "version = \"v\"\nprice \"p\" \"m\" {\n  input = \"cheap\"\n  output = 1\n}\n"},
		"syntax":            {src: "version = \n"},
	}
	for name, tc := range testCases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := usage.ParsePrices([]byte(tc.src), "prices.hcl")
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), "prices.hcl:") {
				t.Errorf("error does not name the file and line: %v", err)
			}
			var pe *usage.PriceError
			if tc.field == "" {
				if errors.As(err, &pe) {
					t.Errorf("want an HCL diagnostic, got %v", err)
				}
				return
			}
			if !errors.As(err, &pe) || !errors.Is(err, usage.ErrInvalidPrice) {
				t.Fatalf("want *PriceError, got %T %v", err, err)
			}
			if pe.Field != tc.field || pe.Range.Start.Line != tc.line {
				t.Errorf("field %q line %d, want %q line %d (%v)", pe.Field, pe.Range.Start.Line, tc.field, tc.line, err)
			}
		})
	}
}

func TestLoadPricesMissingFile(t *testing.T) {
	t.Parallel()
	_, err := usage.LoadPrices(filepath.Join(t.TempDir(), "nope.hcl"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err = %v, want ErrNotExist", err)
	}
}

func TestCost(t *testing.T) {
	t.Parallel()
	prices, err := usage.ParsePrices([]byte(`
version = "v1"
price "fake" "m" {
  input       = 3
  output      = 15
  cache_read  = 0.3
  cache_write = 3.75
}
price "*" "shared" {
  input  = 1
  output = 1
}
`), "t.hcl")
	if err != nil {
		t.Fatal(err)
	}
	tokens := usage.Tokens{Input: 1034, Output: 56, CacheRead: 200, CacheWrite: 100}
	testCases := map[string]struct {
		ev   usage.Event
		want usage.Cost
	}{
		"recorded cost wins over the table": {
			ev:   usage.Event{Provider: "fake", Model: "m", Tokens: tokens, Cost: 0.0123, CostOrigin: "provider-billed"},
			want: usage.Cost{NanoUSD: 12_300_000, Source: usage.CostRecorded},
		},
		"recorded double rounds to nano-USD": {
			ev:   usage.Event{Provider: "fake", Model: "m", Tokens: tokens, Cost: 0.0013340000000000001},
			want: usage.Cost{NanoUSD: 1_334_000, Source: usage.CostRecorded},
		},
		"zero recorded cost: table price": {
			// 1034*3 + 56*15 + 200*0.3 + 100*3.75 = 4377 USD per 1M tokens.
			ev:   usage.Event{Provider: "fake", Model: "m", Tokens: tokens},
			want: usage.Cost{NanoUSD: 4_377_000, Source: usage.CostTable, PriceVersion: "v1"},
		},
		"any-provider price": {
			ev:   usage.Event{Provider: "router", Model: "shared", Tokens: usage.Tokens{Input: 1_000_000, Output: 1}},
			want: usage.Cost{NanoUSD: 1_000_001_000, Source: usage.CostTable, PriceVersion: "v1"},
		},
		"no cost, no price: unpriced, not zero": {
			ev:   usage.Event{Provider: "fake", Model: "unknown", Tokens: tokens},
			want: usage.Cost{Source: usage.CostUnpriced},
		},
		"failed turn of an unknown model: nothing to price": {
			ev:   usage.Event{Provider: "fake", Model: "unknown", StopReason: "error"},
			want: usage.Cost{Source: usage.CostNone},
		},
		"huge counts saturate": {
			ev:   usage.Event{Provider: "fake", Model: "m", Tokens: usage.Tokens{Output: usage.MaxTokens}},
			want: usage.Cost{NanoUSD: 9_223_372_036_854_775_807, Source: usage.CostTable, PriceVersion: "v1"},
		},
	}
	for name, tc := range testCases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tc.want, prices.Cost(tc.ev)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	var none *usage.Prices
	if got := none.Cost(usage.Event{Tokens: tokens}); got.Source != usage.CostUnpriced {
		t.Errorf("nil table: %+v", got)
	}
}
