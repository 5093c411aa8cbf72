package audit

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

// Genesis is the prev_hash of the first record.
const Genesis = "sha256:0000000000000000000000000000000000000000000000000000000000000000"

// Record types.
const (
	TypeRequest  = "request"
	TypeDecision = "decision"
	TypeApproval = "approval"
	TypeStep     = "step"
	TypeResult   = "result"
	TypeDenial   = "denial"
	TypeRecovery = "recovery"
)

// Outcomes.
const (
	OutcomeAllowed = "allowed"
	OutcomeDenied  = "denied"
	OutcomeOK      = "ok"
	OutcomeFailed  = "failed"
)

// ErrChainBroken is returned by Append when the log's head does not match
// its last record: the log was tampered with, and nothing is appended until
// an operator has looked (run audit verify).
var ErrChainBroken = errors.New("audit chain broken")

// Record is one audit entry.
type Record struct {
	Seq  int64     `json:"seq"`
	Time time.Time `json:"time"`
	// Type is one of the Type constants.
	Type string `json:"type"`
	// Actor is who caused it: a key id, "uid:N" for a local peer, or
	// "executor".
	Actor     string `json:"actor"`
	Tenant    string `json:"tenant,omitempty"`
	JobID     string `json:"job_id,omitempty"`
	RequestID string `json:"request_id,omitempty"`
	// Rule is the policy rule that decided, for decisions and denials.
	Rule    string `json:"rule,omitempty"`
	Outcome string `json:"outcome,omitempty"`
	// Data is the detail as JSON; Append stores it in canonical form.
	Data     json.RawMessage `json:"data,omitempty"`
	PrevHash string          `json:"prev_hash"`
	Hash     string          `json:"hash"`
}

// Log appends records to the audit table of a database.
type Log struct {
	db   *sql.DB
	now  func() time.Time
	lock sync.Locker // serializes appends; see SharingWrites
}

// New returns a Log writing to db, which must have the schema of the store
// package's migrations. now stamps the records (time.Now if nil).
func New(db *sql.DB, now func() time.Time) *Log {
	if now == nil {
		now = time.Now
	}
	return &Log{db: db, now: now, lock: &sync.Mutex{}}
}

// SharingWrites makes appends queue on lock, the write lock of the other
// writers of the same database (store.Store.WriteLock), so that they wait
// in order here rather than race in SQLite's busy handler, which starves a
// writer under a steady stream of others' commits.
func (l *Log) SharingWrites(lock sync.Locker) *Log {
	l.lock = lock
	return l
}

// Append adds r to the log and returns it as stored, with Seq, Time,
// PrevHash and Hash set (values given for them are ignored) and Data in
// canonical form. Appends are serialized (a mutex and a BEGIN IMMEDIATE
// transaction) and durable on return: the connection runs with
// synchronous=FULL, so the commit is fsynced.
//
// Outcomes: (record, nil) once the record is committed; (zero, err)
// otherwise, and then nothing was appended and the caller must not perform
// the action the record describes. err wraps ErrChainBroken if the head does
// not match the last record; it is a plain error for a missing Type or
// Actor, Data that is not JSON, or a database failure.
func (l *Log) Append(ctx context.Context, r Record) (Record, error) {
	if r.Type == "" || r.Actor == "" {
		return Record{}, errors.New("audit append: type and actor are required")
	}
	data, err := canonicalData(r.Data)
	if err != nil {
		return Record{}, fmt.Errorf("audit append: data: %w", err)
	}
	r.Data = data
	for _, f := range []*string{&r.Type, &r.Actor, &r.Tenant, &r.JobID, &r.RequestID, &r.Rule, &r.Outcome} {
		*f = strings.ToValidUTF8(*f, "\uFFFD")
	}

	l.lock.Lock()
	defer l.lock.Unlock()
	out, err := l.append(ctx, r)
	if err != nil {
		return Record{}, fmt.Errorf("audit append: %w", err)
	}
	return out, nil
}

