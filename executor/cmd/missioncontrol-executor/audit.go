package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/audit"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/store"
)

func newAuditCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Inspect the tamper-evident audit log",
	}
	cmd.AddCommand(newAuditListCmd())
	cmd.AddCommand(newAuditVerifyCmd())
	return cmd
}

// auditVerifyOptions are the flags of audit verify.
type auditVerifyOptions struct {
	db   string
	json bool
}

func newAuditVerifyCmd() *cobra.Command {
	var opts auditVerifyOptions
	cmd := &cobra.Command{
		Use:   "verify [--db PATH] [--json]",
		Short: "Check the audit log's hash chain and head",
		Long: `Read the whole audit log from the executor's database, without changing it,
and check every record's hash, the links between records, the sequence numbers
and the head anchor. Prints the number of records when the chain is intact;
otherwise fails naming the first record that was altered, removed or
reordered. With --json, prints the report as one JSON object in both cases,
including the head hash to keep elsewhere as an external anchor.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path, err := auditDBPath(opts)
			if err != nil {
				return err
			}
			return auditVerify(cmd.Context(), cmd.OutOrStdout(), path, opts.json)
		},
	}
	cmd.Flags().StringVar(&opts.db, "db", store.DefaultPath, "the executor's SQLite database")
	cmd.Flags().BoolVar(&opts.json, "json", false, "print the report as JSON")
	return cmd
}

// auditDBPath resolves the database to verify. This is the seam for a later
// --config FILE flag: load the executor config (config.Load) and use its
// DBPath() unless --db was given explicitly.
func auditDBPath(opts auditVerifyOptions) (string, error) {
	return opts.db, nil
}

// auditVerify verifies the log in the database at path and reports to out.
// A broken chain is an error ("audit chain broken at record N: reason"), so
// the command exits 1; with asJSON the report is printed first either way.
func auditVerify(ctx context.Context, out io.Writer, path string, asJSON bool) error {
	if ctx == nil {
		ctx = context.Background()
	}
	s, err := store.OpenReadOnly(path)
	if err != nil {
		return err
	}
	defer s.Close()
	rep, err := audit.Verify(ctx, s.DB())
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(out)
		if err := enc.Encode(struct {
			DB string `json:"db"`
			audit.Report
		}{path, rep}); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
	}
	if !rep.OK {
		return fmt.Errorf("audit chain broken at record %d: %s", rep.FirstBad, rep.Reason)
	}
	if !asJSON {
		fmt.Fprintf(out, "audit: %d records, chain intact\n", rep.Records)
	}
	return nil
}
