package api

// RouteGetGatewayToken returns a tenant's gateway token. It is the only route
// that answers with a secret; every read is audited.
const RouteGetGatewayToken = "GET /v1/tenants/{name}/gateway-token"

// GatewayTokenPath is the client path of a tenant's gateway token.
func GatewayTokenPath(tenant string) string { return PathTenants + "/" + tenant + "/gateway-token" }

// GatewayToken is what a client needs to call a tenant's gateway.
type GatewayToken struct {
	Tenant string `json:"tenant"`
	Token  string `json:"token"`
	Port   int    `json:"port"`
	// URL is the gateway's base URL on the tenant's host (loopback).
	URL string `json:"url"`
}
