package steps_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/steps"
)

func me() steps.Owner {
	return steps.Owner{User: "me", Group: "me", UID: os.Getuid(), GID: os.Getgid()}
}

func TestEnsureFileObserveApplyVerify(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	a := steps.Anchor{Base: base, Rel: "conf/app.json"}
	os.Mkdir(filepath.Join(base, "conf"), 0o755)
	h := &steps.Host{}
	act, err := steps.EnsureFile(api.StepEnsureFile, a, []byte("v1\n"), me(), 0o640)
	if err != nil || act == nil {
		t.Fatalf("plan: %v %v", act, err)
	}
	if !strings.HasPrefix(act.Step.Summary, "write ") || act.Step.ContentSHA256 != steps.SHA256([]byte("v1\n")) {
		t.Fatalf("step %+v", act.Step)
	}
	if _, err := act.Apply(context.Background(), h); err != nil {
		t.Fatal(err)
	}
	if err := act.Verify(context.Background(), h); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(a.Path())
	if fi.Mode().Perm() != 0o640 {
		t.Fatalf("mode %v", fi.Mode())
	}
	// holds now: no action; no temp file left behind
	if again, err := steps.EnsureFile(api.StepEnsureFile, a, []byte("v1\n"), me(), 0o640); err != nil || again != nil {
		t.Fatalf("second plan: %v %v", again, err)
	}
	entries, _ := os.ReadDir(filepath.Join(base, "conf"))
	if len(entries) != 1 {
		t.Fatalf("leftovers: %v", entries)
	}
	// content drift is an update, mode drift a chmod
	os.WriteFile(a.Path(), []byte("tampered"), 0o640)
	if act, _ := steps.EnsureFile(api.StepEnsureFile, a, []byte("v1\n"), me(), 0o640); act == nil || !strings.HasPrefix(act.Step.Summary, "update ") {
		t.Fatalf("drift not planned: %+v", act)
	}
}

// A tenant controls its home; a link it plants must never lead a write or a
// chown outside of it.
func TestSymlinkOutOfAnchorIsNeverFollowed(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	outside := t.TempDir()
	victim := filepath.Join(outside, "passwd")
	os.WriteFile(victim, []byte("root:x:0:0\n"), 0o644)
	os.Symlink(outside, filepath.Join(home, ".openclaw"))
	h := &steps.Host{}

	// a directory step on the link is refused
	if _, err := steps.EnsureDir(steps.Anchor{Base: home, Rel: ".openclaw"}, me(), 0o750); !errors.Is(err, steps.ErrSymlink) {
		t.Fatalf("dir over a link: %v", err)
	}
	// a file below the link: planning may say "write", but applying must fail
	// without touching the outside directory
	act, err := steps.EnsureFile(api.StepEnsureFile, steps.Anchor{Base: home, Rel: ".openclaw/passwd"}, []byte("pwned\n"), me(), 0o644)
	if err == nil && act != nil {
		if _, err := act.Apply(context.Background(), h); err == nil {
			t.Fatal("write through a link out of the anchor succeeded")
		}
	}
	if b, _ := os.ReadFile(victim); string(b) != "root:x:0:0\n" {
		t.Fatalf("file outside the anchor changed: %q", b)
	}
	// a link in place of the file itself is replaced, not followed
	os.Remove(filepath.Join(home, ".openclaw"))
	os.Symlink(victim, filepath.Join(home, "openclaw.json"))
	act, err = steps.EnsureFile(api.StepEnsureFile, steps.Anchor{Base: home, Rel: "openclaw.json"}, []byte("{}\n"), me(), 0o600)
	if err != nil || act == nil || !strings.HasPrefix(act.Step.Summary, "replace symlink") {
		t.Fatalf("plan over a link: %+v %v", act, err)
	}
	if _, err := act.Apply(context.Background(), h); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "root:x:0:0\n" {
		t.Fatalf("the link target changed: %q", b)
	}
	if fi, _ := os.Lstat(filepath.Join(home, "openclaw.json")); fi.Mode().Type() != 0 {
		t.Fatalf("link not replaced: %v", fi.Mode())
	}
}

