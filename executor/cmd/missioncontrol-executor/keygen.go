package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

func newKeygenCmd() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "keygen --out FILE",
		Short: "Create an Ed25519 signing key",
		Long: "Writes a new Ed25519 private key (PKCS#8 PEM, mode 0600) to FILE, which must not exist, and prints its\n" +
			"public key and key id. Put the public key in a key block of the executor configuration with the roles\n" +
			"the key needs; give the file to the provider (signing_key, MISSIONCONTROL_SIGNING_KEY_FILE) or to\n" +
			"`approve --key`.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return keygen(out, cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "file to write the private key to (required; never overwritten)")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

func keygen(path string, w io.Writer) error {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return fmt.Errorf("generate key: %w", err)
	}
	pemBytes, err := api.MarshalPrivateKey(priv)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("write key: %w", err)
	}
	if _, err := f.Write(pemBytes); err != nil {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("write key: %w", err)
	}
	if err := errors.Join(f.Sync(), f.Close()); err != nil {
		os.Remove(path)
		return fmt.Errorf("write key: %w", err)
	}
	fmt.Fprintf(w, "public_key = %q\nkey_id     = %q\n", api.FormatPublicKey(pub), api.KeyID(pub))
	return nil
}

// loadKey reads a private key file written by keygen.
func loadKey(path string) (ed25519.PrivateKey, error) {
	if path == "" {
		return nil, errors.New("--key is required: the private key file written by keygen")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read key: %w", err)
	}
	return api.ParsePrivateKey(b)
}
