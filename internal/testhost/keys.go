package testhost

import (
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

type testKey struct {
	file   string // machine path of the private key (PKCS#8 PEM, 0600)
	public string // "ed25519:..."
	roles  []string
}

// makeKeys writes a fresh private key for each of TestKeys into dir, the
// way `missioncontrol-executor keygen` does.
func makeKeys(dir string) (map[string]testKey, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	out := map[string]testKey{}
	for name, roles := range TestKeys {
		pub, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("keys: %w", err)
		}
		b, err := api.MarshalPrivateKey(priv)
		if err != nil {
			return nil, err
		}
		file := filepath.Join(dir, name+".pem")
		if err := os.WriteFile(file, b, 0o600); err != nil {
			return nil, fmt.Errorf("keys: %w", err)
		}
		out[name] = testKey{file: file, public: api.FormatPublicKey(pub), roles: roles}
	}
	return out, nil
}

// LoadKey reads a private key file, e.g. one of Executor.Keys.
func LoadKey(file string) (ed25519.PrivateKey, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	return api.ParsePrivateKey(b)
}

// Binary is the machine path of the executor binary the host runs, for
// running its CLI (approve, jobs, ...) against Socket from the machine.
func (e *Executor) Binary() string {
	return filepath.Join(e.Host.Share, "bin", "missioncontrol-executor")
}
