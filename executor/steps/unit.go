package steps

import (
	"context"
	"fmt"
	"strings"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

// DaemonReload plans `systemctl daemon-reload`; planners add it once after
// unit files change.
func DaemonReload(h *Host, reason string) *Action {
	argv := []string{h.Commands.Systemctl, "daemon-reload"}
	return &Action{
		Step:  api.Step{Kind: api.StepDaemonReload, Summary: "reload systemd units (daemon-reload)", Reason: reason, Argv: argv},
		apply: func(ctx context.Context, h *Host) (Outcome, error) { return run(ctx, h, argv) },
	}
}

func unitUp(st api.UnitState) bool {
	switch st.ActiveState {
	case "active", "activating", "reloading":
		return true
	}
	return false
}

// EnableUnit plans `systemctl enable --now UNIT` unless the unit is enabled
// and running.
//
// enable reloads systemd by default, which costs about 0.15 s and grows with
// the number of loaded units: most of the cost of starting a tenant. An
// instance of a template systemd already knows needs no reload: the .wants/
// symlink is all that enable adds, and start loads the instance from disk.
// So the step passes --no-reload, except for a disabled unit that stays
// loaded (running or failed): systemd would keep its cached UnitFileState
// ("disabled") until the next reload, and later plans would disagree with
// is-enabled.
func EnableUnit(h *Host, unit string, st api.UnitState) *Action {
	if st.Enabled == "enabled" && unitUp(st) {
		return nil
	}
	argv := []string{h.Commands.Systemctl, "enable", "--now", "--no-reload", unit}
	if st.Enabled != "enabled" && st.ActiveState != "inactive" && st.ActiveState != "" {
		argv = []string{h.Commands.Systemctl, "enable", "--now", unit}
	}
	summary, reason := "enable and start "+unit, fmt.Sprintf("unit is %s, %s", orUnknown(st.Enabled), orUnknown(st.ActiveState))
	if st.Enabled == "enabled" {
		summary = "start " + unit
	}
	return &Action{
		Step:  api.Step{Kind: api.StepEnableUnit, Summary: summary, Reason: reason, Argv: argv, Unit: unit},
		apply: func(ctx context.Context, h *Host) (Outcome, error) { return run(ctx, h, argv) },
		verify: func(ctx context.Context, h *Host) error {
			sts, err := h.UnitStates(ctx, unit)
			if err != nil {
				return err
			}
			if s := sts[unit]; s.Enabled != "enabled" || !unitUp(s) {
				return fmt.Errorf("verify %s: %s, %s after enable --now", unit, s.Enabled, s.ActiveState)
			}
			return nil
		},
	}
}

// RestartUnit plans `systemctl restart UNIT` because of reason.
func RestartUnit(h *Host, unit, reason string) *Action {
	argv := []string{h.Commands.Systemctl, "restart", unit}
	return &Action{
		Step:  api.Step{Kind: api.StepRestartUnit, Summary: "restart " + unit, Reason: reason, Argv: argv, Unit: unit},
		apply: func(ctx context.Context, h *Host) (Outcome, error) { return run(ctx, h, argv) },
	}
}

// StopUnit plans `systemctl disable --now UNIT` unless the unit is neither
// enabled nor running.
func StopUnit(h *Host, unit string, st api.UnitState) *Action {
	if st.Enabled != "enabled" && !unitUp(st) {
		return nil
	}
	argv := []string{h.Commands.Systemctl, "disable", "--now", unit}
	return &Action{
		Step: api.Step{
			Kind: api.StepStopUnit, Summary: "stop and disable " + unit,
			Reason: fmt.Sprintf("unit is %s, %s", orUnknown(st.Enabled), orUnknown(st.ActiveState)), Argv: argv, Unit: unit,
		},
		apply: func(ctx context.Context, h *Host) (Outcome, error) { return run(ctx, h, argv) },
		verify: func(ctx context.Context, h *Host) error {
			sts, err := h.UnitStates(ctx, unit)
			if err != nil {
				return err
			}
			if s := sts[unit]; s.Enabled == "enabled" || unitUp(s) {
				return fmt.Errorf("verify %s: still %s, %s", unit, s.Enabled, s.ActiveState)
			}
			return nil
		},
	}
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// WithReady makes an action that starts or restarts unit also wait, once
// systemd reports the unit up, until ready says the service itself is ready.
// When it is not, the error carries the unit's status with its last log
// lines, so a failed start explains itself.
//
// A service that dies at once may also fail the start itself (systemctl
// exits 1 when the start job fails, depending on how fast the process
// exits); that error carries the same status.
func WithReady(a *Action, unit string, ready func(ctx context.Context) error) *Action {
	apply, verify := a.apply, a.verify
	a.Step.Summary += " and wait until it is ready"
	notReady := func(ctx context.Context, h *Host, err error) error {
		res, _ := h.Runner.Run(context.WithoutCancel(ctx), []string{h.Commands.Systemctl, "status", "--no-pager", "--full", "--lines=20", unit})
		return fmt.Errorf("%s did not become ready: %w\n%s", unit, err, strings.TrimSpace(string(res.Stdout)))
	}
	a.apply = func(ctx context.Context, h *Host) (Outcome, error) {
		out, err := apply(ctx, h)
		if err != nil {
			return out, notReady(ctx, h, err)
		}
		return out, nil
	}
	a.verify = func(ctx context.Context, h *Host) error {
		err := error(nil)
		if verify != nil {
			err = verify(ctx, h)
		}
		if err == nil {
			err = ready(ctx)
		}
		if err != nil {
			return notReady(ctx, h, err)
		}
		return nil
	}
	return a
}
