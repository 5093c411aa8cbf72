package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

// ListJobs returns jobs newest first (of tenant, or all when ""), at most
// limit (the executor's default when 0).
func (c *Client) ListJobs(ctx context.Context, tenant string, limit int) ([]api.Job, error) {
	q := url.Values{}
	if tenant != "" {
		q.Set("tenant", tenant)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	p := api.PathJobs
	if len(q) > 0 {
		p += "?" + q.Encode()
	}
	var out api.JobList
	if err := c.do(ctx, http.MethodGet, p, nil, &out); err != nil {
		return nil, err
	}
	return out.Jobs, nil
}

// ApproveJob gives approval tokens to a job awaiting approval (needs a key
// with role approve). The job runs once it has the approvals its policy
// asks for.
func (c *Client) ApproveJob(ctx context.Context, id string, tokens []string) (*api.Job, error) {
	return c.jobAction(ctx, id, "approve", api.ApproveRequest{Approvals: tokens})
}

// RejectJob rejects a job awaiting approval (role approve).
func (c *Client) RejectJob(ctx context.Context, id, reason string) (*api.Job, error) {
	return c.jobAction(ctx, id, "reject", api.RejectRequest{Reason: reason})
}

// CancelJob cancels a job before it runs, or asks a running one to stop at
// its next step boundary (role apply or approve).
func (c *Client) CancelJob(ctx context.Context, id, reason string) (*api.Job, error) {
	return c.jobAction(ctx, id, "cancel", api.CancelRequest{Reason: reason})
}

// RetryJob re-plans a failed job and runs it as a new job (role apply); it
// needs approvals again only if the digest changed.
func (c *Client) RetryJob(ctx context.Context, id string) (*api.Job, error) {
	return c.jobAction(ctx, id, "retry", struct{}{})
}

func (c *Client) jobAction(ctx context.Context, id, action string, in any) (*api.Job, error) {
	var out api.Job
	if err := c.do(ctx, http.MethodPost, api.PathJobs+"/"+url.PathEscape(id)+"/"+action, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
