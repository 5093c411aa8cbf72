package store_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/store"
)

// openStore opens a fresh store in t.TempDir() and closes it at cleanup.
func openStore(tb testing.TB) *store.Store {
	tb.Helper()
	s, err := store.Open(filepath.Join(tb.TempDir(), "state", "executor.db"))
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return s
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC)

func TestOpenSettings(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := context.Background()
	for pragma, want := range map[string]string{
		"journal_mode": "wal",
		"foreign_keys": "1",
		"busy_timeout": "5000",
		"synchronous":  "2", // FULL
	} {
		var got string
		if err := s.DB().QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
			t.Fatalf("PRAGMA %s: %v", pragma, err)
		}
		if got != want {
			t.Errorf("PRAGMA %s = %q, want %q", pragma, got, want)
		}
	}
	// Write something so the -wal file exists, then check modes.
	if err := s.UseNonce(ctx, "k", "n", t0); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{s.Path(), s.Path() + "-wal"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if mode := fi.Mode().Perm(); mode != 0o600 {
			t.Errorf("%s mode = %o, want 600", filepath.Base(p), mode)
		}
	}
}

func TestOpenTightensMode(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "executor.db")
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := store.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if mode := fi.Mode().Perm(); mode != 0o600 {
		t.Errorf("mode = %o, want 600", mode)
	}
}

func TestOpenBadPath(t *testing.T) {
	t.Parallel()
	for name, path := range map[string]string{
		"empty":         "",
		"question mark": filepath.Join(t.TempDir(), "x?mode=memory"),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if s, err := store.Open(path); err == nil {
				s.Close()
				t.Fatalf("Open(%q) succeeded", path)
			}
		})
	}
}

func TestMigrationsIdempotent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p := filepath.Join(t.TempDir(), "executor.db")
	var versions []int
	for range 3 {
		s, err := store.Open(p)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		v, err := s.SchemaVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		versions = append(versions, v)
		var n int
		if err := s.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != v {
			t.Errorf("schema_migrations has %d rows, version %d", n, v)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if versions[0] < 1 || versions[0] != versions[1] || versions[1] != versions[2] {
		t.Errorf("versions over reopens = %v", versions)
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p := filepath.Join(t.TempDir(), "executor.db")
	s, err := store.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().ExecContext(ctx, `INSERT INTO schema_migrations (version) VALUES (9999)`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err := store.Open(p); err == nil {
		s.Close()
		t.Fatal("Open of a newer schema succeeded")
	}
}

func TestOpenReadOnly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()

	if _, err := store.OpenReadOnly(filepath.Join(dir, "missing.db")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("OpenReadOnly(missing) = %v, want os.ErrNotExist", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "missing.db")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("OpenReadOnly created the missing file")
	}

	other := filepath.Join(dir, "other.db")
	if err := os.WriteFile(other, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if s, err := store.OpenReadOnly(other); err == nil {
		s.Close()
		t.Error("OpenReadOnly of a non-executor database succeeded")
	}

	p := filepath.Join(dir, "executor.db")
	rw, err := store.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := rw.PutTenant(ctx, store.TenantRecord{Name: "acme", UpdatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	rw.Close()

	ro, err := store.OpenReadOnly(p)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if _, ok, err := ro.GetTenant(ctx, "acme"); !ok || err != nil {
		t.Errorf("GetTenant on read-only store = %v, %v", ok, err)
	}
	if err := ro.PutTenant(ctx, store.TenantRecord{Name: "beta", UpdatedAt: t0}); err == nil {
		t.Error("PutTenant on a read-only store succeeded")
	}
}

// TestConcurrentWritesAndReads runs 50 goroutines that each register a
// tenant, create a job, append events, change state, use nonces and read
// everything back, all at once. Half of them use a second Store on the same
// file, as another process would, so writers also meet in SQLite's busy
// handler and not only on the Store's mutex. None may see "database is
// locked".
func TestConcurrentWritesAndReads(t *testing.T) {
	t.Parallel()
	first := openStore(t)
	second, err := store.Open(first.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	ctx := context.Background()
	const workers, events = 50, 10

	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		s := first
		if w%2 == 1 {
			s = second
		}
		wg.Go(func() {
			errs <- func() error {
				name := fmt.Sprintf("t%02d", w)
				at := t0.Add(time.Duration(w) * time.Second)
				if err := s.PutTenant(ctx, store.TenantRecord{
					Name:       name,
					Allocation: api.Allocation{UID: 20000 + w, GID: 20000 + w, GatewayPort: 18000 + 20*w},
					UpdatedAt:  at,
				}); err != nil {
					return err
				}
				id := "job-" + name
				if err := s.CreateJob(ctx, store.JobRecord{Job: api.Job{
					ID: id, Tenant: name, State: api.JobQueued, CreatedAt: at,
					Steps: []api.Step{{Kind: api.StepEnsureUser, Summary: "create user mc-" + name}},
				}}); err != nil {
					return err
				}
				for i := range events {
					if _, err := s.AppendEvent(ctx, id, api.Event{Type: api.EventStepDone, Time: at, Stdout: "ok"}); err != nil {
						return err
					}
					if _, err := s.GetJob(ctx, id); err != nil {
						return err
					}
					if _, err := s.ListJobs(ctx, "", 10); err != nil {
						return err
					}
					if err := s.UseNonce(ctx, name, fmt.Sprint(i), at.Add(time.Hour)); err != nil {
						return err
					}
				}
				if err := s.SetJobState(ctx, id, api.JobSucceeded, "", at); err != nil {
					return err
				}
				if _, err := s.ReservedUIDs(ctx); err != nil {
					return err
				}
				_, err := s.ListTenants(ctx)
				return err
			}()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}

	s := first
	tenants, err := s.ListTenants(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(tenants) != workers {
		t.Errorf("%d tenants, want %d", len(tenants), workers)
	}
	done, err := s.JobsInState(ctx, api.JobSucceeded)
	if err != nil {
		t.Fatal(err)
	}
	if len(done) != workers {
		t.Errorf("%d succeeded jobs, want %d", len(done), workers)
	}
	for _, j := range done {
		full, err := s.GetJob(ctx, j.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(full.Events) != events {
			t.Errorf("job %s has %d events, want %d", j.ID, len(full.Events), events)
		}
		for i, ev := range full.Events {
			if ev.Seq != i+1 {
				t.Errorf("job %s event %d has seq %d", j.ID, i, ev.Seq)
			}
		}
	}
}
