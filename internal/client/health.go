package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

// TenantHealth returns the gateway health of a registered tenant: status,
// last probe, availability per window and incidents. A tenant the host does
// not know comes back as *api.Error with code not_found.
func (c *Client) TenantHealth(ctx context.Context, name string) (*api.TenantHealth, error) {
	var out api.TenantHealth
	if err := c.do(ctx, http.MethodGet, api.TenantHealthPath(url.PathEscape(name)), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Host returns the executor's summary of its host: version, host id,
// policy revision, tenant count, free gateway ports and disk use.
func (c *Client) Host(ctx context.Context) (*api.Host, error) {
	var out api.Host
	if err := c.do(ctx, http.MethodGet, api.PathHost, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
