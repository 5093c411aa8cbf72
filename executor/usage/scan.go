package usage

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/klauspost/compress/zstd"
)

// Paths inside an OpenClaw state dir, relative to it.
const (
	AgentsDir    = "agents"
	DatabaseName = "openclaw-agent.sqlite" // agents/<agentId>/agent/<DatabaseName>
	SessionsDir  = "sessions"              // agents/<agentId>/sessions/*.jsonl
)

// MaxEventBytes bounds one event: a longer JSONL line, or a zstd event that
// inflates beyond it, is malformed. OpenClaw itself caps events at 4 MiB.
const MaxEventBytes = 16 << 20

// DefaultOverlap is the default Options.Overlap.
const DefaultOverlap = 2 * time.Minute

// SourceKind is the kind of store a record was read from.
type SourceKind string

const (
	SourceSQLite SourceKind = "sqlite" // agents/<id>/agent/openclaw-agent.sqlite
	SourceJSONL  SourceKind = "jsonl"  // agents/<id>/sessions/*.jsonl and archives
)

// Record is one assistant message with usage, read from a state dir.
type Record struct {
	Event
	// Agent is the agent id, taken from the path agents/<Agent>/.
	Agent string
	// Key identifies the message within the agent, for deduplication: the
	// event id; without one, "row:<session_id>:<seq>" for SQLite rows and
	// "line:<sha256 of the line>" for JSONL lines. The same message read
	// twice (a re-read after truncation, a reset archive, a legacy
	// transcript imported into SQLite) has the same Key.
	Key string
	// Kind and Source name the store: its path relative to the state dir.
	Kind   SourceKind
	Source string
	// SessionID is transcript_events.session_id, or for JSONL the file name
	// up to ".jsonl".
	SessionID string
	// Seq is transcript_events.seq (SQLite only).
	Seq int64
	// Offset is the byte offset of the line (JSONL only).
	Offset int64
}

// Cursor is how far a state dir has been read. The zero Cursor reads
// everything. It is plain data, JSON-encodable, so the executor can store it
// in the same transaction as the records it covers.
type Cursor struct {
	// Databases holds one cursor per SQLite store, by path relative to the
	// state dir.
	Databases map[string]DBCursor `json:"databases,omitempty"`
	// Files holds one cursor per JSONL transcript, by file identity
	// ("<device>:<inode>"), so a transcript renamed to a reset or deleted
	// archive keeps its position.
	Files map[string]FileCursor `json:"files,omitempty"`
}

// Options tune a Scanner. The zero value is ready to use.
type Options struct {
	// Overlap is how far below a database's high-water mark (created_at)
	// each scan looks again, to catch rows committed late or stamped by a
	// clock that stepped back; rows already read are recognised by
	// (session_id, seq). 0 means DefaultOverlap.
	Overlap time.Duration
	// TempDir receives private snapshot copies of databases that cannot be
	// read in place (see Scanner). "" means os.TempDir().
	TempDir string
	// Now is the clock; nil means time.Now. A database's high-water mark
	// never moves past Now (the gateway stamps created_at with the same
	// host's clock), so a row stamped in the future cannot hide the rows
	// that follow it.
	Now func() time.Time
}

// Scanner reads usage records from OpenClaw state dirs. It never writes into
// a state dir (see the package doc for how databases are opened). A Scanner
// holds no state between scans; the Cursor does.
type Scanner struct {
	opts Options
}

