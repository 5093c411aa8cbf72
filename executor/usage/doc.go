// Package usage reads what OpenClaw recorded about model usage in a tenant's
// state dir, prices it and rolls it up per agent, provider, model and UTC day.
//
// It owns:
//
//   - the readers: the per-agent SQLite stores of OpenClaw 2026.7+
//     (agents/<agentId>/agent/openclaw-agent.sqlite, table transcript_events,
//     zstd-compressed events included) and the legacy JSONL transcripts
//     (agents/<agentId>/sessions/*.jsonl with their *.jsonl.reset.* and
//     *.jsonl.deleted.* archives). The agent id is the directory name.
//   - ParseEvent, the one parser of an assistant message event, shared by
//     both readers and fuzzed.
//   - incremental reading: a Cursor with a high-water mark per database and
//     a (device, inode, offset) position per transcript, so a re-scan reads
//     only what was added, survives restarts (the caller stores the Cursor),
//     and starts a file over when it was truncated or rewritten.
//   - pricing: usage.cost.total when OpenClaw recorded one above zero, else a
//     versioned price table (shipped defaults.hcl plus an operator file).
//     Usage that has neither is counted as unpriced, never as zero cost.
//   - rollups and their deterministic order.
//
// The seam for ingestion: Scanner.Scan streams Records to a callback and
// returns the next Cursor. The executor's ingestion inserts the records
// keyed by (tenant, Record.Agent, Record.Key), ignoring keys it already has,
// prices each with Prices.Cost, adds it to its rollup with Rollup.Add, and
// stores the Cursor in the same transaction. Aggregator is the in-memory
// equivalent used by `missioncontrol-executor usage scan`.
//
// It never writes into a state dir and never creates files there. Databases
// are opened read-only: immutable when no gateway has them open; in place
// only when both -wal and -shm already exist (SQLite opens them with
// O_NOFOLLOW, and its only write is the read mark every reader of a live WAL
// database sets in the shared -shm index); otherwise, or when that open
// fails, from a private snapshot copy in Options.TempDir.
// It follows no symlink out of the state dir (paths are resolved through an
// os.Root, and each directory on the way to a store must be a real
// directory), opens transcripts non-blocking so a planted FIFO cannot hang
// it, and bounds every event (MaxEventBytes, also for zstd inflation).
// Malformed lines and events are counted per source and reported, never
// fatal. It knows nothing about tenants, the executor database, Terraform or
// HTTP, and it starts no background work: the caller decides when to scan.
//
// The scan runs with the caller's privileges. A tenant controls its state
// dir and can swap a checked directory for a symlink between the check and
// SQLite's open of a path; the executor should therefore run scans under
// the tenant's uid (a subprocess), which makes that race harmless.
package usage
