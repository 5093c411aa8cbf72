package steps

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

// Archive plans a gzip tar of sources (absolute paths that exist) into dest.
// Apply writes a partial file, lists it back with tar to prove it reads, and
// only then renames it into place and reports its sha256: nothing is removed
// by later steps unless this one succeeded. Links inside the sources are
// archived as links, never followed.
func Archive(h *Host, dest Anchor, sources []string) (*Action, error) {
	st, err := Stat(dest)
	if err != nil {
		return nil, err
	}
	if st.Exists {
		return nil, nil
	}
	var rel []string
	for _, s := range sources {
		if _, err := os.Lstat(s); err == nil {
			rel = append(rel, strings.TrimPrefix(s, "/"))
		}
	}
	if len(rel) == 0 {
		return nil, nil
	}
	partial := dest.Path() + ".partial"
	create := append([]string{h.Commands.Tar, "--create", "--gzip", "--numeric-owner", "--xattrs", "--acls",
		"--file", partial, "--directory", "/"}, rel...)
	list := []string{h.Commands.Tar, "--list", "--gzip", "--file", partial}
	return &Action{
		Step: api.Step{
			Kind: api.StepArchive, Path: dest.Path(), Argv: create, Owner: "root", Group: "root", Mode: "0600",
			Summary: fmt.Sprintf("archive %s into %s (verified by reading it back)", strings.Join(sources, " "), dest.Path()),
			Reason:  "the tenant is being decommissioned; its files are kept in the archive",
		},
		apply: func(ctx context.Context, h *Host) (Outcome, error) {
			out, err := run(ctx, h, create)
			if err != nil {
				_ = os.Remove(partial)
				return out, fmt.Errorf("create archive: %w", err)
			}
			check, err := run(ctx, h, list)
			if len(check.Results) > 0 {
				check.Results[0].Stdout = nil // the listing is long and not needed in events
			}
			out.Results = append(out.Results, check.Results...)
			if err != nil {
				_ = os.Remove(partial)
				return out, fmt.Errorf("archive does not read back: %w", err)
			}
			sum, err := fileSum(partial)
			if err != nil {
				return out, err
			}
			if err := os.Chmod(partial, 0o600); err != nil {
				return out, err
			}
			if err := os.Rename(partial, dest.Path()); err != nil {
				return out, fmt.Errorf("place archive: %w", err)
			}
			out.Message = fmt.Sprintf("archive %s sha256 %s", dest.Path(), sum)
			out.Archive = &ArchiveFile{Path: dest.Path(), SHA256: sum}
			if fi, err := os.Stat(dest.Path()); err == nil {
				out.Archive.Size = fi.Size()
			}
			return out, nil
		},
		verify: func(ctx context.Context, h *Host) error {
			st, err := Stat(dest)
			if err != nil {
				return err
			}
			if !st.Exists || st.Type != 0 {
				return fmt.Errorf("verify archive %s: missing", dest.Path())
			}
			return nil
		},
	}, nil
}

func fileSum(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// RemoveUser plans `userdel NAME` (files are archived and removed by other
// steps) when the user exists.
func RemoveUser(h *Host, users []Account, name string) *Action {
	u, ok := Lookup(users, name)
	if !ok {
		return nil
	}
	argv := []string{h.Commands.Userdel, name}
	return &Action{
		Step: api.Step{Kind: api.StepRemoveUser, Summary: fmt.Sprintf("remove user %s uid %d", name, u.ID), Reason: "the tenant is being decommissioned",
			Argv: argv, Owner: name, UID: u.ID},
		apply: func(ctx context.Context, h *Host) (Outcome, error) {
			us, err := h.Users()
			if err != nil {
				return Outcome{}, err
			}
			if _, ok := Lookup(us, name); !ok {
				return Outcome{Message: "user " + name + " already gone"}, nil
			}
			return run(ctx, h, argv)
		},
	}
}

// RemoveGroup plans `groupdel NAME` when the group exists. userdel may have
// removed a user's private group already; then the step does nothing.
func RemoveGroup(h *Host, groups []Account, name string) *Action {
	g, ok := Lookup(groups, name)
	if !ok {
		return nil
	}
	argv := []string{h.Commands.Groupdel, name}
	return &Action{
		Step: api.Step{Kind: api.StepRemoveGroup, Summary: fmt.Sprintf("remove group %s gid %d", name, g.ID), Reason: "the tenant is being decommissioned",
			Argv: argv, Group: name, GID: g.ID},
		apply: func(ctx context.Context, h *Host) (Outcome, error) {
			gs, err := h.Groups()
			if err != nil {
				return Outcome{}, err
			}
			if _, ok := Lookup(gs, name); !ok {
				return Outcome{Message: "group " + name + " already gone"}, nil
			}
			return run(ctx, h, argv)
		},
	}
}

// RemoveDir plans removing a directory tree. Removal happens inside the
// anchor and unlinks symlinks instead of following them.
func RemoveDir(a Anchor, reason string) (*Action, error) {
	st, err := Stat(a)
	if err != nil || !st.Exists {
		return nil, err
	}
	if st.Type != fs.ModeDir {
		return nil, &ErrConflict{a.Path() + " is not a directory"}
	}
	return &Action{
		Step: api.Step{Kind: api.StepRemoveDir, Summary: "remove directory " + a.Path(), Reason: reason, Path: a.Path()},
		apply: func(ctx context.Context, h *Host) (Outcome, error) {
			r, err := a.open()
			if err != nil {
				return Outcome{}, err
			}
			defer r.Close()
			if err := r.RemoveAll(a.Rel); err != nil {
				return Outcome{}, fmt.Errorf("remove %s: %w", a.Path(), err)
			}
			return Outcome{Message: "removed " + a.Path()}, nil
		},
		verify: func(ctx context.Context, h *Host) error {
			if st, err := Stat(a); err != nil || st.Exists {
				return fmt.Errorf("verify %s removed: %v", a.Path(), err)
			}
			return nil
		},
	}, nil
}

// FreeName returns the first of base+ext, base-1+ext, ... that does not
// exist in dir, so archive names are deterministic for a given host.
func FreeName(dir, base, ext string) string {
	name := base + ext
	for i := 1; ; i++ {
		if _, err := os.Lstat(filepath.Join(dir, name)); os.IsNotExist(err) {
			return name
		}
		name = fmt.Sprintf("%s-%d%s", base, i, ext)
	}
}
