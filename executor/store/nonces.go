package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// UseNonce records that the key used the nonce, which the signed request
// carrying it allows until expires. Outcomes: nil the first time; an error
// wrapping ErrReplay if the pair was recorded before and not yet purged;
// any other error. Callers must reject requests past their expiry before
// calling it, so that purging expired nonces never re-opens a replay.
func (s *Store) UseNonce(ctx context.Context, keyID, nonce string, expires time.Time) error {
	if keyID == "" || nonce == "" {
		return errors.New("use nonce: empty key id or nonce")
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := s.exec(ctx, tx, `INSERT INTO nonces (key_id, nonce, expires_at) VALUES (?, ?, ?)
ON CONFLICT (key_id, nonce) DO NOTHING`, keyID, nonce, nanos(expires))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			return ErrReplay
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("use nonce of key %s: %w", keyID, err)
	}
	return nil
}

// PurgeNonces forgets the nonces that expired before before.
func (s *Store) PurgeNonces(ctx context.Context, before time.Time) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := s.exec(ctx, tx, `DELETE FROM nonces WHERE expires_at < ?`, nanos(before))
		return err
	})
	if err != nil {
		return fmt.Errorf("purge nonces: %w", err)
	}
	return nil
}
