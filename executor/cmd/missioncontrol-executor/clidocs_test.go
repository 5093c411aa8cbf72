package main

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/spf13/cobra/doc"
)

// cliDocsDir holds the CLI reference generated from the commands.
const cliDocsDir = "../../../docs/operations/cli"

var updateCLIDocs = flag.Bool("update-cli-docs", false, "regenerate "+cliDocsDir+" (make cli-docs)")

// TestCLIDocs regenerates the CLI reference from the cobra commands into a
// temporary directory and fails on any difference from the committed one,
// so the reference never drifts from the binary. make cli-docs rewrites it.
func TestCLIDocs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	root := newRootCmd()
	root.DisableAutoGenTag = true // no generation date: the output depends on the commands only
	if err := doc.GenMarkdownTree(root, dir); err != nil {
		t.Fatalf("generate CLI docs: %v", err)
	}
	if *updateCLIDocs {
		if err := os.RemoveAll(cliDocsDir); err != nil {
			t.Fatal(err)
		}
		if err := os.CopyFS(cliDocsDir, os.DirFS(dir)); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := filepath.Glob(filepath.Join(dir, "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	have, err := filepath.Glob(filepath.Join(cliDocsDir, "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	names := func(paths []string) []string {
		var out []string
		for _, p := range paths {
			out = append(out, filepath.Base(p))
		}
		return out
	}
	if !slices.Equal(names(want), names(have)) {
		t.Fatalf("%s lists %v, the commands give %v: run make cli-docs and commit the result", cliDocsDir, names(have), names(want))
	}
	for _, p := range want {
		got, err := os.ReadFile(filepath.Join(cliDocsDir, filepath.Base(p)))
		if err != nil {
			t.Fatal(err)
		}
		gen, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(gen) {
			t.Errorf("%s is stale: run make cli-docs and commit the result", filepath.Join(cliDocsDir, filepath.Base(p)))
		}
	}
}
