package steps

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

// Commands are the absolute paths of the host tools the actions run.
type Commands struct {
	Groupadd, Useradd, Usermod, Userdel, Groupdel, Systemctl, Visudo, Tar string
}

// Host is the machine the actions observe and change.
type Host struct {
	Runner   Runner
	Commands Commands
	// PasswdFile, GroupFile and ShadowFile default to /etc/passwd,
	// /etc/group and /etc/shadow.
	PasswdFile, GroupFile, ShadowFile string
	// Random fills secrets; crypto/rand when nil.
	Random func([]byte) error
	// Units, when set, answers the read-only unit observations
	// (UnitStates, UnitFreshness) in-process, e.g. a SystemdBus; nil, or a
	// failed read, runs `systemctl show` through Runner. Actions always
	// run systemctl.
	Units UnitReader

	// unitBatch shares one systemctl show among concurrent UnitStates.
	unitBatch unitBatch
	// accounts serializes the account tools of concurrent jobs. They lock
	// /etc/passwd, /etc/group and their shadows and, finding them locked,
	// sleep a whole second before trying again: ten tenants bootstrapped
	// at once spent 8 s per useradd that way instead of 25 ms.
	accounts sync.Mutex
}

// lockAccounts takes h's account lock when argv runs an account tool and
// returns its release (a no-op otherwise).
func (h *Host) lockAccounts(argv []string) func() {
	c := h.Commands
	if argv[0] != "" && slices.Contains([]string{c.Groupadd, c.Useradd, c.Usermod, c.Userdel, c.Groupdel}, argv[0]) {
		h.accounts.Lock()
		return h.accounts.Unlock
	}
	return func() {}
}

// Account is one line of /etc/passwd or /etc/group.
type Account struct {
	Name  string
	ID    int // uid or gid
	GID   int // primary gid (users only)
	Home  string
	Shell string
}

func (h *Host) passwdFile() string {
	if h.PasswdFile != "" {
		return h.PasswdFile
	}
	return "/etc/passwd"
}

func (h *Host) groupFile() string {
	if h.GroupFile != "" {
		return h.GroupFile
	}
	return "/etc/group"
}

// Users reads the user database.
func (h *Host) Users() ([]Account, error) { return readAccounts(h.passwdFile(), true) }

// Groups reads the group database.
func (h *Host) Groups() ([]Account, error) { return readAccounts(h.groupFile(), false) }

func readAccounts(path string, users bool) ([]Account, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	var out []Account
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Split(sc.Text(), ":")
		if len(f) < 3 || strings.HasPrefix(f[0], "#") {
			continue
		}
		id, err := strconv.Atoi(f[2])
		if err != nil {
			continue
		}
		a := Account{Name: f[0], ID: id}
		if users && len(f) >= 7 {
			a.GID, _ = strconv.Atoi(f[3])
			a.Home, a.Shell = f[5], f[6]
		}
		out = append(out, a)
	}
	return out, nil
}

// Lookup finds an account by name.
func Lookup(accts []Account, name string) (Account, bool) {
	for _, a := range accts {
		if a.Name == name {
			return a, true
		}
	}
	return Account{}, false
}

// LookupID finds an account by id.
func LookupID(accts []Account, id int) (Account, bool) {
	for _, a := range accts {
		if a.ID == id {
			return a, true
		}
	}
	return Account{}, false
}

// PathState is what Lstat and a read found at a path.
type PathState struct {
	Exists  bool
	Type    fs.FileMode // fs.ModeDir, fs.ModeSymlink, 0 for a regular file
	UID     int
	GID     int
	Mode    fs.FileMode // permission bits
	SHA256  string      // hex, regular files only
	Content []byte      // regular files up to maxObservedFile
}

const maxObservedFile = 1 << 20

// Anchor is a trusted directory (root-owned, not writable by tenants) and a
// path relative to it. Operations resolve the path inside the anchor and
// refuse any symlink that would lead out of it.
type Anchor struct {
	Base string // absolute, trusted
	Rel  string // relative, clean, non-empty
}

// Path is the absolute path the anchor names.
func (a Anchor) Path() string { return filepath.Join(a.Base, a.Rel) }

