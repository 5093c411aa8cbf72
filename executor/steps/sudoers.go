package steps

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

// Sudoers plans a sudoers fragment: the content is written to a hidden temp
// file in the sudoers dir (sudo ignores names containing a dot), checked with
// `visudo -cf`, and only then renamed into place, so a broken fragment never
// becomes live.
func Sudoers(h *Host, a Anchor, content []byte) (*Action, error) {
	root := Owner{User: "root", Group: "root"}
	fa, err := EnsureFile(api.StepSudoers, a, content, root, 0o440)
	if err != nil || fa == nil {
		return nil, err
	}
	tmp := Anchor{Base: a.Base, Rel: "." + filepath.Base(a.Rel) + ".mc-check"}
	check := []string{h.Commands.Visudo, "-cf", tmp.Path()}
	fa.Step.Argv = check
	fa.Step.Summary = "install sudoers fragment " + a.Path() + " (checked with visudo -cf)"
	fileApply := fa.apply
	fa.apply = func(ctx context.Context, h *Host) (Outcome, error) {
		if err := writeAtomic(tmp, content, root, 0o440); err != nil {
			return Outcome{}, err
		}
		defer removeAnchored(tmp)
		out, err := run(ctx, h, check)
		if err != nil {
			return out, fmt.Errorf("sudoers fragment rejected by visudo: %w", err)
		}
		wrote, err := fileApply(ctx, h)
		out.Message = wrote.Message
		return out, err
	}
	return fa, nil
}
