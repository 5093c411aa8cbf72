package store

import (
	"context"
	"database/sql"
	"errors"
	"maps"
	"slices"
	"sync"
)

// stmtCache holds the Store's prepared statements by SQL text, so that a
// statement is parsed once per pooled connection instead of on every call
// (profile of a 50-tenant apply: ~20% of the executor's CPU was SQLite
// re-parsing, (*conn).prepareV2 → sqlite3RunParser). database/sql keeps one
// driver statement per connection and Tx.StmtContext reuses it; the driver
// keeps the sqlite3_stmt of a single-statement text and only resets it.
//
// Only fixed SQL texts go through it, so it stays small: SQL built per call
// (an IN list, optional filters) runs unprepared.
type stmtCache struct {
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
	// pending holds texts first met inside a transaction. They are prepared
	// before the next transaction begins, not inside it: DB.PrepareContext
	// needs a connection of its own, and waiting for one while holding the
	// transaction's can deadlock a full pool.
	pending map[string]struct{}
	closed  bool
}

// stmt returns the prepared statement for query, bound to tx unless tx is
// nil, or nil if it is not prepared (yet): the caller then runs the text.
func (s *Store) stmt(ctx context.Context, tx *sql.Tx, query string) *sql.Stmt {
	c := &s.stmts
	c.mu.Lock()
	st := c.stmts[query]
	if st == nil && tx != nil && !c.closed {
		if c.pending == nil {
			c.pending = map[string]struct{}{}
		}
		c.pending[query] = struct{}{}
	}
	c.mu.Unlock()
	switch {
	case st == nil && tx == nil:
		// No connection held here, so preparing cannot deadlock.
		return s.prepare(ctx, query)
	case st == nil:
		return nil
	case tx != nil:
		return tx.StmtContext(ctx, st)
	}
	return st
}

// prepare prepares query and caches it. It must not be called while holding
// a connection of s (see stmtCache.pending). A failure returns nil: the
// unprepared call that follows reports whatever is wrong.
func (s *Store) prepare(ctx context.Context, query string) *sql.Stmt {
	st, err := s.db.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	c := &s.stmts
	c.mu.Lock()
	old, closed := c.stmts[query], c.closed
	if old == nil && !closed {
		if c.stmts == nil {
			c.stmts = map[string]*sql.Stmt{}
		}
		c.stmts[query] = st
	}
	c.mu.Unlock()
	if old != nil || closed {
		_ = st.Close() // lost a race with another caller, or s is closed
		return old
	}
	return st
}

// preparePending prepares the texts transactions met unprepared. read and
// write call it before they take a connection.
func (s *Store) preparePending(ctx context.Context) {
	c := &s.stmts
	c.mu.Lock()
	if len(c.pending) == 0 {
		c.mu.Unlock()
		return
	}
	queries := slices.Collect(maps.Keys(c.pending))
	clear(c.pending)
	c.mu.Unlock()
	for _, q := range queries {
		s.prepare(ctx, q)
	}
}

// closeStmts closes the cached statements; later calls run unprepared.
func (s *Store) closeStmts() error {
	c := &s.stmts
	c.mu.Lock()
	c.closed = true
	stmts := c.stmts
	c.stmts, c.pending = nil, nil
	c.mu.Unlock()
	var errs []error
	for _, st := range stmts {
		errs = append(errs, st.Close())
	}
	return errors.Join(errs...)
}

// query, queryRow and exec run the fixed SQL text query in tx, or outside a
// transaction if tx is nil, as a statement prepared once per connection.
func (s *Store) query(ctx context.Context, tx *sql.Tx, query string, args ...any) (*sql.Rows, error) {
	if st := s.stmt(ctx, tx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	if tx != nil {
		return tx.QueryContext(ctx, query, args...)
	}
	return s.db.QueryContext(ctx, query, args...)
}

func (s *Store) queryRow(ctx context.Context, tx *sql.Tx, query string, args ...any) *sql.Row {
	if st := s.stmt(ctx, tx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	if tx != nil {
		return tx.QueryRowContext(ctx, query, args...)
	}
	return s.db.QueryRowContext(ctx, query, args...)
}

func (s *Store) exec(ctx context.Context, tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	if st := s.stmt(ctx, tx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	if tx != nil {
		return tx.ExecContext(ctx, query, args...)
	}
	return s.db.ExecContext(ctx, query, args...)
}

// txStmt returns query as a statement of tx, for running it many times in
// one transaction; the caller closes it.
func (s *Store) txStmt(ctx context.Context, tx *sql.Tx, query string) (*sql.Stmt, error) {
	if st := s.stmt(ctx, tx, query); st != nil {
		return st, nil
	}
	return tx.PrepareContext(ctx, query)
}
