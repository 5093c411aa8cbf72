package api

import (
	"math"
	"time"
)

// BudgetAction is what the executor does when a tenant's month-to-date cost
// reaches its monthly budget.
type BudgetAction string

const (
	// BudgetAlert only records the breach (audit event and metrics).
	BudgetAlert BudgetAction = "alert"
	// BudgetSuspend also suspends the tenant through an audited job, when
	// the host's policy allows budget suspensions.
	BudgetSuspend BudgetAction = "suspend"
)

// Budget is a tenant's monthly model spend limit (UTC calendar month).
type Budget struct {
	MonthlyUSD float64 `json:"monthly_usd"`
	// SoftLimitPercent (1..100) of MonthlyUSD is where a soft breach is
	// recorded; 100% is the hard breach.
	SoftLimitPercent int          `json:"soft_limit_percent"`
	Action           BudgetAction `json:"action"`
}

// BudgetMonthLayout formats the UTC month a budget counts ("2026-12").
const BudgetMonthLayout = "2006-01"

// BudgetMonth is the UTC month of t.
func BudgetMonth(t time.Time) string { return t.UTC().Format(BudgetMonthLayout) }

// BudgetHold says the executor suspended a tenant because it spent its
// monthly budget. The hold keeps the tenant suspended whatever its desired
// state says, until a plan of the tenant finds the budget no longer exceeded
// (raised above the spend, no longer "suspend", or a new month) and an
// approved job resumes it.
type BudgetHold struct {
	Month    string    `json:"month"`     // UTC month of the breach, BudgetMonthLayout
	SpentUSD float64   `json:"spent_usd"` // month-to-date cost when it was held
	LimitUSD float64   `json:"limit_usd"` // the monthly budget it exceeded
	Since    time.Time `json:"since"`
}

// limitNano is the budget in nano-USD, the unit usage is summed in.
func (b Budget) limitNano() float64 { return math.Round(b.MonthlyUSD * 1e9) }

// Exceeded reports whether a month-to-date cost of nanoUSD reached the
// budget (the hard breach).
func (b Budget) Exceeded(nanoUSD int64) bool { return float64(nanoUSD) >= b.limitNano() }

// SoftBreached reports whether a month-to-date cost of nanoUSD reached
// SoftLimitPercent of the budget.
func (b Budget) SoftBreached(nanoUSD int64) bool {
	return float64(nanoUSD)*100 >= b.limitNano()*float64(b.SoftLimitPercent)
}
