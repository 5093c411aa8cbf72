package client

import (
	"context"
	"net/http"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

// Usage returns the model usage the executor ingested, filtered and grouped
// as q says. An invalid query comes back as *api.Error with code
// invalid_request and Field naming the parameter.
func (c *Client) Usage(ctx context.Context, q api.UsageQuery) (*api.UsageReport, error) {
	p := api.PathUsage
	if v := q.Values().Encode(); v != "" {
		p += "?" + v
	}
	var out api.UsageReport
	if err := c.do(ctx, http.MethodGet, p, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
