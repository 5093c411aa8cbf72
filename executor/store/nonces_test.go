package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/store"
)

func TestNonces(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openStore(t)
	exp := t0.Add(5 * time.Minute)

	steps := []struct {
		name         string
		key, nonce   string
		purgeBefore  time.Time // when set, purge first
		wantReplay   bool
		wantAnyError bool
	}{
		{name: "first use", key: "k1", nonce: "n1"},
		{name: "replay", key: "k1", nonce: "n1", wantReplay: true},
		{name: "same nonce other key", key: "k2", nonce: "n1"},
		{name: "purge before expiry keeps it", key: "k1", nonce: "n1", purgeBefore: exp, wantReplay: true},
		{name: "purge after expiry forgets it", key: "k1", nonce: "n1", purgeBefore: exp.Add(time.Nanosecond)},
		{name: "empty nonce", key: "k1", nonce: "", wantAnyError: true},
		{name: "empty key", key: "", nonce: "n", wantAnyError: true},
	}
	// Sequential on purpose: each step depends on the ones before.
	for _, st := range steps {
		if !st.purgeBefore.IsZero() {
			if err := s.PurgeNonces(ctx, st.purgeBefore); err != nil {
				t.Fatalf("%s: purge: %v", st.name, err)
			}
		}
		err := s.UseNonce(ctx, st.key, st.nonce, exp)
		switch {
		case st.wantReplay:
			if !errors.Is(err, store.ErrReplay) {
				t.Errorf("%s: UseNonce = %v, want ErrReplay", st.name, err)
			}
		case st.wantAnyError:
			if err == nil || errors.Is(err, store.ErrReplay) {
				t.Errorf("%s: UseNonce = %v, want a validation error", st.name, err)
			}
		default:
			if err != nil {
				t.Errorf("%s: UseNonce = %v, want nil", st.name, err)
			}
		}
	}
}
