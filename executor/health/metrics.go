package health

import (
	"context"
	"sort"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

// statuses are every status the status gauge reports, so that an alert can
// match on a series that is 0 as well as 1.
var statuses = []api.HealthStatus{api.HealthHealthy, api.HealthDegraded, api.HealthDown,
	api.HealthSuspended, api.HealthMaintenance, api.HealthUnknown}

var (
	descStatus = prometheus.NewDesc("missioncontrol_gateway_health_status",
		"1 for the gateway's current health status, 0 for the others.", []string{"tenant", "status"}, nil)
	descRestarts = prometheus.NewDesc("missioncontrol_gateway_restarts",
		"systemd's NRestarts of the gateway unit at the last probe.", []string{"tenant"}, nil)
	descOpen = prometheus.NewDesc("missioncontrol_gateway_open_incidents",
		"Open health incidents of the tenant (0 or 1).", []string{"tenant"}, nil)
	descLastProbe = prometheus.NewDesc("missioncontrol_gateway_last_probe_timestamp_seconds",
		"Unix time of the gateway's last probe.", []string{"tenant"}, nil)
	descAvailability = prometheus.NewDesc("missioncontrol_gateway_availability_ratio",
		"Healthy time / (window - suspended, maintenance and unobserved time); absent when nothing of the window counts.",
		[]string{"tenant", "window"}, nil)
	descRounds = prometheus.NewDesc("missioncontrol_health_probe_rounds_total",
		"Probe rounds run since the executor started.", nil, nil)
	descRoundErrors = prometheus.NewDesc("missioncontrol_health_probe_round_errors_total",
		"Probe rounds that failed to observe or to store what they observed.", nil, nil)
)

// Describe implements prometheus.Collector.
func (m *Monitor) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descStatus, descRestarts, descOpen, descLastProbe, descAvailability, descRounds, descRoundErrors} {
		ch <- d
	}
}

// Collect implements prometheus.Collector: the state of the last round
// for every tenant probed, and availability read from the store (a tenant
// whose availability cannot be read is left out of that metric).
func (m *Monitor) Collect(ch chan<- prometheus.Metric) {
	type row struct {
		tenant   string
		status   api.HealthStatus
		restarts int
		open     bool
		last     time.Time
	}
	m.mu.Lock()
	rows := make([]row, 0, len(m.state))
	for name, st := range m.state {
		r := row{tenant: name, status: st.status, open: st.incident != nil}
		if st.last != nil {
			r.restarts, r.last = st.last.Unit.NRestarts, st.last.Time
		}
		rows = append(rows, r)
	}
	rounds, errs := m.rounds, m.errors
	m.mu.Unlock()
	sort.Slice(rows, func(i, j int) bool { return rows[i].tenant < rows[j].tenant })

	ch <- prometheus.MustNewConstMetric(descRounds, prometheus.CounterValue, float64(rounds))
	ch <- prometheus.MustNewConstMetric(descRoundErrors, prometheus.CounterValue, float64(errs))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	now := m.o.Clock()
	longest := Windows[len(Windows)-1]
	for _, r := range rows {
		for _, s := range statuses {
			v := 0.0
			if s == r.status {
				v = 1
			}
			ch <- prometheus.MustNewConstMetric(descStatus, prometheus.GaugeValue, v, r.tenant, string(s))
		}
		ch <- prometheus.MustNewConstMetric(descRestarts, prometheus.GaugeValue, float64(r.restarts), r.tenant)
		open := 0.0
		if r.open {
			open = 1
		}
		ch <- prometheus.MustNewConstMetric(descOpen, prometheus.GaugeValue, open, r.tenant)
		if !r.last.IsZero() {
			ch <- prometheus.MustNewConstMetric(descLastProbe, prometheus.GaugeValue, float64(r.last.UnixNano())/1e9, r.tenant)
		}
		trs, err := m.o.Store.HealthTransitions(ctx, r.tenant, now.Add(-longest.Duration), now)
		if err != nil {
			continue
		}
		for _, w := range Windows {
			if a := Availability(trs, w, now); a.Ratio != nil {
				ch <- prometheus.MustNewConstMetric(descAvailability, prometheus.GaugeValue, *a.Ratio, r.tenant, w.Name)
			}
		}
	}
}
