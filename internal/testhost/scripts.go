package testhost

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"sync"
)

// StateRoot holds one directory per throwaway host (named after the host)
// and the materialised scripts (scripts-<hash>).
const StateRoot = "/run/mc-testhost"

// CacheDir holds the seed layers and executor builds shared by all test
// processes.
const CacheDir = "/var/cache/missioncontrol/testhost"

//go:embed sh
var scriptFS embed.FS

// scriptsDir writes the embedded scripts once per process to
// StateRoot/scripts-<content hash> and returns that directory. The directory
// is content-addressed, so concurrent processes agree on it and never
// overwrite a script another process is running.
var scriptsDir = sync.OnceValues(materialiseScripts)

func materialiseScripts() (string, error) {
	files := map[string][]byte{}
	err := fs.WalkDir(scriptFS, "sh", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := scriptFS.ReadFile(p)
		files[path.Base(p)] = b
		return err
	})
	if err != nil {
		return "", fmt.Errorf("read embedded scripts: %w", err)
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		fmt.Fprintf(h, "%s\x00%d\x00", n, len(files[n]))
		h.Write(files[n])
	}
	dir := filepath.Join(StateRoot, "scripts-"+hex.EncodeToString(h.Sum(nil))[:12])
	if sameScripts(dir, files) {
		return dir, nil
	}
	if err := os.MkdirAll(StateRoot, 0o755); err != nil {
		return "", fmt.Errorf("create state root: %w", err)
	}
	tmp, err := os.MkdirTemp(StateRoot, ".scripts-tmp-")
	if err != nil {
		return "", fmt.Errorf("write scripts: %w", err)
	}
	defer os.RemoveAll(tmp)
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(tmp, n), files[n], 0o755); err != nil {
			return "", fmt.Errorf("write scripts: %w", err)
		}
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return "", fmt.Errorf("write scripts: %w", err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		// Another process won the race, or a damaged copy is in the way.
		if sameScripts(dir, files) {
			return dir, nil
		}
		if rerr := os.RemoveAll(dir); rerr != nil {
			return "", errors.Join(fmt.Errorf("replace scripts %s: %w", dir, err), rerr)
		}
		if err := os.Rename(tmp, dir); err != nil && !sameScripts(dir, files) {
			return "", fmt.Errorf("write scripts %s: %w", dir, err)
		}
	}
	return dir, nil
}

func sameScripts(dir string, files map[string][]byte) bool {
	for n, want := range files {
		got, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil || !bytes.Equal(got, want) {
			return false
		}
	}
	return true
}
