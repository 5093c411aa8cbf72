package audit

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// List returns the records with seq greater than after, oldest first, at
// most limit (all when limit <= 0), of type typ when typ is not "". It reads
// without verifying; run Verify for that.
func List(ctx context.Context, db *sql.DB, after int64, typ string, limit int) ([]Record, error) {
	q := `SELECT seq, time, type, actor, tenant, job_id, request_id, rule, outcome, data, prev_hash, hash
FROM audit WHERE seq > ? AND (? = '' OR type = ?) ORDER BY seq`
	args := []any{after, typ, typ}
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("audit list: %w", err)
	}
	defer rows.Close()
	var out []Record
	for rows.Next() {
		var r Record
		var ts, data string
		if err := rows.Scan(&r.Seq, &ts, &r.Type, &r.Actor, &r.Tenant, &r.JobID, &r.RequestID, &r.Rule, &r.Outcome, &data, &r.PrevHash, &r.Hash); err != nil {
			return nil, fmt.Errorf("audit list: %w", err)
		}
		if t, err := time.Parse(time.RFC3339Nano, ts); err == nil {
			r.Time = t
		}
		if data != "" {
			r.Data = []byte(data)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit list: %w", err)
	}
	return out, nil
}
