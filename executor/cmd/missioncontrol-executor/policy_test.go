package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/policy"
)

// policyFixture is a directory with two fake host tools and a policy that
// names them; pins are filled in by the test.
type policyFixture struct {
	dir, tool1, tool2 string
	sum1, sum2        string
}

func newPolicyFixture(t *testing.T) policyFixture {
	t.Helper()
	dir := t.TempDir()
	f := policyFixture{dir: dir, tool1: filepath.Join(dir, "groupadd"), tool2: filepath.Join(dir, "useradd")}
	for _, tool := range []struct {
		path string
		sum  *string
	}{{f.tool1, &f.sum1}, {f.tool2, &f.sum2}} {
		body := []byte("#!/bin/true\n" + tool.path + "\n")
		if err := os.WriteFile(tool.path, body, 0o755); err != nil {
			t.Fatal(err)
		}
		h := sha256.Sum256(body)
		*tool.sum = hex.EncodeToString(h[:])
	}
	return f
}

// policy renders a policy naming both tools with the given pins.
func (f policyFixture) policy(pin1, pin2 string) string {
	return fmt.Sprintf(`# host tools
actions {
  allow = ["ensure_group", "ensure_user"]
}
command %q { sha256 = %q } # groupadd
command %q {
  # useradd
  sha256 = %q
}
`, f.tool1, pin1, f.tool2, pin2)
}

func (f policyFixture) write(t *testing.T, name, src string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(f.dir, name)
	if err := os.WriteFile(p, []byte(src), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
	return p
}

func runPolicyCmd(args ...string) (string, error) {
	var out bytes.Buffer
	cmd := newPolicyCmd()
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	cmd.SilenceUsage = true
	cmd.SilenceErrors = true
	err := cmd.Execute()
	return out.String(), err
}

func revision(src string) string {
	h := sha256.Sum256([]byte(src))
	return "sha256:" + hex.EncodeToString(h[:])
}

func TestPolicyCheck(t *testing.T) {
	t.Parallel()
	f := newPolicyFixture(t)
	zeros := strings.Repeat("0", 64)
	wrong := strings.Repeat("e", 64)
	pinned := f.policy(f.sum1, f.sum2)
	okFile := f.write(t, "ok.hcl", pinned, 0o640)
	unpinned := f.write(t, "unpinned.hcl", f.policy(zeros, wrong), 0o640)
	missingTool := f.write(t, "missing-tool.hcl", strings.Replace(pinned, f.tool2, f.tool2+"-gone", 1), 0o640)
	invalid := f.write(t, "invalid.hcl", "uids {\n  min = 1\n  max = 2\n}\nfirewall {\n}\n", 0o640)
	absent := filepath.Join(f.dir, "absent.hcl")

	tests := map[string]struct {
		args    []string
		want    string
		wantErr string
		is      error
	}{
		"ok": {
			args: []string{"check", okFile},
			want: fmt.Sprintf("policy %s: ok (revision %s, 2 commands pinned)\n", okFile, revision(pinned)),
		},
		"unpinned and mismatched": {
			args: []string{"check", unpinned},
			wantErr: fmt.Sprintf("policy %[1]s: 2 problems:\n"+
				"  %[1]s:5,%[2]d: command[%[3]q].sha256: command is not pinned; run: missioncontrol-executor policy pin --write FILE\n"+
				"  %[1]s:8,3: command[%[4]q].sha256: sha256 does not match the file on this host (%[4]s has %[5]s) (got %[6]q)",
				unpinned, len(fmt.Sprintf("command %q { ", f.tool1))+1, f.tool1, f.tool2, f.sum2, wrong),
			is: policy.ErrPinMismatch,
		},
		"missing tool": {
			args: []string{"check", missingTool},
			wantErr: fmt.Sprintf("%s:6,9: command[%q]: hash command: open %s-gone: no such file or directory",
				missingTool, f.tool2+"-gone", f.tool2),
			is: os.ErrNotExist,
		},
		"invalid": {
			args: []string{"check", invalid},
			wantErr: fmt.Sprintf("policy %[1]s: 2 problems:\n"+
				"  %[1]s:2,3: uids.min: must be at least 1000 (got 1)\n"+
				"  %[1]s:5,1: firewall: unknown setting: block \"firewall\"", invalid),
			is: policy.ErrUnknown,
		},
		"absent": {
			args:    []string{"check", absent},
			wantErr: absent + ": policy file not found",
			is:      policy.ErrNotFound,
		},
		"no file": {
			args:    []string{"check"},
			wantErr: "accepts 1 arg(s), received 0",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			out, err := runPolicyCmd(tc.args...)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("policy %v = %v", tc.args, err)
				}
				if diff := cmp.Diff(tc.want, out); diff != "" {
					t.Errorf("output mismatch (-want +got):\n%s", diff)
				}
				return
			}
			if err == nil {
				t.Fatalf("policy %v succeeded with %q", tc.args, out)
			}
			if diff := cmp.Diff(tc.wantErr, err.Error()); diff != "" {
				t.Errorf("error mismatch (-want +got):\n%s", diff)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("errors.Is(%v, %v) = false", err, tc.is)
			}
		})
	}
}

