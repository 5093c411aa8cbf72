package steps_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/steps"
)

// entry is one tar entry; name is relative to / as tar writes it.
type entry struct {
	name, body, link string
	typ              byte
	mode             int64
	uid              int
}

// writeArchive writes a gzip tar of entries into dir/name and returns its
// anchor and sha256.
func writeArchive(t *testing.T, dir, name string, entries []entry) (steps.Anchor, string) {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		hdr := &tar.Header{Name: e.name, Typeflag: e.typ, Mode: e.mode, Uid: e.uid, Gid: e.uid, Linkname: e.link, Size: int64(len(e.body))}
		if e.typ != tar.TypeReg {
			hdr.Size = 0
		}
		if hdr.Mode == 0 {
			hdr.Mode = 0o640
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if hdr.Size > 0 {
			tw.Write([]byte(e.body))
		}
	}
	tw.Close()
	zw.Close()
	if err := os.WriteFile(filepath.Join(dir, name), buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return steps.Anchor{Base: dir, Rel: name}, steps.SHA256(buf.Bytes())
}

type restoreFixture struct {
	archives, home, conf steps.Anchor
	outside              string
	owner                steps.Owner
}

func newRestoreFixture(t *testing.T) restoreFixture {
	root := t.TempDir()
	for _, d := range []string{"archives", "tenants", "config", "outside"} {
		os.Mkdir(filepath.Join(root, d), 0o755)
	}
	return restoreFixture{
		archives: steps.Anchor{Base: filepath.Join(root, "archives")},
		home:     steps.Anchor{Base: filepath.Join(root, "tenants"), Rel: "acme"},
		conf:     steps.Anchor{Base: filepath.Join(root, "config"), Rel: "acme"},
		outside:  filepath.Join(root, "outside"),
		owner:    steps.Owner{User: "mc-acme", Group: "mc-acme", UID: 20001, GID: 20001},
	}
}

func rel(a steps.Anchor, p string) string {
	return strings.TrimPrefix(filepath.Join(a.Path(), p), "/")
}

func TestRestoreExtractsWithOwnership(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root: restore sets file ownership")
	}
	t.Parallel()
	f := newRestoreFixture(t)
	src, sum := writeArchive(t, f.archives.Base, "acme.tar.gz", []entry{
		{name: rel(f.home, "") + "/", typ: tar.TypeDir, mode: 0o750, uid: 20001},
		{name: rel(f.home, ".openclaw") + "/", typ: tar.TypeDir, mode: 0o750, uid: 20001},
		{name: rel(f.home, ".openclaw/notes.md"), typ: tar.TypeReg, body: "precious\n", mode: 0o4640, uid: 20001},
		{name: rel(f.home, ".openclaw/latest"), typ: tar.TypeSymlink, link: "notes.md", uid: 20001},
		{name: rel(f.home, ".openclaw/hard"), typ: tar.TypeLink, link: rel(f.home, ".openclaw/notes.md"), uid: 20001},
		{name: rel(f.conf, "") + "/", typ: tar.TypeDir, mode: 0o750},
		{name: rel(f.conf, "token.env"), typ: tar.TypeReg, body: "T=1\n", mode: 0o600},
	})
	// a leftover of a failed restore is replaced
	os.MkdirAll(filepath.Join(f.home.Path(), ".openclaw"), 0o700)
	os.WriteFile(filepath.Join(f.home.Path(), ".openclaw/notes.md"), []byte("half"), 0o600)

	ctx := context.Background()
	for _, dirs := range [][2]steps.Anchor{{f.home, f.conf}, {f.conf, f.home}} {
		act, err := steps.Restore(src, sum, dirs[0], []steps.Anchor{dirs[1]}, f.owner)
		if err != nil {
			t.Fatalf("plan restore of %s: %v", dirs[0].Path(), err)
		}
		if act.Step.Path != dirs[0].Path() || act.Step.ContentSHA256 != sum || act.Step.UID != 20001 {
			t.Errorf("step %+v", act.Step)
		}
		if _, err := act.Apply(ctx, &steps.Host{}); err != nil {
			t.Fatalf("restore %s: %v", dirs[0].Path(), err)
		}
		if err := act.Verify(ctx, &steps.Host{}); err != nil {
			t.Fatal(err)
		}
	}
	check := func(a steps.Anchor, p string, uid int, mode os.FileMode, body string) {
		t.Helper()
		st, err := steps.Stat(steps.Anchor{Base: a.Path(), Rel: p})
		if err != nil || !st.Exists {
			t.Fatalf("%s/%s: %+v %v", a.Path(), p, st, err)
		}
		if st.UID != uid || st.GID != uid || st.Mode != mode || string(st.Content) != body {
			t.Errorf("%s/%s is %d:%d %v %q, want %d %v %q", a.Path(), p, st.UID, st.GID, st.Mode, st.Content, uid, mode, body)
		}
	}
	check(f.home, ".openclaw/notes.md", 20001, 0o640, "precious\n") // setuid dropped
	check(f.home, ".openclaw/hard", 20001, 0o640, "precious\n")
	check(f.conf, "token.env", 0, 0o600, "T=1\n")
	if l, err := os.Readlink(filepath.Join(f.home.Path(), ".openclaw/latest")); err != nil || l != "notes.md" {
		t.Errorf("symlink: %q %v", l, err)
	}
	if fi, err := os.Stat(f.home.Path()); err != nil || fi.Mode().Perm() != 0o750 {
		t.Errorf("home: %v %v", fi, err)
	}
}

