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
	r := steps.ExecRunner{Pins: map[string]string{tool: steps.SHA256(good)}, Verified: &steps.VerifiedFiles{}}
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
	}{{"hash-every-run", steps.ExecRunner{Pins: pins}}, {"remembered", steps.ExecRunner{Pins: pins, Verified: &steps.VerifiedFiles{}}}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := bc.r.Run(context.Background(), []string{systemctl, "--version"}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
