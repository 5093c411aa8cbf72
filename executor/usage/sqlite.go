package usage

import (
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// DBCursor is how far one SQLite store has been read.
//
// transcript_events has PRIMARY KEY (session_id, seq) and is a rowid table,
// but its rowids are not a usable high-water mark: they are not an alias of
// a declared column, so VACUUM may renumber them, and deleting the last row
// lets the next insert reuse its rowid. created_at (epoch ms of the insert)
// only grows, up to clock steps and late commits, so the cursor keeps the
// largest created_at read plus the keys of the rows read within the overlap
// window below it, and each scan reads created_at >= mark - overlap and
// skips those keys.
type DBCursor struct {
	// File is "<device>:<inode>" of the database. A different file (the
	// store was replaced or restored) is read from the start.
	File string `json:"file"`
	// Fingerprint summarises the database file, its WAL and its wal-index
	// (size, mtime, change counter, WAL salts, the -shm header with the last
	// committed frame), taken before each read. While it is unchanged
	// nothing new can be in the store, and the scan does not open it. "" when
	// it could not be taken: the store is always read.
	Fingerprint string `json:"fingerprint"`
	// CreatedAt is the largest transcript_events.created_at read, epoch ms.
	CreatedAt int64 `json:"created_at"`
	// Recent are the rows read with created_at >= CreatedAt - overlap.
	Recent []RowKey `json:"recent,omitempty"`
}

// RowKey is the primary key of a transcript_events row.
type RowKey struct {
	SessionID string `json:"session_id"`
	Seq       int64  `json:"seq"`
}

// errChanged: the store changed while a consistent read was being set up.
var errChanged = errors.New("database changed while being read")

const (
	dbAttempts  = 3
	sqliteMagic = "SQLite format 3\x00"
)

// dbFiles is what a stat of a store and its side files found.
type dbFiles struct {
	id          string // database device:inode
	fingerprint string
	size, mtime int64
	walMode     bool // header: WAL journal mode
	wal, shm    bool // side files exist
	walHeader   []byte
}

// statDB looks at a store without opening it with SQLite. The side files
// must be regular files when present.
func (st *scan) statDB(rel string) (dbFiles, error) {
	f, fi, err := st.openRegular(rel)
	if err != nil {
		return dbFiles{}, err
	}
	hdr := make([]byte, 100)
	n, err := io.ReadFull(f, hdr)
	f.Close()
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return dbFiles{}, fmt.Errorf("read database header: %w", err)
	}
	if n < len(hdr) || string(hdr[:16]) != sqliteMagic {
		return dbFiles{}, errors.New("not an SQLite database")
	}
	s := dbFiles{
		id:      fileID(fi),
		size:    fi.Size(),
		mtime:   fi.ModTime().UnixNano(),
		walMode: hdr[18] == 2 && hdr[19] == 2,
	}
	var (
		walSize, walMtime int64
		shmHeader         []byte
		shmUnreadable     bool
	)
	for _, side := range []string{"-wal", "-shm"} {
		lfi, err := st.root.Lstat(rel + side)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return dbFiles{}, err
		}
		if !lfi.Mode().IsRegular() {
			return dbFiles{}, fmt.Errorf("%s%s: not a regular file (%s)", rel, side, lfi.Mode().Type())
		}
		if side == "-shm" {
			s.shm = true
			// The wal-index header (two copies of 48 bytes) holds mxFrame,
			// the last committed frame. A writer appends a transaction's
			// frames to the WAL before it publishes the commit here, so the
			// WAL's size alone can change before the commit is visible.
			if shmHeader, err = st.readHead(rel+side, 96); err != nil {
				shmHeader = nil
				shmUnreadable = true
			}
			continue
		}
		s.wal = true
		walSize, walMtime = lfi.Size(), lfi.ModTime().UnixNano()
		if s.walHeader, err = st.readHead(rel+side, 32); err != nil {
			return dbFiles{}, err
		}
	}
	// The WAL header's checkpoint sequence and salts (bytes 12-23) change
	// whenever the WAL restarts, even if its size does not; the database
	// header's change counter (bytes 24-27) changes with every rollback-mode
	// transaction.
	var walID []byte
	if len(s.walHeader) >= 24 {
		walID = s.walHeader[12:24]
	}
	s.fingerprint = fmt.Sprintf("db %d %d %x; wal %t %d %d %x; shm %t %x", s.size, s.mtime, hdr[24:28], s.wal, walSize, walMtime, walID, s.shm, shmHeader)
	if shmUnreadable {
		s.fingerprint = "" // cannot tell: always read
	}
	return s, nil
}

