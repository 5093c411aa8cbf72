package metrics

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Path is where the handler is served.
const Path = "/metrics"

// Registry is the executor's collector registry. It is safe for
// concurrent use.
type Registry struct {
	reg *prometheus.Registry

	mu         sync.Mutex
	collectors []prometheus.Collector // what Names describes
}

// New returns a registry holding the Go runtime and process collectors.
func New() *Registry {
	reg := prometheus.NewRegistry()
	r := &Registry{reg: reg}
	for _, c := range []prometheus.Collector{collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})} {
		if err := r.Register(c); err != nil {
			panic(err) // two fixed collectors in a fresh registry cannot clash
		}
	}
	return r
}

// Register adds a collector. It fails if the collector's descriptors clash
// with registered ones (prometheus.AlreadyRegisteredError and friends).
func (r *Registry) Register(c prometheus.Collector) error {
	if err := r.reg.Register(c); err != nil {
		return err
	}
	r.mu.Lock()
	r.collectors = append(r.collectors, c)
	r.mu.Unlock()
	return nil
}

// fqName is the name in a Desc's String(), the only place client_golang
// shows it.
var fqName = regexp.MustCompile(`fqName: "([^"]+)"`)

// Names lists, sorted, every metric name the registered collectors
// describe: what /metrics can show, including the per-tenant metrics that
// appear only once a tenant has data. Dashboards are checked against it.
func (r *Registry) Names() []string {
	r.mu.Lock()
	cs := append([]prometheus.Collector(nil), r.collectors...)
	r.mu.Unlock()
	seen := map[string]bool{}
	for _, c := range cs {
		ch := make(chan *prometheus.Desc)
		go func() { c.Describe(ch); close(ch) }()
		for d := range ch {
			if m := fqName.FindStringSubmatch(d.String()); m != nil {
				seen[m[1]] = true
			}
		}
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Gatherer is the registry as a prometheus.Gatherer, for tests.
func (r *Registry) Gatherer() prometheus.Gatherer { return r.reg }

// Handler serves the registry in the Prometheus exposition formats.
func (r *Registry) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET "+Path, promhttp.HandlerFor(r.reg, promhttp.HandlerOpts{Registry: r.reg}))
	return mux
}

// ErrNotLoopback is returned by Listen for an address that is not on a
// loopback interface.
var ErrNotLoopback = errors.New("metrics listen address must be a loopback IP and port")

// CheckAddr reports whether addr is "IP:port" with a loopback IP
// (127.0.0.0/8 or ::1) and a port (0 picks a free one), wrapping
// ErrNotLoopback.
func CheckAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrNotLoopback, err)
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%w (got host %q)", ErrNotLoopback, host)
	}
	if _, err := net.LookupPort("tcp", port); err != nil || port == "" {
		return fmt.Errorf("%w (got port %q)", ErrNotLoopback, port)
	}
	return nil
}

// Server serves a Registry on a loopback TCP address.
type Server struct {
	http *http.Server
	ln   net.Listener
}

// Listen checks addr (CheckAddr) and listens on it. Serve then serves r.
func Listen(addr string, r *Registry) (*Server, error) {
	if err := CheckAddr(addr); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen for metrics: %w", err)
	}
	return &Server{ln: ln, http: &http.Server{
		Handler:           r.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
	}}, nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Serve serves until Shutdown; it returns nil then.
func (s *Server) Serve() error {
	if err := s.http.Serve(s.ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Shutdown stops the server within ctx.
func (s *Server) Shutdown(ctx context.Context) error { return s.http.Shutdown(ctx) }