// NewScanner returns a Scanner.
func NewScanner(opts Options) *Scanner {
	if opts.Overlap <= 0 {
		opts.Overlap = DefaultOverlap
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Scanner{opts: opts}
}

// SourceReport is what one scan did with one store.
type SourceReport struct {
	Kind  SourceKind
	Path  string // relative to the state dir
	Agent string
	// Unchanged: nothing changed since the cursor; the store was not read.
	Unchanged bool
	// Restarted: the cursor no longer matched (file truncated, rewritten or
	// replaced), so the store was read from the start; the sink drops the
	// records it already has by Key.
	Restarted bool
	// Records is the number of usage records emitted.
	Records int
	// Malformed counts malformed events or lines read by this scan; each is
	// counted by exactly one scan. Problems describes the first few.
	Malformed int
	Problems  []string
	// Err is set when the store could not be read; its cursor is kept.
	Err error
}

// Report is what one scan did, store by store, in scan order.
type Report struct {
	Sources []SourceReport
}

// Readable is the number of stores that were read (or found unchanged)
// without error.
func (r Report) Readable() int {
	n := 0
	for _, s := range r.Sources {
		if s.Err == nil {
			n++
		}
	}
	return n
}

// Records is the number of records emitted by the scan.
func (r Report) Records() int {
	n := 0
	for _, s := range r.Sources {
		n += s.Records
	}
	return n
}

// Malformed is the number of malformed events and lines the scan met.
func (r Report) Malformed() int {
	n := 0
	for _, s := range r.Sources {
		n += s.Malformed
	}
	return n
}

const maxProblems = 5

func (s *SourceReport) problem(format string, args ...any) {
	s.Malformed++
	if len(s.Problems) < maxProblems {
		s.Problems = append(s.Problems, fmt.Sprintf(format, args...))
	}
}

// Scan reads the usage records added to the OpenClaw state dir since from
// and calls emit for each, in order: agents by name, then per agent its
// SQLite store and its JSONL transcripts by name. emit may see a record again
// (see Record.Key): sinks deduplicate on (Agent, Key).
//
// Outcomes:
//   - (next, report, nil): every store was visited; stores that could not be
//     read have SourceReport.Err set and keep their cursor in next. A dir
//     without an agents/ directory yields an empty report.
//   - (_, _, err): dir could not be opened, ctx was cancelled, or emit
//     returned an error (returned as is). next is then not valid; keep from.
//
// from is not modified.
func (s *Scanner) Scan(ctx context.Context, dir string, from Cursor, emit func(Record) error) (Cursor, Report, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return Cursor{}, Report{}, fmt.Errorf("resolve state dir: %w", err)
	}
	root, err := os.OpenRoot(abs)
	if err != nil {
		return Cursor{}, Report{}, fmt.Errorf("open state dir: %w", err)
	}
	defer root.Close()

	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(MaxEventBytes))
	if err != nil {
		return Cursor{}, Report{}, fmt.Errorf("create zstd decoder: %w", err)
	}
	defer dec.Close()

	st := &scan{
		Scanner: s, ctx: ctx, root: root, abs: abs, emit: emit, dec: dec,
		from: from,
		next: Cursor{Databases: map[string]DBCursor{}, Files: map[string]FileCursor{}},
	}
	agents, err := st.agents()
	if err != nil {
		return Cursor{}, Report{}, err
	}
	for _, agent := range agents {
		if err := st.agent(agent); err != nil {
			return Cursor{}, Report{}, err
		}
	}
	return st.next, st.report, nil
}

// scan is the state of one Scan call.
type scan struct {
	*Scanner
	ctx    context.Context
	root   *os.Root
	abs    string
	emit   func(Record) error
	dec    *zstd.Decoder
	from   Cursor
	next   Cursor
	report Report
}

