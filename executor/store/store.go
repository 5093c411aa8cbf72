package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// DefaultPath is where the executor keeps its database unless its
// configuration says otherwise.
const DefaultPath = "/var/lib/missioncontrol/executor.db"

// BusyTimeout is how long a statement waits for a lock another connection or
// process holds before it fails with SQLITE_BUSY.
const BusyTimeout = 5 * time.Second

var (
	// ErrNotFound is returned (wrapped) when a job or tenant does not exist.
	ErrNotFound = errors.New("not found")
	// ErrReplay is returned by UseNonce when the nonce was already used.
	ErrReplay = errors.New("nonce already used")
	// ErrAllocationTaken is wrapped by *AllocationError when a uid, gid or
	// gateway port is already held by another tenant.
	ErrAllocationTaken = errors.New("allocation taken")
)

// Store is the executor's SQLite database. It is safe for concurrent use.
type Store struct {
	db   *sql.DB
	path string
	// writeMu serializes this Store's write transactions, so that they queue
	// here rather than in SQLite's busy handler.
	writeMu sync.Mutex
	stmts   stmtCache
}

// Open opens (creating it if needed) the database at path with mode 0600,
// applies the pending migrations and returns the Store. The directory is
// created with mode 0700 if it does not exist.
//
// Every connection runs with journal_mode=WAL, foreign_keys=ON,
// busy_timeout=5000 and synchronous=FULL. FULL rather than NORMAL: in WAL mode
// NORMAL may lose the last commits on power loss, and everything here is
// audit-critical, not only the audit log: a lost nonce re-opens a replay, a
// lost allocation lets a uid or port be handed out twice, a lost job state
// hides a step that did run. Writes are a few per host step, so the cost of
// one fsync per commit does not matter.
//
// Outcomes: (*Store, nil); an error if path is empty or contains '?', the file
// cannot be created or opened, WAL cannot be enabled, or the database has a
// schema newer than this binary knows.
func Open(path string) (*Store, error) {
	if err := checkPath(path); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create database directory: %w", err)
	}
	// SQLite creates files with 0644 (minus umask) and gives the -wal and
	// -shm files the mode of the database, so create the database ourselves
	// and tighten an existing one.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("chmod %s: %w", p, err)
		}
	}

	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", BusyTimeout.Milliseconds()))
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	// Transactions that may write begin IMMEDIATE: they take the write lock
	// (waiting under busy_timeout) before reading, so they never fail on
	// upgrading a read snapshot that another writer made stale. Read-only
	// transactions (sql.TxOptions{ReadOnly: true}) begin DEFERRED.
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	configurePool(db)

	s := &Store{db: db, path: path}
	ctx := context.Background()
	var mode string
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		db.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	if !strings.EqualFold(mode, "wal") {
		db.Close()
		return nil, fmt.Errorf("open database %s: journal mode is %q, want wal", path, mode)
	}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate database %s: %w", path, err)
	}
	return s, nil
}

// OpenReadOnly opens an existing database for reading only (PRAGMA
// query_only), without applying migrations: for tools such as `audit verify`
// that must not change what they inspect.
//
// Outcomes: (*Store, nil); an error wrapping os.ErrNotExist if there is no
// file at path; an error if the file is not a missioncontrol database.
func OpenReadOnly(path string) (*Store, error) {
	if err := checkPath(path); err != nil {
		return nil, err
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", BusyTimeout.Milliseconds()))
	q.Add("_pragma", "query_only(1)")
	db, err := sql.Open("sqlite", path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	configurePool(db)
	s := &Store{db: db, path: path}
	if _, err := s.SchemaVersion(context.Background()); err != nil {
		db.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	return s, nil
}

func checkPath(path string) error {
	if path == "" {
		return errors.New("open database: empty path")
	}
	// The driver reads everything after '?' as connection parameters.
	if strings.ContainsRune(path, '?') {
		return fmt.Errorf("open database %s: path must not contain '?'", path)
	}
	return nil
}

// configurePool sizes the pool for SQLite: WAL readers run in parallel, so
// allow a few connections per core; writers are serialized anyway. Idle
// connections are kept, as each holds its pragmas and page cache.
func configurePool(db *sql.DB) {
	n := max(4, runtime.GOMAXPROCS(0)+2)
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
}

// Close closes the database. Pending transactions are rolled back.
func (s *Store) Close() error {
	serr := s.closeStmts()
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close database %s: %w", s.path, err)
	}
	if serr != nil {
		return fmt.Errorf("close database %s: %w", s.path, serr)
	}
	return nil
}

// DB returns the underlying database, for packages that keep their own
// tables in it (the audit log). Their write transactions must begin
// IMMEDIATE, as BeginTx on this DB does.
func (s *Store) DB() *sql.DB { return s.db }

// Path returns the database file name.
func (s *Store) Path() string { return s.path }

// WriteLock is the lock every write transaction of this Store holds; other
// writers of its database (the audit log) share it.
func (s *Store) WriteLock() sync.Locker { return &s.writeMu }

// write runs fn in a write transaction (BEGIN IMMEDIATE), serialized with
// the other writes of s, and commits it if fn returns nil.
func (s *Store) write(ctx context.Context, fn func(*sql.Tx) error) error {
	s.preparePending(ctx)
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin write: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// read runs fn in a read-only transaction, so that all its queries see one
// snapshot.
func (s *Store) read(ctx context.Context, fn func(*sql.Tx) error) error {
	s.preparePending(ctx)
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("begin read: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only; nothing to lose
	return fn(tx)
}

// isConstraint reports whether err is a SQLite constraint violation of the
// given extended code (e.g. SQLITE_CONSTRAINT_UNIQUE).
func isConstraint(err error, code int) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code() == code
}

func isUnique(err error) bool {
	return isConstraint(err, sqlite3.SQLITE_CONSTRAINT_UNIQUE) ||
		isConstraint(err, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY)
}

// nanos and fromNanos convert times to and from the stored form; the zero
// time is stored as 0.
func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}
