package api

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Signed envelopes (DSSE-style). Every mutating request carries one in the
// HeaderEnvelope header; approvals are envelopes too (see Approval).
//
// An envelope signs PAE(payloadType, payload): the DSSE pre-authentication
// encoding "DSSEv1 <len(type)> <type> <len(payload)> <payload>", so a
// signature over one payload type can never be replayed as another. The
// payload is canonical JSON (CanonicalJSON) of a RequestStatement or an
// Approval.

// HeaderEnvelope carries the request's signed envelope, base64url (no
// padding) of the envelope's JSON.
const HeaderEnvelope = "X-Missioncontrol-Envelope"

// Payload types.
const (
	PayloadTypeRequest  = "application/vnd.missioncontrol.request+json"
	PayloadTypeApproval = "application/vnd.missioncontrol.approval+json"
)

// ApprovalTokenPrefix starts every approval token.
const ApprovalTokenPrefix = "mcapprove."

// PublicKeyPrefix starts a public key in its text form ("ed25519:" and the
// standard base64 of the 32 key bytes), as keygen prints it and the
// executor's key blocks hold it.
const PublicKeyPrefix = "ed25519:"

// Role is what a key may do.
type Role string

const (
	RolePlan    Role = "plan"    // dry runs
	RoleApply   Role = "apply"   // submit, retry and cancel jobs
	RoleApprove Role = "approve" // approve or reject jobs, sign approval tokens
)

// Roles lists the valid roles.
var Roles = []Role{RolePlan, RoleApply, RoleApprove}

// Envelope is a DSSE-style signed payload.
type Envelope struct {
	PayloadType string      `json:"payloadType"`
	Payload     []byte      `json:"payload"` // base64 in JSON
	Signatures  []Signature `json:"signatures"`
}

// Signature is one Ed25519 signature over PAE(PayloadType, Payload).
type Signature struct {
	KeyID string `json:"keyid"`
	Sig   []byte `json:"sig"`
}

// RequestStatement is the payload of a request envelope. It binds the
// signature to one request: its method, path (with query), body, host
// (Audience), a one-time Nonce and an Expires time.
type RequestStatement struct {
	Method     string    `json:"method"`
	Path       string    `json:"path"`
	BodySHA256 string    `json:"body_sha256"` // SHA256Hex of the exact body bytes
	Audience   string    `json:"audience"`    // the executor's host id
	Nonce      string    `json:"nonce"`
	Expires    time.Time `json:"expires"`
}

// Approval is the payload of an approval token: an approve-key's consent to
// run the plan with Digest on the host HostID until Expires.
type Approval struct {
	Digest  string    `json:"digest"`
	HostID  string    `json:"host_id"`
	Expires time.Time `json:"expires"`
}

// PAE is DSSE's pre-authentication encoding of a payload and its type.
func PAE(payloadType string, payload []byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "DSSEv1 %d %s %d ", len(payloadType), payloadType, len(payload))
	b.Write(payload)
	return b.Bytes()
}

// KeyID is the id of a public key: the first 16 hex digits of the sha256 of
// its 32 bytes.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:])[:16]
}

// FormatPublicKey renders pub as "ed25519:<base64>".
func FormatPublicKey(pub ed25519.PublicKey) string {
	return PublicKeyPrefix + base64.StdEncoding.EncodeToString(pub)
}

// ParsePublicKey reads the text form of FormatPublicKey.
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(s), PublicKeyPrefix)
	if !ok {
		return nil, fmt.Errorf("public key must start with %q", PublicKeyPrefix)
	}
	b, err := base64.StdEncoding.DecodeString(rest)
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("public key must be %q and the base64 of %d bytes", PublicKeyPrefix, ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(b), nil
}

// MarshalPrivateKey encodes key as a PKCS#8 PEM block ("PRIVATE KEY"), the
// format keygen writes and ParsePrivateKey reads (as does openssl).
func MarshalPrivateKey(key ed25519.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encode private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// ParsePrivateKey reads an Ed25519 private key from a PKCS#8 PEM block.
func ParsePrivateKey(b []byte) (ed25519.PrivateKey, error) {
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, errors.New("signing key: no PEM block found (expected the file written by missioncontrol-executor keygen)")
	}
	if block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("signing key: PEM block is %q, want \"PRIVATE KEY\" (PKCS#8 Ed25519)", block.Type)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	ed, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("signing key: %T is not an Ed25519 key", k)
	}
	return ed, nil
}

// Signer signs envelopes with one key.
type Signer struct {
	Key ed25519.PrivateKey
}

