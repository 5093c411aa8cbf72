package loadgen

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// Stats are the percentiles of a set of latencies (nearest rank).
type Stats struct {
	N                  int
	P50, P90, P99, Max time.Duration
	Mean               time.Duration
}

// Summarize computes Stats; the zero Stats for no latencies.
func Summarize(lat []time.Duration) Stats {
	if len(lat) == 0 {
		return Stats{}
	}
	s := slices.Clone(lat)
	slices.Sort(s)
	var sum time.Duration
	for _, d := range s {
		sum += d
	}
	return Stats{N: len(s), P50: rank(s, 50), P90: rank(s, 90), P99: rank(s, 99), Max: s[len(s)-1], Mean: sum / time.Duration(len(s))}
}

// rank is the nearest-rank percentile p of sorted s: the smallest value
// with at least p% of the values at or below it.
func rank(s []time.Duration, p float64) time.Duration {
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}

func (s Stats) String() string {
	return fmt.Sprintf("n=%d p50=%s p90=%s p99=%s max=%s mean=%s", s.N, ms(s.P50), ms(s.P90), ms(s.P99), ms(s.Max), ms(s.Mean))
}

// ms prints a duration in milliseconds with one decimal.
func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond)) }
