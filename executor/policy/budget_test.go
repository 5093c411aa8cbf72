package policy_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/policy"
)

func TestBudgetSuspend(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		block            string
		allowed          bool
		devApprovals     int
		stagingApprovals int
	}{
		// Deny by default: without the block budgets only alert.
		"no block":        {block: "", allowed: false, devApprovals: 0, stagingApprovals: 1},
		"suspend false":   {block: "budget {\n  suspend = false\n}\n", allowed: false, devApprovals: 0, stagingApprovals: 1},
		"suspend, env":    {block: "budget {\n  suspend = true\n}\n", allowed: true, devApprovals: 0, stagingApprovals: 1},
		"suspend, 0":      {block: "budget {\n  suspend = true\n  approvals = 0\n}\n", allowed: true, devApprovals: 0, stagingApprovals: 0},
		"suspend, 2":      {block: "budget {\n  suspend = true\n  approvals = 2\n}\n", allowed: true, devApprovals: 2, stagingApprovals: 2},
		"approvals alone": {block: "budget {\n  approvals = 0\n}\n", allowed: false, devApprovals: 0, stagingApprovals: 0},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := mustParse(t, testPolicy+tc.block)
			d := p.BudgetSuspend()
			if d.Allowed != tc.allowed || d.Rule != policy.RuleBudgetSuspend {
				t.Errorf("BudgetSuspend() = %+v, want allowed=%v by %s", d, tc.allowed, policy.RuleBudgetSuspend)
			}
			got := []int{p.BudgetApprovals(api.EnvDevelopment), p.BudgetApprovals(api.EnvStaging)}
			if diff := cmp.Diff([]int{tc.devApprovals, tc.stagingApprovals}, got); diff != "" {
				t.Errorf("BudgetApprovals(development, staging) (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBudgetParseErrors(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		src     string
		want    []string
		wantErr error
	}{
		"suspend not bool": {
			src:     "budget {\n  suspend = \"yes\"\n}\n",
			want:    []string{`policy.hcl:2,3: budget.suspend: wrong type: must be true or false (got string)`},
			wantErr: policy.ErrType,
		},
		"approvals out of range": {
			src:     "budget {\n  suspend = true\n  approvals = 17\n}\n",
			want:    []string{`policy.hcl:3,3: budget.approvals: must be a whole number within 0..16 (got 17)`},
			wantErr: policy.ErrApprovals,
		},
		"unknown attribute": {
			src:     "budget {\n  resume = true\n}\n",
			want:    []string{`policy.hcl:2,3: budget.resume: unknown setting: attribute "budget.resume"`},
			wantErr: policy.ErrUnknown,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := policy.Parse([]byte(tc.src), "policy.hcl")
			if diff := cmp.Diff(tc.want, messages(err)); diff != "" {
				t.Errorf("Parse() errors (-want +got):\n%s", diff)
			}
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("Parse() = %v, want errors.Is %v", err, tc.wantErr)
			}
		})
	}
}