// A bad archive is refused when planning, before anything is written.
func TestRestoreRefusesBadArchives(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		entries func(f restoreFixture) []entry
		want    string
	}{
		"dot-dot": {func(f restoreFixture) []entry {
			return []entry{{name: rel(f.home, "") + "/../other/x", typ: tar.TypeReg, body: "x"}}
		}, "not a clean path"},
		"outside the tenant": {func(f restoreFixture) []entry {
			return []entry{{name: "etc/passwd", typ: tar.TypeReg, body: "x"}}
		}, "outside the tenant's directories"},
		"absolute": {func(f restoreFixture) []entry {
			return []entry{{name: "/" + rel(f.home, "x"), typ: tar.TypeReg, body: "x"}}
		}, "outside the tenant's directories"},
		"foreign owner": {func(f restoreFixture) []entry {
			return []entry{{name: rel(f.home, "x"), typ: tar.TypeReg, body: "x", uid: 4242}}
		}, "neither root nor the tenant"},
		"device": {func(f restoreFixture) []entry {
			return []entry{{name: rel(f.home, "dev"), typ: tar.TypeChar}}
		}, "only directories, files and links"},
		"hard link out": {func(f restoreFixture) []entry {
			return []entry{{name: rel(f.home, "h"), typ: tar.TypeLink, link: rel(f.conf, "token.env")}}
		}, "hard link"},
		"file as the home": {func(f restoreFixture) []entry {
			return []entry{{name: rel(f.home, ""), typ: tar.TypeReg, body: "x"}}
		}, "where a directory belongs"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newRestoreFixture(t)
			src, sum := writeArchive(t, f.archives.Base, "a.tar.gz", tc.entries(f))
			_, err := steps.Restore(src, sum, f.home, []steps.Anchor{f.conf}, f.owner)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
			if _, err := os.Lstat(f.home.Path()); !os.IsNotExist(err) {
				t.Errorf("planning created %s", f.home.Path())
			}
		})
	}
	t.Run("changed since recorded", func(t *testing.T) {
		t.Parallel()
		f := newRestoreFixture(t)
		src, _ := writeArchive(t, f.archives.Base, "a.tar.gz", []entry{{name: rel(f.home, "x"), typ: tar.TypeReg, body: "x"}})
		_, err := steps.Restore(src, strings.Repeat("0", 64), f.home, nil, f.owner)
		if err == nil || !strings.Contains(err.Error(), "was recorded") {
			t.Fatalf("got %v", err)
		}
	})
}

// A symlink in the archive that points out of the tenant's directory is
// restored as a link, but nothing is ever written through it.
func TestRestoreNeverWritesThroughALink(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root: restore sets file ownership")
	}
	t.Parallel()
	f := newRestoreFixture(t)
	src, sum := writeArchive(t, f.archives.Base, "a.tar.gz", []entry{
		{name: rel(f.home, "") + "/", typ: tar.TypeDir, mode: 0o750, uid: 20001},
		{name: rel(f.home, "out"), typ: tar.TypeSymlink, link: f.outside, uid: 20001},
		{name: rel(f.home, "out/planted"), typ: tar.TypeReg, body: "x", uid: 20001},
	})
	act, err := steps.Restore(src, sum, f.home, nil, f.owner)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := act.Apply(context.Background(), &steps.Host{}); err == nil {
		t.Fatal("restore wrote through a link out of the home")
	}
	if _, err := os.Lstat(filepath.Join(f.outside, "planted")); !os.IsNotExist(err) {
		t.Fatalf("a file was planted outside: %v", err)
	}
}
