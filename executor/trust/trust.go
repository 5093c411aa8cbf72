package trust

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

// Rules name the check that refused a request or approval; they appear in
// api.Error.Rule and in the audit log.
const (
	RuleUnsigned   = "envelope.unsigned"
	RuleMalformed  = "envelope.malformed"
	RuleUnknownKey = "envelope.unknown_key"
	RuleSignature  = "envelope.signature"
	RuleExpired    = "envelope.expired"
	RuleReplay     = "envelope.replay"
	RuleAudience   = "envelope.audience"
	RuleBinding    = "envelope.binding"
	RuleRole       = "key.role"
	RuleScope      = "key.environments"

	RuleApprovalMalformed = "approval.malformed"
	RuleApprovalKey       = "approval.unknown_key"
	RuleApprovalSignature = "approval.signature"
	RuleApprovalRole      = "approval.role"
	RuleApprovalDigest    = "approval.digest"
	RuleApprovalHost      = "approval.host"
	RuleApprovalExpired   = "approval.expired"
	RuleApprovalSelf      = "approval.self"
	RuleApprovalDuplicate = "approval.duplicate"
)

// MaxRequestTTL bounds how far in the future a request envelope may expire;
// its nonce is kept that long.
const MaxRequestTTL = 15 * time.Minute

// ClockSkew is how far the signer's clock may be ahead of the executor's.
const ClockSkew = time.Minute

// Key is a public key of the executor configuration with what it may do.
type Key struct {
	ID     string // api.KeyID(Public)
	Name   string // the label of its key block
	Public ed25519.PublicKey
	Roles  []api.Role
	// Environments limits the key to tenants of these environments; empty
	// means every environment.
	Environments []api.Environment
}

// Has reports whether the key has role.
func (k Key) Has(role api.Role) bool { return slices.Contains(k.Roles, role) }

// Covers reports whether the key may act on a tenant of env.
func (k Key) Covers(env api.Environment) bool {
	return len(k.Environments) == 0 || slices.Contains(k.Environments, env)
}

// String names the key for messages and the audit log: "name (id)".
func (k Key) String() string {
	if k.Name == "" {
		return k.ID
	}
	return k.Name + " (" + k.ID + ")"
}

// Keyring holds the keys by id.
type Keyring struct {
	byID map[string]Key
}

// NewKeyring indexes keys by id; two blocks with the same public key are
// an error.
func NewKeyring(keys []Key) (*Keyring, error) {
	r := &Keyring{byID: map[string]Key{}}
	for _, k := range keys {
		if k.ID == "" {
			k.ID = api.KeyID(k.Public)
		}
		if prev, ok := r.byID[k.ID]; ok {
			return nil, fmt.Errorf("keys %q and %q have the same public key", prev.Name, k.Name)
		}
		r.byID[k.ID] = k
	}
	return r, nil
}

// Get returns the key with id.
func (r *Keyring) Get(id string) (Key, bool) {
	if r == nil {
		return Key{}, false
	}
	k, ok := r.byID[id]
	return k, ok
}

// Len is the number of keys.
func (r *Keyring) Len() int {
	if r == nil {
		return 0
	}
	return len(r.byID)
}

// Nonces records used nonces; store.Store implements it. UseNonce returns
// an error wrapping ErrReplay (the caller's sentinel, see Verifier.Replay)
// when the pair was used before.
type Nonces interface {
	UseNonce(ctx context.Context, keyID, nonce string, expires time.Time) error
}

// Verifier checks request envelopes and approval tokens.
type Verifier struct {
	Keys   *Keyring
	HostID string
	Nonces Nonces
	// Replay is the error Nonces wraps for a used nonce (store.ErrReplay).
	Replay error
	Now    func() time.Time
}

func refuse(rule, format string, args ...any) *api.Error {
	return &api.Error{Code: api.CodeUnauthorized, Rule: rule, Message: fmt.Sprintf(format, args...)}
}

