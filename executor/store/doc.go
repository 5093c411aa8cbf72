// Package store is the executor's embedded SQLite database: the tenant
// registry (desired state and the uid, gid and port allocations), jobs with
// their steps and events, request nonces, and the schema of the audit log
// (whose records the audit package writes and verifies).
//
// It owns every SQL statement about those tables and the numbered schema
// migrations. It never touches the host, never decides policy and never
// calls the clock: every time it stores is given by the caller.
//
// Structures owned by the wire contract (api.Desired, api.Step, api.Event,
// api.SubmitRequest) are stored as canonical JSON; what is queried or must be
// unique (names, states, uids, gids, ports, tenants, times) has typed
// columns. Times are stored as Unix nanoseconds and returned in UTC.
//
// Concurrency: the database runs in WAL mode, so reads never wait for the
// writer. Write transactions begin IMMEDIATE and, within one Store, are also
// serialized by a mutex, so writers queue in Go instead of spinning on
// SQLITE_BUSY; busy_timeout covers the other writers of the same file (the
// audit log and other processes).
package store
