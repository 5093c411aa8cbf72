package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/config"
)

func newApproveCmd() *cobra.Command {
	var f apiFlags
	var digest, host, cfgPath string
	var expires time.Duration
	cmd := &cobra.Command{
		Use:   "approve [JOB] --key FILE",
		Short: "Approve a plan digest (prints a token) or a job awaiting approval",
		Long: "With --digest, signs an approval of that plan digest offline and prints the token, for the provider's\n" +
			"approvals (or MISSIONCONTROL_APPROVALS). The host id comes from --host, else from the executor config\n" +
			"(--config) or /etc/machine-id.\n\n" +
			"With JOB, gives the approval to that job awaiting approval through the executor's socket; the job\n" +
			"runs once it has the approvals its policy asks for.\n\n" +
			"The key must have role approve on the host, and it never counts for a job it submitted.",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			key, err := loadKey(f.key)
			if err != nil {
				return err
			}
			signer := api.Signer{Key: key}
			switch {
			case len(args) == 1 && digest != "":
				return errors.New("give either JOB or --digest, not both")
			case len(args) == 0 && digest == "":
				return errors.New("give JOB (approve a waiting job) or --digest D (print a token)")
			case len(args) == 0:
				if !strings.HasPrefix(digest, "sha256:") || len(digest) != len("sha256:")+64 {
					return fmt.Errorf("--digest %q is not a plan digest (sha256:<64 hex>)", digest)
				}
				if host == "" {
					cfg, err := config.Load(cfgPath)
					if err != nil {
						return fmt.Errorf("find the host id (or pass --host): %w", err)
					}
					if host, err = cfg.ResolveHostID(config.MachineIDPath); err != nil {
						return err
					}
				}
				tok, err := signer.Approve(digest, host, time.Now().Add(expires))
				if err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), tok)
				return nil
			}
			c, err := f.client()
			if err != nil {
				return err
			}
			job, err := c.GetJob(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			hostID, err := c.HostID(cmd.Context())
			if err != nil {
				return err
			}
			tok, err := signer.Approve(job.Digest, hostID, time.Now().Add(expires))
			if err != nil {
				return err
			}
			job, err = c.ApproveJob(cmd.Context(), job.ID, []string{tok})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "job %s is %s (%d of %d approvals)\n", job.ID, job.State, len(job.Approvals), job.RequiredApprovals)
			return nil
		},
	}
	f.register(cmd, "private key with role approve (required)")
	cmd.Flags().StringVar(&digest, "digest", "", "plan digest to approve offline (prints a token)")
	cmd.Flags().StringVar(&host, "host", "", "host id the token is for (with --digest)")
	cmd.Flags().StringVar(&cfgPath, "config", "/etc/missioncontrol/executor.hcl", "executor config to read host_id from (with --digest, when --host is not set)")
	cmd.Flags().DurationVar(&expires, "expires", 24*time.Hour, "how long the approval stays valid")
	return cmd
}
