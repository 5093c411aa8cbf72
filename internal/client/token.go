package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

// GatewayToken returns a tenant's gateway token and address. The executor
// audits every such read.
func (c *Client) GatewayToken(ctx context.Context, tenant string) (*api.GatewayToken, error) {
	var out api.GatewayToken
	if err := c.do(ctx, http.MethodGet, api.GatewayTokenPath(url.PathEscape(tenant)), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
