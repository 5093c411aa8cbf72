package usage

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path"
	"strings"
	"syscall"
)

// FileCursor is how far one JSONL transcript has been read. Lines are
// consumed only when complete: a final line without its newline is left for
// the next scan (except in reset/deleted archives, which no longer grow).
type FileCursor struct {
	// Path is where the file was last seen, relative to the state dir.
	Path string `json:"path"`
	// Offset is the number of bytes consumed: up to the end of the last
	// complete line.
	Offset int64 `json:"offset"`
	// Size and ModTime (ns) are the file's at the last scan; while both are
	// unchanged the file is not read.
	Size    int64 `json:"size"`
	ModTime int64 `json:"mtime"`
	// Tail is the FNV-1a hash of the (up to) 64 bytes before Offset. A file
	// that no longer has them there was rewritten, or its inode reused, and
	// is read again from the start.
	Tail uint64 `json:"tail"`
	// Malformed counts the malformed lines in [0, Offset).
	Malformed int64 `json:"malformed"`
}

const (
	tailBytes  = 64
	readBuffer = 256 << 10
)

// file reads one JSONL transcript, name in dir (rel from the state dir),
// from its cursor.
func (st *scan) file(dir *os.Root, name, agent, rel string, rep *SourceReport) error {
	// Non-blocking: a FIFO swapped in after the listing must not hang us.
	f, err := dir.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s: not a regular file (%s)", rel, fi.Mode().Type())
	}
	id := fileID(fi)
	// A cursor updated earlier in this scan wins: the same inode under two
	// names (a hard link) is read once.
	cur, had := st.next.Files[id]
	if !had {
		cur, had = st.from.Files[id]
	}
	size, mtime := fi.Size(), fi.ModTime().UnixNano()
	if had && cur.Size == size && cur.ModTime == mtime {
		cur.Path = rel
		st.next.Files[id] = cur
		rep.Unchanged = true
		return nil
	}
	if had && (size < cur.Offset || !tailMatches(f, cur)) {
		rep.Restarted = true
		had = false
	}
	if !had {
		cur = FileCursor{}
	}
	next, err := st.readLines(f, agent, rel, cur, isArchiveName(path.Base(rel)), rep)
	if err != nil {
		var e emitError
		if errors.As(err, &e) {
			return err
		}
		// Keep the old position; the next scan tries again.
		if c, ok := st.from.Files[id]; ok {
			st.next.Files[id] = c
		}
		return err
	}
	next.Path, next.Size, next.ModTime = rel, size, mtime
	st.next.Files[id] = next
	return nil
}

func tailMatches(f *os.File, cur FileCursor) bool {
	h, err := tailHash(f, cur.Offset)
	return err == nil && h == cur.Tail
}

func tailHash(f *os.File, offset int64) (uint64, error) {
	start := max(0, offset-tailBytes)
	b := make([]byte, offset-start)
	if _, err := f.ReadAt(b, start); err != nil {
		return 0, err
	}
	h := fnv.New64a()
	h.Write(b)
	return h.Sum64(), nil
}

// readLines consumes the complete lines after cur.Offset.
func (st *scan) readLines(f *os.File, agent, rel string, cur FileCursor, archive bool, rep *SourceReport) (FileCursor, error) {
	if _, err := f.Seek(cur.Offset, io.SeekStart); err != nil {
		return cur, fmt.Errorf("seek: %w", err)
	}
	session := strings.SplitN(path.Base(rel), ".jsonl", 2)[0]
	br := bufio.NewReaderSize(f, readBuffer)
	offset := cur.Offset
	var (
		long     []byte // a line longer than the buffer, being assembled
		longSize int64  // its length, also once it exceeds MaxEventBytes
	)
	line := func(b []byte, n int64) error {
		start := offset
		offset += n
		if n > MaxEventBytes {
			cur.Malformed++
			rep.problem("byte %d: line of %d bytes exceeds %d", start, n, MaxEventBytes)
			return nil
		}
		if len(bytes.TrimSpace(b)) == 0 {
			return nil
		}
		ev, ok, err := ParseEvent(b)
		if err != nil {
			cur.Malformed++
			rep.problem("byte %d: %v", start, err)
			return nil
		}
		if !ok {
			return nil
		}
		if ev.Time.IsZero() {
			cur.Malformed++
			rep.problem("byte %d: usage record without a usable timestamp", start)
			return nil
		}
		r := Record{Event: ev, Agent: agent, Key: ev.ID, Kind: SourceJSONL, Source: rel, SessionID: session, Offset: start}
		if r.Key == "" {
			sum := sha256.Sum256(bytes.TrimSpace(b))
			r.Key = "line:" + hex.EncodeToString(sum[:16])
		}
		return st.send(r, rep)
	}
	for {
		chunk, err := br.ReadSlice('\n')
		switch {
		case err == nil:
			if long != nil || longSize > 0 {
				n := longSize + int64(len(chunk))
				if n <= MaxEventBytes {
					long = append(long, chunk...)
				}
				if err := line(long, n); err != nil {
					return cur, err
				}
				long, longSize = nil, 0
				continue
			}
			if err := line(chunk, int64(len(chunk))); err != nil {
				return cur, err
			}
		case errors.Is(err, bufio.ErrBufferFull):
			longSize += int64(len(chunk))
			if longSize <= MaxEventBytes {
				long = append(long, chunk...)
			} else {
				long = nil
			}
		case errors.Is(err, io.EOF):
			if archive && (len(chunk) > 0 || longSize > 0) {
				// An archive is closed: its last line is complete.
				n := longSize + int64(len(chunk))
				if n <= MaxEventBytes {
					long = append(long, chunk...)
				}
				if err := line(long, n); err != nil {
					return cur, err
				}
			}
			// Otherwise an unfinished line stays for the next scan.
			cur.Offset = offset
			h, err := tailHash(f, offset)
			if err != nil {
				return cur, fmt.Errorf("read: %w", err)
			}
			cur.Tail = h
			return cur, nil
		default:
			return cur, fmt.Errorf("read: %w", err)
		}
	}
}
