package config_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/config"
)

const pubA = "ed25519:vvkeq8uXVv6RTPIRvasLSuUH/SvlrPvjG5l7FiJsvgs="

func TestKeyBlocks(t *testing.T) {
	t.Parallel()
	src := `
key "ci" {
  public_key = "` + pubA + `"
  roles      = ["plan", "apply"]
}
key "alice" {
  public_key   = "ed25519:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
  roles        = ["approve"]
  environments = ["production"]
}
`
	c, err := config.Parse([]byte(src), "executor.hcl")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	type key struct {
		Name, PublicKey     string
		Roles, Environments []string
	}
	var got []key
	for _, k := range c.Keys {
		got = append(got, key{k.Name, k.PublicKey, k.Roles, k.Environments})
	}
	want := []key{
		{"ci", pubA, []string{"plan", "apply"}, nil},
		{"alice", "ed25519:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", []string{"approve"}, []string{"production"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("keys (-want +got):\n%s", diff)
	}
}

func TestKeyBlockErrors(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		src  string
		want error
		text string
	}{
		"bad public key": {src: `key "a" {
  public_key = "ssh-rsa x"
  roles = ["plan"]
}`, want: config.ErrKeyPublic, text: "key.a.public_key"},
		"bad role": {src: `key "a" {
  public_key = "` + pubA + `"
  roles = ["root"]
}`, want: config.ErrKeyRoles, text: `"root"`},
		"bad environment": {src: `key "a" {
  public_key = "` + pubA + `"
  roles = ["plan"]
  environments = ["prod"]
}`, want: config.ErrKeyEnv, text: `"prod"`},
		"same public key twice": {src: `key "a" {
  public_key = "` + pubA + `"
  roles = ["plan"]
}
key "b" {
  public_key = "` + pubA + `"
  roles = ["apply"]
}`, want: config.ErrKeyDuplicate, text: "key.b.public_key"},
		"missing roles": {src: `key "a" {
  public_key = "` + pubA + `"
}`, want: config.ErrKeyRoles, text: "roles is required"},
		"no label": {src: `key {
  public_key = "` + pubA + `"
  roles = ["plan"]
}`, want: config.ErrSyntax, text: "one label"},
		"unknown attribute": {src: `key "a" {
  public_key = "` + pubA + `"
  roles = ["plan"]
  secret = "x"
}`, want: config.ErrUnknown, text: "key.a.secret"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, err := config.Parse([]byte(tc.src), "executor.hcl")
			if err == nil {
				err = c.Validate()
			}
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.text) {
				t.Fatalf("got %v, want %v mentioning %s", err, tc.want, tc.text)
			}
		})
	}
}

func TestListenTLS(t *testing.T) {
	t.Parallel()
	ok := `listen {
  tls_address   = "127.0.0.1:7443"
  tls_cert_file = "/etc/mc/executor.crt"
  tls_key_file  = "/etc/mc/executor.key"
  tls_client_ca = "/etc/mc/ca.crt"
}`
	c, err := config.Parse([]byte(ok), "executor.hcl")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil || c.Listen.TLS.Address != "127.0.0.1:7443" {
		t.Fatalf("%v %+v", err, c.Listen.TLS)
	}
	partial := `listen {
  tls_address = "127.0.0.1"
}`
	c, err = config.Parse([]byte(partial), "executor.hcl")
	if err != nil {
		t.Fatal(err)
	}
	err = c.Validate()
	if !errors.Is(err, config.ErrTLS) || !strings.Contains(err.Error(), "listen.tls_address") || !strings.Contains(err.Error(), "listen.tls_client_ca") {
		t.Fatalf("partial TLS: %v", err)
	}
}