func (l *Log) append(ctx context.Context, r Record) (_ Record, err error) {
	conn, err := l.db.Conn(ctx)
	if err != nil {
		return Record{}, err
	}
	defer conn.Close()
	// synchronous cannot change inside a transaction, so set it first. It
	// stays on the pooled connection; FULL is never weaker than what the
	// store sets.
	if _, err := conn.ExecContext(ctx, `PRAGMA synchronous = FULL`); err != nil {
		return Record{}, err
	}
	// BEGIN IMMEDIATE on this connection whatever the DSN's _txlock says:
	// the head is read and written in one transaction that holds the write
	// lock from the start.
	if _, err := conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		return Record{}, err
	}
	committed := false
	defer func() {
		if committed {
			return
		}
		if _, rbErr := conn.ExecContext(context.WithoutCancel(ctx), `ROLLBACK`); rbErr != nil {
			// Never hand a connection with an open transaction back to the pool.
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}()

	var headSeq int64
	var headHash string
	if err := conn.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&headSeq, &headHash); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return Record{}, fmt.Errorf("%w: head row missing", ErrChainBroken)
		}
		return Record{}, err
	}
	lastSeq, lastHash := int64(0), Genesis
	err = conn.QueryRowContext(ctx, `SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1`).Scan(&lastSeq, &lastHash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return Record{}, err
	}
	if headSeq != lastSeq || headHash != lastHash {
		return Record{}, fmt.Errorf("%w: head is record %d, last record is %d", ErrChainBroken, headSeq, lastSeq)
	}

	r.Seq = lastSeq + 1
	r.Time = l.now().UTC()
	r.PrevHash = lastHash
	ts := formatTime(r.Time)
	if r.Hash, err = hashRecord(r, ts); err != nil {
		return Record{}, err
	}
	if _, err := conn.ExecContext(ctx, `
INSERT INTO audit (seq, time, type, actor, tenant, job_id, request_id, rule, outcome, data, prev_hash, hash)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.Seq, ts, r.Type, r.Actor, r.Tenant, r.JobID, r.RequestID, r.Rule, r.Outcome, string(r.Data), r.PrevHash, r.Hash); err != nil {
		return Record{}, err
	}
	if _, err := conn.ExecContext(ctx, `UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1`, r.Seq, r.Hash); err != nil {
		return Record{}, err
	}
	// COMMIT must not be interrupted half way by the caller's context: its
	// outcome would be unknown. Once it starts, it finishes.
	if _, err := conn.ExecContext(context.WithoutCancel(ctx), `COMMIT`); err != nil {
		return Record{}, err
	}
	committed = true
	return r, nil
}

// hashed is exactly what a record's hash covers, in this field order.
type hashed struct {
	Seq       int64           `json:"seq"`
	Time      string          `json:"time"`
	Type      string          `json:"type"`
	Actor     string          `json:"actor"`
	Tenant    string          `json:"tenant"`
	JobID     string          `json:"job_id"`
	RequestID string          `json:"request_id"`
	Rule      string          `json:"rule"`
	Outcome   string          `json:"outcome"`
	Data      json.RawMessage `json:"data"`
	PrevHash  string          `json:"prev_hash"`
}

// hashRecord computes r's hash with ts as its time text.
func hashRecord(r Record, ts string) (string, error) {
	data := r.Data
	if len(data) == 0 {
		data = json.RawMessage("null")
	}
	b, err := api.CanonicalJSON(hashed{
		Seq: r.Seq, Time: ts, Type: r.Type, Actor: r.Actor, Tenant: r.Tenant, JobID: r.JobID,
		RequestID: r.RequestID, Rule: r.Rule, Outcome: r.Outcome, Data: data, PrevHash: r.PrevHash,
	})
	if err != nil {
		return "", err
	}
	return api.SHA256Hex(append([]byte(r.PrevHash), b...)), nil
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// canonicalData returns the canonical form of a JSON value: object keys
// sorted, no insignificant whitespace, numbers exactly as written. Empty input
// and a JSON null both mean "no data" and give nil.
func canonicalData(raw json.RawMessage) (json.RawMessage, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(raw[dec.InputOffset():])) != 0 {
		return nil, errors.New("trailing data after the JSON value")
	}
	if v == nil {
		return nil, nil
	}
	return api.CanonicalJSON(v)
}
