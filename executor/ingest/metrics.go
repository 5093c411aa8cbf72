package ingest

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/usage"
)

// totalKey groups the all-time totals the metrics export.
type totalKey struct{ tenant, agent, provider, model string }

var (
	labels      = []string{"tenant", "agent", "provider", "model"}
	descTokens  = prometheus.NewDesc("missioncontrol_usage_tokens_total", "Tokens used, by kind (input, output, cache_read, cache_write), as OpenClaw recorded them.", append(append([]string(nil), labels...), "kind"), nil)
	descCost    = prometheus.NewDesc("missioncontrol_usage_cost_usd_total", "Model cost in USD: recorded by OpenClaw, else priced from the price table; unpriced messages add nothing.", labels, nil)
	descMsgs    = prometheus.NewDesc("missioncontrol_usage_messages_total", "Assistant messages with usage, failed turns included.", labels, nil)
	descErrs    = prometheus.NewDesc("missioncontrol_usage_errors_total", "Assistant messages of failed model turns.", labels, nil)
	descUnpr    = prometheus.NewDesc("missioncontrol_usage_unpriced_messages_total", "Messages with tokens but no recorded cost and no price; their cost is missing from the cost counter.", labels, nil)
	descLag     = prometheus.NewDesc("missioncontrol_usage_ingest_lag_seconds", "Seconds since the tenant's state dir was last scanned completely.", []string{"tenant"}, nil)
	descFailed  = prometheus.NewDesc("missioncontrol_usage_ingest_errors_total", "Scans of the tenant's state dir that failed or could not read a store, since the executor started.", []string{"tenant"}, nil)
	descMalform = prometheus.NewDesc("missioncontrol_usage_malformed_total", "Malformed events and lines met in the tenant's state dir, since the executor started.", []string{"tenant"}, nil)
)

// loadTotals reads the all-time totals from the store once, so counters
// continue across restarts instead of starting from zero.
func (in *Ingester) loadTotals(ctx context.Context) error {
	in.mu.Lock()
	loaded := in.loaded
	in.mu.Unlock()
	if loaded {
		return nil
	}
	rows, err := in.store.UsageTotals(ctx)
	if err != nil {
		return err
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, r := range rows {
		t := r.Rollup
		in.totals[totalKey{r.Tenant, r.Agent, r.Provider, r.Model}] = &t
	}
	in.loaded = true
	return nil
}

// count adds newly counted rollups to the totals and returns their
// message count.
func (in *Ingester) count(tenant string, rollups []usage.Rollup) int64 {
	in.mu.Lock()
	defer in.mu.Unlock()
	var n int64
	for _, r := range rollups {
		k := totalKey{tenant, r.Agent, r.Provider, r.Model}
		t := in.totals[k]
		if t == nil {
			t = &usage.Rollup{Agent: r.Agent, Provider: r.Provider, Model: r.Model}
			in.totals[k] = t
		}
		t.Input += r.Input
		t.Output += r.Output
		t.CacheRead += r.CacheRead
		t.CacheWrite += r.CacheWrite
		t.Total += r.Total
		t.NanoUSD += r.NanoUSD
		t.Messages += r.Messages
		t.Errors += r.Errors
		t.Unpriced += r.Unpriced
		n += r.Messages
	}
	return n
}

// Describe implements prometheus.Collector.
func (in *Ingester) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descTokens, descCost, descMsgs, descErrs, descUnpr, descLag, descFailed, descMalform} {
		ch <- d
	}
}

// Collect implements prometheus.Collector. Usage counters come from
// memory (loaded from the store at the first tick, then kept up to date);
// a scrape never touches the database.
func (in *Ingester) Collect(ch chan<- prometheus.Metric) {
	in.mu.Lock()
	defer in.mu.Unlock()
	now := in.now()
	for k, t := range in.totals {
		lv := []string{k.tenant, k.agent, k.provider, k.model}
		for _, kv := range []struct {
			kind string
			n    int64
		}{{"input", t.Input}, {"output", t.Output}, {"cache_read", t.CacheRead}, {"cache_write", t.CacheWrite}} {
			ch <- prometheus.MustNewConstMetric(descTokens, prometheus.CounterValue, float64(kv.n), append(lv, kv.kind)...)
		}
		ch <- prometheus.MustNewConstMetric(descCost, prometheus.CounterValue, t.CostUSD(), lv...)
		ch <- prometheus.MustNewConstMetric(descMsgs, prometheus.CounterValue, float64(t.Messages), lv...)
		ch <- prometheus.MustNewConstMetric(descErrs, prometheus.CounterValue, float64(t.Errors), lv...)
		ch <- prometheus.MustNewConstMetric(descUnpr, prometheus.CounterValue, float64(t.Unpriced), lv...)
	}
	for tenant, st := range in.status {
		if !st.LastSuccess.IsZero() {
			ch <- prometheus.MustNewConstMetric(descLag, prometheus.GaugeValue, now.Sub(st.LastSuccess).Seconds(), tenant)
		}
		ch <- prometheus.MustNewConstMetric(descFailed, prometheus.CounterValue, in.failures[tenant], tenant)
		ch <- prometheus.MustNewConstMetric(descMalform, prometheus.CounterValue, float64(st.Malformed), tenant)
	}
}
