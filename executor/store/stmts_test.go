package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func cached(s *Store, query string) bool {
	s.stmts.mu.Lock()
	defer s.stmts.mu.Unlock()
	return s.stmts.stmts[query] != nil
}

// A text first met inside a transaction is prepared before the next one,
// outside any transaction: with every pooled connection held by a
// transaction meeting it, nobody waits for a connection.
func TestStmtCacheFullPool(t *testing.T) {
	t.Parallel()
	s, err := Open(filepath.Join(t.TempDir(), "executor.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	const q = `SELECT COUNT(*) FROM tenants WHERE name <> ?`
	n := s.db.Stats().MaxOpenConnections
	var began, wg sync.WaitGroup
	began.Add(n)
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- s.read(ctx, func(tx *sql.Tx) error {
				began.Done()
				began.Wait() // the pool is full
				var c int
				return s.queryRow(ctx, tx, q, "x").Scan(&c)
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("read with a full pool: %v", err)
		}
	}
	if cached(s, q) {
		t.Fatal("prepared inside a transaction")
	}
	for range 2 {
		if err := s.read(ctx, func(tx *sql.Tx) error {
			var c int
			return s.queryRow(ctx, tx, q, "x").Scan(&c)
		}); err != nil {
			t.Fatal(err)
		}
	}
	if !cached(s, q) {
		t.Fatal("not prepared before the next transaction")
	}
}

func TestStmtCacheClose(t *testing.T) {
	t.Parallel()
	s, err := Open(filepath.Join(t.TempDir(), "executor.db"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, _, err := s.LastHealthTransition(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	if len(s.stmts.stmts) == 0 {
		t.Fatal("statement outside a transaction not cached")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s.stmts.stmts != nil {
		t.Error("statements kept after Close")
	}
	if _, _, err := s.LastHealthTransition(ctx, "acme"); err == nil {
		t.Error("read after Close succeeded")
	}
	if _, err := s.GetJob(ctx, "j1"); err == nil {
		t.Error("read after Close succeeded")
	}
}
