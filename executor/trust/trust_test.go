package trust_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/trust"
)

var errReplay = errors.New("replay")

// nonces is an in-memory trust.Nonces.
type nonces map[string]bool

func (n nonces) UseNonce(_ context.Context, keyID, nonce string, _ time.Time) error {
	k := keyID + "/" + nonce
	if n[k] {
		return fmt.Errorf("use nonce: %w", errReplay)
	}
	n[k] = true
	return nil
}

type fixture struct {
	v                                 *trust.Verifier
	operator, planner, alice, outside api.Signer
	now                               time.Time
}

func newKey(t *testing.T) (ed25519.PublicKey, api.Signer) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return pub, api.Signer{Key: priv}
}

func setup(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{now: time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)}
	var keys []trust.Key
	for _, k := range []struct {
		name  string
		s     *api.Signer
		roles []api.Role
		envs  []api.Environment
	}{
		{"operator", &f.operator, []api.Role{api.RolePlan, api.RoleApply}, nil},
		{"planner", &f.planner, []api.Role{api.RolePlan}, nil},
		{"alice", &f.alice, []api.Role{api.RoleApprove}, []api.Environment{api.EnvProduction}},
	} {
		pub, s := newKey(t)
		*k.s = s
		keys = append(keys, trust.Key{Name: k.name, Public: pub, Roles: k.roles, Environments: k.envs})
	}
	_, f.outside = newKey(t)
	ring, err := trust.NewKeyring(keys)
	if err != nil {
		t.Fatal(err)
	}
	f.v = &trust.Verifier{Keys: ring, HostID: "host-1", Nonces: nonces{}, Replay: errReplay, Now: func() time.Time { return f.now }}
	return f
}

func TestVerifyRequestRefusals(t *testing.T) {
	t.Parallel()
	body := []byte(`{"tenant":"acme"}`)
	cases := map[string]struct {
		header func(f *fixture) string
		method string
		body   []byte
		rule   string
	}{
		"unsigned": {header: func(*fixture) string { return "" }, rule: trust.RuleUnsigned},
		"garbage":  {header: func(*fixture) string { return "%%%" }, rule: trust.RuleMalformed},
		"unknown key": {header: func(f *fixture) string {
			return sign(t, f.outside, "POST", "/v1/jobs", body, "host-1", f.now, time.Minute)
		}, rule: trust.RuleUnknownKey},
		"expired": {header: func(f *fixture) string {
			return sign(t, f.operator, "POST", "/v1/jobs", body, "host-1", f.now, -time.Second)
		}, rule: trust.RuleExpired},
		"too far ahead": {header: func(f *fixture) string {
			return sign(t, f.operator, "POST", "/v1/jobs", body, "host-1", f.now, time.Hour)
		}, rule: trust.RuleExpired},
		"wrong audience": {header: func(f *fixture) string {
			return sign(t, f.operator, "POST", "/v1/jobs", body, "host-2", f.now, time.Minute)
		}, rule: trust.RuleAudience},
		"other body": {header: func(f *fixture) string {
			return sign(t, f.operator, "POST", "/v1/jobs", []byte(`{"tenant":"evil"}`), "host-1", f.now, time.Minute)
		}, rule: trust.RuleBinding},
		"other path": {header: func(f *fixture) string {
			return sign(t, f.operator, "POST", "/v1/plans", body, "host-1", f.now, time.Minute)
		}, rule: trust.RuleBinding},
		"wrong signature": {header: func(f *fixture) string {
			// the operator's key id over the outsider's signature
			env, err := api.DecodeEnvelope(sign(t, f.outside, "POST", "/v1/jobs", body, "host-1", f.now, time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			env.Signatures[0].KeyID = f.operator.KeyID()
			s, _ := api.EncodeEnvelope(env)
			return s
		}, rule: trust.RuleSignature},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			_, err := f.v.VerifyRequest(context.Background(), tc.header(f), "POST", "/v1/jobs", body)
			var apiErr *api.Error
			if !errors.As(err, &apiErr) || apiErr.Rule != tc.rule || apiErr.Code != api.CodeUnauthorized {
				t.Fatalf("got %v, want rule %s", err, tc.rule)
			}
		})
	}
}

