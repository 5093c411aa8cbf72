package api_test

import (
	"errors"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

func TestUsageQueryRoundTrip(t *testing.T) {
	t.Parallel()
	q := api.UsageQuery{Tenant: "acme", From: "2026-12-01", To: "2026-12-31", Agent: "main", Model: "claude-sonnet-4-5",
		GroupBy: []string{"day", "agent", "model"}}
	got, err := api.ParseUsageQuery(q.Values())
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(q, got); d != "" {
		t.Errorf("round trip (-want +got):\n%s", d)
	}
	if got, err := api.ParseUsageQuery(url.Values{}); err != nil || !cmp.Equal(got, api.UsageQuery{}) {
		t.Errorf("empty query = %+v, %v", got, err)
	}
}

func TestUsageQueryErrors(t *testing.T) {
	t.Parallel()
	testCases := map[string]struct {
		values url.Values
		field  string
	}{
		"unknown parameter": {url.Values{"tenants": {"acme"}}, "tenants"},
		"bad day":           {url.Values{"from": {"2026-13-01"}}, "from"},
		"not a day":         {url.Values{"to": {"yesterday"}}, "to"},
		"to before from":    {url.Values{"from": {"2026-12-02"}, "to": {"2026-12-01"}}, "to"},
		"unknown group":     {url.Values{"group_by": {"day,week"}}, "group_by"},
		"repeated group":    {url.Values{"group_by": {"day,day"}}, "group_by"},
		"empty group":       {url.Values{"group_by": {"day,"}}, "group_by"},
	}
	for name, tc := range testCases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := api.ParseUsageQuery(tc.values)
			var e *api.Error
			if !errors.As(err, &e) || e.Code != api.CodeInvalidRequest || e.Field != tc.field {
				t.Errorf("ParseUsageQuery(%v) = %v, want invalid_request on %s", tc.values, err, tc.field)
			}
		})
	}
}
