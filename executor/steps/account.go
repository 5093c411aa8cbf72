package steps

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

// ErrConflict marks an observation that the executor will not overwrite, such
// as an existing user with another uid.
type ErrConflict struct{ What string }

func (e *ErrConflict) Error() string { return "conflict: " + e.What }

// EnsureGroup plans `groupadd -g GID NAME` unless the group exists with gid.
func EnsureGroup(h *Host, groups []Account, name string, gid int) (*Action, error) {
	if g, ok := Lookup(groups, name); ok {
		if g.ID != gid {
			return nil, &ErrConflict{fmt.Sprintf("group %s exists with gid %d, expected %d", name, g.ID, gid)}
		}
		return nil, nil
	}
	if g, ok := LookupID(groups, gid); ok {
		return nil, &ErrConflict{fmt.Sprintf("gid %d is taken by group %s", gid, g.Name)}
	}
	argv := []string{h.Commands.Groupadd, "-g", strconv.Itoa(gid), name}
	return &Action{
		Step: api.Step{
			Kind: api.StepEnsureGroup, Summary: fmt.Sprintf("create group %s gid %d", name, gid),
			Reason: fmt.Sprintf("group %s does not exist", name), Argv: argv, Group: name, GID: gid,
		},
		apply: func(ctx context.Context, h *Host) (Outcome, error) { return run(ctx, h, argv) },
		verify: func(ctx context.Context, h *Host) error {
			gs, err := h.Groups()
			if err != nil {
				return err
			}
			if g, ok := Lookup(gs, name); !ok || g.ID != gid {
				return fmt.Errorf("verify group %s: not present with gid %d", name, gid)
			}
			return nil
		},
	}, nil
}

// EnsureUser plans `useradd` for a system account without a usable shell and
// without creating the home (directories are separate actions), unless the
// user exists as specified. A user with another uid or gid is a conflict; one
// with another home or shell is corrected with usermod.
func EnsureUser(h *Host, users []Account, name string, uid, gid int, home, shell string) (*Action, error) {
	verify := func(ctx context.Context, h *Host) error {
		us, err := h.Users()
		if err != nil {
			return err
		}
		u, ok := Lookup(us, name)
		if !ok || u.ID != uid || u.GID != gid || u.Home != home || u.Shell != shell {
			return fmt.Errorf("verify user %s: not present as uid %d gid %d home %s shell %s", name, uid, gid, home, shell)
		}
		return nil
	}
	if u, ok := Lookup(users, name); ok {
		if u.ID != uid || u.GID != gid {
			return nil, &ErrConflict{fmt.Sprintf("user %s exists with uid %d gid %d, expected %d/%d", name, u.ID, u.GID, uid, gid)}
		}
		if u.Home == home && u.Shell == shell {
			return nil, nil
		}
		argv := []string{h.Commands.Usermod, "-d", home, "-s", shell, name}
		return &Action{
			Step: api.Step{
				Kind: api.StepEnsureUser, Summary: fmt.Sprintf("set home %s and shell %s of user %s", home, shell, name),
				Reason: fmt.Sprintf("user %s has home %s and shell %s", name, u.Home, u.Shell),
				Argv:   argv, Owner: name, UID: uid, GID: gid, Path: home,
			},
			apply:  func(ctx context.Context, h *Host) (Outcome, error) { return run(ctx, h, argv) },
			verify: verify,
		}, nil
	}
	if u, ok := LookupID(users, uid); ok {
		return nil, &ErrConflict{fmt.Sprintf("uid %d is taken by user %s", uid, u.Name)}
	}
	argv := []string{h.Commands.Useradd, "-u", strconv.Itoa(uid), "-g", strconv.Itoa(gid), "-M", "-d", home, "-s", shell, name}
	return &Action{
		Step: api.Step{
			Kind: api.StepEnsureUser, Summary: fmt.Sprintf("create user %s uid %d", name, uid),
			Reason: fmt.Sprintf("user %s does not exist", name), Argv: argv, Owner: name, UID: uid, GID: gid, Path: home,
		},
		apply:  func(ctx context.Context, h *Host) (Outcome, error) { return run(ctx, h, argv) },
		verify: verify,
	}, nil
}

// AccountExpiry reads the expiry field (days since the epoch, "" for none)
// of name from the shadow file; ok is false when name has no entry.
func (h *Host) AccountExpiry(name string) (expiry string, ok bool, err error) {
	path := h.ShadowFile
	if path == "" {
		path = "/etc/shadow"
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", false, fmt.Errorf("read %s: %w", path, err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Split(line, ":")
		if len(f) >= 8 && f[0] == name {
			return f[7], true, nil
		}
	}
	return "", false, nil
}

// EnsureExpired plans `usermod -e 1 NAME` (the account expired on
// 1970-01-02, so nothing can log in or run as it through PAM) when locked
// is true and the account is not yet expired, and `usermod -e "" NAME` when
// locked is false and it is. Tenant accounts never have a password, so the
// expiry is the lock. expiry is the observed field; a user that does not
// exist yet (created by an earlier step) counts as not expired.
func EnsureExpired(h *Host, name string, uid, gid int, expiry string, locked bool) *Action {
	want := ""
	summary, reason := "unlock account "+name+" (clear its expiry)", "the tenant is resumed"
	if locked {
		want = "1"
		summary, reason = "lock account "+name+" (expire it)", "the tenant is suspended"
	}
	if expiry == want {
		return nil
	}
	argv := []string{h.Commands.Usermod, "-e", want, name}
	return &Action{
		Step:  api.Step{Kind: api.StepEnsureUser, Summary: summary, Reason: reason, Argv: argv, Owner: name, UID: uid, GID: gid},
		apply: func(ctx context.Context, h *Host) (Outcome, error) { return run(ctx, h, argv) },
		verify: func(ctx context.Context, h *Host) error {
			got, _, err := h.AccountExpiry(name)
			if err != nil {
				return err
			}
			if got != want {
				return fmt.Errorf("verify %s: expiry %q, want %q", name, got, want)
			}
			return nil
		},
	}
}
