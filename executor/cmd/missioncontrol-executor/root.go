package main

import "github.com/spf13/cobra"

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "missioncontrol-executor",
		Short:         "Plan, approve and run tenant changes on this host",
		Version:       version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	// One constructor per command file; keep this list sorted.
	root.AddCommand(newApproveCmd())
	root.AddCommand(newArchiveCmd())
	root.AddCommand(newAuditCmd())
	root.AddCommand(newCancelCmd())
	root.AddCommand(newJobsCmd())
	root.AddCommand(newKeygenCmd())
	root.AddCommand(newPolicyCmd())
	root.AddCommand(newRejectCmd())
	root.AddCommand(newRetryCmd())
	root.AddCommand(newServeCmd())
	root.AddCommand(newUnitCmd())
	root.AddCommand(newUsageCmd())
	return root
}