func TestPolicyPin(t *testing.T) {
	t.Parallel()
	f := newPolicyFixture(t)
	zeros := strings.Repeat("0", 64)
	src := f.policy(zeros, "")
	want := f.policy(f.sum1, f.sum2)

	t.Run("stdout", func(t *testing.T) {
		t.Parallel()
		path := f.write(t, "stdout.hcl", src, 0o640)
		out, err := runPolicyCmd("pin", path)
		if err != nil {
			t.Fatalf("policy pin = %v", err)
		}
		if diff := cmp.Diff(want, out); diff != "" {
			t.Errorf("pinned policy mismatch (-want +got):\n%s", diff)
		}
		if got, _ := os.ReadFile(path); string(got) != src {
			t.Errorf("policy pin without --write changed the file:\n%s", got)
		}
	})

	t.Run("write", func(t *testing.T) {
		t.Parallel()
		dir := filepath.Join(f.dir, "write")
		if err := os.Mkdir(dir, 0o750); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "policy.hcl")
		if err := os.WriteFile(path, []byte(src), 0o640); err != nil {
			t.Fatal(err)
		}
		out, err := runPolicyCmd("pin", "--write", path)
		if err != nil {
			t.Fatalf("policy pin --write = %v", err)
		}
		if diff := cmp.Diff(fmt.Sprintf("policy %s: pinned 2 commands (revision %s)\n", path, revision(want)), out); diff != "" {
			t.Errorf("output mismatch (-want +got):\n%s", diff)
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, string(got)); diff != "" {
			t.Errorf("rewritten policy mismatch (-want +got):\n%s", diff)
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o640 {
			t.Errorf("mode after --write = %v, want 0640", fi.Mode().Perm())
		}
		entries, _ := os.ReadDir(dir)
		if len(entries) != 1 {
			t.Errorf("directory holds %d entries after --write, want only the policy", len(entries))
		}
		if _, err := runPolicyCmd("check", path); err != nil {
			t.Errorf("policy check after pin --write = %v", err)
		}
	})

	t.Run("write through symlink", func(t *testing.T) {
		t.Parallel()
		target := f.write(t, "target.hcl", src, 0o600)
		link := filepath.Join(f.dir, "link.hcl")
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
		if _, err := runPolicyCmd("pin", "--write", link); err != nil {
			t.Fatalf("policy pin --write = %v", err)
		}
		if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Errorf("link replaced: %v, %v", fi, err)
		}
		if got, _ := os.ReadFile(target); string(got) != want {
			t.Errorf("target not pinned:\n%s", got)
		}
	})

	t.Run("missing tool leaves the file alone", func(t *testing.T) {
		t.Parallel()
		broken := strings.Replace(src, f.tool2, f.tool2+"-gone", 1)
		path := f.write(t, "broken.hcl", broken, 0o640)
		_, err := runPolicyCmd("pin", "--write", path)
		wantErr := fmt.Sprintf("%s:6,9: command[%q]: hash command: open %s-gone: no such file or directory", path, f.tool2+"-gone", f.tool2)
		if err == nil || err.Error() != wantErr {
			t.Fatalf("policy pin --write = %v, want %q", err, wantErr)
		}
		if got, _ := os.ReadFile(path); string(got) != broken {
			t.Errorf("failed pin changed the file:\n%s", got)
		}
	})

	t.Run("absent", func(t *testing.T) {
		t.Parallel()
		_, err := runPolicyCmd("pin", filepath.Join(f.dir, "absent.hcl"))
		if !errors.Is(err, os.ErrNotExist) {
			t.Errorf("policy pin absent = %v, want not exist", err)
		}
	})
}
