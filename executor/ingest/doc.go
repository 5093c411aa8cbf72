// Package ingest counts the model usage OpenClaw records in each registered
// tenant's state dir into the executor's database, and exposes it as
// Prometheus metrics.
//
// It owns the ingestion loop: every Interval, for every registered tenant
// that is not decommissioned, it scans <state dir> with usage.Scanner from
// the tenant's stored Cursor, prices each record (usage.Prices) and hands
// the records to store.AddUsage, which drops the ones already counted (by
// tenant, agent and record key) and adds the rest to the rollups. Records
// are committed in batches so that no transaction holds the database for
// long; the last batch carries the new Cursor. A crash between batches
// leaves the old Cursor, and the re-scan finds the committed records known:
// nothing is counted twice and nothing is lost.
//
// It never writes into a state dir (the usage package guarantees that) and
// starts no goroutine in New: Run starts the loop, Tick runs one pass, so a
// test drives ingestion one tick at a time.
//
// Scans run in the executor's process, as root. The usage package resolves
// every path through an os.Root, refuses symlinked directories and opens
// databases read-only; a tenant that swaps a checked directory for a
// symlink between that check and SQLite's open could still make the
// executor read (never write) a database elsewhere. Running each scan as the
// tenant's uid in a subprocess closes that window; it is not done yet.
package ingest
