package metrics_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/metrics"
)

func TestCheckAddr(t *testing.T) {
	t.Parallel()
	for addr, ok := range map[string]bool{
		"127.0.0.1:9464": true, "[::1]:9464": true, "127.0.0.2:1": true,
		"0.0.0.0:9464": false, ":9464": false, "localhost:9464": false, "10.0.0.1:9464": false,
		"127.0.0.1": false, "127.0.0.1:0": true, "127.0.0.1:70000": false, "127.0.0.1:": false,
	} {
		err := metrics.CheckAddr(addr)
		if (err == nil) != ok {
			t.Errorf("CheckAddr(%q) = %v, want ok=%v", addr, err, ok)
		}
		if err != nil && !errors.Is(err, metrics.ErrNotLoopback) {
			t.Errorf("CheckAddr(%q) = %v, want ErrNotLoopback", addr, err)
		}
	}
}

// TestServe registers a collector the way other packages do and reads it
// back over a real loopback listener.
func TestServe(t *testing.T) {
	t.Parallel()
	reg := metrics.New()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "missioncontrol_test_total", Help: "A test counter."})
	c.Add(3)
	if err := reg.Register(c); err != nil {
		t.Fatal(err)
	}
	if err := reg.Register(c); err == nil {
		t.Error("registering the same collector twice succeeded")
	}
	srv, err := metrics.Listen("127.0.0.1:0", reg)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve() }()
	resp, err := http.Get("http://" + srv.Addr().String() + metrics.Path)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"missioncontrol_test_total 3", "go_goroutines"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if err := srv.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Errorf("Serve() = %v after Shutdown, want nil", err)
	}
	if _, err := metrics.Listen("0.0.0.0:0", reg); !errors.Is(err, metrics.ErrNotLoopback) {
		t.Errorf("Listen on every interface = %v, want ErrNotLoopback", err)
	}
}

// TestNames lists what collectors describe, with or without samples yet.
func TestNames(t *testing.T) {
	t.Parallel()
	reg := metrics.New()
	empty := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "missioncontrol_test_ratio", Help: "No tenant yet."}, []string{"tenant"})
	if err := reg.Register(empty); err != nil {
		t.Fatal(err)
	}
	names := reg.Names()
	for _, want := range []string{"missioncontrol_test_ratio", "go_goroutines", "process_cpu_seconds_total"} {
		if !slices.Contains(names, want) {
			t.Errorf("Names() lacks %s: %v", want, names)
		}
	}
	if !slices.IsSorted(names) {
		t.Errorf("Names() not sorted: %v", names)
	}
	if err := reg.Register(empty); err == nil || len(reg.Names()) != len(names) {
		t.Errorf("a refused registration changed Names: err %v", err)
	}
}
