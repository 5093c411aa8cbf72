package steps_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/steps"
)

// A verified file runs again without re-hashing only while it is the same
// file: replaced in place (same size, even the same mtime) it is hashed
// again and refused.
func TestExecRunnerRemembersOnlyUnchangedFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tool := filepath.Join(dir, "tool")
	good := []byte("#!/bin/true\n")
	if err := os.WriteFile(tool, good, 0o755); err != nil {
		t.Fatal(err)
	}
	r := steps.ExecRunner{Pins: map[string]string{tool: steps.SHA256(good)}, Hashes: &steps.FileHashes{}}
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		if res, err := r.Run(ctx, []string{tool}); err != nil || res.ExitCode != 0 {
			t.Fatalf("run %d of the pinned tool: %v %+v", i, err, res)
		}
	}
	fi, err := os.Stat(tool)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond)                                         // a ctime the kernel can tell apart
	if err := os.WriteFile(tool, []byte("#!/bin/false"), 0o755); err != nil { // same size
		t.Fatal(err)
	}
	if err := os.Chtimes(tool, fi.ModTime(), fi.ModTime()); err != nil { // and the old mtime
		t.Fatal(err)
	}
	if _, err := r.Run(ctx, []string{tool}); !errors.Is(err, steps.ErrPinMismatch) {
		t.Fatalf("run of the replaced tool = %v, want ErrPinMismatch", err)
	}
}

// BenchmarkExecRunnerSystemctl: what the pin check costs a run of the
// executor's most frequent command, hashed every time or remembered.
func BenchmarkExecRunnerSystemctl(b *testing.B) {
	const systemctl = "/usr/bin/systemctl"
	content, err := os.ReadFile(systemctl)
	if err != nil {
		b.Skip("no systemctl")
	}
	pins := map[string]string{systemctl: steps.SHA256(content)}
	for _, bc := range []struct {
		name string
		r    steps.ExecRunner
	}{{"hash-every-run", steps.ExecRunner{Pins: pins}}, {"remembered", steps.ExecRunner{Pins: pins, Hashes: &steps.FileHashes{}}}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := bc.r.Run(context.Background(), []string{systemctl, "--version"}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// FileHashes.Sum, the planner's check of the gateway's files: remembered
// while unchanged, hashed again after a same-size rewrite, refused for a
// directory.
func TestFileHashesSum(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	f := filepath.Join(dir, "node")
	if err := os.WriteFile(f, []byte("v1"), 0o755); err != nil {
		t.Fatal(err)
	}
	var c steps.FileHashes
	for i := 0; i < 2; i++ {
		if got, err := c.Sum(f); err != nil || got != steps.SHA256([]byte("v1")) {
			t.Fatalf("Sum #%d = %q, %v", i, got, err)
		}
	}
	time.Sleep(10 * time.Millisecond)
	if err := os.WriteFile(f, []byte("v2"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got, err := c.Sum(f); err != nil || got != steps.SHA256([]byte("v2")) {
		t.Fatalf("Sum after a rewrite = %q, %v, want the new content's", got, err)
	}
	if _, err := c.Sum(dir); err == nil {
		t.Fatal("Sum(directory) succeeded")
	}
}
