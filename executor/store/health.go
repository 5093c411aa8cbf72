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

// AppendHealthTransition records that tenant entered tr.Status (with
// tr.Cause) at tr.Time.
func (s *Store) AppendHealthTransition(ctx context.Context, tr api.HealthTransition) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := s.exec(ctx, tx, `INSERT INTO health_transitions (tenant, time, status, cause, detail) VALUES (?, ?, ?, ?, ?)`,
			tr.Tenant, nanos(tr.Time), string(tr.Status), string(tr.Cause), tr.Detail)
		return err
	})
	if err != nil {
		return fmt.Errorf("append health transition of %s: %w", tr.Tenant, err)
	}
	return nil
}

// HealthTransitions returns the transitions of tenant in [from, to), oldest
// first, preceded by the last one before from (the status at from) when
// there is one.
func (s *Store) HealthTransitions(ctx context.Context, tenant string, from, to time.Time) ([]api.HealthTransition, error) {
	var out []api.HealthTransition
	err := s.read(ctx, func(tx *sql.Tx) error {
		const cols = `SELECT time, status, cause, detail FROM health_transitions`
		scan := func(rows *sql.Rows) error {
			defer rows.Close()
			for rows.Next() {
				var t int64
				tr := api.HealthTransition{Tenant: tenant}
				if err := rows.Scan(&t, &tr.Status, &tr.Cause, &tr.Detail); err != nil {
					return err
				}
				tr.Time = fromNanos(t)
				out = append(out, tr)
			}
			return rows.Err()
		}
		rows, err := s.query(ctx, tx, cols+` WHERE tenant = ? AND time < ? ORDER BY time DESC, seq DESC LIMIT 1`, tenant, nanos(from))
		if err != nil {
			return err
		}
		if err := scan(rows); err != nil {
			return err
		}
		rows, err = s.query(ctx, tx, cols+` WHERE tenant = ? AND time >= ? AND time < ? ORDER BY time, seq`, tenant, nanos(from), nanos(to))
		if err != nil {
			return err
		}
		return scan(rows)
	})
	if err != nil {
		return nil, fmt.Errorf("health transitions of %s: %w", tenant, err)
	}
	return out, nil
}

// LastHealthTransition returns tenant's latest transition. Outcomes:
// (tr, true, nil); (zero, false, nil) when there is none; (zero, false, err).
func (s *Store) LastHealthTransition(ctx context.Context, tenant string) (api.HealthTransition, bool, error) {
	tr := api.HealthTransition{Tenant: tenant}
	var t int64
	err := s.queryRow(ctx, nil, `SELECT time, status, cause, detail FROM health_transitions
		WHERE tenant = ? ORDER BY time DESC, seq DESC LIMIT 1`, tenant).Scan(&t, &tr.Status, &tr.Cause, &tr.Detail)
	if errors.Is(err, sql.ErrNoRows) {
		return api.HealthTransition{}, false, nil
	}
	if err != nil {
		return api.HealthTransition{}, false, fmt.Errorf("last health transition of %s: %w", tenant, err)
	}
	tr.Time = fromNanos(t)
	return tr, true, nil
}

// OpenIncident stores inc as open and returns its id.
func (s *Store) OpenIncident(ctx context.Context, inc api.Incident) (int64, error) {
	ev, err := json.Marshal(inc.Evidence)
	if err != nil {
		return 0, fmt.Errorf("open incident of %s: %w", inc.Tenant, err)
	}
	var id int64
	err = s.write(ctx, func(tx *sql.Tx) error {
		res, err := s.exec(ctx, tx, `INSERT INTO health_incidents (tenant, cause, status, started_at, restarts, evidence_json)
			VALUES (?, ?, ?, ?, ?, ?)`, inc.Tenant, string(inc.Cause), string(inc.Status), nanos(inc.Start), inc.Restarts, string(ev))
		if err != nil {
			return err
		}
		id, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("open incident of %s: %w", inc.Tenant, err)
	}
	return id, nil
}

// UpdateIncident rewrites an incident's cause, restarts and evidence, and
// closes it when inc.End is set. Outcomes: nil; an error wrapping
// ErrNotFound when there is no incident inc.ID; another error.
func (s *Store) UpdateIncident(ctx context.Context, inc api.Incident) error {
	ev, err := json.Marshal(inc.Evidence)
	if err != nil {
		return fmt.Errorf("update incident %d: %w", inc.ID, err)
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		res, err := s.exec(ctx, tx, `UPDATE health_incidents SET cause = ?, ended_at = ?, restarts = ?, evidence_json = ? WHERE id = ?`,
			string(inc.Cause), nanos(inc.End), inc.Restarts, string(ev), inc.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("update incident %d: %w", inc.ID, err)
	}
	return nil
}

// Incidents returns tenant's incidents, newest first: the open ones when
// open is true, otherwise up to limit closed ones.
func (s *Store) Incidents(ctx context.Context, tenant string, open bool, limit int) ([]api.Incident, error) {
	q := `SELECT id, cause, status, started_at, ended_at, restarts, evidence_json FROM health_incidents WHERE tenant = ?`
	if open {
		q += ` AND ended_at = 0 ORDER BY started_at DESC, id DESC`
	} else {
		q += ` AND ended_at <> 0 ORDER BY started_at DESC, id DESC LIMIT ?`
	}
	var out []api.Incident
	err := s.read(ctx, func(tx *sql.Tx) error {
		args := []any{tenant}
		if !open {
			args = append(args, limit)
		}
		rows, err := s.query(ctx, tx, q, args...) // one of two texts
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			inc := api.Incident{Tenant: tenant}
			var start, end int64
			var ev string
			if err := rows.Scan(&inc.ID, &inc.Cause, &inc.Status, &start, &end, &inc.Restarts, &ev); err != nil {
				return err
			}
			inc.Start, inc.End, inc.Open = fromNanos(start), fromNanos(end), end == 0
			if err := json.Unmarshal([]byte(ev), &inc.Evidence); err != nil {
				return fmt.Errorf("incident %d evidence: %w", inc.ID, err)
			}
			out = append(out, inc)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("incidents of %s: %w", tenant, err)
	}
	return out, nil
}
