package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

// MarkBudgetBreach records that tenant breached its budget of limitUSD in
// month (kind "soft", "hard" or "suspend"). It reports whether this is the
// first such record: the budget checker acts once per tenant, month, kind
// and limit, so raising the budget re-arms it.
func (s *Store) MarkBudgetBreach(ctx context.Context, tenant, month, kind string, limitUSD float64, at time.Time) (bool, error) {
	var first bool
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := s.exec(ctx, tx, `INSERT INTO budget_breaches (tenant, month, kind, limit_usd, at) VALUES (?, ?, ?, ?, ?)
ON CONFLICT DO NOTHING`, tenant, month, kind, limitUSD, nanos(at))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		first = n == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("mark budget breach of %s: %w", tenant, err)
	}
	return first, nil
}

// UnmarkBudgetBreach removes a mark MarkBudgetBreach made, so the checker
// tries again (its audit record could not be written).
func (s *Store) UnmarkBudgetBreach(ctx context.Context, tenant, month, kind string, limitUSD float64) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := s.exec(ctx, tx, `DELETE FROM budget_breaches WHERE tenant = ? AND month = ? AND kind = ? AND limit_usd = ?`,
			tenant, month, kind, limitUSD)
		return err
	})
	if err != nil {
		return fmt.Errorf("unmark budget breach of %s: %w", tenant, err)
	}
	return nil
}

// BudgetHold returns the hold that keeps tenant suspended for its budget.
// Outcomes: (hold, true, nil); (zero, false, nil) when there is none; an
// error.
func (s *Store) BudgetHold(ctx context.Context, tenant string) (api.BudgetHold, bool, error) {
	var (
		h     api.BudgetHold
		since int64
	)
	err := s.read(ctx, func(tx *sql.Tx) error {
		return s.queryRow(ctx, tx, `SELECT month, spent_usd, limit_usd, since FROM budget_holds WHERE tenant = ?`, tenant).
			Scan(&h.Month, &h.SpentUSD, &h.LimitUSD, &since)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return api.BudgetHold{}, false, nil
	}
	if err != nil {
		return api.BudgetHold{}, false, fmt.Errorf("budget hold of %s: %w", tenant, err)
	}
	h.Since = fromNanos(since)
	return h, true, nil
}

// PutBudgetHold holds tenant suspended for its budget (replacing an older
// hold).
func (s *Store) PutBudgetHold(ctx context.Context, tenant string, h api.BudgetHold) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := s.exec(ctx, tx, `INSERT INTO budget_holds (tenant, month, spent_usd, limit_usd, since) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (tenant) DO UPDATE SET month = excluded.month, spent_usd = excluded.spent_usd,
	limit_usd = excluded.limit_usd, since = excluded.since`, tenant, h.Month, h.SpentUSD, h.LimitUSD, nanos(h.Since))
		return err
	})
	if err != nil {
		return fmt.Errorf("put budget hold of %s: %w", tenant, err)
	}
	return nil
}

// DeleteBudgetHold lifts tenant's budget hold placed at since (the zero
// time: any hold), so a job never lifts a newer hold than the one it
// planned against. No such hold is not an error.
func (s *Store) DeleteBudgetHold(ctx context.Context, tenant string, since time.Time) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := s.exec(ctx, tx, `DELETE FROM budget_holds WHERE tenant = ? AND (? = 0 OR since = ?)`, tenant, nanos(since), nanos(since))
		return err
	})
	if err != nil {
		return fmt.Errorf("lift budget hold of %s: %w", tenant, err)
	}
	return nil
}