// ErrSymlink is returned when an action finds a symlink where it manages a
// real file or directory.
var ErrSymlink = errors.New("refusing to follow a symlink")

func (a Anchor) open() (*os.Root, error) {
	if !filepath.IsAbs(a.Base) || a.Rel == "" || filepath.IsAbs(a.Rel) || filepath.Clean(a.Rel) != a.Rel ||
		strings.HasPrefix(a.Rel, "..") {
		return nil, fmt.Errorf("bad anchor %q + %q", a.Base, a.Rel)
	}
	r, err := os.OpenRoot(a.Base)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", a.Base, err)
	}
	return r, nil
}

// Stat observes the anchored path without following a final symlink.
// A path whose parent does not exist yet is reported as not existing.
func Stat(a Anchor) (PathState, error) {
	r, err := a.open()
	if errors.Is(err, fs.ErrNotExist) {
		return PathState{}, nil
	}
	if err != nil {
		return PathState{}, err
	}
	defer r.Close()
	fi, err := r.Lstat(a.Rel)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return PathState{}, nil
	}
	if err != nil {
		return PathState{}, fmt.Errorf("stat %s: %w", a.Path(), err)
	}
	st := PathState{Exists: true, Type: fi.Mode().Type(), Mode: fi.Mode().Perm()}
	if sys, ok := fi.Sys().(*syscall.Stat_t); ok {
		st.UID, st.GID = int(sys.Uid), int(sys.Gid)
	}
	if fi.Mode().IsRegular() && fi.Size() <= maxObservedFile {
		b, err := r.ReadFile(a.Rel)
		if err != nil {
			return PathState{}, fmt.Errorf("read %s: %w", a.Path(), err)
		}
		st.Content = b
		st.SHA256 = SHA256(b)
	}
	return st, nil
}

// SHA256 is the hex digest of b.
func SHA256(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// UnitStates asks systemd about units in one call: h.Units when set, else
// (or when that read fails) `systemctl show`.
func (h *Host) UnitStates(ctx context.Context, units ...string) (map[string]api.UnitState, error) {
	out := map[string]api.UnitState{}
	if len(units) == 0 {
		return out, nil
	}
	if cached, ok := cachedUnitStates(ctx, units); ok {
		return cached, nil
	}
	if h.Units != nil {
		// No batching: it pays for a systemctl process, while pipelined
		// D-Bus calls cost less than waiting for another caller's batch.
		bctx, cancel := context.WithTimeout(ctx, busReadTimeout(len(units)))
		states, err := h.Units.ReadUnits(bctx, units)
		cancel()
		if err == nil || ctx.Err() != nil {
			return states, err
		}
	}
	return h.unitBatch.states(ctx, units, h.showUnits)
}

// showUnits runs one `systemctl show` of units.
func (h *Host) showUnits(ctx context.Context, units []string) (map[string]api.UnitState, error) {
	out := map[string]api.UnitState{}
	argv := append([]string{h.Commands.Systemctl, "show", "--property=Id,LoadState,ActiveState,SubState,UnitFileState,NRestarts,MainPID", "--"}, units...)
	res, err := h.Runner.Run(ctx, argv)
	if err != nil {
		return nil, fmt.Errorf("systemctl show: %w", err)
	}
	if res.ExitCode != 0 {
		return nil, fmt.Errorf("systemctl show: exit %d: %s", res.ExitCode, bytes.TrimSpace(res.Stderr))
	}
	// Blocks are separated by blank lines and come in argument order.
	i := 0
	for _, block := range strings.Split(strings.TrimSpace(string(res.Stdout)), "\n\n") {
		if i >= len(units) {
			break
		}
		st := api.UnitState{Unit: units[i]}
		for _, line := range strings.Split(block, "\n") {
			k, v, _ := strings.Cut(line, "=")
			switch k {
			case "LoadState":
				st.LoadState = v
			case "ActiveState":
				st.ActiveState = v
			case "SubState":
				st.SubState = v
			case "UnitFileState":
				st.Enabled = v
			case "NRestarts":
				st.NRestarts, _ = strconv.Atoi(v)
			case "MainPID":
				st.MainPID, _ = strconv.Atoi(v)
			}
		}
		out[units[i]] = st
		i++
	}
	return out, nil
}
