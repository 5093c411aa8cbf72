package steps_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/steps"
)

// showRunner answers `systemctl show` with fixed output (the real systemctl
// is exercised by the host e2e crash sweep).
type showRunner struct {
	out  string
	argv []string
}

func (r *showRunner) Run(_ context.Context, argv []string) (steps.Result, error) {
	r.argv = argv
	return steps.Result{Argv: argv, Stdout: []byte(r.out)}, nil
}

func TestUnitFreshness(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	conf := steps.Anchor{Base: dir, Rel: "gateway.env"}
	if err := os.WriteFile(filepath.Join(dir, "gateway.env"), []byte("PORT=1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	written := time.Date(2026, 3, 1, 12, 0, 0, 500_000_000, time.UTC)
	if err := os.Chtimes(filepath.Join(dir, "gateway.env"), written, written); err != nil {
		t.Fatal(err)
	}
	missing := steps.Anchor{Base: dir, Rel: "token.env"}
	show := func(reload, start, pid string) string {
		return "NeedDaemonReload=" + reload + "\nExecMainStartTimestamp=" + start + "\nMainPID=" + pid + "\n"
	}
	tests := map[string]struct {
		out  string
		want steps.Freshness
	}{
		"started after the write": {out: show("no", "Sun 2026-03-01 12:00:01.000000 UTC", "42")},
		"started before the write": {out: show("no", "Sun 2026-03-01 12:00:00.400000 UTC", "42"),
			want: steps.Freshness{StartedBefore: conf.Path()}},
		"same microsecond":        {out: show("no", "Sun 2026-03-01 12:00:00.500000 UTC", "42")},
		"needs a reload":          {out: show("yes", "Sun 2026-03-01 12:00:01.000000 UTC", "42"), want: steps.Freshness{NeedReload: true}},
		"not running":             {out: show("no", "Sun 2026-03-01 11:00:00.000000 UTC", "0")},
		"never started":           {out: show("no", "", "0")},
		"stopped, needs a reload": {out: show("yes", "", "0"), want: steps.Freshness{NeedReload: true}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := &showRunner{out: tc.out}
			h := &steps.Host{Runner: r, Commands: steps.Commands{Systemctl: "/usr/bin/systemctl"}}
			got, err := h.UnitFreshness(context.Background(), "gw@a.service", []steps.Anchor{conf, missing})
			if err != nil || got != tc.want {
				t.Fatalf("UnitFreshness = %+v, %v; want %+v", got, err, tc.want)
			}
			if strings.Join(r.argv, " ") != "/usr/bin/systemctl show --timestamp=us+utc --property=NeedDaemonReload,ExecMainStartTimestamp,MainPID -- gw@a.service" {
				t.Errorf("argv %q", r.argv)
			}
		})
	}
	h := &steps.Host{Runner: &showRunner{out: show("no", "yesterday", "42")}, Commands: steps.Commands{Systemctl: "/usr/bin/systemctl"}}
	if _, err := h.UnitFreshness(context.Background(), "gw@a.service", nil); err == nil || !strings.Contains(err.Error(), "start time") {
		t.Errorf("unreadable start time: %v", err)
	}
}
