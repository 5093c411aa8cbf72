package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

// ArchiveRecord is a verified archive a decommission wrote: where it is,
// what it hashes to, and the tenant as it was (so a restore can bring it
// back with the same uid and spec).
type ArchiveRecord struct {
	Path       string
	Tenant     string
	SHA256     string
	Size       int64
	JobID      string
	Desired    api.Desired
	Allocation api.Allocation
	CreatedAt  time.Time
}

// PutArchive records an archive; recording the same path again replaces it.
func (s *Store) PutArchive(ctx context.Context, a ArchiveRecord) error {
	desired, err := json.Marshal(a.Desired)
	if err != nil {
		return fmt.Errorf("encode desired state: %w", err)
	}
	alloc, err := json.Marshal(a.Allocation)
	if err != nil {
		return fmt.Errorf("encode allocation: %w", err)
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO archives
			(path, tenant, sha256, size, job_id, desired_json, alloc_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			a.Path, a.Tenant, a.SHA256, a.Size, a.JobID, string(desired), string(alloc), nanos(a.CreatedAt))
		if err != nil {
			return fmt.Errorf("record archive %s: %w", a.Path, err)
		}
		return nil
	})
}

// ListArchives returns every recorded archive, newest first; tenant ""
// lists all tenants'.
func (s *Store) ListArchives(ctx context.Context, tenant string) ([]ArchiveRecord, error) {
	var out []ArchiveRecord
	err := s.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT path, tenant, sha256, size, job_id, desired_json, alloc_json, created_at
			FROM archives WHERE ? = '' OR tenant = ? ORDER BY created_at DESC, path`, tenant, tenant)
		if err != nil {
			return fmt.Errorf("list archives: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var a ArchiveRecord
			var desired, alloc string
			var created int64
			if err := rows.Scan(&a.Path, &a.Tenant, &a.SHA256, &a.Size, &a.JobID, &desired, &alloc, &created); err != nil {
				return fmt.Errorf("read archive: %w", err)
			}
			if err := json.Unmarshal([]byte(desired), &a.Desired); err != nil {
				return fmt.Errorf("decode archive %s: %w", a.Path, err)
			}
			if err := json.Unmarshal([]byte(alloc), &a.Allocation); err != nil {
				return fmt.Errorf("decode archive %s: %w", a.Path, err)
			}
			a.CreatedAt = fromNanos(created)
			out = append(out, a)
		}
		return rows.Err()
	})
	return out, err
}
