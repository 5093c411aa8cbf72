package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// CanonicalJSON encodes v deterministically: struct fields in declaration
// order, map keys sorted (encoding/json does both), no HTML escaping and no
// trailing newline. Digests and signatures are computed over these bytes.
func CanonicalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("canonical json: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// SHA256Hex returns "sha256:" followed by the hex digest of b.
func SHA256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// digestInput is exactly what the plan digest covers.
type digestInput struct {
	HostID         string     `json:"host_id"`
	Tenant         string     `json:"tenant"`
	Desired        Desired    `json:"desired"`
	Allocation     Allocation `json:"allocation"`
	Steps          []Step     `json:"steps"`
	Fingerprint    string     `json:"fingerprint"`
	PolicyRevision string     `json:"policy_revision"`
}

// ComputeDigest returns the plan digest: sha256 over the canonical JSON of
// host id, tenant, desired spec, allocation, steps, observed-state
// fingerprint and policy revision. It ignores p.Digest.
func ComputeDigest(p *Plan) (string, error) {
	steps := p.Steps
	if steps == nil {
		steps = []Step{}
	}
	b, err := CanonicalJSON(digestInput{
		HostID: p.HostID, Tenant: p.Tenant, Desired: p.Desired, Allocation: p.Allocation,
		Steps: steps, Fingerprint: p.Fingerprint, PolicyRevision: p.PolicyRevision,
	})
	if err != nil {
		return "", err
	}
	return SHA256Hex(b), nil
}
