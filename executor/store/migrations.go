package store

import (
	"context"
	"database/sql"
	"fmt"
)

// migrations are the schema changes, in order: migrations[i] brings the
// schema to version i+1. Never edit or reorder one that has shipped; append.
var migrations = []string{
	// 1: tenant registry, jobs, nonces and the audit log.
	`
CREATE TABLE tenants (
	name           TEXT PRIMARY KEY,
	desired_json   TEXT NOT NULL,
	decommissioned INTEGER NOT NULL DEFAULT 0,
	last_job_id    TEXT NOT NULL DEFAULT '',
	created_at     INTEGER NOT NULL,
	updated_at     INTEGER NOT NULL
);

-- One row per tenant. A uid, gid or gateway port is allocated once and never
-- shared: the UNIQUE constraints hold even for decommissioned tenants, whose
-- rows stay while their archive exists. NULL means not allocated yet.
CREATE TABLE allocations (
	tenant       TEXT PRIMARY KEY REFERENCES tenants(name) ON DELETE RESTRICT,
	user_name    TEXT NOT NULL DEFAULT '',
	group_name   TEXT NOT NULL DEFAULT '',
	uid          INTEGER UNIQUE CHECK (uid > 0),
	gid          INTEGER UNIQUE CHECK (gid > 0),
	gateway_port INTEGER UNIQUE CHECK (gateway_port > 0 AND gateway_port < 65536),
	home         TEXT NOT NULL DEFAULT '',
	state_dir    TEXT NOT NULL DEFAULT '',
	config_dir   TEXT NOT NULL DEFAULT '',
	unit         TEXT NOT NULL DEFAULT ''
);

CREATE TABLE jobs (
	id              TEXT PRIMARY KEY,
	tenant          TEXT NOT NULL,
	digest          TEXT NOT NULL,
	state           TEXT NOT NULL,
	error           TEXT NOT NULL DEFAULT '',
	retry_of        TEXT NOT NULL DEFAULT '',
	allocation_json TEXT NOT NULL,
	request_json    TEXT NOT NULL,
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL
);
CREATE INDEX jobs_tenant_created ON jobs (tenant, created_at);
CREATE INDEX jobs_created ON jobs (created_at);
CREATE INDEX jobs_state ON jobs (state);

CREATE TABLE steps (
	job_id  TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
	idx     INTEGER NOT NULL,
	kind    TEXT NOT NULL,
	summary TEXT NOT NULL,
	json    TEXT NOT NULL,
	PRIMARY KEY (job_id, idx)
) WITHOUT ROWID;

CREATE TABLE events (
	job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
	seq    INTEGER NOT NULL,
	time   INTEGER NOT NULL,
	type   TEXT NOT NULL,
	step   INTEGER NOT NULL,
	json   TEXT NOT NULL,
	PRIMARY KEY (job_id, seq)
) WITHOUT ROWID;

CREATE TABLE nonces (
	key_id     TEXT NOT NULL,
	nonce      TEXT NOT NULL,
	expires_at INTEGER NOT NULL,
	PRIMARY KEY (key_id, nonce)
) WITHOUT ROWID;
CREATE INDEX nonces_expires ON nonces (expires_at);

-- The audit log; the audit package writes and verifies it (see its doc.go
-- for the hash format). Rows are never updated or deleted; the triggers turn
-- a mistaken UPDATE or DELETE into an error. They are no defence against
-- root with the sqlite3 shell: that is what the hash chain and audit verify
-- are for.
CREATE TABLE audit (
	seq        INTEGER PRIMARY KEY,
	time       TEXT NOT NULL,
	type       TEXT NOT NULL,
	actor      TEXT NOT NULL,
	tenant     TEXT NOT NULL DEFAULT '',
	job_id     TEXT NOT NULL DEFAULT '',
	request_id TEXT NOT NULL DEFAULT '',
	rule       TEXT NOT NULL DEFAULT '',
	outcome    TEXT NOT NULL DEFAULT '',
	data       TEXT NOT NULL DEFAULT '',
	prev_hash  TEXT NOT NULL,
	hash       TEXT NOT NULL
);
CREATE INDEX audit_tenant ON audit (tenant, seq);
CREATE INDEX audit_job ON audit (job_id, seq);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;

-- The anchor: the last record's seq and hash, updated in the same
-- transaction as every append, so that removing records from the tail shows.
-- Seq 0 with the genesis hash is the empty log.
CREATE TABLE audit_head (
	id   INTEGER PRIMARY KEY CHECK (id = 1),
	seq  INTEGER NOT NULL,
	hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, 'sha256:0000000000000000000000000000000000000000000000000000000000000000');
CREATE TRIGGER audit_head_forward BEFORE UPDATE ON audit_head
WHEN NEW.id <> OLD.id OR NEW.seq <> OLD.seq + 1
BEGIN SELECT RAISE(ABORT, 'audit head only moves forward by one'); END;
CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
BEGIN SELECT RAISE(ABORT, 'audit head cannot be deleted'); END;
`,
	// 2: model usage ingested from tenants' OpenClaw state dirs (usage.go).
	`
-- One row per message ever counted: the dedupe key. A message read again
-- (overlap, truncation, an archive) finds its row and adds nothing.
CREATE TABLE usage_records (
	tenant TEXT NOT NULL,
	agent  TEXT NOT NULL,
	key    TEXT NOT NULL,
	PRIMARY KEY (tenant, agent, key)
) WITHOUT ROWID;

-- Sums per tenant, UTC day, agent, provider, model and price table version
-- ('' when OpenClaw recorded every cost). Updated in the transaction that
-- inserts the messages' usage_records rows.
CREATE TABLE usage_rollups (
	tenant        TEXT NOT NULL,
	day           TEXT NOT NULL,
	agent         TEXT NOT NULL,
	provider      TEXT NOT NULL,
	model         TEXT NOT NULL,
	price_version TEXT NOT NULL,
	input         INTEGER NOT NULL,
	output        INTEGER NOT NULL,
	cache_read    INTEGER NOT NULL,
	cache_write   INTEGER NOT NULL,
	total_tokens  INTEGER NOT NULL,
	nano_usd      INTEGER NOT NULL,
	messages      INTEGER NOT NULL,
	errors        INTEGER NOT NULL,
	unpriced      INTEGER NOT NULL,
	PRIMARY KEY (tenant, day, agent, provider, model, price_version)
) WITHOUT ROWID;
CREATE INDEX usage_rollups_day ON usage_rollups (day);

-- How far each tenant's state dir has been read (usage.Cursor as JSON),
-- written in the transaction that adds the last records it covers.
CREATE TABLE usage_cursors (
	tenant      TEXT PRIMARY KEY,
	cursor_json TEXT NOT NULL,
	updated_at  INTEGER NOT NULL
);
`,
	// trust: who submitted a job, how many approvals it needs, until when
	// it may wait, and the approvals counted (approvals.go).
	`
CREATE TABLE job_trust (
	job_id            TEXT PRIMARY KEY REFERENCES jobs(id) ON DELETE CASCADE,
	submitter         TEXT NOT NULL,
	required          INTEGER NOT NULL,
	approval_deadline INTEGER NOT NULL
);

-- One row per distinct approver of a job: a second approval by the same
-- key finds its row and counts once.
CREATE TABLE job_approvals (
	job_id     TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
	key_id     TEXT NOT NULL,
	key_name   TEXT NOT NULL,
	token      TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	PRIMARY KEY (job_id, key_id)
) WITHOUT ROWID;
`,
	// health: gateway status transitions and incidents (health.go).
	`
-- One row per change of a tenant's gateway status or cause, not per probe:
-- availability is computed from these.
CREATE TABLE health_transitions (
	seq    INTEGER PRIMARY KEY,
	tenant TEXT NOT NULL,
	time   INTEGER NOT NULL,
	status TEXT NOT NULL,
	cause  TEXT NOT NULL DEFAULT '',
	detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX health_transitions_tenant_time ON health_transitions (tenant, time);

-- ended_at is 0 while the incident is open.
CREATE TABLE health_incidents (
	id            INTEGER PRIMARY KEY,
	tenant        TEXT NOT NULL,
	cause         TEXT NOT NULL,
	status        TEXT NOT NULL,
	started_at    INTEGER NOT NULL,
	ended_at      INTEGER NOT NULL DEFAULT 0,
	restarts      INTEGER NOT NULL DEFAULT 0,
	evidence_json TEXT NOT NULL
);
CREATE INDEX health_incidents_tenant_start ON health_incidents (tenant, started_at);
`,
	// archives: the verified archive each decommission wrote (archives.go).
	`
CREATE TABLE archives (
	path         TEXT PRIMARY KEY,
	tenant       TEXT NOT NULL,
	sha256       TEXT NOT NULL,
	size         INTEGER NOT NULL,
	job_id       TEXT NOT NULL,
	desired_json TEXT NOT NULL,
	alloc_json   TEXT NOT NULL,
	created_at   INTEGER NOT NULL
);
CREATE INDEX archives_tenant ON archives (tenant);
`,
	// budgets: breaches recorded once per tenant, month and limit, and the
	// holds that keep over-budget tenants suspended (budgets.go).
	`
CREATE TABLE budget_breaches (
	tenant    TEXT NOT NULL,
	month     TEXT NOT NULL,
	kind      TEXT NOT NULL,
	limit_usd REAL NOT NULL,
	at        INTEGER NOT NULL,
	PRIMARY KEY (tenant, month, kind, limit_usd)
);
CREATE TABLE budget_holds (
	tenant    TEXT PRIMARY KEY,
	month     TEXT NOT NULL,
	spent_usd REAL NOT NULL,
	limit_usd REAL NOT NULL,
	since     INTEGER NOT NULL
);
`,
}

// SchemaVersion returns the highest applied migration, 0 for a database
// that has none.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}

// migrate applies the pending migrations in one IMMEDIATE transaction, so
// two processes opening the same new database do not both apply them.
// Running it again is a no-op.
func (s *Store) migrate(ctx context.Context) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `
CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER PRIMARY KEY,
	applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
)`); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		var cur int
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&cur); err != nil {
			return fmt.Errorf("read schema version: %w", err)
		}
		if cur > len(migrations) {
			return fmt.Errorf("schema version %d is newer than this executor knows (%d); upgrade the executor", cur, len(migrations))
		}
		for v := cur + 1; v <= len(migrations); v++ {
			if _, err := tx.ExecContext(ctx, migrations[v-1]); err != nil {
				return fmt.Errorf("apply migration %d: %w", v, err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version) VALUES (?)`, v); err != nil {
				return fmt.Errorf("record migration %d: %w", v, err)
			}
		}
		return nil
	})
}