func sign(t *testing.T, s api.Signer, method, path string, body []byte, aud string, now time.Time, ttl time.Duration) string {
	t.Helper()
	h, err := s.SignRequest(method, path, body, aud, now, ttl)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestVerifyRequestAcceptsOnceThenReplay(t *testing.T) {
	t.Parallel()
	f := setup(t)
	body := []byte(`{}`)
	h := sign(t, f.operator, "POST", "/v1/jobs", body, "host-1", f.now, time.Minute)
	k, err := f.v.VerifyRequest(context.Background(), h, "POST", "/v1/jobs", body)
	if err != nil || k.Name != "operator" {
		t.Fatalf("first: %v %v", k, err)
	}
	if err := trust.Authorize(k, "submit", api.RoleApply); err != nil {
		t.Fatal(err)
	}
	_, err = f.v.VerifyRequest(context.Background(), h, "POST", "/v1/jobs", body)
	if !api.IsCode(err, api.CodeUnauthorized) {
		t.Fatalf("replay: %v", err)
	}
	var apiErr *api.Error
	errors.As(err, &apiErr)
	if apiErr.Rule != trust.RuleReplay {
		t.Fatalf("replay rule %q", apiErr.Rule)
	}
}

func TestAuthorizeRoleAndScope(t *testing.T) {
	t.Parallel()
	f := setup(t)
	body := []byte(`{}`)
	k, err := f.v.VerifyRequest(context.Background(), sign(t, f.planner, "POST", "/v1/jobs", body, "host-1", f.now, time.Minute), "POST", "/v1/jobs", body)
	if err != nil {
		t.Fatal(err)
	}
	err = trust.Authorize(k, "POST /v1/jobs", api.RoleApply)
	if !api.IsCode(err, api.CodeForbidden) {
		t.Fatalf("planner submitting: %v", err)
	}
	alice, _ := f.v.Keys.Get(f.alice.KeyID())
	if err := trust.Scope(alice, api.EnvDevelopment); !api.IsCode(err, api.CodeForbidden) {
		t.Fatalf("scope: %v", err)
	}
	if err := trust.Scope(alice, api.EnvProduction); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyApproval(t *testing.T) {
	t.Parallel()
	digest := "sha256:" + fmt.Sprintf("%064d", 1)
	other := "sha256:" + fmt.Sprintf("%064d", 2)
	cases := map[string]struct {
		token func(f *fixture) string
		rule  string
	}{
		"valid":          {token: func(f *fixture) string { return approve(t, f.alice, digest, "host-1", f.now.Add(time.Hour)) }},
		"another digest": {token: func(f *fixture) string { return approve(t, f.alice, other, "host-1", f.now.Add(time.Hour)) }, rule: trust.RuleApprovalDigest},
		"another host":   {token: func(f *fixture) string { return approve(t, f.alice, digest, "host-2", f.now.Add(time.Hour)) }, rule: trust.RuleApprovalHost},
		"expired":        {token: func(f *fixture) string { return approve(t, f.alice, digest, "host-1", f.now.Add(-time.Second)) }, rule: trust.RuleApprovalExpired},
		"not approver":   {token: func(f *fixture) string { return approve(t, f.operator, digest, "host-1", f.now.Add(time.Hour)) }, rule: trust.RuleApprovalRole},
		"unknown key":    {token: func(f *fixture) string { return approve(t, f.outside, digest, "host-1", f.now.Add(time.Hour)) }, rule: trust.RuleApprovalKey},
		"not a token":    {token: func(*fixture) string { return "hello" }, rule: trust.RuleApprovalMalformed},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			k, _, err := f.v.VerifyApproval(tc.token(f), digest)
			if tc.rule == "" {
				if err != nil || k.Name != "alice" {
					t.Fatalf("got %v %v", k, err)
				}
				return
			}
			var apiErr *api.Error
			if !errors.As(err, &apiErr) || apiErr.Rule != tc.rule {
				t.Fatalf("got %v, want rule %s", err, tc.rule)
			}
		})
	}
}

func approve(t *testing.T, s api.Signer, digest, host string, exp time.Time) string {
	t.Helper()
	tok, err := s.Approve(digest, host, exp)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
