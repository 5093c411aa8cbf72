package steps_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/steps"
)

// countingShow answers `systemctl show` with every unit active and counts
// the calls.
type countingShow struct{ calls int }

func (r *countingShow) Run(_ context.Context, argv []string) (steps.Result, error) {
	r.calls++
	var blocks []string
	for _, u := range argv[4:] {
		blocks = append(blocks, "Id="+u+"\nLoadState=loaded\nActiveState=active\nSubState=running\nUnitFileState=enabled\nNRestarts=0\nMainPID=7")
	}
	return steps.Result{Stdout: []byte(strings.Join(blocks, "\n\n") + "\n")}, nil
}

// One systemctl for many units, then every per-unit question from it; a
// unit not in it is asked of systemd.
func TestUnitStatesFromContext(t *testing.T) {
	t.Parallel()
	r := &countingShow{}
	h := &steps.Host{Runner: r, Commands: steps.Commands{Systemctl: "/usr/bin/systemctl"}}
	ctx := context.Background()
	all, err := h.UnitStates(ctx, "a.service", "b.service", "c.service")
	if err != nil || r.calls != 1 || len(all) != 3 {
		t.Fatalf("UnitStates(3 units) = %d states, %v after %d calls", len(all), err, r.calls)
	}
	ctx = steps.WithUnitStates(ctx, all)
	for _, units := range [][]string{{"b.service"}, {"a.service", "c.service"}} {
		got, err := h.UnitStates(ctx, units...)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]api.UnitState{}
		for _, u := range units {
			want[u] = all[u]
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("UnitStates(%q) from the context (-want +got):\n%s", units, diff)
		}
	}
	if r.calls != 1 {
		t.Fatalf("%d systemctl calls, want the first only", r.calls)
	}
	if _, err := h.UnitStates(ctx, "a.service", "d.service"); err != nil || r.calls != 2 {
		t.Fatalf("a unit not in the context: %v, %d calls (want 2)", err, r.calls)
	}
}
