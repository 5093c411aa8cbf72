package config_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/config"
)

func TestParseUsageAndMetrics(t *testing.T) {
	t.Parallel()
	src := `
usage {
  interval    = "1m"
  prices_file = "/etc/missioncontrol/prices.hcl"
}
metrics {
  listen = "127.0.0.1:9464"
}
`
	c, err := config.Parse([]byte(src), "executor.hcl")
	if err != nil {
		t.Fatalf("Parse() = %v", err)
	}
	if d := cmp.Diff(config.Usage{Interval: time.Minute, PricesFile: "/etc/missioncontrol/prices.hcl"}, c.Usage); d != "" {
		t.Errorf("Usage (-want +got):\n%s", d)
	}
	if c.Metrics.Listen != "127.0.0.1:9464" {
		t.Errorf("Metrics.Listen = %q", c.Metrics.Listen)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate() = %v", err)
	}
	d := config.Default()
	if d.Usage != (config.Usage{Interval: 30 * time.Second}) || d.Metrics.Listen != "" {
		t.Errorf("Default() usage %+v, metrics %+v; want 30s, no prices file, no metrics", d.Usage, d.Metrics)
	}
}

func TestUsageAndMetricsErrors(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		src     string
		want    string
		wantErr error
	}{
		"interval off": {src: "usage {\n  interval = \"0s\"\n}\n"},
		"interval too short": {
			src:     "usage {\n  interval = \"10ms\"\n}\n",
			want:    `executor.hcl:2,3: usage.interval: must be 0 (off) or 1s..24h (got "10ms")`,
			wantErr: config.ErrUsageInterval,
		},
		"relative prices file": {
			src:     "usage {\n  prices_file = \"prices.hcl\"\n}\n",
			want:    `executor.hcl:2,3: usage.prices_file: must be an absolute, clean path (got "prices.hcl")`,
			wantErr: config.ErrPath,
		},
		"metrics on every interface": {
			src:     "metrics {\n  listen = \"0.0.0.0:9464\"\n}\n",
			want:    `executor.hcl:2,3: metrics.listen: must be "" (off) or a loopback IP and port like "127.0.0.1:9464" (got "0.0.0.0:9464")`,
			wantErr: config.ErrMetricsListen,
		},
		"metrics by host name": {
			src:     "metrics {\n  listen = \"localhost:9464\"\n}\n",
			want:    `executor.hcl:2,3: metrics.listen: must be "" (off) or a loopback IP and port like "127.0.0.1:9464" (got "localhost:9464")`,
			wantErr: config.ErrMetricsListen,
		},
		"metrics on ::1": {src: "metrics {\n  listen = \"[::1]:9464\"\n}\n"},
		"metrics off":    {src: "metrics {\n  listen = \"\"\n}\n"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, err := config.Parse([]byte(tc.src), "executor.hcl")
			if err != nil {
				t.Fatalf("Parse() = %v", err)
			}
			err = c.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil || err.Error() != tc.want {
				t.Errorf("Validate() = %v\nwant %s", err, tc.want)
			}
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("errors.Is(%v, %v) = false", err, tc.wantErr)
			}
		})
	}
}