func (st *scan) readHead(rel string, n int) ([]byte, error) {
	f, _, err := st.openRegular(rel)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, n)
	m, err := io.ReadFull(f, b)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read %s: %w", rel, err)
	}
	return b[:m], nil
}

// database reads one store from cur. It retries, from cur each time, while
// the store changes under a read that cannot lock it.
func (st *scan) database(agent, rel string, cur DBCursor, had bool, rep *SourceReport) (DBCursor, error) {
	for attempt := 1; ; attempt++ {
		files, err := st.statDB(rel)
		if err != nil {
			return DBCursor{}, err
		}
		if had && files.fingerprint != "" && cur.File == files.id && cur.Fingerprint == files.fingerprint {
			rep.Unchanged = true
			return cur, nil
		}
		base := cur
		if had && cur.File != files.id {
			rep.Restarted = true
			base = DBCursor{}
		}
		malformed, problems := rep.Malformed, len(rep.Problems)
		next, err := st.readDB(agent, rel, files, base, rep)
		if errors.Is(err, errChanged) && attempt < dbAttempts {
			// Records already emitted come again with the same keys;
			// malformed rows must not be counted twice.
			rep.Malformed, rep.Problems = malformed, rep.Problems[:problems]
			continue
		}
		if err != nil {
			return DBCursor{}, err
		}
		next.File, next.Fingerprint = files.id, files.fingerprint
		return next, nil
	}
}

// readDB opens the store the safest way its files allow and reads it:
//
//   - WAL mode with neither -wal nor -shm (a stopped gateway, a copy): the
//     database file is complete; open it immutable, which creates nothing
//     and takes no locks, then check nothing changed meanwhile.
//   - WAL mode with both -wal and -shm (a running gateway): open in place
//     read-only. SQLite creates no file then; it opens the side files with
//     O_NOFOLLOW and uses -shm for the shared WAL index as designed.
//   - rollback-journal mode: open in place read-only; readers create nothing.
//   - WAL mode with only one side file (a crash, a partial copy): mode=ro
//     would create the missing one, so read a private snapshot copy.
func (st *scan) readDB(agent, rel string, files dbFiles, cur DBCursor, rep *SourceReport) (DBCursor, error) {
	path := filepath.Join(st.abs, filepath.FromSlash(rel))
	switch {
	case files.walMode && !files.wal && !files.shm:
		next, err := st.query(agent, rel, fileURI(path, "mode=ro&immutable=1"), cur, rep)
		if err != nil {
			return next, err
		}
		after, err := st.statDB(rel)
		if err != nil {
			return DBCursor{}, err
		}
		if after.fingerprint != files.fingerprint {
			return DBCursor{}, errChanged
		}
		return next, nil
	case !files.walMode || (files.wal && files.shm):
		records, malformed, problems := rep.Records, rep.Malformed, len(rep.Problems)
		next, err := st.query(agent, rel, fileURI(path, "mode=ro&_pragma=busy_timeout(5000)"), cur, rep)
		var emitErr emitError
		if err == nil || rep.Records != records || errors.As(err, &emitErr) || st.ctx.Err() != nil {
			return next, err
		}
		// Nothing read (say a -shm this process may not write, with no
		// writer to initialise it): read a snapshot instead.
		rep.Malformed, rep.Problems = malformed, rep.Problems[:problems]
		fallthrough
	default:
		dir, err := st.snapshot(rel, files)
		if dir != "" {
			defer os.RemoveAll(dir)
		}
		if err != nil {
			return DBCursor{}, err
		}
		return st.query(agent, rel, fileURI(filepath.Join(dir, DatabaseName), "mode=rw"), cur, rep)
	}
}

// snapshot copies the database and its WAL into a private directory. The
// copy is consistent if the database file and the WAL header did not change
// while copying; otherwise it returns errChanged.
func (st *scan) snapshot(rel string, files dbFiles) (string, error) {
	dir, err := os.MkdirTemp(st.opts.TempDir, "missioncontrol-usage-")
	if err != nil {
		return "", fmt.Errorf("create snapshot dir: %w", err)
	}
	dst := filepath.Join(dir, DatabaseName)
	if err := st.copyFile(rel, dst); err != nil {
		return dir, err
	}
	if files.wal {
		if err := st.copyFile(rel+"-wal", dst+"-wal"); err != nil {
			return dir, err
		}
		copied, err := os.ReadFile(dst + "-wal")
		if err != nil {
			return dir, err
		}
		if !bytes.HasPrefix(copied, files.walHeader) {
			return dir, errChanged
		}
	}
	after, err := st.statDB(rel)
	if err != nil {
		return dir, err
	}
	if after.size != files.size || after.mtime != files.mtime {
		return dir, errChanged
	}
	return dir, nil
}

