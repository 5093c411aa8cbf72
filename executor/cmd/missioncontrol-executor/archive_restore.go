package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/client"
)

// newArchiveJobCmd builds `archive restore` and `archive purge`: both are
// ordinary plans run by the executor as audited, policy-checked jobs that
// need the approvals the tenant's environment needs.
func newArchiveJobCmd(action api.Action, short string) *cobra.Command {
	var f apiFlags
	var approvals []string
	cmd := &cobra.Command{
		Use:   string(action) + " ARCHIVE --key FILE",
		Short: short,
		Long: short + ".\n\nARCHIVE is the archive's path or file name as `archive list` shows it. The executor " +
			"plans the change, checks it against its policy and runs it as a job; the plan's steps are printed first. " +
			"A job that needs approvals waits for them (`approve --digest D` makes a token to pass with --approval, " +
			"or approve the waiting job).",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			return archiveJob(cmd.Context(), cmd.OutOrStdout(), c, action, args[0], approvals)
		},
	}
	f.register(cmd, "private key with role apply (required)")
	cmd.Flags().StringArrayVar(&approvals, "approval", nil, "an approval token for the plan's digest (repeatable)")
	return cmd
}

// archiveJob plans action on the archive id, submits the plan and waits for
// its job. Outcomes: nil once the job succeeded or awaits approvals (said
// on out); an error for a refused plan or a job that did not succeed.
func archiveJob(ctx context.Context, out io.Writer, c *client.Client, action api.Action, id string, approvals []string) error {
	list, err := c.ListArchives(ctx, "")
	if err != nil {
		return err
	}
	tenant := ""
	for _, a := range list {
		if a.Path == id || filepath.Base(a.Path) == id {
			tenant = a.Tenant
		}
	}
	if tenant == "" {
		return fmt.Errorf("no archive %q is recorded on this host; `missioncontrol-executor archive list` shows the recorded ones", id)
	}
	req := api.PlanRequest{Tenant: tenant, Changes: []api.Change{{Kind: api.ObjectTenant, Action: action, Archive: id}}}
	p, err := c.Plan(ctx, req)
	if err != nil {
		return fmt.Errorf("plan %s of archive %s: %w", action, id, err)
	}
	fmt.Fprintf(out, "%s tenant %s from %s: %d steps, digest %s\n", action, tenant, id, len(p.Steps), p.Digest)
	for i, s := range p.Steps {
		fmt.Fprintf(out, "  %2d. %s\n", i+1, s.Summary)
	}
	j, err := c.SubmitJob(ctx, api.SubmitRequest{PlanRequest: req, Digest: p.Digest, Approvals: approvals})
	if err != nil {
		return fmt.Errorf("submit %s of archive %s: %w", action, id, err)
	}
	if j.State == api.JobAwaitingApproval {
		fmt.Fprintf(out, "job %s awaits %d approvals of digest %s\n", j.ID, j.RequiredApprovals-len(j.Approvals), p.Digest)
		return nil
	}
	j, err = c.WaitJob(ctx, j.ID, nil)
	if err != nil {
		return err
	}
	if j.State != api.JobSucceeded {
		return fmt.Errorf("job %s %s: %s", j.ID, j.State, strings.TrimSpace(j.Error))
	}
	fmt.Fprintf(out, "job %s succeeded\n", j.ID)
	return nil
}
