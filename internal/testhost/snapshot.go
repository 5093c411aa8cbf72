package testhost

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// accountFiles are the files whose contents a Snapshot records.
var accountFiles = []string{"/etc/passwd", "/etc/group", "/etc/shadow", "/etc/gshadow"}

// snapshotDirs are the trees whose entries a Snapshot records.
var snapshotDirs = []string{"/etc/systemd/system", "/etc/sudoers.d", "/srv", "/etc/missioncontrol"}

// Snapshot is the state of a throwaway host that tenant operations change.
// Two snapshots taken with no change in between are identical (Diff is "").
type Snapshot struct {
	// Accounts maps /etc/passwd, /etc/group, /etc/shadow and /etc/gshadow
	// to their contents ("" if missing).
	Accounts map[string]string
	// Files are the entries of /etc/systemd/system, /etc/sudoers.d, /srv
	// and /etc/missioncontrol (the roots included), sorted by path.
	Files []FileState
	// Units are the missioncontrol-* units systemd has loaded, sorted.
	Units []UnitState
}

// FileState is one file system entry inside the host.
type FileState struct {
	Path     string // path inside the host
	UID, GID uint32
	Mode     fs.FileMode
	SHA256   string // of the content, regular files only
	Target   string // symlinks only
}

func (f FileState) String() string {
	s := fmt.Sprintf("%s %d:%d %v", f.Path, f.UID, f.GID, f.Mode)
	if f.SHA256 != "" {
		s += " sha256:" + f.SHA256[:12]
	}
	if f.Target != "" {
		s += " -> " + f.Target
	}
	return s
}

// UnitState is a unit as `systemctl list-units --all` shows it.
type UnitState struct {
	Name, Load, Active, Sub string
}

func (u UnitState) String() string {
	return fmt.Sprintf("%s %s/%s/%s", u.Name, u.Load, u.Active, u.Sub)
}

// Snapshot records the host's accounts, the entries of the trees above and
// its missioncontrol-* units. Files are read through /proc/PID/root, so
// nothing runs inside the host except one systemctl list-units.
func (h *Host) Snapshot() (Snapshot, error) {
	s := Snapshot{Accounts: map[string]string{}}
	root := h.root()
	for _, p := range accountFiles {
		b, err := os.ReadFile(root + p)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return Snapshot{}, fmt.Errorf("snapshot %s: %w", p, err)
		}
		s.Accounts[p] = string(b)
	}
	for _, dir := range snapshotDirs {
		err := filepath.WalkDir(root+dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if p == root+dir && errors.Is(err, fs.ErrNotExist) {
					return nil
				}
				return err
			}
			fi, err := d.Info()
			if err != nil {
				return err
			}
			f := FileState{Path: strings.TrimPrefix(p, root), Mode: fi.Mode()}
			if st, ok := fi.Sys().(*syscall.Stat_t); ok {
				f.UID, f.GID = st.Uid, st.Gid
			}
			switch {
			case fi.Mode().IsRegular():
				f.SHA256, err = fileSHA256(p)
			case fi.Mode()&fs.ModeSymlink != 0:
				f.Target, err = os.Readlink(p)
			}
			s.Files = append(s.Files, f)
			return err
		})
		if err != nil {
			return Snapshot{}, fmt.Errorf("snapshot %s: %w", dir, err)
		}
	}
	slices.SortFunc(s.Files, func(a, b FileState) int { return strings.Compare(a.Path, b.Path) })

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := h.CommandContext(ctx, "systemctl", "list-units", "--all", "--plain", "--no-legend",
		"--no-pager", "--full", "missioncontrol-*").Output()
	if err != nil {
		return Snapshot{}, fmt.Errorf("snapshot units: %w", err)
	}
	for line := range strings.Lines(string(out)) {
		fields := strings.Fields(line)
		if len(fields) < 4 {
			continue
		}
		s.Units = append(s.Units, UnitState{Name: fields[0], Load: fields[1], Active: fields[2], Sub: fields[3]})
	}
	slices.SortFunc(s.Units, func(a, b UnitState) int { return strings.Compare(a.Name, b.Name) })
	return s, nil
}

func fileSHA256(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Diff describes how b differs from a, one change per line ("+ " added,
// "- " removed, "~ " changed), or returns "" when they are identical.
func Diff(a, b Snapshot) string {
	var out []string
	for _, p := range slices.Sorted(maps.Keys(union(a.Accounts, b.Accounts))) {
		removed, added := lineDiff(a.Accounts[p], b.Accounts[p])
		for _, l := range removed {
			out = append(out, fmt.Sprintf("- %s: %s", p, l))
		}
		for _, l := range added {
			out = append(out, fmt.Sprintf("+ %s: %s", p, l))
		}
	}
	out = append(out, diffSorted(a.Files, b.Files, func(f FileState) string { return f.Path },
		"file", func(x, y FileState) string {
			var c []string
			if x.UID != y.UID || x.GID != y.GID {
				c = append(c, fmt.Sprintf("owner %d:%d -> %d:%d", x.UID, x.GID, y.UID, y.GID))
			}
			if x.Mode != y.Mode {
				c = append(c, fmt.Sprintf("mode %v -> %v", x.Mode, y.Mode))
			}
			if x.SHA256 != y.SHA256 {
				c = append(c, fmt.Sprintf("content sha256:%.12s -> sha256:%.12s", x.SHA256, y.SHA256))
			}
			if x.Target != y.Target {
				c = append(c, fmt.Sprintf("target %q -> %q", x.Target, y.Target))
			}
			return strings.Join(c, ", ")
		})...)
	out = append(out, diffSorted(a.Units, b.Units, func(u UnitState) string { return u.Name },
		"unit", func(x, y UnitState) string {
			return fmt.Sprintf("%s/%s/%s -> %s/%s/%s", x.Load, x.Active, x.Sub, y.Load, y.Active, y.Sub)
		})...)
	return strings.Join(out, "\n")
}

func union(a, b map[string]string) map[string]string {
	m := maps.Clone(a)
	if m == nil {
		m = map[string]string{}
	}
	maps.Copy(m, b)
	return m
}

// lineDiff returns the lines of a missing in b and the lines of b missing
// in a, as multisets, each in file order.
func lineDiff(a, b string) (removed, added []string) {
	count := map[string]int{}
	for l := range strings.Lines(a) {
		count[strings.TrimSuffix(l, "\n")]++
	}
	for l := range strings.Lines(b) {
		l = strings.TrimSuffix(l, "\n")
		if count[l] > 0 {
			count[l]--
			continue
		}
		added = append(added, l)
	}
	for l := range strings.Lines(a) {
		l = strings.TrimSuffix(l, "\n")
		if count[l] > 0 {
			count[l]--
			removed = append(removed, l)
		}
	}
	return removed, added
}

// diffSorted merges two slices sorted by key and describes the differences.
func diffSorted[T comparable](a, b []T, key func(T) string, kind string, changed func(x, y T) string) []string {
	var out []string
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || (i < len(a) && key(a[i]) < key(b[j])):
			out = append(out, fmt.Sprintf("- %s %v", kind, a[i]))
			i++
		case i == len(a) || key(b[j]) < key(a[i]):
			out = append(out, fmt.Sprintf("+ %s %v", kind, b[j]))
			j++
		default:
			if a[i] != b[j] {
				out = append(out, fmt.Sprintf("~ %s %s: %s", kind, key(a[i]), changed(a[i], b[j])))
			}
			i++
			j++
		}
	}
	return out
}
