package main

import (
	"encoding/json"

	"github.com/spf13/cobra"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/audit"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/store"
)

func newAuditListCmd() *cobra.Command {
	var db, typ string
	var after int64
	var limit int
	cmd := &cobra.Command{
		Use:   "list [--db PATH] [--type TYPE] [--after SEQ] [--limit N]",
		Short: "Print audit records as JSON lines, oldest first",
		Long: "Reads the audit log without changing or verifying it (audit verify checks the chain) and prints one\n" +
			"JSON object per record: seq, time, type (request, denial, approval, step, result, ...), actor, tenant,\n" +
			"job_id, rule, outcome and data.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := store.OpenReadOnly(db)
			if err != nil {
				return err
			}
			defer s.Close()
			recs, err := audit.List(cmd.Context(), s.DB(), after, typ, limit)
			if err != nil {
				return err
			}
			enc := json.NewEncoder(cmd.OutOrStdout())
			for _, r := range recs {
				if err := enc.Encode(r); err != nil {
					return err
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&db, "db", store.DefaultPath, "the executor's SQLite database")
	cmd.Flags().StringVar(&typ, "type", "", "only records of this type")
	cmd.Flags().Int64Var(&after, "after", 0, "only records after this seq")
	cmd.Flags().IntVar(&limit, "limit", 0, "at most this many records (0: all)")
	return cmd
}
