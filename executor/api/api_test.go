package api_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

func samplePlan() api.Plan {
	return api.Plan{
		Tenant: "acme", HostID: "h1", PolicyRevision: "sha256:p", Fingerprint: "sha256:f",
		Desired: api.Desired{
			Tenant:     api.TenantSpec{Name: "acme", Environment: api.EnvProduction, Labels: map[string]string{"b": "2", "a": "<1>"}},
			Workspaces: []api.WorkspaceSpec{{Name: "main", Files: map[string]string{"AGENTS.md": "hi & bye"}}},
		},
		Allocation: api.Allocation{User: "mc-acme", UID: 20001, GID: 20001, GatewayPort: 20020},
		Steps:      []api.Step{{Kind: api.StepEnsureUser, Summary: "create user mc-acme uid 20001", Argv: []string{"/usr/sbin/useradd", "mc-acme"}}},
	}
}

func TestPlanRoundTrip(t *testing.T) {
	t.Parallel()
	p := samplePlan()
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var back api.Plan
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p, back); diff != "" {
		t.Fatalf("round trip (-sent +received):\n%s", diff)
	}
}

func TestDigest(t *testing.T) {
	t.Parallel()
	p := samplePlan()
	d1, err := api.ComputeDigest(&p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(d1, "sha256:") || len(d1) != len("sha256:")+64 {
		t.Fatalf("digest %q", d1)
	}
	// the digest ignores the Digest field itself and map insertion order
	p.Digest = "sha256:other"
	p.Desired.Tenant.Labels = map[string]string{"a": "<1>", "b": "2"}
	if d2, _ := api.ComputeDigest(&p); d2 != d1 {
		t.Fatalf("digest not stable: %s vs %s", d1, d2)
	}
	// every covered part changes it
	changes := map[string]func(*api.Plan){
		"host":        func(p *api.Plan) { p.HostID = "h2" },
		"policy":      func(p *api.Plan) { p.PolicyRevision = "sha256:q" },
		"fingerprint": func(p *api.Plan) { p.Fingerprint = "sha256:g" },
		"spec":        func(p *api.Plan) { p.Desired.Tenant.Environment = api.EnvStaging },
		"allocation":  func(p *api.Plan) { p.Allocation.UID = 20002 },
		"steps":       func(p *api.Plan) { p.Steps = nil },
		"argv":        func(p *api.Plan) { p.Steps[0].Argv[1] = "mc-acme2" },
	}
	for name, change := range changes {
		t.Run(name, func(t *testing.T) {
			q := samplePlan()
			change(&q)
			if d, _ := api.ComputeDigest(&q); d == d1 {
				t.Fatalf("changing the %s kept the digest", name)
			}
		})
	}
}

func TestCanonicalJSONDoesNotEscapeHTML(t *testing.T) {
	t.Parallel()
	b, err := api.CanonicalJSON(map[string]string{"z": "<&>", "a": "x"})
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"a":"x","z":"<&>"}` {
		t.Fatalf("canonical json %s", b)
	}
}

func TestErrorStatusAndMatching(t *testing.T) {
	t.Parallel()
	cases := map[api.Code]int{
		api.CodeInvalidRequest: 400, api.CodePolicyDenied: 403, api.CodePlanChanged: 409,
		api.CodeNotFound: 404, api.CodeUnauthorized: 401, api.CodeInternal: 500,
	}
	for code, status := range cases {
		e := &api.Error{Code: code, Message: "m", Field: "tenant.name", Rule: "names.pattern"}
		if e.HTTPStatus() != status {
			t.Errorf("%s: status %d, want %d", code, e.HTTPStatus(), status)
		}
		var wrapped error = e
		if !api.IsCode(wrapped, code) {
			t.Errorf("IsCode(%s) false", code)
		}
	}
	e := &api.Error{Code: api.CodePolicyDenied, Message: "port 80 outside 20000..29999", Field: "tenant.gateway_port", Rule: "ports.range"}
	if got := e.Error(); got != "policy_denied: port 80 outside 20000..29999 (field tenant.gateway_port) (rule ports.range)" {
		t.Errorf("message %q", got)
	}
}

func TestEnvelopeRoundTripAndPAE(t *testing.T) {
	t.Parallel()
	if got := string(api.PAE("t", []byte("hello"))); got != "DSSEv1 1 t 5 hello" {
		t.Fatalf("PAE %q", got)
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pemBytes, err := api.MarshalPrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	back, err := api.ParsePrivateKey(pemBytes)
	if err != nil || !back.Equal(priv) {
		t.Fatalf("private key round trip: %v", err)
	}
	pub := priv.Public().(ed25519.PublicKey)
	if p, err := api.ParsePublicKey(api.FormatPublicKey(pub)); err != nil || !p.Equal(pub) {
		t.Fatalf("public key round trip: %v", err)
	}
	s := api.Signer{Key: priv}
	tok, err := s.Approve("sha256:d", "h1", time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	env, a, err := api.DecodeApprovalToken(tok)
	if err != nil {
		t.Fatal(err)
	}
	if a.Digest != "sha256:d" || a.HostID != "h1" || env.Signatures[0].KeyID != api.KeyID(pub) {
		t.Fatalf("approval %+v env %+v", a, env)
	}
	if !ed25519.Verify(pub, api.PAE(env.PayloadType, env.Payload), env.Signatures[0].Sig) {
		t.Fatal("signature does not verify")
	}
}
