package client

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

// EnvelopeTTL is how long a signed request stays valid; the executor keeps
// its nonce that long.
const EnvelopeTTL = 5 * time.Minute

// signer signs requests for the host id the executor reports (the
// envelope's audience), which it learns once from GET /v1/info.
type signer struct {
	s        api.Signer
	mu       sync.Mutex
	audience string
}

// KeyID is the id of the client's signing key, "" when it has none.
func (c *Client) KeyID() string {
	if c.signer == nil {
		return ""
	}
	return c.signer.s.KeyID()
}

// Signer returns the client's signer (for approval tokens), false when it
// has no signing key.
func (c *Client) Signer() (api.Signer, bool) {
	if c.signer == nil {
		return api.Signer{}, false
	}
	return c.signer.s, true
}

// HostID returns the executor's host id, asked once and then remembered.
func (c *Client) HostID(ctx context.Context) (string, error) {
	if c.signer != nil {
		c.signer.mu.Lock()
		aud := c.signer.audience
		c.signer.mu.Unlock()
		if aud != "" {
			return aud, nil
		}
	}
	info, err := c.Info(ctx)
	if err != nil {
		return "", err
	}
	if c.signer != nil {
		c.signer.mu.Lock()
		c.signer.audience = info.HostID
		c.signer.mu.Unlock()
	}
	return info.HostID, nil
}

// sign sets the request's envelope header. Without a signing key the
// request goes unsigned and the executor answers why it refuses it.
func (c *Client) sign(ctx context.Context, req *retryablehttp.Request, method, path string, body any) error {
	if c.signer == nil {
		return nil
	}
	aud, err := c.HostID(ctx)
	if err != nil {
		return err
	}
	var b []byte
	if body != nil {
		b = body.([]byte)
	}
	env, err := c.signer.s.SignRequest(method, path, b, aud, time.Now(), EnvelopeTTL)
	if err != nil {
		return fmt.Errorf("sign %s %s: %w", method, path, err)
	}
	req.Header.Set(api.HeaderEnvelope, env)
	return nil
}

// ParseSigningKey reads a signing key: the PEM file keygen writes.
func ParseSigningKey(b []byte) (ed25519.PrivateKey, error) {
	return api.ParsePrivateKey(b)
}
