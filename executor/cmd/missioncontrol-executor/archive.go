package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/store"
)

func newArchiveCmd() *cobra.Command {
	var db string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "archive",
		Short: "List, verify, restore and purge the archives decommissioned tenants left",
	}
	cmd.PersistentFlags().StringVar(&db, "db", store.DefaultPath, "the executor's SQLite database")
	list := &cobra.Command{
		Use:   "list [TENANT]",
		Short: "List recorded archives, newest first",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			tenant := ""
			if len(args) == 1 {
				tenant = args[0]
			}
			return archiveList(cmd.Context(), cmd.OutOrStdout(), db, tenant, asJSON)
		},
	}
	list.Flags().BoolVar(&asJSON, "json", false, "print JSON lines")
	verify := &cobra.Command{
		Use:   "verify [TENANT]",
		Short: "Check that every recorded archive exists, hashes to its recorded sha256 and reads back with tar",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			tenant := ""
			if len(args) == 1 {
				tenant = args[0]
			}
			return archiveVerify(cmd.Context(), cmd.OutOrStdout(), db, tenant)
		},
	}
	cmd.AddCommand(list, verify,
		newArchiveJobCmd(api.ActionRestore, "Recreate a decommissioned tenant from its archive, with the same uid and its files"),
		newArchiveJobCmd(api.ActionPurge, "Delete an archive of a decommissioned tenant; its uid is freed with its last archive"))
	return cmd
}

func archives(ctx context.Context, db, tenant string) ([]store.ArchiveRecord, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	s, err := store.OpenReadOnly(db)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	return s.ListArchives(ctx, tenant)
}

func archiveList(ctx context.Context, out io.Writer, db, tenant string, asJSON bool) error {
	list, err := archives(ctx, db, tenant)
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(out)
		for _, a := range list {
			if err := enc.Encode(map[string]any{"path": a.Path, "tenant": a.Tenant, "sha256": a.SHA256, "size": a.Size,
				"job_id": a.JobID, "uid": a.Allocation.UID, "created_at": a.CreatedAt.UTC()}); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TENANT\tUID\tCREATED\tSIZE\tSHA256\tPATH")
	for _, a := range list {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%s\t%s\n", a.Tenant, a.Allocation.UID, a.CreatedAt.UTC().Format("2006-01-02 15:04:05"), a.Size, a.SHA256, a.Path)
	}
	return tw.Flush()
}

// tarPath is the tar that reads archives back (the same one the executor
// wrote them with by default).
const tarPath = "/usr/bin/tar"

// archiveVerify checks each archive and fails naming every bad one.
func archiveVerify(ctx context.Context, out io.Writer, db, tenant string) error {
	list, err := archives(ctx, db, tenant)
	if err != nil {
		return err
	}
	var bad []error
	for _, a := range list {
		if err := verifyArchive(a); err != nil {
			bad = append(bad, fmt.Errorf("%s: %w", a.Path, err))
			continue
		}
		fmt.Fprintf(out, "ok  %s (tenant %s, sha256 %s)\n", a.Path, a.Tenant, a.SHA256)
	}
	if len(bad) > 0 {
		return fmt.Errorf("%d of %d archives failed verification:\n%w", len(bad), len(list), errors.Join(bad...))
	}
	fmt.Fprintf(out, "%d archives verified\n", len(list))
	return nil
}

func verifyArchive(a store.ArchiveRecord) error {
	f, err := os.Open(a.Path)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return fmt.Errorf("read: %w", err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != a.SHA256 {
		return fmt.Errorf("sha256 %s, recorded %s", got, a.SHA256)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(tarPath, "--list", "--gzip", "--file", a.Path)
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("tar cannot read it back: %w: %s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	return nil
}