// KeyID is the id of the signer's public key.
func (s Signer) KeyID() string { return KeyID(s.Key.Public().(ed25519.PublicKey)) }

// Sign returns an envelope of payload signed by s.
func (s Signer) Sign(payloadType string, payload []byte) Envelope {
	return Envelope{
		PayloadType: payloadType,
		Payload:     payload,
		Signatures:  []Signature{{KeyID: s.KeyID(), Sig: ed25519.Sign(s.Key, PAE(payloadType, payload))}},
	}
}

// SignRequest returns the HeaderEnvelope value for a request with the given
// method, path (with query) and body, valid for ttl from now on host
// audience.
func (s Signer) SignRequest(method, path string, body []byte, audience string, now time.Time, ttl time.Duration) (string, error) {
	var nonce [16]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return "", fmt.Errorf("nonce: %w", err)
	}
	st := RequestStatement{
		Method: method, Path: path, BodySHA256: SHA256Hex(body), Audience: audience,
		Nonce: hex.EncodeToString(nonce[:]), Expires: now.Add(ttl).UTC().Truncate(time.Second),
	}
	payload, err := CanonicalJSON(st)
	if err != nil {
		return "", err
	}
	return EncodeEnvelope(s.Sign(PayloadTypeRequest, payload))
}

// Approve returns an approval token for digest on host, valid until expires.
func (s Signer) Approve(digest, host string, expires time.Time) (string, error) {
	payload, err := CanonicalJSON(Approval{Digest: digest, HostID: host, Expires: expires.UTC().Truncate(time.Second)})
	if err != nil {
		return "", err
	}
	enc, err := EncodeEnvelope(s.Sign(PayloadTypeApproval, payload))
	if err != nil {
		return "", err
	}
	return ApprovalTokenPrefix + enc, nil
}

// EncodeEnvelope is base64url (no padding) of the envelope's JSON.
func EncodeEnvelope(e Envelope) (string, error) {
	b, err := json.Marshal(e)
	if err != nil {
		return "", fmt.Errorf("encode envelope: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// DecodeEnvelope reverses EncodeEnvelope. It does not verify anything.
func DecodeEnvelope(s string) (Envelope, error) {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return Envelope{}, errors.New("envelope is not base64url")
	}
	var e Envelope
	if err := json.Unmarshal(b, &e); err != nil {
		return Envelope{}, errors.New("envelope is not valid JSON")
	}
	if e.PayloadType == "" || len(e.Payload) == 0 || len(e.Signatures) == 0 {
		return Envelope{}, errors.New("envelope lacks a payload type, payload or signature")
	}
	return e, nil
}

// DecodeApprovalToken decodes a token made by Signer.Approve into its
// envelope and approval. It does not verify the signature.
func DecodeApprovalToken(token string) (Envelope, Approval, error) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(token), ApprovalTokenPrefix)
	if !ok {
		return Envelope{}, Approval{}, fmt.Errorf("approval token must start with %q", ApprovalTokenPrefix)
	}
	env, err := DecodeEnvelope(rest)
	if err != nil {
		return Envelope{}, Approval{}, fmt.Errorf("approval token: %w", err)
	}
	if env.PayloadType != PayloadTypeApproval {
		return Envelope{}, Approval{}, fmt.Errorf("approval token: payload type %s, want %s", strconv.Quote(env.PayloadType), PayloadTypeApproval)
	}
	var a Approval
	if err := json.Unmarshal(env.Payload, &a); err != nil {
		return Envelope{}, Approval{}, fmt.Errorf("approval token: payload: %w", err)
	}
	return env, a, nil
}

// ApproveRequest gives approvals to a waiting job (POST /v1/jobs/{id}/approve).
type ApproveRequest struct {
	Approvals []string `json:"approvals"`
}

// RejectRequest rejects a waiting job (POST /v1/jobs/{id}/reject).
type RejectRequest struct {
	Reason string `json:"reason,omitempty"`
}

// CancelRequest cancels a job (POST /v1/jobs/{id}/cancel).
type CancelRequest struct {
	Reason string `json:"reason,omitempty"`
}

// JobApproval is one counted approval of a job.
type JobApproval struct {
	KeyID string    `json:"key_id"`
	Name  string    `json:"name,omitempty"` // the key's name in the executor config
	Time  time.Time `json:"time"`
}

// Trust routes (see routes.go for the others).
const (
	RouteApproveJob = "POST /v1/jobs/{id}/approve" // ApproveRequest -> Job
	RouteRejectJob  = "POST /v1/jobs/{id}/reject"  // RejectRequest -> Job
	RouteCancelJob  = "POST /v1/jobs/{id}/cancel"  // CancelRequest -> Job
)
