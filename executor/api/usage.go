package api

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
)

// RouteUsage answers rolled-up model usage: GET /v1/usage?tenant=&from=&to=
// &agent=&model=&group_by=day,agent,model -> UsageReport.
const (
	RouteUsage = "GET /v1/usage"
	PathUsage  = "/v1/usage"
)

// UsageDayLayout is the form of UsageQuery.From and To and UsageRow.Day: a
// UTC calendar day.
const UsageDayLayout = "2006-01-02"

// Group-by keys of a usage query.
const (
	UsageByTenant = "tenant"
	UsageByDay    = "day"
	UsageByAgent  = "agent"
	UsageByModel  = "model" // the provider and the model
)

// UsageGroupKeys are the valid group_by values, in the order rows are sorted.
var UsageGroupKeys = []string{UsageByTenant, UsageByDay, UsageByAgent, UsageByModel}

// UsageQuery selects and groups usage rollups. Every filter is optional;
// empty means all. From and To are UTC days (UsageDayLayout), both
// inclusive. GroupBy lists any of UsageGroupKeys; empty gives one row with
// the totals of everything selected.
type UsageQuery struct {
	Tenant  string
	From    string
	To      string
	Agent   string
	Model   string
	GroupBy []string
}

// Values encodes q as query parameters.
func (q UsageQuery) Values() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"tenant": q.Tenant, "from": q.From, "to": q.To, "agent": q.Agent, "model": q.Model} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if len(q.GroupBy) > 0 {
		v.Set("group_by", strings.Join(q.GroupBy, ","))
	}
	return v
}

// ParseUsageQuery decodes and validates query parameters. Unknown
// parameters, bad days, from after to and unknown or repeated group_by keys
// are an *Error with code invalid_request and Field naming the parameter.
func ParseUsageQuery(v url.Values) (UsageQuery, error) {
	for k := range v {
		switch k {
		case "tenant", "from", "to", "agent", "model", "group_by":
		default:
			return UsageQuery{}, &Error{Code: CodeInvalidRequest, Field: k, Message: "unknown usage query parameter " + k}
		}
	}
	q := UsageQuery{Tenant: v.Get("tenant"), From: v.Get("from"), To: v.Get("to"), Agent: v.Get("agent"), Model: v.Get("model")}
	if g := v.Get("group_by"); g != "" {
		q.GroupBy = strings.Split(g, ",")
	}
	return q, q.Validate()
}

// Validate checks the days, their order and the group_by keys.
func (q UsageQuery) Validate() error {
	for _, d := range []struct{ field, value string }{{"from", q.From}, {"to", q.To}} {
		if d.value == "" {
			continue
		}
		if _, err := time.Parse(UsageDayLayout, d.value); err != nil {
			return &Error{Code: CodeInvalidRequest, Field: d.field, Value: d.value, Message: d.field + " must be a UTC day like 2026-12-01"}
		}
	}
	if q.From != "" && q.To != "" && q.From > q.To {
		return &Error{Code: CodeInvalidRequest, Field: "to", Value: q.To, Message: fmt.Sprintf("to must not be before from (%s)", q.From)}
	}
	for i, g := range q.GroupBy {
		if !slices.Contains(UsageGroupKeys, g) {
			return &Error{Code: CodeInvalidRequest, Field: "group_by", Value: g,
				Message: "group_by takes any of " + strings.Join(UsageGroupKeys, ", ")}
		}
		if slices.Contains(q.GroupBy[:i], g) {
			return &Error{Code: CodeInvalidRequest, Field: "group_by", Value: g, Message: "group_by lists " + g + " twice"}
		}
	}
	return nil
}

// UsageRow is the usage of one group. Only the grouping fields are set
// (Provider with Model); the others are empty.
type UsageRow struct {
	Tenant   string `json:"tenant,omitempty"`
	Day      string `json:"day,omitempty"`
	Agent    string `json:"agent,omitempty"`
	Provider string `json:"provider,omitempty"`
	Model    string `json:"model,omitempty"`

	Input       int64 `json:"input"`
	Output      int64 `json:"output"`
	CacheRead   int64 `json:"cache_read"`
	CacheWrite  int64 `json:"cache_write"`
	TotalTokens int64 `json:"total_tokens"`
	// NanoUSD is the exact cost in 1e-9 USD; CostUSD is the same in USD.
	NanoUSD int64   `json:"nano_usd"`
	CostUSD float64 `json:"cost_usd"`
	// Messages counts assistant messages with usage, Errors the failed
	// ones among them. Unpriced counts messages with tokens whose cost is
	// unknown: CostUSD under-states the cost when it is above zero.
	Messages int64 `json:"messages"`
	Errors   int64 `json:"errors"`
	Unpriced int64 `json:"unpriced"`
	// PriceVersions are the price table versions used for messages OpenClaw
	// recorded no cost for, sorted; empty when every cost was recorded.
	PriceVersions []string `json:"price_versions,omitempty"`
}

// UsageReport answers a UsageQuery: Rows ordered by the group keys in
// UsageGroupKeys order, Totals over all of them (grouping fields empty).
type UsageReport struct {
	Query  UsageQuery `json:"-"`
	Rows   []UsageRow `json:"rows"`
	Totals UsageRow   `json:"totals"`
	// Unpriced is Totals.Unpriced: messages whose cost is missing.
	Unpriced int64 `json:"unpriced"`
}
