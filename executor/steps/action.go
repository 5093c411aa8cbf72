package steps

import (
	"bytes"
	"context"
	"fmt"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

// Action is one planned host change: its reviewed form (Step) and how to
// apply and verify it. Actions are built by the Ensure*/unit constructors,
// which return nil when the target already holds.
type Action struct {
	Step api.Step // Step.Object says which tenant object the action belongs to

	apply  func(ctx context.Context, h *Host) (Outcome, error)
	verify func(ctx context.Context, h *Host) error
}

// Outcome records what applying an action did.
type Outcome struct {
	Results []Result // commands run, in order
	Message string   // what was written, for file actions
	// Archive is the archive an archive action wrote and read back.
	Archive *ArchiveFile
}

// ArchiveFile is a verified tenant archive.
type ArchiveFile struct {
	Path   string
	SHA256 string // hex
	Size   int64
}

// Apply performs the action. Re-applying an action whose target already holds
// is safe: every action is idempotent.
func (a *Action) Apply(ctx context.Context, h *Host) (Outcome, error) {
	return a.apply(ctx, h)
}

// Verify observes the host again and reports an error if the target does not
// hold after Apply.
func (a *Action) Verify(ctx context.Context, h *Host) error {
	if a.verify == nil {
		return nil
	}
	return a.verify(ctx, h)
}

// Guard makes a run Apply check first: an error from check fails the step
// before it changes anything. Plans use it for preconditions that can stop
// holding between review and apply (a gateway binary replaced, say).
func Guard(a *Action, check func(ctx context.Context) error) *Action {
	apply := a.apply
	a.apply = func(ctx context.Context, h *Host) (Outcome, error) {
		if err := check(ctx); err != nil {
			return Outcome{}, err
		}
		return apply(ctx, h)
	}
	return a
}

// run executes one command and turns a non-zero exit into an error that
// carries the command's stderr.
func run(ctx context.Context, h *Host, argv []string) (Outcome, error) {
	if len(argv) > 0 {
		defer h.lockAccounts(argv)()
	}
	res, err := h.Runner.Run(ctx, argv)
	out := Outcome{Results: []Result{res}}
	if err != nil {
		return out, err
	}
	if res.ExitCode != 0 {
		return out, fmt.Errorf("%s exited %d: %s", argv[0], res.ExitCode, bytes.TrimSpace(res.Stderr))
	}
	return out, nil
}

func modeString(m uint32) string { return fmt.Sprintf("%04o", m) }
