package trust

import (
	"fmt"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/config"
)

// KeyringFromConfig builds the keyring of the configuration's key blocks
// (which Validate has checked).
func KeyringFromConfig(blocks []config.Key) (*Keyring, error) {
	keys := make([]Key, 0, len(blocks))
	for _, b := range blocks {
		pub, err := api.ParsePublicKey(b.PublicKey)
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", b.Name, err)
		}
		k := Key{ID: api.KeyID(pub), Name: b.Name, Public: pub}
		for _, r := range b.Roles {
			k.Roles = append(k.Roles, api.Role(r))
		}
		for _, e := range b.Environments {
			k.Environments = append(k.Environments, api.Environment(e))
		}
		keys = append(keys, k)
	}
	return NewKeyring(keys)
}
