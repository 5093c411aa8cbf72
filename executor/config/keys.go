package config

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

// keyBlock is the labelled block that declares a signing key:
//
//	key "ci" {
//	  public_key   = "ed25519:..."          # printed by missioncontrol-executor keygen
//	  roles        = ["plan", "apply"]      # plan, apply, approve
//	  environments = ["development"]        # optional; default every environment
//	}
const keyBlock = "key"

// Key is one key block: a public key and what its holder may do.
type Key struct {
	// Name is the block's label, used in messages and the audit log.
	Name string
	// PublicKey is "ed25519:<base64>", as keygen prints it.
	PublicKey string
	// Roles are some of "plan", "apply", "approve".
	Roles []string
	// Environments limits the key to tenants of these environments; empty
	// means all.
	Environments []string
	// Range is where the block starts.
	Range hcl.Range
}

// Key errors.
var (
	ErrKeyName      = errors.New("must be 1-64 letters, digits, '.', '_', '@' or '-'")
	ErrKeyPublic    = errors.New(`must be "ed25519:" and the base64 of 32 bytes (missioncontrol-executor keygen prints it)`)
	ErrKeyRoles     = errors.New(`must list one or more of "plan", "apply", "approve"`)
	ErrKeyEnv       = errors.New(`must list environments among "development", "staging", "production"`)
	ErrKeyDuplicate = errors.New("another key block has the same public key")
)

var keyNameRE = regexp.MustCompile(`^[A-Za-z0-9._@-]{1,64}$`)

// decodeKeys reads every key block of body.
func decodeKeys(body *hclsyntax.Body) ([]Key, []error) {
	var keys []Key
	var errs []error
	seen := map[string]hcl.Range{}
	for _, b := range body.Blocks {
		if b.Type != keyBlock {
			continue
		}
		if len(b.Labels) != 1 {
			errs = append(errs, &Error{Range: b.TypeRange, Field: keyBlock, Err: fmt.Errorf("%w: a key block takes one label, its name", ErrSyntax)})
			continue
		}
		k := Key{Name: b.Labels[0], Range: b.TypeRange}
		field := keyBlock + "." + k.Name
		if prev, ok := seen[k.Name]; ok {
			errs = append(errs, &Error{Range: b.LabelRanges[0], Field: field, Err: fmt.Errorf("%w (first at line %d)", ErrDuplicate, prev.Start.Line)})
			continue
		}
		seen[k.Name] = b.TypeRange
		settings := map[string]any{
			field + ".public_key":   &k.PublicKey,
			field + ".roles":        &k.Roles,
			field + ".environments": &k.Environments,
		}
		pos := map[string]hcl.Range{}
		errs = append(errs, decodeAttrs(b.Body, field+".", settings, pos)...)
		for _, nested := range b.Body.Blocks {
			errs = append(errs, &Error{Range: nested.TypeRange, Field: field + "." + nested.Type, Err: fmt.Errorf("%w: block %q", ErrUnknown, nested.Type)})
		}
		if _, ok := pos[field+".public_key"]; !ok {
			errs = append(errs, &Error{Range: b.TypeRange, Field: field + ".public_key", Err: fmt.Errorf("%w: public_key is required", ErrKeyPublic)})
		}
		if _, ok := pos[field+".roles"]; !ok {
			errs = append(errs, &Error{Range: b.TypeRange, Field: field + ".roles", Err: fmt.Errorf("%w: roles is required", ErrKeyRoles)})
		}
		if r, ok := pos[field+".public_key"]; ok {
			k.Range = r
		}
		keys = append(keys, k)
	}
	return keys, errs
}

// validateKeys checks names, public keys, roles and environments, and that
// no public key appears twice.
func (c Config) validateKeys(v *validator) {
	ids := map[string]string{}
	for _, k := range c.Keys {
		field := keyBlock + "." + k.Name
		fail := func(f, value string, err error) {
			v.errs = append(v.errs, &Error{Range: k.Range, Field: f, Value: value, Err: err})
		}
		if !keyNameRE.MatchString(k.Name) {
			fail(field, strconv.Quote(k.Name), ErrKeyName)
		}
		pub, err := api.ParsePublicKey(k.PublicKey)
		if err != nil {
			fail(field+".public_key", strconv.Quote(k.PublicKey), ErrKeyPublic)
		} else {
			id := api.KeyID(pub)
			if other, ok := ids[id]; ok {
				fail(field+".public_key", strconv.Quote(k.PublicKey), fmt.Errorf("%w (key %q)", ErrKeyDuplicate, other))
			}
			ids[id] = k.Name
		}
		if len(k.Roles) == 0 {
			fail(field+".roles", "[]", ErrKeyRoles)
		}
		for _, r := range k.Roles {
			if !slices.Contains(api.Roles, api.Role(r)) {
				fail(field+".roles", strconv.Quote(r), ErrKeyRoles)
			}
		}
		for _, e := range k.Environments {
			if !slices.Contains(api.Environments, api.Environment(e)) {
				fail(field+".environments", strconv.Quote(e), ErrKeyEnv)
			}
		}
	}
}
