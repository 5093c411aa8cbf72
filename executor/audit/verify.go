package audit

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"unicode/utf8"
)

// Report is the result of Verify.
type Report struct {
	// Records is the number of records in the log.
	Records int64 `json:"records"`
	// OK is true if the whole chain and its head verified.
	OK bool `json:"ok"`
	// FirstBad is the seq of the first record that is altered, out of place
	// or missing (for a truncated log, the first removed one); 0 if OK.
	FirstBad int64 `json:"first_bad,omitempty"`
	// Reason says what is wrong with FirstBad, e.g. "hash mismatch".
	Reason string `json:"reason,omitempty"`
	// Head is the verified hash of the last record (Genesis for an empty
	// log), to keep elsewhere as an external anchor; empty unless OK.
	Head string `json:"head,omitempty"`
}

// Verify reads the whole log in one snapshot and checks, record by record,
// the seq sequence, the prev_hash links, the canonical form of the data and
// each hash, then the head against the last record (see the package
// documentation for what that detects).
//
// Outcomes: (report, nil) with report.OK true if the log is intact, or false
// with FirstBad and Reason for the first problem found; (zero, err) if the
// database cannot be read, e.g. because it has no audit table.
func Verify(ctx context.Context, db *sql.DB) (Report, error) {
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return Report{}, fmt.Errorf("audit verify: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only
	rep, err := verify(ctx, tx)
	if err != nil {
		return Report{}, fmt.Errorf("audit verify: %w", err)
	}
	return rep, nil
}

func verify(ctx context.Context, tx *sql.Tx) (Report, error) {
	rep := Report{OK: true}
	fail := func(seq int64, format string, args ...any) {
		if rep.OK {
			rep.OK, rep.FirstBad, rep.Reason = false, seq, fmt.Sprintf(format, args...)
		}
	}

	rows, err := tx.QueryContext(ctx, `
SELECT seq, time, type, actor, tenant, job_id, request_id, rule, outcome, data, prev_hash, hash
FROM audit ORDER BY seq`)
	if err != nil {
		return Report{}, err
	}
	defer rows.Close()
	prev, want := Genesis, int64(1)
	for rows.Next() {
		var r Record
		var ts, data string
		if err := rows.Scan(&r.Seq, &ts, &r.Type, &r.Actor, &r.Tenant, &r.JobID, &r.RequestID,
			&r.Rule, &r.Outcome, &data, &r.PrevHash, &r.Hash); err != nil {
			return Report{}, err
		}
		rep.Records++
		if rep.OK {
			r.Data = []byte(data)
			checkRecord(r, ts, prev, want, fail)
		}
		prev, want = r.Hash, r.Seq+1
	}
	if err := rows.Err(); err != nil {
		return Report{}, err
	}
	if !rep.OK {
		return rep, nil
	}

	last := want - 1
	var headSeq int64
	var headHash string
	err = tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&headSeq, &headHash)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		fail(last+1, "audit head missing: records after %d may have been removed", last)
	case err != nil:
		return Report{}, err
	case headSeq > last:
		fail(last+1, "log truncated: head is record %d, last record is %d", headSeq, last)
	case headSeq < last:
		fail(headSeq+1, "record beyond head: head is record %d, last record is %d", headSeq, last)
	case headHash != prev:
		fail(last, "head hash mismatch")
	default:
		rep.Head = prev
	}
	return rep, nil
}

// checkRecord checks one record that should have seq want and link to prev,
// reporting the first problem to fail.
func checkRecord(r Record, ts, prev string, want int64, fail func(int64, string, ...any)) {
	if r.Seq != want {
		if r.Seq > want {
			fail(want, "record missing (seq gap: next record is %d)", r.Seq)
		} else {
			fail(r.Seq, "unexpected seq (want %d)", want)
		}
		return
	}
	if r.PrevHash != prev {
		fail(r.Seq, "broken link: prev_hash does not match the hash of record %d", r.Seq-1)
		return
	}
	for _, s := range []string{ts, r.Type, r.Actor, r.Tenant, r.JobID, r.RequestID, r.Rule, r.Outcome} {
		if !utf8.ValidString(s) {
			fail(r.Seq, "invalid UTF-8 in a field")
			return
		}
	}
	if len(r.Data) > 0 {
		canon, err := canonicalData(r.Data)
		if err != nil {
			fail(r.Seq, "data is not valid JSON")
			return
		}
		if !bytes.Equal(canon, r.Data) {
			fail(r.Seq, "data not in canonical form")
			return
		}
	}
	h, err := hashRecord(r, ts)
	if err != nil || h != r.Hash {
		fail(r.Seq, "hash mismatch")
	}
}
