package config_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/config"
)

func TestParseHealth(t *testing.T) {
	t.Parallel()
	src := `
health {
  interval            = "1s"
  open_after          = 2
  close_after         = 1
  probe_timeout       = "500ms"
  http                = false
  crash_loop_restarts = 2
  crash_loop_window   = "1m"
}
`
	c, err := config.Parse([]byte(src), "executor.hcl")
	if err != nil {
		t.Fatalf("Parse() = %v", err)
	}
	want := config.Health{Interval: time.Second, OpenAfter: 2, CloseAfter: 1, ProbeTimeout: 500 * time.Millisecond,
		HTTP: false, CrashLoopRestarts: 2, CrashLoopWindow: time.Minute}
	if diff := cmp.Diff(want, c.Health); diff != "" {
		t.Errorf("Health mismatch (-want +got):\n%s", diff)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate() = %v", err)
	}
	if d := config.Default().Health; d.Interval != 15*time.Second || d.OpenAfter != 3 || d.CloseAfter != 2 ||
		d.ProbeTimeout != 2*time.Second || !d.HTTP {
		t.Errorf("Default().Health = %+v", d)
	}
}

func TestHealthErrors(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		src     string
		parse   bool // the error comes from Parse, not Validate
		want    []string
		wantErr error
	}{
		"not a duration": {
			src: "health {\n  interval = \"fifteen seconds\"\n}\n", parse: true,
			want:    []string{`executor.hcl:2,3: health.interval: must be a duration like "15s" or "2m" (got "fifteen seconds")`},
			wantErr: config.ErrDuration,
		},
		"number for duration": {
			src: "health {\n  interval = 15\n}\n", parse: true,
			want:    []string{`executor.hcl:2,3: health.interval: wrong type: must be a duration string like "15s" (got 15)`},
			wantErr: config.ErrType,
		},
		"string for bool": {
			src: "health {\n  http = \"no\"\n}\n", parse: true,
			want:    []string{`executor.hcl:2,3: health.http: wrong type: must be true or false (got "no")`},
			wantErr: config.ErrType,
		},
		"interval too short": {
			src:     "health {\n  interval = \"100ms\"\n  probe_timeout = \"50ms\"\n  crash_loop_window = \"1s\"\n}\n",
			want:    []string{`executor.hcl:2,3: health.interval: must be 1s..1h (got "100ms")`},
			wantErr: config.ErrHealthInterval,
		},
		"timeout not below interval": {
			src:     "health {\n  interval = \"2s\"\n}\n",
			want:    []string{`executor.hcl:1,1: health.probe_timeout: must be positive and shorter than health.interval (got "2s")`},
			wantErr: config.ErrProbeTimeout,
		},
		"open_after zero": {
			src:     "health {\n  open_after = 0\n}\n",
			want:    []string{`executor.hcl:2,3: health.open_after: must be 1..100 probes (got 0)`},
			wantErr: config.ErrProbeCount,
		},
		"close_after too many": {
			src:     "health {\n  close_after = 1000\n}\n",
			want:    []string{`executor.hcl:2,3: health.close_after: must be 1..100 probes (got 1000)`},
			wantErr: config.ErrProbeCount,
		},
		"one restart is no loop": {
			src:     "health {\n  crash_loop_restarts = 1\n}\n",
			want:    []string{`executor.hcl:2,3: health.crash_loop_restarts: must be 2..100 restarts (got 1)`},
			wantErr: config.ErrCrashLoopRestarts,
		},
		"window shorter than interval": {
			src:     "health {\n  crash_loop_window = \"5s\"\n}\n",
			want:    []string{`executor.hcl:2,3: health.crash_loop_window: must be at least health.interval (got "5s")`},
			wantErr: config.ErrCrashLoopWindow,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, err := config.Parse([]byte(tc.src), "executor.hcl")
			if !tc.parse {
				if err != nil {
					t.Fatalf("Parse() = %v", err)
				}
				err = c.Validate()
			}
			if diff := cmp.Diff(tc.want, messages(err)); diff != "" {
				t.Errorf("errors mismatch (-want +got):\n%s", diff)
			}
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("errors.Is(%v, %v) = false", err, tc.wantErr)
			}
		})
	}
}
