package main

import (
	"bytes"
	"crypto/ed25519"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

func runCmd(cmd *cobra.Command, args ...string) (string, error) {
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	cmd.SilenceUsage = true
	cmd.SilenceErrors = true
	err := cmd.Execute()
	return out.String(), err
}

func TestKeygen(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "ci.pem")
	out, err := runCmd(newKeygenCmd(), "--out", path)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`public_key = "(ed25519:[^"]+)"\nkey_id     = "([0-9a-f]{16})"\n`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("output %q", out)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", fi, err)
	}
	key, err := loadKey(path)
	if err != nil {
		t.Fatal(err)
	}
	pub := key.Public().(ed25519.PublicKey)
	if api.FormatPublicKey(pub) != m[1] || api.KeyID(pub) != m[2] {
		t.Fatalf("printed %s %s for key %s", m[1], m[2], api.FormatPublicKey(pub))
	}
	// never overwrites
	if _, err := runCmd(newKeygenCmd(), "--out", path); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Fatalf("second keygen: %v", err)
	}
}

func TestApproveOffline(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "alice.pem")
	if _, err := runCmd(newKeygenCmd(), "--out", path); err != nil {
		t.Fatal(err)
	}
	digest := "sha256:" + strings.Repeat("0f", 32)
	out, err := runCmd(newApproveCmd(), "--digest", digest, "--key", path, "--host", "h1", "--expires", "2h")
	if err != nil {
		t.Fatal(err)
	}
	env, a, err := api.DecodeApprovalToken(strings.TrimSpace(out))
	if err != nil {
		t.Fatal(err)
	}
	key, _ := loadKey(path)
	pub := key.Public().(ed25519.PublicKey)
	if a.Digest != digest || a.HostID != "h1" || time.Until(a.Expires) < time.Hour || time.Until(a.Expires) > 2*time.Hour {
		t.Fatalf("approval %+v", a)
	}
	if !ed25519.Verify(pub, api.PAE(env.PayloadType, env.Payload), env.Signatures[0].Sig) {
		t.Fatal("token signature does not verify")
	}
	for name, args := range map[string][]string{
		"no key":       {"--digest", digest, "--host", "h1"},
		"bad digest":   {"--digest", "abc", "--key", path, "--host", "h1"},
		"job and hash": {"job-1", "--digest", digest, "--key", path},
		"neither":      {"--key", path},
	} {
		if _, err := runCmd(newApproveCmd(), args...); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
