package e2e_test

import (
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/testhost"
)

// sign sets the request's envelope: c.envelope's when set, else one signed
// by c.signer for the executor's host id.
func (c *apiClient) sign(req *http.Request, body []byte) error {
	path := req.URL.RequestURI()
	if c.envelope != nil {
		if env := c.envelope(req.Method, path, body); env != "" {
			req.Header.Set(api.HeaderEnvelope, env)
		}
		return nil
	}
	if c.signer == nil {
		return nil
	}
	aud, err := c.hostID()
	if err != nil {
		return err
	}
	env, err := c.signer.SignRequest(req.Method, path, body, aud, time.Now(), 5*time.Minute)
	if err != nil {
		return err
	}
	req.Header.Set(api.HeaderEnvelope, env)
	return nil
}

func (c *apiClient) hostID() (string, error) {
	if c.audience == "" {
		var info api.Info
		if err := c.do("GET", api.PathInfo, nil, &info); err != nil {
			return "", err
		}
		c.audience = info.HostID
	}
	return c.audience, nil
}

// withKey returns a client for the same socket signing with the named key
// of the executor (testhost.KeyOperator, KeyPlanner, KeyAlice, KeyBob).
func (c *apiClient) withKey(t *testing.T, e *testhost.Executor, name string) *apiClient {
	t.Helper()
	k, err := testhost.LoadKey(e.Keys[name])
	if err != nil {
		t.Fatalf("key %s: %v", name, err)
	}
	return &apiClient{t: c.t, http: c.http, signer: &api.Signer{Key: k}, audience: c.audience}
}

// signer loads the named key of the executor.
func signer(t *testing.T, e *testhost.Executor, name string) api.Signer {
	t.Helper()
	k, err := testhost.LoadKey(e.Keys[name])
	if err != nil {
		t.Fatalf("key %s: %v", name, err)
	}
	return api.Signer{Key: k}
}

// defaultSigner is the operator key of the throwaway host whose executor
// listens on socket (<share>/run/executor.sock, keys in <share>/keys), or
// nil when there is none.
func defaultSigner(t *testing.T, socket string) *api.Signer {
	t.Helper()
	file := filepath.Join(filepath.Dir(filepath.Dir(socket)), "keys", testhost.KeyOperator+".pem")
	k, err := testhost.LoadKey(file)
	if err != nil {
		return nil
	}
	return &api.Signer{Key: k}
}
