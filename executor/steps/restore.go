package steps

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

// Restore plans extracting, into dest, the entries of the archive at src
// that lie under dest. Every entry of the archive must lie under dest or one
// of others (the tenant's other directories, restored by their own steps),
// be a directory, regular file, symlink or hard link within the same
// directory, and be owned by root or o's uid and gid; anything else refuses
// the whole archive. Planning reads the archive once to check all of that
// and its sha256 against sum, so a bad archive is refused before any step
// runs. Apply checks again on the descriptor it extracts from, and writes
// through an os.Root opened at dest: no entry can lead a write out of it,
// through "..", an absolute name or a symlink. Existing entries are
// replaced, so a retry after a failed restore converges; setuid and setgid
// bits are dropped.
func Restore(src Anchor, sum string, dest Anchor, others []Anchor, o Owner) (*Action, error) {
	m := entryMap{dest: dest, others: others, owner: o}
	if err := m.check(src, sum); err != nil {
		return nil, err
	}
	return &Action{
		Step: api.Step{
			Kind: api.StepRestore, Path: dest.Path(), Owner: o.User, Group: o.Group, UID: o.UID, GID: o.GID, ContentSHA256: sum,
			Summary: fmt.Sprintf("restore %s from archive %s (sha256 %s, checked before extracting)", dest.Path(), src.Path(), short(sum)),
			Reason:  "the tenant is restored from its archive",
		},
		apply: func(ctx context.Context, h *Host) (Outcome, error) {
			n, err := m.extract(src, sum)
			if err != nil {
				return Outcome{}, err
			}
			return Outcome{Message: fmt.Sprintf("restored %d entries into %s from %s", n, dest.Path(), src.Path())}, nil
		},
		verify: func(ctx context.Context, h *Host) error {
			st, err := Stat(dest)
			if err != nil {
				return err
			}
			if !st.Exists || st.Type != fs.ModeDir {
				return fmt.Errorf("verify restore of %s: not a directory", dest.Path())
			}
			return nil
		},
	}, nil
}

// entryMap places archive entries: names are paths relative to / (tar
// strips the leading slash), e.g. srv/missioncontrol/tenants/acme/x.
type entryMap struct {
	dest   Anchor
	others []Anchor
	owner  Owner
}

// place returns whether name lies under dest and its path relative to
// dest ("." for dest itself); an error if it lies under no known dir or is
// not a clean local path.
func (m entryMap) place(name string) (bool, string, error) {
	n := strings.TrimSuffix(strings.TrimPrefix(name, "./"), "/")
	for i, a := range append([]Anchor{m.dest}, m.others...) {
		prefix := strings.TrimPrefix(a.Path(), "/")
		rel := ""
		switch {
		case n == prefix:
			rel = "."
		case strings.HasPrefix(n, prefix+"/"):
			rel = n[len(prefix)+1:]
			if !filepath.IsLocal(rel) || filepath.Clean(rel) != rel {
				return false, "", fmt.Errorf("archive entry %q is not a clean path inside %s", name, a.Path())
			}
		default:
			continue
		}
		return i == 0, rel, nil
	}
	return false, "", fmt.Errorf("archive entry %q lies outside the tenant's directories", name)
}

// checkEntry refuses an entry restore does not extract.
func (m entryMap) checkEntry(hdr *tar.Header) (mine bool, rel, link string, err error) {
	mine, rel, err = m.place(hdr.Name)
	if err != nil {
		return false, "", "", err
	}
	if hdr.Uid != 0 && hdr.Uid != m.owner.UID || hdr.Gid != 0 && hdr.Gid != m.owner.GID {
		return false, "", "", fmt.Errorf("archive entry %q is owned by %d:%d, neither root nor the tenant's %d:%d",
			hdr.Name, hdr.Uid, hdr.Gid, m.owner.UID, m.owner.GID)
	}
	switch hdr.Typeflag {
	case tar.TypeDir, tar.TypeReg, tar.TypeSymlink:
	case tar.TypeLink:
		same, target, err := m.place(hdr.Linkname)
		if err != nil || same != mine || target == "." {
			return false, "", "", fmt.Errorf("archive entry %q is a hard link to %q outside its directory", hdr.Name, hdr.Linkname)
		}
		link = target
	default:
		return false, "", "", fmt.Errorf("archive entry %q has type %q; only directories, files and links are restored", hdr.Name, hdr.Typeflag)
	}
	if rel == "." && hdr.Typeflag != tar.TypeDir {
		return false, "", "", fmt.Errorf("archive entry %q stands where a directory belongs", hdr.Name)
	}
	return mine, rel, link, nil
}

// check reads the whole archive: its sha256 must be sum and every entry
// must pass checkEntry.
func (m entryMap) check(src Anchor, sum string) error {
	f, err := openArchive(src)
	if err != nil {
		return err
	}
	defer f.Close()
	return m.scan(f, sum)
}

