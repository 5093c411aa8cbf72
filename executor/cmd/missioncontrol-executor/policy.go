package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/policy"
)

func newPolicyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Lint and pin the executor policy",
	}
	cmd.AddCommand(newPolicyCheckCmd(), newPolicyPinCmd())
	return cmd
}

func newPolicyCheckCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "check FILE",
		Short: "Parse and validate a policy and verify its command pins against this host",
		Long: `Parse and validate a policy file, then hash every command it pins on this
host. Prints the revision when everything holds; otherwise fails listing every
problem with its position: syntax, unknown settings, invalid values, commands
that are not pinned, and pins that do not match the file on this host.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return policyCheck(cmd.OutOrStdout(), args[0], policy.HashFile)
		},
	}
}

func newPolicyPinCmd() *cobra.Command {
	var write bool
	cmd := &cobra.Command{
		Use:   "pin [--write] FILE",
		Short: "Set every command's sha256 to the file on this host",
		Long: `Hash every command the policy names on this host and set its sha256,
keeping comments and layout. Prints the pinned policy, or with --write replaces
FILE atomically (same directory, fsync, rename; mode and owner kept).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return policyPin(cmd.OutOrStdout(), args[0], write, policy.HashFile)
		},
	}
	cmd.Flags().BoolVar(&write, "write", false, "rewrite FILE in place instead of printing")
	return cmd
}

func policyCheck(out io.Writer, path string, hash func(string) (string, error)) error {
	p, err := policy.Load(path)
	if err != nil {
		return problems(path, err)
	}
	if err := p.Verify(hash); err != nil {
		return problems(path, err)
	}
	_, err = fmt.Fprintf(out, "policy %s: ok (revision %s, %d commands pinned)\n", path, p.Revision(), len(p.Pins()))
	return err
}

func policyPin(out io.Writer, path string, write bool, hash func(string) (string, error)) error {
	src, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read policy: %w", err)
	}
	pinned, err := policy.Pin(src, path, hash)
	if err != nil {
		return problems(path, err)
	}
	if !write {
		_, err := out.Write(pinned)
		return err
	}
	if err := writeFileAtomic(path, pinned); err != nil {
		return err
	}
	p, err := policy.Parse(pinned, path)
	if err != nil {
		return err // Pin parsed the same bytes; cannot happen
	}
	_, err = fmt.Fprintf(out, "policy %s: pinned %d commands (revision %s)\n", path, len(p.Pins()), p.Revision())
	return err
}

// problemsError lists several problems of one file, one per line.
type problemsError struct {
	path string
	errs []error
}

func (e *problemsError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "policy %s: %d problems:", e.path, len(e.errs))
	for _, err := range e.errs {
		b.WriteString("\n  " + err.Error())
	}
	return b.String()
}

func (e *problemsError) Unwrap() []error { return e.errs }

// problems returns err itself when it is a single problem (it already names
// the file), or a *problemsError that counts and lists them.
func problems(path string, err error) error {
	var joined interface{ Unwrap() []error }
	if !errors.As(err, &joined) || len(joined.Unwrap()) < 2 {
		return err
	}
	return &problemsError{path: path, errs: joined.Unwrap()}
}

// writeFileAtomic replaces the file at path (following symlinks, so a link
// stays a link) with data: a temp file in the same directory with the old
// file's mode and owner, fsync, rename, fsync of the directory.
func writeFileAtomic(path string, data []byte) (err error) {
	target, err := filepath.EvalSymlinks(path)
	if err != nil {
		return fmt.Errorf("write policy: %w", err)
	}
	fi, err := os.Stat(target)
	if err != nil {
		return fmt.Errorf("write policy: %w", err)
	}
	dir := filepath.Dir(target)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(target)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write policy: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("write policy: %w", err)
	}
	if err := tmp.Chmod(fi.Mode().Perm()); err != nil {
		return fmt.Errorf("chmod policy: %w", err)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && (int(st.Uid) != os.Geteuid() || int(st.Gid) != os.Getegid()) {
		if err := tmp.Chown(int(st.Uid), int(st.Gid)); err != nil {
			return fmt.Errorf("chown policy: %w", err)
		}
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("sync policy: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write policy: %w", err)
	}
	if err := os.Rename(tmp.Name(), target); err != nil {
		return fmt.Errorf("rename policy: %w", err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync policy dir: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync policy dir: %w", err)
	}
	return nil
}
