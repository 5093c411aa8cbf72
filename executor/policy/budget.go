package policy

import (
	"fmt"
	"strconv"

	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

// RuleBudgetSuspend is the rule that decides whether the executor may
// suspend a tenant over its budget by itself.
const RuleBudgetSuspend = "budget.suspend"

// budgetRule is the policy's budget block. Without it (or with suspend =
// false) the executor only alerts on budget breaches: suspending is denied.
type budgetRule struct {
	suspend bool
	// approvals a budget suspension job needs; -1: the tenant's
	// environment's number, as for any change.
	approvals int
}

// BudgetSuspend decides whether the executor may suspend a tenant whose
// budget says "suspend" and who spent it. Outcomes: allowed with rule
// budget.suspend; or denied with the same rule and why.
func (p *Policy) BudgetSuspend() Decision {
	if p == nil {
		return Decision{Rule: "policy", Reason: "no policy is loaded"}
	}
	if p.budget == nil || !p.budget.suspend {
		return Decision{Rule: RuleBudgetSuspend, Reason: "the policy does not allow budget suspensions (budget { suspend = true })"}
	}
	return Decision{Allowed: true, Rule: RuleBudgetSuspend, Reason: fmt.Sprintf("budget suspensions allowed by policy %s", p.Revision())}
}

// BudgetApprovals is how many distinct approvers a budget suspension of a
// tenant in env needs: budget.approvals when set, else the environment's
// number (RequiredApprovals).
func (p *Policy) BudgetApprovals(env api.Environment) int {
	if p != nil && p.budget != nil && p.budget.approvals >= 0 {
		return p.budget.approvals
	}
	return p.RequiredApprovals(env)
}

func (d *decoder) budget(p *Policy, b *hclsyntax.Block) {
	p.budget = &budgetRule{approvals: -1}
	d.attrs(b, b.Type, func(field string, a *hclsyntax.Attribute) bool {
		switch a.Name {
		case "suspend":
			val, ok := d.value(a, field)
			if !ok {
				return true
			}
			if val.Type() != cty.Bool {
				d.fail(a.SrcRange, field, val.Type().FriendlyName(), fmt.Errorf("%w: must be true or false", ErrType))
				return true
			}
			p.budget.suspend = val.True()
		case "approvals":
			n, ok := d.int(a, field)
			if !ok {
				return true
			}
			if n < 0 || n > MaxApprovals {
				d.fail(a.SrcRange, field, strconv.Itoa(n), ErrApprovals)
				return true
			}
			p.budget.approvals = n
		default:
			return false
		}
		return true
	})
}