func (st *scan) copyFile(rel, dst string) error {
	src, _, err := st.openRegular(rel)
	if err != nil {
		return err
	}
	defer src.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, src); err != nil {
		out.Close()
		return fmt.Errorf("copy %s: %w", rel, err)
	}
	return out.Close()
}

// fileURI is a SQLite URI filename for an absolute path.
func fileURI(path, query string) string {
	return (&url.URL{Scheme: "file", Path: path, RawQuery: query}).String()
}

// query reads the rows after cur in one read transaction, so the rows it
// emits and the Recent keys it keeps come from the same snapshot.
func (st *scan) query(agent, rel, dsn string, cur DBCursor, rep *SourceReport) (DBCursor, error) {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return DBCursor{}, fmt.Errorf("open database: %w", err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	tx, err := db.BeginTx(st.ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return DBCursor{}, fmt.Errorf("open database: %w", err)
	}
	defer tx.Rollback()

	overlap := st.opts.Overlap.Milliseconds()
	limit := st.opts.Now().UnixMilli()
	lower := int64(math.MinInt64)
	if cur.CreatedAt != 0 || len(cur.Recent) > 0 {
		lower = satSub(cur.CreatedAt, overlap)
	}
	seen := make(map[RowKey]struct{}, len(cur.Recent))
	for _, k := range cur.Recent {
		seen[k] = struct{}{}
	}
	rows, err := tx.QueryContext(st.ctx,
		`SELECT session_id, seq, created_at, event_json IS NULL, event_json, event_zstd
		   FROM transcript_events WHERE created_at >= ?`, lower)
	if err != nil {
		return DBCursor{}, fmt.Errorf("query transcript_events: %w", err)
	}
	defer rows.Close()
	mark := cur.CreatedAt
	var buf []byte
	for rows.Next() {
		var (
			key        RowKey
			createdAt  int64
			compressed bool
			text, zst  sql.RawBytes
		)
		if err := rows.Scan(&key.SessionID, &key.Seq, &createdAt, &compressed, &text, &zst); err != nil {
			return DBCursor{}, fmt.Errorf("read transcript_events: %w", err)
		}
		if _, ok := seen[key]; ok {
			continue
		}
		mark = max(mark, min(createdAt, limit))
		if compressed {
			if zst == nil {
				rep.problem("%s/%d: event_json and event_zstd are both NULL", key.SessionID, key.Seq)
				continue
			}
			if buf, err = st.dec.DecodeAll(zst, buf[:0]); err != nil {
				rep.problem("%s/%d: event_zstd: %v", key.SessionID, key.Seq, err)
				continue
			}
			text = buf
		}
		ev, ok, err := ParseEvent(text)
		if err != nil {
			rep.problem("%s/%d: %v", key.SessionID, key.Seq, err)
			continue
		}
		if !ok {
			continue
		}
		if ev.Time.IsZero() {
			// created_at is the row insert, milliseconds after the message.
			if t := time.UnixMilli(createdAt).UTC(); validTime(t) {
				ev.Time = t
			} else {
				rep.problem("%s/%d: no usable timestamp", key.SessionID, key.Seq)
				continue
			}
		}
		r := Record{Event: ev, Agent: agent, Key: ev.ID, Kind: SourceSQLite, Source: rel, SessionID: key.SessionID, Seq: key.Seq}
		if r.Key == "" {
			r.Key = fmt.Sprintf("row:%s:%d", key.SessionID, key.Seq)
		}
		if err := st.send(r, rep); err != nil {
			return DBCursor{}, err
		}
	}
	if err := rows.Err(); err != nil {
		return DBCursor{}, fmt.Errorf("read transcript_events: %w", err)
	}
	rows.Close()

	next := DBCursor{CreatedAt: mark}
	recent, err := tx.QueryContext(st.ctx,
		`SELECT session_id, seq FROM transcript_events WHERE created_at >= ? ORDER BY session_id, seq`, satSub(mark, overlap))
	if err != nil {
		return DBCursor{}, fmt.Errorf("query transcript_events: %w", err)
	}
	defer recent.Close()
	for recent.Next() {
		var k RowKey
		if err := recent.Scan(&k.SessionID, &k.Seq); err != nil {
			return DBCursor{}, fmt.Errorf("read transcript_events: %w", err)
		}
		next.Recent = append(next.Recent, k)
	}
	if err := recent.Err(); err != nil {
		return DBCursor{}, fmt.Errorf("read transcript_events: %w", err)
	}
	return next, nil
}

func satSub(a, b int64) int64 {
	if b > 0 && a < math.MinInt64+b {
		return math.MinInt64
	}
	return a - b
}
