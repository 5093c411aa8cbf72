package client_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/trust"
	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/client"
)

type memNonces map[string]bool

var errReplay = errors.New("replay")

func (m memNonces) UseNonce(_ context.Context, k, n string, _ time.Time) error {
	if m[k+n] {
		return errReplay
	}
	m[k+n] = true
	return nil
}

// TestSignedRequests checks the client's envelopes against the executor's
// verifier: POSTs are signed for the host id GET /v1/info reports, GETs
// are not, and every POST has a fresh nonce.
func TestSignedRequests(t *testing.T) {
	t.Parallel()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ring, err := trust.NewKeyring([]trust.Key{{Name: "ci", Public: pub, Roles: []api.Role{api.RolePlan, api.RoleApply}}})
	if err != nil {
		t.Fatal(err)
	}
	v := &trust.Verifier{Keys: ring, HostID: "host-7", Nonces: memNonces{}, Replay: errReplay, Now: time.Now}
	var signedGets int
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/info", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get(api.HeaderEnvelope) != "" {
			signedGets++
		}
		writeJSON(w, 200, api.Info{HostID: "host-7"})
	})
	mux.HandleFunc("POST /v1/plans", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		key, err := v.VerifyRequest(r.Context(), r.Header.Get(api.HeaderEnvelope), r.Method, r.URL.RequestURI(), body)
		if err != nil {
			var apiErr *api.Error
			errors.As(err, &apiErr)
			writeJSON(w, apiErr.HTTPStatus(), apiErr)
			return
		}
		writeJSON(w, 200, api.Plan{Tenant: key.Name})
	})
	endpoint := serveUnix(t, socketPath(t), mux)

	signed, err := client.New(client.Config{Endpoint: endpoint, SigningKey: priv})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		p, err := signed.Plan(context.Background(), api.PlanRequest{Tenant: "acme"})
		if err != nil || p.Tenant != "ci" {
			t.Fatalf("signed plan %d: %v %+v", i, err, p)
		}
	}
	if signedGets != 0 {
		t.Errorf("%d GETs carried an envelope", signedGets)
	}
	if signed.KeyID() != api.KeyID(pub) {
		t.Errorf("key id %s", signed.KeyID())
	}

	unsigned, err := client.New(client.Config{Endpoint: endpoint})
	if err != nil {
		t.Fatal(err)
	}
	_, err = unsigned.Plan(context.Background(), api.PlanRequest{Tenant: "acme"})
	var apiErr *api.Error
	if !errors.As(err, &apiErr) || apiErr.Code != api.CodeUnauthorized || apiErr.Rule != trust.RuleUnsigned {
		t.Fatalf("unsigned plan: %v", err)
	}
}
