package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

// ListArchives returns the tenant archives the executor recorded, newest
// first; tenant "" lists all.
func (c *Client) ListArchives(ctx context.Context, tenant string) ([]api.Archive, error) {
	path := api.PathArchives
	if tenant != "" {
		path += "?tenant=" + url.QueryEscape(tenant)
	}
	var out api.ArchiveList
	if err := c.do(ctx, http.MethodGet, path, nil, &out); err != nil {
		return nil, err
	}
	return out.Archives, nil
}
