package steps

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"
)

// FileHashes remembers the sha256 of files by their identity: device,
// inode, size, mtime and ctime. Any write, truncation, chmod or rename over
// a file changes its ctime, which only the kernel sets, so a changed file is
// hashed again. The runner uses it for pinned commands, the planner for the
// gateway's files (a 120 MB node binary). A nil *FileHashes hashes every
// time.
type FileHashes struct {
	mu   sync.Mutex
	sums map[fileID]string
}

type fileID struct {
	dev, ino     uint64
	size         int64
	mtime, ctime int64
}

func identify(f *os.File) (fileID, bool) {
	fi, err := f.Stat()
	if err != nil {
		return fileID{}, false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileID{}, false
	}
	return fileID{dev: st.Dev, ino: st.Ino, size: st.Size, mtime: st.Mtim.Nano(), ctime: st.Ctim.Nano()}, true
}

// Sum returns the sha256 (hex) of the regular file at path, following
// symlinks as exec does.
func (c *FileHashes) Sum(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("hash: %w", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return "", fmt.Errorf("hash: %s is not a regular file", path)
	}
	return c.SumOpen(f)
}

// SumOpen returns the sha256 (hex) of the open file f, read from its
// current offset (the start, for a file just opened).
func (c *FileHashes) SumOpen(f *os.File) (string, error) {
	id, known := identify(f)
	if c != nil && known {
		c.mu.Lock()
		sum, hit := c.sums[id]
		c.mu.Unlock()
		if hit {
			return sum, nil
		}
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash %s: %w", f.Name(), err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if after, ok := identify(f); c != nil && known && ok && after == id { // unchanged while read
		c.mu.Lock()
		if c.sums == nil {
			c.sums = map[fileID]string{}
		}
		c.sums[id] = sum
		c.mu.Unlock()
	}
	return sum, nil
}
