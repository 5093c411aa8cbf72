package api_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

// fuzzKey is a fixed key so that seeds signed with it stay valid.
var fuzzKey = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))

// FuzzDecodeEnvelope feeds arbitrary header values and approval tokens to
// the envelope decoders. Properties: no panic; an accepted envelope has a
// payload type, payload and signatures, and survives EncodeEnvelope and
// DecodeEnvelope unchanged; a decoded envelope's signature only verifies
// for the exact PAE of its payload type and payload, so changing either
// breaks it.
func FuzzDecodeEnvelope(f *testing.F) {
	s := api.Signer{Key: fuzzKey}
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	hdr, err := s.SignRequest("POST", "/v1/jobs", []byte(`{"tenant":"acme"}`), "host-1", now, time.Minute)
	if err != nil {
		f.Fatal(err)
	}
	tok, err := s.Approve("sha256:"+strings.Repeat("ab", 32), "host-1", now.Add(time.Hour))
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{
		hdr, tok, "", "mcapprove.", "mcapprove.e30", "e30", "bnVsbA", "W10",
		"eyJwYXlsb2FkVHlwZSI6IngiLCJwYXlsb2FkIjoiIiwic2lnbmF0dXJlcyI6W119",         // empty payload
		"eyJwYXlsb2FkVHlwZSI6IngiLCJwYXlsb2FkIjoiZUE9PSIsInNpZ25hdHVyZXMiOlt7fV19", // payload "x", one empty signature
		"!!!", "====", strings.Repeat("A", 4096), hdr + "x", tok[:len(tok)/2],
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		if e, err := api.DecodeEnvelope(in); err == nil {
			if e.PayloadType == "" || len(e.Payload) == 0 || len(e.Signatures) == 0 {
				t.Fatalf("accepted an incomplete envelope: %+v", e)
			}
			enc, err := api.EncodeEnvelope(e)
			if err != nil {
				t.Fatalf("re-encode: %v", err)
			}
			back, err := api.DecodeEnvelope(enc)
			if err != nil {
				t.Fatalf("decode of re-encoded envelope: %v", err)
			}
			if diff := cmp.Diff(e, back, cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("round trip (-first +second):\n%s", diff)
			}
			pub := fuzzKey.Public().(ed25519.PublicKey)
			for _, sig := range e.Signatures {
				if !ed25519.Verify(pub, api.PAE(e.PayloadType, e.Payload), sig.Sig) {
					continue
				}
				if ed25519.Verify(pub, api.PAE(e.PayloadType+"x", e.Payload), sig.Sig) ||
					ed25519.Verify(pub, api.PAE(e.PayloadType, append(bytes.Clone(e.Payload), 'x')), sig.Sig) {
					t.Fatal("a signature verifies for another payload type or payload")
				}
			}
		}
		if env, a, err := api.DecodeApprovalToken(in); err == nil {
			if env.PayloadType != api.PayloadTypeApproval {
				t.Fatalf("approval token with payload type %q", env.PayloadType)
			}
			if !strings.HasPrefix(strings.TrimSpace(in), api.ApprovalTokenPrefix) {
				t.Fatalf("accepted a token without the prefix: %q", in)
			}
			var again api.Approval
			if err := json.Unmarshal(env.Payload, &again); err != nil || !again.Expires.Equal(a.Expires) || again.Digest != a.Digest || again.HostID != a.HostID {
				t.Fatalf("approval payload does not decode the same: %v %+v %+v", err, a, again)
			}
		}
	})
}

