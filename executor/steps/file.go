package steps

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

// Owner is a numeric owner with the names shown to reviewers.
type Owner struct {
	User, Group string
	UID, GID    int
}

// EnsureDir plans a directory with owner and mode. A symlink in its place is
// refused, never followed.
func EnsureDir(a Anchor, o Owner, mode fs.FileMode) (*Action, error) {
	st, err := Stat(a)
	if err != nil {
		return nil, err
	}
	step := api.Step{
		Kind: api.StepEnsureDir, Path: a.Path(), Owner: o.User, Group: o.Group, Mode: modeString(uint32(mode)),
	}
	switch {
	case st.Exists && st.Type == fs.ModeSymlink:
		return nil, fmt.Errorf("%s: %w", a.Path(), ErrSymlink)
	case st.Exists && st.Type != fs.ModeDir:
		return nil, &ErrConflict{fmt.Sprintf("%s exists and is not a directory", a.Path())}
	case !st.Exists:
		step.Summary = fmt.Sprintf("create directory %s (%s:%s %s)", a.Path(), o.User, o.Group, step.Mode)
		step.Reason = "directory does not exist"
	case st.UID != o.UID || st.GID != o.GID || st.Mode != mode:
		step.Summary = fmt.Sprintf("set %s to %s:%s %s", a.Path(), o.User, o.Group, step.Mode)
		step.Reason = fmt.Sprintf("directory is %d:%d %s", st.UID, st.GID, modeString(uint32(st.Mode)))
	default:
		return nil, nil
	}
	return &Action{
		Step: step,
		apply: func(ctx context.Context, h *Host) (Outcome, error) {
			r, err := a.open()
			if err != nil {
				return Outcome{}, err
			}
			defer r.Close()
			if err := r.Mkdir(a.Rel, mode); err != nil && !errors.Is(err, fs.ErrExist) {
				return Outcome{}, fmt.Errorf("mkdir %s: %w", a.Path(), err)
			}
			fi, err := r.Lstat(a.Rel)
			if err != nil {
				return Outcome{}, fmt.Errorf("stat %s: %w", a.Path(), err)
			}
			if !fi.IsDir() {
				return Outcome{}, fmt.Errorf("%s: %w", a.Path(), ErrSymlink)
			}
			d, err := r.Open(a.Rel)
			if err != nil {
				return Outcome{}, fmt.Errorf("open %s: %w", a.Path(), err)
			}
			defer d.Close()
			if err := d.Chown(o.UID, o.GID); err != nil {
				return Outcome{}, fmt.Errorf("chown %s: %w", a.Path(), err)
			}
			if err := d.Chmod(mode); err != nil {
				return Outcome{}, fmt.Errorf("chmod %s: %w", a.Path(), err)
			}
			return Outcome{Message: "directory " + a.Path() + " " + step.Mode}, nil
		},
		verify: func(ctx context.Context, h *Host) error {
			st, err := Stat(a)
			if err != nil {
				return err
			}
			if !st.Exists || st.Type != fs.ModeDir || st.UID != o.UID || st.GID != o.GID || st.Mode != mode {
				return fmt.Errorf("verify %s: not a directory %d:%d %s", a.Path(), o.UID, o.GID, step.Mode)
			}
			return nil
		},
	}, nil
}

// EnsureFile plans an atomic write of content with owner and mode. kind is
// api.StepEnsureFile or api.StepInstallUnit (the same action, reviewed under
// the name the policy allows).
func EnsureFile(kind api.StepKind, a Anchor, content []byte, o Owner, mode fs.FileMode) (*Action, error) {
	st, err := Stat(a)
	if err != nil {
		return nil, err
	}
	sum := SHA256(content)
	step := api.Step{
		Kind: kind, Path: a.Path(), Owner: o.User, Group: o.Group, Mode: modeString(uint32(mode)), ContentSHA256: sum,
	}
	switch {
	case st.Exists && st.Type == fs.ModeSymlink:
		// Replacing a planted link is safe (rename replaces the link itself),
		// and the reviewer is told.
		step.Summary = fmt.Sprintf("replace symlink %s with a file", a.Path())
		step.Reason = "a symlink stands where the file belongs"
	case st.Exists && st.Type != 0:
		return nil, &ErrConflict{fmt.Sprintf("%s exists and is not a regular file", a.Path())}
	case !st.Exists:
		step.Summary = fmt.Sprintf("write %s (%s:%s %s)", a.Path(), o.User, o.Group, step.Mode)
		step.Reason = "file does not exist"
	case st.SHA256 != sum:
		step.Summary = fmt.Sprintf("update %s (%s:%s %s)", a.Path(), o.User, o.Group, step.Mode)
		step.Reason = "content differs (sha256 " + short(st.SHA256) + ", want " + short(sum) + ")"
	case st.UID != o.UID || st.GID != o.GID || st.Mode != mode:
		step.Summary = fmt.Sprintf("set %s to %s:%s %s", a.Path(), o.User, o.Group, step.Mode)
		step.Reason = fmt.Sprintf("file is %d:%d %s", st.UID, st.GID, modeString(uint32(st.Mode)))
	default:
		return nil, nil
	}
	return &Action{
		Step: step,
		apply: func(ctx context.Context, h *Host) (Outcome, error) {
			if err := writeAtomic(a, content, o, mode); err != nil {
				return Outcome{}, err
			}
			return Outcome{Message: fmt.Sprintf("wrote %s (%d bytes, sha256 %s)", a.Path(), len(content), short(sum))}, nil
		},
		verify: func(ctx context.Context, h *Host) error {
			st, err := Stat(a)
			if err != nil {
				return err
			}
			if !st.Exists || st.Type != 0 || st.SHA256 != sum || st.UID != o.UID || st.GID != o.GID || st.Mode != mode {
				return fmt.Errorf("verify %s: content, owner or mode differ after write", a.Path())
			}
			return nil
		},
	}, nil
}

