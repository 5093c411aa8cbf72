package testhost

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestTeardownAllAfterCrash boots two hosts the way a crashed test process
// leaves them (one still running, one whose PID 1 was killed) under a
// private state root, and checks that `teardown.sh --all` removes both.
func TestTeardownAllAfterCrash(t *testing.T) {
	t.Parallel()
	Require(t)
	scripts, err := scriptsDir()
	if err != nil {
		t.Fatal(err)
	}
	root, err := os.MkdirTemp("/run", "mc-testhost-t")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	env := append(os.Environ(), "MCTH_STATE="+root)
	script := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("/bin/bash", append([]string{filepath.Join(scripts, args[0])}, args[1:]...)...)
		cmd.Env = env
		out, err := cmd.Output()
		if err != nil {
			msg := ""
			if ee, ok := err.(*exec.ExitError); ok {
				msg = string(ee.Stderr)
			}
			t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, msg)
		}
		return strings.TrimSpace(string(out))
	}
	var cgroups []string
	for _, name := range []string{"crash1", "crash2"} {
		pid := script("boot.sh", name)
		cg, err := os.ReadFile(filepath.Join(root, name, "cgroup"))
		if err != nil {
			t.Fatal(err)
		}
		cgroups = append(cgroups, strings.TrimSpace(string(cg)))
		if name == "crash2" {
			n, _ := strconv.Atoi(pid)
			if err := syscall.Kill(n, syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
		}
	}
	start := time.Now()
	script("teardown.sh", "--all")
	t.Logf("teardown --all of 2 hosts: %v", time.Since(start).Round(time.Millisecond))
	left, _ := os.ReadDir(root)
	for _, e := range left {
		t.Errorf("left in the state root: %s", e.Name())
	}
	for _, cg := range cgroups {
		if _, err := os.Stat(cg); err == nil {
			t.Errorf("cgroup %s left", cg)
		}
	}
}