func TestEnsureSecretIsCreatedOnceAndNeverShown(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	a := steps.Anchor{Base: base, Rel: "token.env"}
	h := &steps.Host{}
	render := func(s string) ([]byte, error) { return []byte("TOKEN=" + s + "\n"), nil }
	act, err := steps.EnsureSecret(a, render, me(), 0o600)
	if err != nil || act == nil {
		t.Fatal(act, err)
	}
	if act.Step.ContentSHA256 != "" {
		t.Fatal("a secret's hash is in the plan")
	}
	if _, err := act.Apply(context.Background(), h); err != nil {
		t.Fatal(err)
	}
	first, _ := os.ReadFile(a.Path())
	if len(first) != len("TOKEN=\n")+64 {
		t.Fatalf("secret %q", first)
	}
	if again, _ := steps.EnsureSecret(a, render, me(), 0o600); again != nil {
		t.Fatal("an existing secret is planned again")
	}
}

func TestExecRunnerPins(t *testing.T) {
	t.Parallel()
	sum, err := fileSum("/bin/true")
	if err != nil {
		t.Skip("no /bin/true")
	}
	ctx := context.Background()
	r := steps.ExecRunner{Pins: map[string]string{"/bin/true": sum, "/bin/false": strings.Repeat("0", 64)}}
	res, err := r.Run(ctx, []string{"/bin/true"})
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("pinned command: %v %+v", err, res)
	}
	if _, err := r.Run(ctx, []string{"/bin/false"}); !errors.Is(err, steps.ErrPinMismatch) {
		t.Fatalf("mismatched pin: %v", err)
	}
	if _, err := r.Run(ctx, []string{"/bin/echo", "x"}); !errors.Is(err, steps.ErrUnpinned) {
		t.Fatalf("unpinned command: %v", err)
	}
	if _, err := r.Run(ctx, []string{"true"}); err == nil {
		t.Fatal("a relative command ran")
	}
	// the environment is empty
	env, err := steps.ExecRunner{}.Run(ctx, []string{"/usr/bin/env"})
	if err != nil || len(strings.TrimSpace(string(env.Stdout))) != 0 {
		t.Fatalf("environment not empty: %q %v", env.Stdout, err)
	}
}

func fileSum(p string) (string, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return "", err
	}
	return steps.SHA256(b), nil
}

// Enabling skips systemd's reload unless the unit stays loaded with a
// cached "disabled" (running or failed); a unit enabled and up needs no step.
func TestEnableUnitReloadsOnlyForLoadedDisabledUnits(t *testing.T) {
	t.Parallel()
	const unit = "missioncontrol-gateway@acme.service"
	h := &steps.Host{Commands: steps.Commands{Systemctl: "/usr/bin/systemctl"}}
	cases := map[string]struct {
		st   api.UnitState
		want string // argv; "" for no step
	}{
		"new tenant":          {api.UnitState{Enabled: "disabled", ActiveState: "inactive"}, "/usr/bin/systemctl enable --now --no-reload " + unit},
		"not observed":        {api.UnitState{}, "/usr/bin/systemctl enable --now --no-reload " + unit},
		"enabled but stopped": {api.UnitState{Enabled: "enabled", ActiveState: "inactive"}, "/usr/bin/systemctl enable --now --no-reload " + unit},
		"enabled and failed":  {api.UnitState{Enabled: "enabled", ActiveState: "failed"}, "/usr/bin/systemctl enable --now --no-reload " + unit},
		"running, disabled":   {api.UnitState{Enabled: "disabled", ActiveState: "active"}, "/usr/bin/systemctl enable --now " + unit},
		"failed, disabled":    {api.UnitState{Enabled: "disabled", ActiveState: "failed"}, "/usr/bin/systemctl enable --now " + unit},
		"enabled and running": {api.UnitState{Enabled: "enabled", ActiveState: "active"}, ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			act := steps.EnableUnit(h, unit, tc.st)
			got := ""
			if act != nil {
				got = strings.Join(act.Step.Argv, " ")
			}
			if got != tc.want {
				t.Fatalf("argv %q, want %q", got, tc.want)
			}
		})
	}
}
