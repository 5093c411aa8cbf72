// Package metrics owns the executor's Prometheus registry and the loopback
// listener that serves it at /metrics.
//
// Packages that have figures to export (usage ingestion, health probes)
// register a prometheus.Collector with Registry.Register; nothing registers
// into a global registry. The listener is plain HTTP on a loopback address
// only (Listen refuses anything else), separate from the API socket: the
// figures name tenants, so they stay on the host unless an operator's own
// agent forwards them.
package metrics