// agents lists agents/ by name, skipping anything that is not a directory
// (symlinks included).
func (st *scan) agents() ([]string, error) {
	entries, err := st.readDir(AgentsDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list agents: %w", err)
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

func (st *scan) agent(agent string) error {
	base := path.Join(AgentsDir, agent)
	db := path.Join(base, "agent", DatabaseName)
	if _, err := st.root.Lstat(db); err == nil || !errors.Is(err, fs.ErrNotExist) {
		rep := SourceReport{Kind: SourceSQLite, Path: db, Agent: agent}
		cur, had := st.from.Databases[db]
		next, err := st.database(agent, db, cur, had, &rep)
		if err := st.fatal(err); err != nil {
			return err
		}
		if err != nil {
			rep.Err = err
			next = cur
		}
		if err == nil || had {
			st.next.Databases[db] = next
		}
		st.report.Sources = append(st.report.Sources, rep)
	}

	sessions := path.Join(base, SessionsDir)
	entries, err := st.readDir(sessions)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	var dir *os.Root
	if err == nil {
		// Transcripts are opened relative to the checked directory: one
		// openat per file, whatever happens to the path above it.
		dir, err = st.root.OpenRoot(sessions)
	}
	if err != nil {
		st.report.Sources = append(st.report.Sources, SourceReport{Kind: SourceJSONL, Path: sessions, Agent: agent, Err: err})
		return nil
	}
	defer dir.Close()
	for _, e := range entries {
		if !e.Type().IsRegular() || !IsTranscriptName(e.Name()) {
			continue
		}
		rel := path.Join(sessions, e.Name())
		rep := SourceReport{Kind: SourceJSONL, Path: rel, Agent: agent}
		err := st.file(dir, e.Name(), agent, rel, &rep)
		if err := st.fatal(err); err != nil {
			return err
		}
		rep.Err = err
		st.report.Sources = append(st.report.Sources, rep)
	}
	return nil
}

// fatal picks out the errors that end a scan: cancellation and emit's.
func (st *scan) fatal(err error) error {
	var e emitError
	if errors.As(err, &e) {
		return e.err
	}
	if ctxErr := st.ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	return nil
}

// emitError carries an error returned by the caller's emit.
type emitError struct{ err error }

func (e emitError) Error() string { return e.err.Error() }

func (st *scan) send(r Record, rep *SourceReport) error {
	if err := st.emit(r); err != nil {
		return emitError{err}
	}
	rep.Records++
	return nil
}

// readDir lists a directory under the root by name. Every path component
// must be a real directory, not a symlink: SQLite opens stores by path, so
// the scan refuses paths that could lead out of the state dir.
func (st *scan) readDir(rel string) ([]fs.DirEntry, error) {
	if err := st.realDirs(rel); err != nil {
		return nil, err
	}
	f, err := st.root.Open(rel)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	entries, err := f.ReadDir(-1)
	slices.SortFunc(entries, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return entries, err
}

// realDirs checks that each prefix of rel is a directory and not a symlink.
func (st *scan) realDirs(rel string) error {
	p := ""
	for _, part := range strings.Split(rel, "/") {
		p = path.Join(p, part)
		fi, err := st.root.Lstat(p)
		if err != nil {
			return err
		}
		if !fi.IsDir() {
			return fmt.Errorf("%s: not a directory (%s)", p, fi.Mode().Type())
		}
	}
	return nil
}

// openRegular opens a regular file under the root without blocking (a FIFO
// planted in the state dir must not hang the scan) and checks that it is the
// file Lstat saw.
func (st *scan) openRegular(rel string) (*os.File, fs.FileInfo, error) {
	if err := st.realDirs(path.Dir(rel)); err != nil {
		return nil, nil, err
	}
	lfi, err := st.root.Lstat(rel)
	if err != nil {
		return nil, nil, err
	}
	if !lfi.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("%s: not a regular file (%s)", rel, lfi.Mode().Type())
	}
	f, err := st.root.OpenFile(rel, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !os.SameFile(fi, lfi) {
		f.Close()
		return nil, nil, fmt.Errorf("%s: replaced while opening", rel)
	}
	return f, fi, nil
}

// fileID is "<device>:<inode>" of a file.
func fileID(fi fs.FileInfo) string {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return fmt.Sprintf("%d:%d", st.Dev, st.Ino)
	}
	return ""
}

// IsTranscriptName reports whether a file in agents/<id>/sessions/ is a JSONL
// transcript: "<session>.jsonl" or a reset or deleted archive
// "<session>.jsonl.reset.<stamp>", "<session>.jsonl.deleted.<stamp>".
func IsTranscriptName(name string) bool {
	return strings.HasSuffix(name, ".jsonl") || isArchiveName(name)
}

// isArchiveName reports whether a transcript is a closed archive: OpenClaw
// no longer appends to it, so a final line without a newline is complete.
func isArchiveName(name string) bool {
	return strings.Contains(name, ".jsonl.reset.") || strings.Contains(name, ".jsonl.deleted.")
}