// FuzzDecodePlanRequest feeds arbitrary bodies to the strict decoder the
// executor reads plan and submit requests with. Properties: no panic; what
// it accepts contains no field the wire types lack (decoding it with
// encoding/json's lenient decoder gives the same value) and survives
// CanonicalJSON and Decode unchanged, with CanonicalJSON stable; and a body
// with an extra unknown field or trailing data is refused.
func FuzzDecodePlanRequest(f *testing.F) {
	spec := api.TenantSpec{Name: "acme", Environment: api.EnvDevelopment, GatewayPort: 20020,
		Labels: map[string]string{"team": "a"}, Limits: api.Limits{MemoryMaxMB: 512}, SudoCommands: []string{"/usr/bin/systemctl restart x"},
		ModelProviders: []api.ModelProvider{{Name: "fake", BaseURL: "http://127.0.0.1:1/v1", API: "openai-completions", Models: []api.Model{{ID: "m", Cost: api.Price{Input: 1.5}}}}}}
	full, _ := json.Marshal(api.SubmitRequest{Digest: "sha256:00", PlanRequest: api.PlanRequest{Tenant: "acme", Changes: []api.Change{
		{Kind: api.ObjectTenant, Action: api.ActionApply, Tenant: &spec, APIKeys: map[string]string{"fake": "k"}},
		{Kind: api.ObjectWorkspace, Action: api.ActionApply, Workspace: &api.WorkspaceSpec{Name: "main", Files: map[string]string{"AGENTS.md": "# hi\n"}}},
		{Kind: api.ObjectService, Action: api.ActionApply, Service: &api.ServiceSpec{Kind: api.ServiceGateway, Enabled: true, Environment: map[string]string{"A": "b"}}},
		{Kind: api.ObjectWorkspace, Action: api.ActionDestroy, Name: "old"},
	}}})
	for _, seed := range []string{
		string(full),
		`{"tenant":"acme","changes":[{"kind":"tenant","action":"destroy"}]}`,
		`{"tenant":"acme","changes":[],"digest":"x"}`,
		`{"tenant":"acme","changes":null,"unknown":1}`,
		`{"tenant":"acme","changes":[{"kind":"tenant","action":"apply","tenant":{"name":"acme","gateway_port":"20020"}}]}`,
		`{"tenant":"acme","changes":[{"kind":"tenant","action":"apply","tenant":{"name":"acme","gateway_port":1e400}}]}`,
		`{"tenant":"acme","changes":[{"kind":"tenant","action":"apply","tenant":{"name":"a\u0000b","labels":{"k\n":"v"}}}]}`,
		`{"tenant":"acme"} {}`, `{"tenant":"acme"}x`, `{"TENANT":"acme"}`, `{"tenant":"acme","tenant":"evil"}`,
		`[]`, `null`, `""`, `{`, ``, ` `, "\xff",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var req api.SubmitRequest
		if err := api.Decode(bytes.NewReader(body), &req); err != nil {
			return
		}
		var lenient api.SubmitRequest
		if err := json.Unmarshal(body, &lenient); err != nil {
			t.Fatalf("strict decode accepted what encoding/json refuses: %v", err)
		}
		if diff := cmp.Diff(lenient, req); diff != "" {
			t.Fatalf("strict and lenient decodes differ (-lenient +strict):\n%s", diff)
		}
		canon, err := api.CanonicalJSON(req)
		if err != nil {
			t.Fatalf("canonical JSON of an accepted request: %v", err)
		}
		var back api.SubmitRequest
		if err := api.Decode(bytes.NewReader(canon), &back); err != nil {
			t.Fatalf("canonical JSON does not decode: %v\n%s", err, canon)
		}
		if diff := cmp.Diff(req, back, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("round trip (-decoded +re-decoded):\n%s", diff)
		}
		again, _ := api.CanonicalJSON(back)
		if !bytes.Equal(canon, again) {
			t.Fatalf("canonical JSON not stable:\n%s\n%s", canon, again)
		}
		// The same value with an unknown field, or followed by more data, is refused.
		if bytes.HasPrefix(bytes.TrimSpace(body), []byte("{")) {
			extra := append([]byte(`{"zz_unknown":1,`), bytes.TrimPrefix(canon, []byte("{"))...)
			if err := api.Decode(bytes.NewReader(extra), &api.SubmitRequest{}); err == nil {
				t.Fatalf("accepted an unknown field: %s", extra)
			}
		}
		if err := api.Decode(bytes.NewReader(append(bytes.Clone(canon), []byte(" {}")...)), &api.SubmitRequest{}); !errors.Is(err, api.ErrTrailingData) {
			t.Fatalf("trailing data: %v", err)
		}
	})
}
