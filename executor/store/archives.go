package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
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
		_, err := s.exec(ctx, tx, `INSERT OR REPLACE INTO archives
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
		rows, err := s.query(ctx, tx, `SELECT path, tenant, sha256, size, job_id, desired_json, alloc_json, created_at
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

// GetArchive returns the archive recorded at path. Outcomes: the record; an
// error wrapping ErrNotFound; any other error.
func (s *Store) GetArchive(ctx context.Context, path string) (ArchiveRecord, error) {
	list, err := s.ListArchives(ctx, "")
	if err != nil {
		return ArchiveRecord{}, err
	}
	for _, a := range list {
		if a.Path == path {
			return a, nil
		}
	}
	return ArchiveRecord{}, fmt.Errorf("archive %s: %w", path, ErrNotFound)
}

// DeleteArchive removes the archive recorded at path from the registry.
// When it was the last archive of a decommissioned tenant, the tenant's
// registration goes too, which frees its uid, gid and gateway port; freed
// says so. Outcomes: freed and nil; an error wrapping ErrNotFound; any
// other error. Nothing is deleted unless it returns nil.
func (s *Store) DeleteArchive(ctx context.Context, path string) (freed bool, err error) {
	err = s.write(ctx, func(tx *sql.Tx) error {
		var tenant string
		if err := s.queryRow(ctx, tx, `SELECT tenant FROM archives WHERE path = ?`, path).Scan(&tenant); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return ErrNotFound
			}
			return err
		}
		if _, err := s.exec(ctx, tx, `DELETE FROM archives WHERE path = ?`, path); err != nil {
			return err
		}
		var left, live int
		if err := s.queryRow(ctx, tx, `SELECT count(*) FROM archives WHERE tenant = ?`, tenant).Scan(&left); err != nil {
			return err
		}
		if err := s.queryRow(ctx, tx, `SELECT count(*) FROM tenants WHERE name = ? AND decommissioned = 0`, tenant).Scan(&live); err != nil {
			return err
		}
		if left > 0 || live > 0 {
			return nil
		}
		if _, err := s.exec(ctx, tx, `DELETE FROM allocations WHERE tenant = ?`, tenant); err != nil {
			return err
		}
		if _, err := s.exec(ctx, tx, `DELETE FROM tenants WHERE name = ? AND decommissioned = 1`, tenant); err != nil {
			return err
		}
		freed = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("delete archive %s: %w", path, err)
	}
	return freed, nil
}
