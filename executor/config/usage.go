package config

import (
	"errors"
	"net"
	"strconv"
	"time"
)

// Usage says how the executor counts tenants' model usage (executor/ingest).
type Usage struct {
	// Interval is the time between two scans of every tenant's state dir;
	// 0 disables ingestion.
	Interval time.Duration
	// PricesFile is an operator price table overlaid on the shipped one
	// (see usage.LoadPrices); "" uses the shipped prices only.
	PricesFile string
}

// Metrics says where the executor serves Prometheus metrics.
type Metrics struct {
	// Listen is a loopback "IP:port" for /metrics; "" serves no metrics.
	Listen string
}

// Sentinel errors of the usage and metrics blocks.
var (
	ErrUsageInterval = errors.New("must be 0 (off) or 1s..24h")
	ErrMetricsListen = errors.New(`must be "" (off) or a loopback IP and port like "127.0.0.1:9464"`)
)

// usage checks the usage and metrics blocks:
//   - usage.interval is 0 or 1s..24h; usage.prices_file is "" or a path;
//   - metrics.listen is "" or a loopback IP:port with a port in 1..65535.
func (v *validator) usage(u Usage, m Metrics) {
	if u.Interval != 0 && (u.Interval < time.Second || u.Interval > 24*time.Hour) {
		v.fail("usage.interval", strconv.Quote(u.Interval.String()), ErrUsageInterval)
	}
	if u.PricesFile != "" {
		v.path("usage.prices_file", u.PricesFile)
	}
	if m.Listen != "" && !loopbackAddr(m.Listen) {
		v.fail("metrics.listen", strconv.Quote(m.Listen), ErrMetricsListen)
	}
}

func loopbackAddr(addr string) bool {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	p, err := strconv.Atoi(port)
	return ip != nil && ip.IsLoopback() && err == nil && p >= 1 && p <= 65535
}
