package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

// JobRecord is a job as created, with the request that made it.
type JobRecord struct {
	Job     api.Job
	Request api.SubmitRequest
}

// CreateJob stores a new job and its steps. The caller sets Job.ID (unique),
// Job.Tenant, Job.State and Job.CreatedAt; a zero UpdatedAt is taken from
// CreatedAt. Events are added afterwards with AppendEvent, so Job.Events
// must be empty.
func (s *Store) CreateJob(ctx context.Context, rec JobRecord) error {
	j := rec.Job
	switch {
	case j.ID == "":
		return errors.New("create job: empty id")
	case j.Tenant == "":
		return fmt.Errorf("create job %s: empty tenant", j.ID)
	case j.State == "":
		return fmt.Errorf("create job %s: empty state", j.ID)
	case len(j.Events) > 0:
		return fmt.Errorf("create job %s: events are added with AppendEvent", j.ID)
	}
	alloc, err := api.CanonicalJSON(j.Allocation)
	if err != nil {
		return fmt.Errorf("create job %s: %w", j.ID, err)
	}
	req, err := api.CanonicalJSON(rec.Request)
	if err != nil {
		return fmt.Errorf("create job %s: %w", j.ID, err)
	}
	steps := make([][]byte, len(j.Steps))
	for i, st := range j.Steps {
		if steps[i], err = api.CanonicalJSON(st); err != nil {
			return fmt.Errorf("create job %s: step %d: %w", j.ID, i, err)
		}
	}
	updated := j.UpdatedAt
	if updated.IsZero() {
		updated = j.CreatedAt
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		if _, err := s.exec(ctx, tx, `
INSERT INTO jobs (id, tenant, digest, state, error, retry_of, allocation_json, request_json, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			j.ID, j.Tenant, j.Digest, string(j.State), j.Error, j.RetryOf, string(alloc), string(req),
			nanos(j.CreatedAt), nanos(updated)); err != nil {
			return err
		}
		for i, st := range j.Steps {
			if _, err := s.exec(ctx, tx, `INSERT INTO steps (job_id, idx, kind, summary, json) VALUES (?, ?, ?, ?, ?)`,
				j.ID, i, string(st.Kind), st.Summary, string(steps[i])); err != nil {
				return fmt.Errorf("step %d: %w", i, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("create job %s: %w", j.ID, err)
	}
	return nil
}

// SetJobState records the job's new state, its error message ("" clears it)
// and the time of the change. It does not check the transition; the jobs
// package owns the state machine. Outcomes: nil; an error wrapping
// ErrNotFound; any other error.
func (s *Store) SetJobState(ctx context.Context, id string, state api.JobState, errMsg string, at time.Time) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := s.exec(ctx, tx, `UPDATE jobs SET state = ?, error = ?, updated_at = ? WHERE id = ?`,
			string(state), errMsg, nanos(at), id)
		if err != nil {
			return err
		}
		return mustAffect(res)
	})
	if err != nil {
		return fmt.Errorf("set state of job %s: %w", id, err)
	}
	return nil
}

// JobState returns the job's state alone, for a long poll that waits for
// the job's end. Outcomes: (state, nil); an error wrapping ErrNotFound; any
// other error.
func (s *Store) JobState(ctx context.Context, id string) (api.JobState, error) {
	var state string
	err := s.queryRow(ctx, nil, `SELECT state FROM jobs WHERE id = ?`, id).Scan(&state)
	if errors.Is(err, sql.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("get state of job %s: %w", id, err)
	}
	return api.JobState(state), nil
}

// GetJob returns the job with its steps and its events in order. Outcomes:
// (job, nil); an error wrapping ErrNotFound; any other error.
func (s *Store) GetJob(ctx context.Context, id string) (api.Job, error) {
	var job api.Job
	err := s.read(ctx, func(tx *sql.Tx) error {
		jobs, err := s.queryJobs(ctx, tx, true, `WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if len(jobs) == 0 {
			return ErrNotFound
		}
		job = jobs[0]
		rows, err := s.query(ctx, tx, `SELECT json FROM events WHERE job_id = ? ORDER BY seq`, id)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var b []byte
			if err := rows.Scan(&b); err != nil {
				return err
			}
			var ev api.Event
			if err := json.Unmarshal(b, &ev); err != nil {
				return fmt.Errorf("decode event: %w", err)
			}
			job.Events = append(job.Events, ev)
		}
		return rows.Err()
	})
	if err != nil {
		return api.Job{}, fmt.Errorf("get job %s: %w", id, err)
	}
	return job, nil
}

// GetJobRequest returns the request that created the job. Outcomes: (req,
// nil); an error wrapping ErrNotFound; any other error.
func (s *Store) GetJobRequest(ctx context.Context, id string) (api.SubmitRequest, error) {
	var b []byte
	err := s.queryRow(ctx, nil, `SELECT request_json FROM jobs WHERE id = ?`, id).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return api.SubmitRequest{}, fmt.Errorf("get request of job %s: %w", id, err)
	}
	var req api.SubmitRequest
	if err := json.Unmarshal(b, &req); err != nil {
		return api.SubmitRequest{}, fmt.Errorf("get request of job %s: decode: %w", id, err)
	}
	return req, nil
}

