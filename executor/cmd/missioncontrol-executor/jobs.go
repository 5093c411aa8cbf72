package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/client"
)

// apiFlags are the flags of commands that talk to a running executor.
type apiFlags struct {
	socket string
	key    string
}

func (f *apiFlags) register(cmd *cobra.Command, keyHelp string) {
	cmd.Flags().StringVar(&f.socket, "socket", "/run/missioncontrol/executor.sock", "the executor's unix socket")
	if keyHelp != "" {
		cmd.Flags().StringVar(&f.key, "key", "", keyHelp)
	}
}

// client connects to the executor, signing with --key when given.
func (f *apiFlags) client() (*client.Client, error) {
	cfg := client.Config{Endpoint: "unix://" + f.socket, UserAgent: "missioncontrol-executor/" + version}
	if f.key != "" {
		k, err := loadKey(f.key)
		if err != nil {
			return nil, err
		}
		cfg.SigningKey = k
	}
	return client.New(cfg)
}

func newJobsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "jobs", Short: "List and show the executor's jobs"}
	var f apiFlags
	var tenant string
	var limit int
	var asJSON bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List jobs, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			jobs, err := c.ListJobs(cmd.Context(), tenant, limit)
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				for _, j := range jobs {
					if err := enc.Encode(j); err != nil {
						return err
					}
				}
				return nil
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tTENANT\tSTATE\tAPPROVALS\tSTEPS\tCREATED\tDIGEST")
			for _, j := range jobs {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d/%d\t%d\t%s\t%s\n", j.ID, j.Tenant, j.State, len(j.Approvals), j.RequiredApprovals,
					len(j.Steps), j.CreatedAt.UTC().Format(time.RFC3339), j.Digest)
			}
			return tw.Flush()
		},
	}
	f.register(list, "") // reads need no key
	list.Flags().StringVar(&tenant, "tenant", "", "only jobs of this tenant")
	list.Flags().IntVar(&limit, "limit", 50, "at most this many jobs")
	list.Flags().BoolVar(&asJSON, "json", false, "print JSON lines")

	var sf apiFlags
	var showJSON bool
	show := &cobra.Command{
		Use:   "show JOB",
		Short: "Show a job with its steps, approvals and events",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := sf.client()
			if err != nil {
				return err
			}
			j, err := c.GetJob(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if showJSON {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(j)
			}
			printJob(cmd.OutOrStdout(), j)
			return nil
		},
	}
	sf.register(show, "")
	show.Flags().BoolVar(&showJSON, "json", false, "print JSON")
	cmd.AddCommand(list, show)
	return cmd
}

func printJob(w io.Writer, j *api.Job) {
	fmt.Fprintf(w, "job        %s\ntenant     %s\nstate      %s\ndigest     %s\n", j.ID, j.Tenant, j.State, j.Digest)
	if j.Error != "" {
		fmt.Fprintf(w, "error      %s\n", j.Error)
	}
	if j.RetryOf != "" {
		fmt.Fprintf(w, "retry of   %s\n", j.RetryOf)
	}
	if j.Submitter != "" {
		fmt.Fprintf(w, "submitter  %s\n", j.Submitter)
	}
	names := make([]string, len(j.Approvals))
	for i, a := range j.Approvals {
		names[i] = a.Name + " (" + a.KeyID + ")"
	}
	fmt.Fprintf(w, "approvals  %d of %d: %s\n", len(j.Approvals), j.RequiredApprovals, strings.Join(names, ", "))
	if j.State == api.JobAwaitingApproval {
		fmt.Fprintf(w, "expires    %s\n", j.ApprovalDeadline.UTC().Format(time.RFC3339))
	}
	fmt.Fprintln(w, "steps:")
	for i, s := range j.Steps {
		fmt.Fprintf(w, "  %2d. %s\n", i+1, s.Summary)
	}
	fmt.Fprintln(w, "events:")
	for _, ev := range j.Events {
		fmt.Fprintf(w, "  %s %-12s %s\n", ev.Time.UTC().Format(time.RFC3339), ev.Type, ev.Message)
	}
}

// newJobActionCmd builds approve-less job commands: reject, cancel, retry.
func newJobActionCmd(use, short, keyHelp string, run func(ctx context.Context, c *client.Client, id, reason string) (*api.Job, error)) *cobra.Command {
	var f apiFlags
	var reason string
	cmd := &cobra.Command{
		Use:   use + " JOB --key FILE",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			j, err := run(cmd.Context(), c, args[0], reason)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "job %s is %s\n", j.ID, j.State)
			return nil
		},
	}
	f.register(cmd, keyHelp)
	if use != "retry" {
		cmd.Flags().StringVar(&reason, "reason", "", "why, for the audit log")
	}
	return cmd
}

func newRejectCmd() *cobra.Command {
	return newJobActionCmd("reject", "Reject a job awaiting approval", "private key with role approve (required)",
		func(ctx context.Context, c *client.Client, id, reason string) (*api.Job, error) {
			return c.RejectJob(ctx, id, reason)
		})
}

func newCancelCmd() *cobra.Command {
	return newJobActionCmd("cancel", "Cancel a job before it runs, or stop a running one at its next step boundary",
		"private key with role apply or approve (required)",
		func(ctx context.Context, c *client.Client, id, reason string) (*api.Job, error) {
			return c.CancelJob(ctx, id, reason)
		})
}

func newRetryCmd() *cobra.Command {
	return newJobActionCmd("retry", "Re-plan a failed job and run it as a new job (approvals again only if the digest changed)",
		"private key with role apply (required)",
		func(ctx context.Context, c *client.Client, id, _ string) (*api.Job, error) {
			return c.RetryJob(ctx, id)
		})
}
