// Package audit is the executor's append-only, hash-chained audit log:
// every request, policy decision, approval, step, result, denial and
// recovery is one Record. It lives in the executor's SQLite database, in the
// tables audit and audit_head that the store package's migrations create.
//
// It owns appending and verifying records. It never updates or deletes one,
// and it never lets an action run on a failed append: Log.Append returns an
// error when the record is not durably committed, and the caller must then
// not act (the server answers api.CodeAuditFailed).
//
// # Format (version 1)
//
// Records have consecutive seq numbers from 1. Each record's hash is
//
//	hash = "sha256:" + hex(sha256(prev_hash || canonical))
//
// where prev_hash is the previous record's hash as its ASCII text (for
// record 1 the genesis string Genesis, "sha256:" and 64 zeros) and canonical
// is api.CanonicalJSON of this object, fields in this order:
//
//	{"seq":1,"time":"2026-03-01T12:00:00.123456789Z","type":"request",
//	 "actor":"key:ab12","tenant":"acme","job_id":"","request_id":"r1",
//	 "rule":"","outcome":"allowed","data":{"k":"v"},"prev_hash":"sha256:00…"}
//
// time is RFC 3339 with nanoseconds in UTC, exactly as stored. data is the
// stored detail (canonical JSON: object keys sorted, no insignificant
// whitespace, numbers as written) or null when there is none. Text fields are
// valid UTF-8.
//
// The row audit_head (id 1) holds the last record's seq and hash; it starts
// at seq 0 with the genesis hash and moves in the same transaction as every
// append, so it anchors the tail.
//
// # What Verify detects
//
// A changed field or byte in any record (its hash no longer matches), a
// changed hash (the next record's prev_hash no longer links, or the head no
// longer matches), a deleted record (a gap in seq), reordered records (the
// links break), and records removed from the tail or the head row removed or
// altered (the head no longer matches the last record). It cannot detect a
// rewrite of the whole chain from some record on together with the head: for
// that, copy the head hash elsewhere (an external anchor) and compare.
package audit
