package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

// ErrDuplicateApproval is returned by AddApproval when the key already
// approved the job.
var ErrDuplicateApproval = errors.New("the key already approved this job")

// JobTrust is who submitted a job and what approvals it needs.
type JobTrust struct {
	Submitter        string // key id
	Required         int
	ApprovalDeadline time.Time
}

// SetJobTrust records the job's submitter, required approvals and approval
// deadline, replacing earlier values.
func (s *Store) SetJobTrust(ctx context.Context, id string, t JobTrust) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := s.exec(ctx, tx, `INSERT INTO job_trust (job_id, submitter, required, approval_deadline) VALUES (?, ?, ?, ?)
ON CONFLICT (job_id) DO UPDATE SET submitter = excluded.submitter, required = excluded.required, approval_deadline = excluded.approval_deadline`,
			id, t.Submitter, t.Required, nanos(t.ApprovalDeadline))
		return err
	})
	if err != nil {
		return fmt.Errorf("set trust of job %s: %w", id, err)
	}
	return nil
}

// AddApproval records that key approved the job with token. Outcomes: nil;
// an error wrapping ErrDuplicateApproval when the key approved it before
// (it still counts once); any other error.
func (s *Store) AddApproval(ctx context.Context, id string, a api.JobApproval, token string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := s.exec(ctx, tx, `INSERT INTO job_approvals (job_id, key_id, key_name, token, created_at) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (job_id, key_id) DO NOTHING`, id, a.KeyID, a.Name, token, nanos(a.Time))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return ErrDuplicateApproval
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("add approval of job %s by key %s: %w", id, a.KeyID, err)
	}
	return nil
}

// ApprovalTokens returns the tokens of the job's approvals, by key id.
func (s *Store) ApprovalTokens(ctx context.Context, id string) (map[string]string, error) {
	out := map[string]string{}
	err := s.read(ctx, func(tx *sql.Tx) error {
		rows, err := s.query(ctx, tx, `SELECT key_id, token FROM job_approvals WHERE job_id = ?`, id)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k, t string
			if err := rows.Scan(&k, &t); err != nil {
				return err
			}
			out[k] = t
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("approvals of job %s: %w", id, err)
	}
	return out, nil
}

// fillTrust sets the trust fields of jobs.
func (s *Store) fillTrust(ctx context.Context, tx *sql.Tx, jobs []api.Job) error {
	for i := range jobs {
		j := &jobs[i]
		var deadline int64
		err := s.queryRow(ctx, tx, `SELECT submitter, required, approval_deadline FROM job_trust WHERE job_id = ?`, j.ID).
			Scan(&j.Submitter, &j.RequiredApprovals, &deadline)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return fmt.Errorf("trust of job %s: %w", j.ID, err)
		}
		if deadline != 0 {
			j.ApprovalDeadline = fromNanos(deadline)
		}
		rows, err := s.query(ctx, tx, `SELECT key_id, key_name, created_at FROM job_approvals WHERE job_id = ? ORDER BY created_at, key_id`, j.ID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var a api.JobApproval
			var at int64
			if err := rows.Scan(&a.KeyID, &a.Name, &at); err != nil {
				rows.Close()
				return err
			}
			a.Time = fromNanos(at)
			j.Approvals = append(j.Approvals, a)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}
