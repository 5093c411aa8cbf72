package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/usage"
)

// PricedRecord is one usage record with the cost the ingestion gave it.
type PricedRecord struct {
	usage.Record
	Cost usage.Cost
}

// TenantRollup is a rollup of one tenant.
type TenantRollup struct {
	Tenant string
	usage.Rollup
}

// AddUsage counts the records of tenant that were not counted before (by
// tenant, Record.Agent and Record.Key) into the rollups and, when cur is not
// nil, stores cur as the tenant's cursor, all in one transaction.
//
// Outcomes: (added, nil) with one rollup per group of newly counted
// records (none when all were known); (nil, err) and nothing written.
func (s *Store) AddUsage(ctx context.Context, tenant string, recs []PricedRecord, cur *usage.Cursor, at time.Time) ([]usage.Rollup, error) {
	var curJSON []byte
	if cur != nil {
		var err error
		if curJSON, err = json.Marshal(cur); err != nil {
			return nil, fmt.Errorf("encode usage cursor of %s: %w", tenant, err)
		}
	}
	type key struct{ day, agent, provider, model, version string }
	groups := map[key]*usage.Rollup{}
	err := s.write(ctx, func(tx *sql.Tx) error {
		clear(groups)
		ins, err := s.txStmt(ctx, tx, `INSERT OR IGNORE INTO usage_records (tenant, agent, key) VALUES (?, ?, ?)`)
		if err != nil {
			return err
		}
		defer ins.Close()
		for _, r := range recs {
			res, err := ins.ExecContext(ctx, tenant, r.Agent, r.Key)
			if err != nil {
				return fmt.Errorf("insert usage record: %w", err)
			}
			if n, err := res.RowsAffected(); err != nil || n == 0 {
				continue // counted before
			}
			k := key{usage.Day(r.Time), r.Agent, r.Provider, r.Model, r.Cost.PriceVersion}
			g := groups[k]
			if g == nil {
				g = &usage.Rollup{Agent: k.agent, Provider: k.provider, Model: k.model, Day: k.day, PriceVersion: k.version}
				groups[k] = g
			}
			g.Add(r.Event, r.Cost)
		}
		up, err := s.txStmt(ctx, tx, `
INSERT INTO usage_rollups (tenant, day, agent, provider, model, price_version,
	input, output, cache_read, cache_write, total_tokens, nano_usd, messages, errors, unpriced)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (tenant, day, agent, provider, model, price_version) DO UPDATE SET
	input = input + excluded.input,
	output = output + excluded.output,
	cache_read = cache_read + excluded.cache_read,
	cache_write = cache_write + excluded.cache_write,
	total_tokens = total_tokens + excluded.total_tokens,
	nano_usd = nano_usd + excluded.nano_usd,
	messages = messages + excluded.messages,
	errors = errors + excluded.errors,
	unpriced = unpriced + excluded.unpriced`)
		if err != nil {
			return err
		}
		defer up.Close()
		for k, g := range groups {
			if _, err := up.ExecContext(ctx, tenant, k.day, k.agent, k.provider, k.model, k.version,
				g.Input, g.Output, g.CacheRead, g.CacheWrite, g.Total, g.NanoUSD, g.Messages, g.Errors, g.Unpriced); err != nil {
				return fmt.Errorf("update usage rollup: %w", err)
			}
		}
		if cur == nil {
			return nil
		}
		_, err = s.exec(ctx, tx, `
INSERT INTO usage_cursors (tenant, cursor_json, updated_at) VALUES (?, ?, ?)
ON CONFLICT (tenant) DO UPDATE SET cursor_json = excluded.cursor_json, updated_at = excluded.updated_at`,
			tenant, string(curJSON), nanos(at))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("add usage of %s: %w", tenant, err)
	}
	out := make([]usage.Rollup, 0, len(groups))
	for _, g := range groups {
		out = append(out, *g)
	}
	return out, nil
}

// UsageCursor returns the stored cursor of tenant and when it was stored;
// the zero Cursor and time when there is none.
func (s *Store) UsageCursor(ctx context.Context, tenant string) (usage.Cursor, time.Time, error) {
	var raw string
	var at int64
	err := s.queryRow(ctx, nil, `SELECT cursor_json, updated_at FROM usage_cursors WHERE tenant = ?`, tenant).Scan(&raw, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return usage.Cursor{}, time.Time{}, nil
	}
	if err != nil {
		return usage.Cursor{}, time.Time{}, fmt.Errorf("read usage cursor of %s: %w", tenant, err)
	}
	var cur usage.Cursor
	if err := json.Unmarshal([]byte(raw), &cur); err != nil {
		return usage.Cursor{}, time.Time{}, fmt.Errorf("decode usage cursor of %s: %w", tenant, err)
	}
	return cur, fromNanos(at), nil
}

// usageColumns maps a group-by key to its columns.
var usageColumns = map[string][]string{
	api.UsageByTenant: {"tenant"},
	api.UsageByDay:    {"day"},
	api.UsageByAgent:  {"agent"},
	api.UsageByModel:  {"provider", "model"},
}

// QueryUsage answers a usage query from the rollups. q must be valid
// (api.UsageQuery.Validate); rows come in api.UsageGroupKeys order of the
// requested keys.
func (s *Store) QueryUsage(ctx context.Context, q api.UsageQuery) (api.UsageReport, error) {
	if err := q.Validate(); err != nil {
		return api.UsageReport{}, err
	}
	var cols []string
	for _, k := range api.UsageGroupKeys {
		if slices.Contains(q.GroupBy, k) {
			cols = append(cols, usageColumns[k]...)
		}
	}
	var where []string
	var args []any
	for _, f := range []struct{ cond, val string }{
		{"tenant = ?", q.Tenant}, {"day >= ?", q.From}, {"day <= ?", q.To}, {"agent = ?", q.Agent}, {"model = ?", q.Model},
	} {
		if f.val != "" {
			where = append(where, f.cond)
			args = append(args, f.val)
		}
	}
	sel := strings.Join(append(append([]string(nil), cols...),
		"SUM(input)", "SUM(output)", "SUM(cache_read)", "SUM(cache_write)", "SUM(total_tokens)",
		"SUM(nano_usd)", "SUM(messages)", "SUM(errors)", "SUM(unpriced)", "GROUP_CONCAT(DISTINCT price_version)"), ", ")
	query := "SELECT " + sel + " FROM usage_rollups"
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	if len(cols) > 0 {
		query += " GROUP BY " + strings.Join(cols, ", ") + " ORDER BY " + strings.Join(cols, ", ")
	}
	rep := api.UsageReport{Query: q, Rows: []api.UsageRow{}}
	// One statement reads one snapshot; no transaction needed.
	err := func() error {
		rows, err := s.db.QueryContext(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r api.UsageRow
			var sums [9]sql.NullInt64
			var versions sql.NullString
			dest := make([]any, 0, len(cols)+10)
			for _, c := range cols {
				dest = append(dest, usageField(&r, c))
			}
			for i := range sums {
				dest = append(dest, &sums[i])
			}
			dest = append(dest, &versions)
			if err := rows.Scan(dest...); err != nil {
				return err
			}
			if !sums[6].Valid { // no rollups at all: SUM over nothing
				continue
			}
			r.Input, r.Output, r.CacheRead, r.CacheWrite, r.TotalTokens = sums[0].Int64, sums[1].Int64, sums[2].Int64, sums[3].Int64, sums[4].Int64
			r.NanoUSD, r.Messages, r.Errors, r.Unpriced = sums[5].Int64, sums[6].Int64, sums[7].Int64, sums[8].Int64
			r.CostUSD = float64(r.NanoUSD) / 1e9
			r.PriceVersions = splitVersions(versions.String)
			rep.Rows = append(rep.Rows, r)
		}
		return rows.Err()
	}()
	if err != nil {
		return api.UsageReport{}, fmt.Errorf("query usage: %w", err)
	}
	for _, r := range rep.Rows {
		t := &rep.Totals
		t.Input += r.Input
		t.Output += r.Output
		t.CacheRead += r.CacheRead
		t.CacheWrite += r.CacheWrite
		t.TotalTokens += r.TotalTokens
		t.NanoUSD += r.NanoUSD
		t.Messages += r.Messages
		t.Errors += r.Errors
		t.Unpriced += r.Unpriced
		for _, v := range r.PriceVersions {
			if !slices.Contains(t.PriceVersions, v) {
				t.PriceVersions = append(t.PriceVersions, v)
			}
		}
	}
	slices.Sort(rep.Totals.PriceVersions)
	rep.Totals.CostUSD = float64(rep.Totals.NanoUSD) / 1e9
	rep.Unpriced = rep.Totals.Unpriced
	return rep, nil
}

func usageField(r *api.UsageRow, col string) *string {
	switch col {
	case "tenant":
		return &r.Tenant
	case "day":
		return &r.Day
	case "agent":
		return &r.Agent
	case "provider":
		return &r.Provider
	}
	return &r.Model
}

func splitVersions(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v != "" {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return out
}

// MonthToDate returns the cost in nano-USD and the unpriced message count of
// tenant from the first day of now's UTC month to now.
func (s *Store) MonthToDate(ctx context.Context, tenant string, now time.Time) (nanoUSD, unpriced int64, err error) {
	now = now.UTC()
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).Format(api.UsageDayLayout)
	err = s.queryRow(ctx, nil, `SELECT COALESCE(SUM(nano_usd), 0), COALESCE(SUM(unpriced), 0) FROM usage_rollups
WHERE tenant = ? AND day >= ? AND day <= ?`, tenant, first, now.Format(api.UsageDayLayout)).Scan(&nanoUSD, &unpriced)
	if err != nil {
		return 0, 0, fmt.Errorf("month-to-date usage of %s: %w", tenant, err)
	}
	return nanoUSD, unpriced, nil
}

// UsageTotals returns the all-time sums per tenant, agent, provider and
// model (Day and PriceVersion empty), ordered by those keys.
func (s *Store) UsageTotals(ctx context.Context) ([]TenantRollup, error) {
	var out []TenantRollup
	err := s.read(ctx, func(tx *sql.Tx) error {
		rows, err := s.query(ctx, tx, `SELECT tenant, agent, provider, model,
	SUM(input), SUM(output), SUM(cache_read), SUM(cache_write), SUM(total_tokens),
	SUM(nano_usd), SUM(messages), SUM(errors), SUM(unpriced)
FROM usage_rollups GROUP BY tenant, agent, provider, model`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r TenantRollup
			if err := rows.Scan(&r.Tenant, &r.Agent, &r.Provider, &r.Model, &r.Input, &r.Output, &r.CacheRead, &r.CacheWrite,
				&r.Total, &r.NanoUSD, &r.Messages, &r.Errors, &r.Unpriced); err != nil {
				return err
			}
			out = append(out, r)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("usage totals: %w", err)
	}
	slices.SortFunc(out, func(a, b TenantRollup) int {
		return cmp.Or(cmp.Compare(a.Tenant, b.Tenant), cmp.Compare(a.Agent, b.Agent),
			cmp.Compare(a.Provider, b.Provider), cmp.Compare(a.Model, b.Model))
	})
	return out, nil
}