// VerifyRequest checks the envelope header of a request with method, path
// (with query) and body. Outcomes:
//   - the key that signed it, with its nonce now used;
//   - *api.Error CodeUnauthorized with Rule set for an unsigned, malformed,
//     unknown-key, bad-signature, expired, replayed, wrong-audience request
//     or one whose envelope was made for another method, path or body;
//   - another error when the nonce could not be recorded.
//
// It does not check roles; see Authorize.
func (v *Verifier) VerifyRequest(ctx context.Context, header, method, path string, body []byte) (Key, error) {
	if strings.TrimSpace(header) == "" {
		return Key{}, refuse(RuleUnsigned, "unsigned request: %s %s changes the host or plans on it and needs a signed envelope "+
			"(header %s) from a key in the executor's configuration; set the provider's signing_key or MISSIONCONTROL_SIGNING_KEY_FILE, "+
			"or pass --key to the CLI", method, path, api.HeaderEnvelope)
	}
	env, err := api.DecodeEnvelope(header)
	if err != nil {
		return Key{}, refuse(RuleMalformed, "malformed envelope: %v", err)
	}
	if env.PayloadType != api.PayloadTypeRequest {
		return Key{}, refuse(RuleMalformed, "envelope payload type is %q, want %q", env.PayloadType, api.PayloadTypeRequest)
	}
	if len(env.Signatures) != 1 {
		return Key{}, refuse(RuleMalformed, "a request envelope carries exactly one signature, got %d", len(env.Signatures))
	}
	sig := env.Signatures[0]
	key, ok := v.Keys.Get(sig.KeyID)
	if !ok {
		return Key{}, refuse(RuleUnknownKey, "unknown key %s: no key block of the executor's configuration has this id "+
			"(add its public key with the roles it needs)", sig.KeyID)
	}
	if !ed25519.Verify(key.Public, api.PAE(env.PayloadType, env.Payload), sig.Sig) {
		return Key{}, refuse(RuleSignature, "the signature by key %s does not verify: the envelope was changed or signed by another key", key)
	}
	var st api.RequestStatement
	if err := strictJSON(env.Payload, &st); err != nil {
		return Key{}, refuse(RuleMalformed, "envelope payload: %v", err)
	}
	if st.Audience != v.HostID {
		return Key{}, refuse(RuleAudience, "the envelope is for host %q, this executor is %q", st.Audience, v.HostID)
	}
	if st.Method != method || st.Path != path || st.BodySHA256 != api.SHA256Hex(body) {
		return Key{}, refuse(RuleBinding, "the envelope was signed for another request (%s %s), not this %s %s with this body", st.Method, st.Path, method, path)
	}
	now := v.Now()
	if !st.Expires.After(now) {
		return Key{}, refuse(RuleExpired, "the envelope expired at %s (executor time %s)", st.Expires.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	if st.Expires.After(now.Add(MaxRequestTTL + ClockSkew)) {
		return Key{}, refuse(RuleExpired, "the envelope expires at %s, more than %s ahead", st.Expires.UTC().Format(time.RFC3339), MaxRequestTTL)
	}
	if len(st.Nonce) < 16 {
		return Key{}, refuse(RuleMalformed, "the envelope's nonce is shorter than 16 characters")
	}
	if err := v.Nonces.UseNonce(ctx, key.ID, st.Nonce, st.Expires); err != nil {
		if v.Replay != nil && errors.Is(err, v.Replay) {
			return Key{}, refuse(RuleReplay, "replayed request: key %s already used nonce %s", key, st.Nonce)
		}
		return Key{}, fmt.Errorf("record nonce: %w", err)
	}
	return key, nil
}

// Authorize checks that key has one of roles; the error is CodeForbidden
// with RuleRole.
func Authorize(key Key, what string, roles ...api.Role) error {
	for _, r := range roles {
		if key.Has(r) {
			return nil
		}
	}
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = string(r)
	}
	return &api.Error{Code: api.CodeForbidden, Rule: RuleRole,
		Message: fmt.Sprintf("key %s has roles [%s]; %s needs role %s", key, joinRoles(key.Roles), what, strings.Join(names, " or "))}
}

// Scope checks that key may act on a tenant of env (CodeForbidden, RuleScope).
func Scope(key Key, env api.Environment) error {
	if key.Covers(env) {
		return nil
	}
	envs := make([]string, len(key.Environments))
	for i, e := range key.Environments {
		envs[i] = string(e)
	}
	return &api.Error{Code: api.CodeForbidden, Rule: RuleScope, Field: "tenant.environment", Value: string(env),
		Message: fmt.Sprintf("key %s is limited to environments [%s], not %s", key, strings.Join(envs, ", "), env)}
}

func joinRoles(rs []api.Role) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = string(r)
	}
	sort.Strings(s)
	return strings.Join(s, ", ")
}

// VerifyApproval checks an approval token for digest. Outcomes: the
// approve-key that signed it and its approval; or *api.Error CodeForbidden
// whose Rule says why (malformed, unknown key, bad signature, key without
// role approve, another digest, another host, expired).
func (v *Verifier) VerifyApproval(token, digest string) (Key, api.Approval, error) {
	deny := func(rule, format string, args ...any) (Key, api.Approval, error) {
		return Key{}, api.Approval{}, &api.Error{Code: api.CodeForbidden, Rule: rule, Field: "approvals", Message: fmt.Sprintf(format, args...)}
	}
	env, a, err := api.DecodeApprovalToken(token)
	if err != nil {
		return deny(RuleApprovalMalformed, "%v", err)
	}
	if len(env.Signatures) != 1 {
		return deny(RuleApprovalMalformed, "an approval token carries exactly one signature, got %d", len(env.Signatures))
	}
	sig := env.Signatures[0]
	key, ok := v.Keys.Get(sig.KeyID)
	if !ok {
		return deny(RuleApprovalKey, "approval by unknown key %s", sig.KeyID)
	}
	if !ed25519.Verify(key.Public, api.PAE(env.PayloadType, env.Payload), sig.Sig) {
		return deny(RuleApprovalSignature, "the approval signature by key %s does not verify", key)
	}
	if !key.Has(api.RoleApprove) {
		return deny(RuleApprovalRole, "key %s has roles [%s] and may not approve (needs role approve)", key, joinRoles(key.Roles))
	}
	if a.HostID != v.HostID {
		return deny(RuleApprovalHost, "the approval by %s is for host %q, this executor is %q", key, a.HostID, v.HostID)
	}
	if a.Digest != digest {
		return deny(RuleApprovalDigest, "the approval by %s is for digest %s, not %s", key, a.Digest, digest)
	}
	if now := v.Now(); !a.Expires.After(now) {
		return deny(RuleApprovalExpired, "the approval by %s expired at %s", key, a.Expires.UTC().Format(time.RFC3339))
	}
	return key, a, nil
}