// EnsureSecret plans the one-time creation of a file holding a fresh random
// secret rendered by render(hexSecret). The content is never shown or hashed
// into the plan; an existing file is left alone (only owner and mode are
// corrected).
func EnsureSecret(a Anchor, render func(secret string) ([]byte, error), o Owner, mode fs.FileMode) (*Action, error) {
	st, err := Stat(a)
	if err != nil {
		return nil, err
	}
	step := api.Step{Kind: api.StepEnsureSecret, Path: a.Path(), Owner: o.User, Group: o.Group, Mode: modeString(uint32(mode))}
	switch {
	case st.Exists && st.Type == fs.ModeSymlink:
		return nil, fmt.Errorf("%s: %w", a.Path(), ErrSymlink)
	case st.Exists && st.Type != 0:
		return nil, &ErrConflict{fmt.Sprintf("%s exists and is not a regular file", a.Path())}
	case !st.Exists:
		step.Summary = fmt.Sprintf("generate secret %s (%s:%s %s)", a.Path(), o.User, o.Group, step.Mode)
		step.Reason = "secret does not exist"
	case st.UID != o.UID || st.GID != o.GID || st.Mode != mode:
		step.Summary = fmt.Sprintf("set %s to %s:%s %s", a.Path(), o.User, o.Group, step.Mode)
		step.Reason = fmt.Sprintf("file is %d:%d %s", st.UID, st.GID, modeString(uint32(st.Mode)))
	default:
		return nil, nil
	}
	return &Action{
		Step: step,
		apply: func(ctx context.Context, h *Host) (Outcome, error) {
			cur, err := Stat(a)
			if err != nil {
				return Outcome{}, err
			}
			content := cur.Content
			if !cur.Exists || cur.Type != 0 {
				buf := make([]byte, 32)
				fill := h.Random
				if fill == nil {
					fill = func(b []byte) error { _, err := rand.Read(b); return err }
				}
				if err := fill(buf); err != nil {
					return Outcome{}, fmt.Errorf("generate secret: %w", err)
				}
				if content, err = render(hex.EncodeToString(buf)); err != nil {
					return Outcome{}, fmt.Errorf("render secret %s: %w", a.Path(), err)
				}
			}
			if err := writeAtomic(a, content, o, mode); err != nil {
				return Outcome{}, err
			}
			return Outcome{Message: "secret " + a.Path() + " in place"}, nil
		},
		verify: func(ctx context.Context, h *Host) error {
			st, err := Stat(a)
			if err != nil {
				return err
			}
			if !st.Exists || st.Type != 0 || st.UID != o.UID || st.GID != o.GID || st.Mode != mode {
				return fmt.Errorf("verify %s: secret missing or wrong owner/mode", a.Path())
			}
			return nil
		},
	}, nil
}

// writeAtomic writes a temp file beside the target inside the anchor, fsyncs
// it, sets owner and mode on the descriptor and renames it into place.
func writeAtomic(a Anchor, content []byte, o Owner, mode fs.FileMode) error {
	r, err := a.open()
	if err != nil {
		return err
	}
	defer r.Close()
	dir, base := filepath.Split(a.Rel)
	tmp := filepath.Join(dir, "."+base+".mc-tmp-"+randSuffix())
	f, err := r.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("create %s: %w", filepath.Join(a.Base, tmp), err)
	}
	cleanup := func() { _ = r.Remove(tmp) }
	if _, err := f.Write(content); err != nil {
		f.Close()
		cleanup()
		return fmt.Errorf("write %s: %w", a.Path(), err)
	}
	if err := f.Chown(o.UID, o.GID); err != nil {
		f.Close()
		cleanup()
		return fmt.Errorf("chown %s: %w", a.Path(), err)
	}
	if err := f.Chmod(mode); err != nil {
		f.Close()
		cleanup()
		return fmt.Errorf("chmod %s: %w", a.Path(), err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		cleanup()
		return fmt.Errorf("fsync %s: %w", a.Path(), err)
	}
	if err := f.Close(); err != nil {
		cleanup()
		return fmt.Errorf("close %s: %w", a.Path(), err)
	}
	if err := r.Rename(tmp, a.Rel); err != nil {
		cleanup()
		return fmt.Errorf("rename into %s: %w", a.Path(), err)
	}
	if d, err := r.Open(dirOrDot(dir)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

func dirOrDot(dir string) string {
	dir = strings.TrimSuffix(dir, "/")
	if dir == "" {
		return "."
	}
	return dir
}

func randSuffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func short(sum string) string {
	if len(sum) > 12 {
		return sum[:12]
	}
	return sum
}

// RemoveFile plans the removal of a file the executor manages.
func RemoveFile(a Anchor, reason string) (*Action, error) {
	st, err := Stat(a)
	if err != nil || !st.Exists {
		return nil, err
	}
	if st.Type == fs.ModeDir {
		return nil, &ErrConflict{a.Path() + " is a directory"}
	}
	return &Action{
		Step: api.Step{Kind: api.StepRemoveFile, Summary: "remove " + a.Path(), Reason: reason, Path: a.Path()},
		apply: func(ctx context.Context, h *Host) (Outcome, error) {
			if err := removeAnchored(a); err != nil {
				return Outcome{}, err
			}
			return Outcome{Message: "removed " + a.Path()}, nil
		},
	}, nil
}

func removeAnchored(a Anchor) error {
	r, err := a.open()
	if err != nil {
		return err
	}
	defer r.Close()
	if err := r.Remove(a.Rel); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove %s: %w", a.Path(), err)
	}
	return nil
}