// ListJobs returns jobs newest first, with their steps but without events:
// those of tenant, or of all tenants if tenant is "". limit <= 0 means no
// limit.
func (s *Store) ListJobs(ctx context.Context, tenant string, limit int) ([]api.Job, error) {
	where, args := `WHERE (?1 = '' OR tenant = ?1) ORDER BY created_at DESC, rowid DESC`, []any{tenant}
	if limit > 0 {
		where += ` LIMIT ?2`
		args = append(args, limit)
	}
	var out []api.Job
	err := s.read(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = s.queryJobs(ctx, tx, true, where, args...)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	return out, nil
}

// JobsInState returns the jobs in any of states, oldest first, with their
// steps but without events; none if states is empty. Recovery uses it to
// find the jobs a crash interrupted.
func (s *Store) JobsInState(ctx context.Context, states ...api.JobState) ([]api.Job, error) {
	if len(states) == 0 {
		return nil, nil
	}
	args := make([]any, len(states))
	for i, st := range states {
		args[i] = string(st)
	}
	where := `WHERE state IN (?` + strings.Repeat(`, ?`, len(states)-1) + `) ORDER BY created_at, rowid`
	var out []api.Job
	err := s.read(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = s.queryJobs(ctx, tx, false, where, args...)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list jobs in state %v: %w", states, err)
	}
	return out, nil
}

// queryJobs selects jobs with the clause tail (WHERE ... ORDER BY ...) and
// loads their steps with one more query. fixed says tail is one of a few
// constant texts, so its statements may be cached.
func (s *Store) queryJobs(ctx context.Context, tx *sql.Tx, fixed bool, tail string, args ...any) ([]api.Job, error) {
	run := func(query string) (*sql.Rows, error) {
		if fixed {
			return s.query(ctx, tx, query, args...)
		}
		return tx.QueryContext(ctx, query, args...)
	}
	rows, err := run(`
SELECT id, tenant, digest, state, error, retry_of, allocation_json, created_at, updated_at
FROM jobs ` + tail)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var jobs []api.Job
	index := map[string]int{}
	for rows.Next() {
		var j api.Job
		var state string
		var alloc []byte
		var created, updated int64
		if err := rows.Scan(&j.ID, &j.Tenant, &j.Digest, &state, &j.Error, &j.RetryOf, &alloc, &created, &updated); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(alloc, &j.Allocation); err != nil {
			return nil, fmt.Errorf("decode allocation of job %s: %w", j.ID, err)
		}
		j.State = api.JobState(state)
		j.CreatedAt, j.UpdatedAt = fromNanos(created), fromNanos(updated)
		j.Steps = []api.Step{}
		index[j.ID] = len(jobs)
		jobs = append(jobs, j)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(jobs) == 0 {
		return nil, nil
	}
	// One query for the steps of all selected jobs: the same selection as a
	// subquery, so no id list has to be built.
	srows, err := run(`
SELECT job_id, json FROM steps WHERE job_id IN (SELECT id FROM jobs ` + tail + `)
ORDER BY job_id, idx`)
	if err != nil {
		return nil, err
	}
	defer srows.Close()
	for srows.Next() {
		var id string
		var b []byte
		if err := srows.Scan(&id, &b); err != nil {
			return nil, err
		}
		var st api.Step
		if err := json.Unmarshal(b, &st); err != nil {
			return nil, fmt.Errorf("decode step of job %s: %w", id, err)
		}
		if i, ok := index[id]; ok {
			jobs[i].Steps = append(jobs[i].Steps, st)
		}
	}
	if err := srows.Err(); err != nil {
		return nil, err
	}
	return jobs, s.fillTrust(ctx, tx, jobs)
}

// AppendEvent adds ev to the job's events and returns it as stored: Seq is
// assigned (1, 2, ... per job; any Seq in ev is ignored) and Stdout and
// Stderr are bounded to api.MaxOutputBytes, keeping the tail behind a
// "[N bytes truncated]" line. Outcomes: (event, nil); an error wrapping
// ErrNotFound if the job does not exist; any other error.
func (s *Store) AppendEvent(ctx context.Context, jobID string, ev api.Event) (api.Event, error) {
	ev.Stdout = BoundOutput(ev.Stdout, api.MaxOutputBytes)
	ev.Stderr = BoundOutput(ev.Stderr, api.MaxOutputBytes)
	err := s.write(ctx, func(tx *sql.Tx) error {
		var exists int
		err := s.queryRow(ctx, tx, `SELECT COUNT(*) FROM jobs WHERE id = ?`, jobID).Scan(&exists)
		if err != nil {
			return err
		}
		if exists == 0 {
			return ErrNotFound
		}
		if err := s.queryRow(ctx, tx, `SELECT COALESCE(MAX(seq), 0) + 1 FROM events WHERE job_id = ?`, jobID).Scan(&ev.Seq); err != nil {
			return err
		}
		b, err := api.CanonicalJSON(ev)
		if err != nil {
			return err
		}
		_, err = s.exec(ctx, tx, `INSERT INTO events (job_id, seq, time, type, step, json) VALUES (?, ?, ?, ?, ?, ?)`,
			jobID, ev.Seq, nanos(ev.Time), string(ev.Type), ev.Step, string(b))
		return err
	})
	if err != nil {
		return api.Event{}, fmt.Errorf("append event to job %s: %w", jobID, err)
	}
	return ev, nil
}

// BoundOutput returns s if it fits in limit bytes, else its tail behind a
// line "[N bytes truncated]\n", the whole at most limit bytes. The cut is
// moved forward to a UTF-8 boundary, so valid text stays valid.
func BoundOutput(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	// The marker's length depends on the number it reports, which depends
	// on the marker's length: iterate; the count only grows, so this ends.
	dropped := len(s) - limit
	for {
		marker := fmt.Sprintf("[%d bytes truncated]\n", dropped)
		start := len(s) - max(limit-len(marker), 0)
		for start < len(s) && !utf8.RuneStart(s[start]) {
			start++
		}
		if start <= dropped {
			return marker + s[dropped:]
		}
		dropped = start
	}
}
