package fault

import (
	"fmt"
	"strconv"
	"strings"
)

// EnvFile names the test-only environment variable holding the path of the
// trigger file. The file holds one line "TENANT before|after N": kill the
// executor before step N (1-based) of TENANT's next job runs, or right after
// it ran and verified, before anything about it is recorded. The file is
// removed when it fires, so the retry that follows runs undisturbed.
const EnvFile = "MISSIONCONTROL_TEST_FAULT_FILE"

// Phase says on which side of a step the executor dies.
type Phase string

const (
	// Before: the step's audit record is written, its start event is
	// recorded, and it has not run.
	Before Phase = "before"
	// After: the step ran and verified; its outcome is not yet recorded
	// (events, archive registry).
	After Phase = "after"
)

// Point is one crash point.
type Point struct {
	Tenant string
	Phase  Phase
	Step   int // 1-based
}

func (p Point) String() string { return fmt.Sprintf("%s %s %d", p.Tenant, p.Phase, p.Step) }

// ParsePoint reads a trigger file's content.
func ParsePoint(s string) (Point, error) {
	f := strings.Fields(s)
	if len(f) != 3 {
		return Point{}, fmt.Errorf("fault point %q: want \"TENANT before|after N\"", strings.TrimSpace(s))
	}
	n, err := strconv.Atoi(f[2])
	if err != nil || n < 1 {
		return Point{}, fmt.Errorf("fault point %q: step must be a number from 1", strings.TrimSpace(s))
	}
	p := Point{Tenant: f[0], Phase: Phase(f[1]), Step: n}
	if p.Phase != Before && p.Phase != After {
		return Point{}, fmt.Errorf("fault point %q: phase must be before or after", strings.TrimSpace(s))
	}
	return p, nil
}