func (m entryMap) scan(f *os.File, sum string) error {
	h := sha256.New()
	tee := io.TeeReader(f, h)
	zr, err := gzip.NewReader(tee)
	if err != nil {
		return fmt.Errorf("read archive %s: %w", f.Name(), err)
	}
	tr := tar.NewReader(zr)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("read archive %s: %w", f.Name(), err)
		}
		if _, _, _, err := m.checkEntry(hdr); err != nil {
			return err
		}
	}
	if _, err := io.Copy(h, f); err != nil { // the rest, for the sha256
		return fmt.Errorf("read archive %s: %w", f.Name(), err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != sum {
		return &ErrConflict{fmt.Sprintf("archive %s has sha256 %s, but %s was recorded; it changed since it was written", f.Name(), got, sum)}
	}
	return nil
}

func openArchive(src Anchor) (*os.File, error) {
	r, err := src.open()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	f, err := r.Open(src.Rel)
	if err != nil {
		return nil, fmt.Errorf("open archive: %w", err)
	}
	return f, nil
}

// extract checks the archive again on one descriptor, then extracts from
// the same descriptor the entries under dest. It returns how many it wrote.
func (m entryMap) extract(src Anchor, sum string) (int, error) {
	f, err := openArchive(src)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	if err := m.scan(f, sum); err != nil {
		return 0, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return 0, fmt.Errorf("rewind archive: %w", err)
	}
	base, err := m.dest.open()
	if err != nil {
		return 0, err
	}
	defer base.Close()
	if err := base.Mkdir(m.dest.Rel, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return 0, fmt.Errorf("mkdir %s: %w", m.dest.Path(), err)
	}
	if fi, err := base.Lstat(m.dest.Rel); err != nil || !fi.IsDir() {
		return 0, fmt.Errorf("%s: %w", m.dest.Path(), ErrSymlink)
	}
	root, err := base.OpenRoot(m.dest.Rel)
	if err != nil {
		return 0, fmt.Errorf("open %s: %w", m.dest.Path(), err)
	}
	defer root.Close()

	zr, err := gzip.NewReader(f)
	if err != nil {
		return 0, fmt.Errorf("read archive %s: %w", src.Path(), err)
	}
	tr := tar.NewReader(zr)
	type dirTime struct {
		rel string
		hdr *tar.Header
	}
	var dirs []dirTime
	n := 0
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return n, fmt.Errorf("read archive %s: %w", src.Path(), err)
		}
		mine, rel, link, err := m.checkEntry(hdr)
		if err != nil {
			return n, err
		}
		if !mine {
			continue
		}
		if err := writeEntry(root, rel, link, hdr, tr); err != nil {
			return n, fmt.Errorf("restore %s: %w", filepath.Join(m.dest.Path(), rel), err)
		}
		if hdr.Typeflag == tar.TypeDir {
			dirs = append(dirs, dirTime{rel, hdr})
		}
		n++
	}
	// Directory times last: writing their entries changed them.
	for i := len(dirs) - 1; i >= 0; i-- {
		if err := root.Chtimes(dirs[i].rel, dirs[i].hdr.AccessTime, dirs[i].hdr.ModTime); err != nil {
			return n, fmt.Errorf("set times of %s: %w", filepath.Join(m.dest.Path(), dirs[i].rel), err)
		}
	}
	return n, nil
}

// perm is the entry's permission bits and sticky bit, without setuid and
// setgid.
func perm(hdr *tar.Header) fs.FileMode {
	m := fs.FileMode(hdr.Mode) & fs.ModePerm
	if hdr.Mode&0o1000 != 0 {
		m |= fs.ModeSticky
	}
	return m
}

func writeEntry(root *os.Root, rel, link string, hdr *tar.Header, r io.Reader) error {
	fi, err := root.Lstat(rel)
	exists := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if hdr.Typeflag == tar.TypeDir {
		if exists && !fi.IsDir() {
			return &ErrConflict{"a " + fi.Mode().Type().String() + " stands where the archive has a directory"}
		}
		if !exists {
			if err := root.MkdirAll(rel, 0o700); err != nil {
				return err
			}
		}
		if err := root.Lchown(rel, hdr.Uid, hdr.Gid); err != nil {
			return err
		}
		return root.Chmod(rel, perm(hdr))
	}
	if exists {
		if fi.IsDir() {
			return &ErrConflict{"a directory stands where the archive has a file"}
		}
		if err := root.Remove(rel); err != nil {
			return err
		}
	}
	if dir := filepath.Dir(rel); dir != "." {
		if err := root.MkdirAll(dir, 0o700); err != nil {
			return err
		}
	}
	switch hdr.Typeflag {
	case tar.TypeSymlink:
		// The link is recreated as it was; os.Root never follows it out.
		if err := root.Symlink(hdr.Linkname, rel); err != nil {
			return err
		}
		return root.Lchown(rel, hdr.Uid, hdr.Gid)
	case tar.TypeLink:
		return root.Link(link, rel)
	}
	f, err := root.OpenFile(rel, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.CopyN(f, r, hdr.Size); err != nil {
		f.Close()
		return err
	}
	if err := f.Chown(hdr.Uid, hdr.Gid); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(perm(hdr)); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return root.Chtimes(rel, hdr.AccessTime, hdr.ModTime)
}
