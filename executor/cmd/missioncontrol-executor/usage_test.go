package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Real OpenClaw 2026.9.6 stores with their expected totals, owned by the
// usage package.
const usageFixtures = "../../usage/testdata/openclaw"

// runUsage runs the root command with args and returns stdout and stderr.
func runUsage(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := newRootCmd()
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(append([]string{"usage"}, args...))
	err := cmd.Execute()
	return out.String(), errOut.String(), err
}

func parseLines(t *testing.T, out string) []usageLine {
	t.Helper()
	var lines []usageLine
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		var l usageLine
		if err := dec.Decode(&l); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		lines = append(lines, l)
	}
	return lines
}

// The output for each fixture tenant equals expected-totals.json.
func TestUsageScanFixtures(t *testing.T) {
	t.Parallel()
	for _, tenant := range []string{"acme", "globex"} {
		t.Run(tenant, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(usageFixtures, tenant)
			b, err := os.ReadFile(filepath.Join(dir, "expected-totals.json"))
			if err != nil {
				t.Fatal(err)
			}
			var expected struct {
				Groups []struct {
					AgentID, Provider, Model, Day        string
					Input, Output, CacheRead, CacheWrite int64
					TotalTokens                          int64
					CostTotal                            float64
					Messages, Errors                     int64
				}
			}
			if err := json.Unmarshal(b, &expected); err != nil {
				t.Fatal(err)
			}
			var want []usageLine
			for _, g := range expected.Groups {
				want = append(want, usageLine{
					Agent: g.AgentID, Model: g.Model, Day: g.Day, Provider: g.Provider,
					Input: g.Input, Output: g.Output, CacheRead: g.CacheRead, CacheWrite: g.CacheWrite,
					CostUSD: g.CostTotal, Messages: g.Messages, Errors: g.Errors, TotalTokens: g.TotalTokens,
				})
			}
			out, errOut, err := runUsage(t, "scan", dir)
			if err != nil {
				t.Fatalf("scan: %v\n%s", err, errOut)
			}
			if errOut != "" {
				t.Errorf("stderr: %s", errOut)
			}
			nanos := cmp.Comparer(func(a, b float64) bool { return math.Round(a*1e9) == math.Round(b*1e9) })
			if diff := cmp.Diff(want, parseLines(t, out), nanos); diff != "" {
				t.Errorf("rollups (-want +got):\n%s", diff)
			}
			if !strings.Contains(out, `"cost_usd":0.016008,`) && tenant == "acme" {
				t.Errorf("cost_usd not printed as a plain decimal: %s", out)
			}
		})
	}
}

// writeTranscript writes a legacy JSONL transcript with an unpriced model
// and a malformed line.
func writeTranscript(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "agents", "main", "sessions", "s1.jsonl")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	lines := []string{
		`{"type":"session","version":3,"id":"s1","timestamp":"2025-06-01T10:00:00.000Z","cwd":"/w"}`,
		`{"type":"message","id":"a1","timestamp":"2025-06-01T10:00:01.000Z","message":{"role":"assistant","provider":"fake","model":"fake-model-1","usage":{"input":1000000,"output":1000,"cacheRead":0,"cacheWrite":0,"totalTokens":1001000,"cost":{"total":0}},"stopReason":"stop","timestamp":1748772001000}}`,
		`{"type":"message","id":"a2",`,
		`{"type":"message","id":"a3","timestamp":"2025-06-01T10:00:02.000Z","message":{"role":"assistant","provider":"fake","model":"fake-model-1","usage":{"input":0,"output":0,"totalTokens":0},"stopReason":"error","timestamp":1748772002000}}`,
	}
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestUsageScanUnpricedAndMalformed(t *testing.T) {
	t.Parallel()
	out, errOut, err := runUsage(t, "scan", writeTranscript(t))
	if err != nil {
		t.Fatalf("scan failed on a partly malformed file: %v", err)
	}
	want := []usageLine{{
		Agent: "main", Model: "fake-model-1", Day: "2025-06-01", Provider: "fake",
		Input: 1000000, Output: 1000, TotalTokens: 1001000, Messages: 2, Errors: 1, Unpriced: 1,
	}}
	if diff := cmp.Diff(want, parseLines(t, out)); diff != "" {
		t.Errorf("rollups (-want +got):\n%s", diff)
	}
	for _, s := range []string{
		"agents/main/sessions/s1.jsonl: 1 malformed lines skipped",
		"1 messages have tokens but no recorded cost and no price (fake/fake-model-1)",
		"1 of 1 stores read, 2 records (0 duplicates), 1 malformed, 1 unpriced",
	} {
		if !strings.Contains(errOut, s) {
			t.Errorf("stderr lacks %q:\n%s", s, errOut)
		}
	}
}

func TestUsageScanPrices(t *testing.T) {
	t.Parallel()
	out, errOut, err := runUsage(t, "scan", "--prices", "../../usage/testdata/prices/fake.hcl", writeTranscript(t))
	if err != nil {
		t.Fatal(err)
	}
	// 1e6 input x 3 + 1e3 output x 15 USD per 1M tokens.
	want := []usageLine{{
		Agent: "main", Model: "fake-model-1", Day: "2025-06-01", Provider: "fake",
		Input: 1000000, Output: 1000, TotalTokens: 1001000, Messages: 2, Errors: 1,
		CostUSD: 3.015, PriceVersion: "test-2026-12",
	}}
	if diff := cmp.Diff(want, parseLines(t, out)); diff != "" {
		t.Errorf("rollups (-want +got):\n%s", diff)
	}
	if strings.Contains(errOut, "unpriced") && !strings.Contains(errOut, "0 unpriced") {
		t.Errorf("stderr: %s", errOut)
	}
}

func TestUsageScanFailures(t *testing.T) {
	t.Parallel()
	notSQLite := t.TempDir()
	db := filepath.Join(notSQLite, "agents", "main", "agent", "openclaw-agent.sqlite")
	if err := os.MkdirAll(filepath.Dir(db), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(db, []byte("not a database"), 0o644); err != nil {
		t.Fatal(err)
	}
	badPrices := filepath.Join(t.TempDir(), "p.hcl")
	if err := os.WriteFile(badPrices, []byte("version = \"v\"\nprice \"a\" \"b\" {\n  input = -1\n  output = 1\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	testCases := map[string]struct {
		args   []string
		err    string
		stderr string
	}{
		"empty dir":       {args: []string{"scan", t.TempDir()}, err: "no OpenClaw usage stores under"},
		"missing dir":     {args: []string{"scan", filepath.Join(t.TempDir(), "nope")}, err: "open state dir"},
		"nothing read":    {args: []string{"scan", notSQLite}, err: "none of the 1 usage stores", stderr: "not an SQLite database"},
		"bad price file":  {args: []string{"scan", "--prices", badPrices, t.TempDir()}, err: "p.hcl:3,3: price.a.b.input"},
		"no dir argument": {args: []string{"scan"}, err: "accepts 1 arg"},
	}
	for name, tc := range testCases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			out, errOut, err := runUsage(t, tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("err = %v, want %q", err, tc.err)
			}
			if out != "" {
				t.Errorf("stdout: %s", out)
			}
			if !strings.Contains(errOut, tc.stderr) {
				t.Errorf("stderr %q lacks %q", errOut, tc.stderr)
			}
		})
	}
}
