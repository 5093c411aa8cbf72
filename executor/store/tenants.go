package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

// GatewayPortSpan is how many ports from its base a gateway occupies:
// OpenClaw listens on base, base+2 and base+4. Two tenants' base ports must
// be at least this far apart.
const GatewayPortSpan = 5

// TenantRecord is a tenant as the registry knows it.
type TenantRecord struct {
	Name       string
	Desired    api.Desired
	Allocation api.Allocation
	// Decommissioned is set when the user removed the tenant; its archive is
	// kept and its uid, gid and port stay reserved.
	Decommissioned bool
	LastJobID      string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// AllocationError says which allocation of a tenant another tenant holds.
// It wraps ErrAllocationTaken.
type AllocationError struct {
	Tenant string // the tenant being stored
	Field  string // "uid", "gid" or "gateway_port", as in api.Allocation
	Value  int    // the value asked for
	Holder string // the tenant that holds it
	// Held is the holder's value: equal to Value, or for gateway_port a base
	// port closer than GatewayPortSpan.
	Held int
}

func (e *AllocationError) Error() string {
	if e.Field == "gateway_port" && e.Held != e.Value {
		return fmt.Sprintf("gateway port %d of tenant %q overlaps gateway port %d of tenant %q (ports base..base+%d)",
			e.Value, e.Tenant, e.Held, e.Holder, GatewayPortSpan-1)
	}
	return fmt.Sprintf("%s %d of tenant %q is already allocated to tenant %q", e.Field, e.Value, e.Tenant, e.Holder)
}

func (e *AllocationError) Unwrap() error { return ErrAllocationTaken }

// GetTenant returns the tenant named name. Outcomes: (rec, true, nil);
// (zero, false, nil) if there is no such tenant; (zero, false, err).
func (s *Store) GetTenant(ctx context.Context, name string) (TenantRecord, bool, error) {
	var rec TenantRecord
	err := s.read(ctx, func(tx *sql.Tx) error {
		var err error
		rec, err = scanTenant(s.queryRow(ctx, tx, selectTenant+` WHERE t.name = ?`, name))
		return err
	})
	if errors.Is(err, sql.ErrNoRows) {
		return TenantRecord{}, false, nil
	}
	if err != nil {
		return TenantRecord{}, false, fmt.Errorf("get tenant %s: %w", name, err)
	}
	return rec, true, nil
}

// PutTenant inserts or updates rec. On update CreatedAt keeps its stored
// value; on insert a zero CreatedAt is taken from UpdatedAt. A zero UID, GID
// or GatewayPort in rec.Allocation means "not allocated" and reserves
// nothing.
//
// Outcomes: nil; an *AllocationError (errors.Is ErrAllocationTaken) if the
// uid, gid or gateway port is held by another tenant, decommissioned or not,
// or the gateway port lies within GatewayPortSpan of another tenant's; any
// other error. Nothing is written unless it returns nil.
func (s *Store) PutTenant(ctx context.Context, rec TenantRecord) error {
	if rec.Name == "" {
		return errors.New("put tenant: empty name")
	}
	desired, err := api.CanonicalJSON(rec.Desired)
	if err != nil {
		return fmt.Errorf("put tenant %s: %w", rec.Name, err)
	}
	created := rec.CreatedAt
	if created.IsZero() {
		created = rec.UpdatedAt
	}
	a := rec.Allocation
	err = s.write(ctx, func(tx *sql.Tx) error {
		if err := s.checkAllocation(ctx, tx, rec.Name, a); err != nil {
			return err
		}
		if _, err := s.exec(ctx, tx, `
INSERT INTO tenants (name, desired_json, decommissioned, last_job_id, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (name) DO UPDATE SET
	desired_json = excluded.desired_json,
	decommissioned = excluded.decommissioned,
	last_job_id = excluded.last_job_id,
	updated_at = excluded.updated_at`,
			rec.Name, string(desired), rec.Decommissioned, rec.LastJobID, nanos(created), nanos(rec.UpdatedAt)); err != nil {
			return err
		}
		_, err := s.exec(ctx, tx, `
INSERT INTO allocations (tenant, user_name, group_name, uid, gid, gateway_port, home, state_dir, config_dir, unit)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (tenant) DO UPDATE SET
	user_name = excluded.user_name,
	group_name = excluded.group_name,
	uid = excluded.uid,
	gid = excluded.gid,
	gateway_port = excluded.gateway_port,
	home = excluded.home,
	state_dir = excluded.state_dir,
	config_dir = excluded.config_dir,
	unit = excluded.unit`,
			rec.Name, a.User, a.Group, nullInt(a.UID), nullInt(a.GID), nullInt(a.GatewayPort),
			a.Home, a.StateDir, a.ConfigDir, a.Unit)
		if isUnique(err) {
			// checkAllocation ran in this transaction, so this is only
			// reachable if the checks and the constraints disagree.
			return fmt.Errorf("%w: %v", ErrAllocationTaken, err)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("put tenant %s: %w", rec.Name, err)
	}
	return nil
}

// checkAllocation finds the first of a's values another tenant holds.
func (s *Store) checkAllocation(ctx context.Context, tx *sql.Tx, name string, a api.Allocation) error {
	span := strconv.Itoa(GatewayPortSpan)
	for _, c := range []struct {
		field string
		value int
		query string
	}{
		{"uid", a.UID, `SELECT tenant, uid FROM allocations WHERE uid = ?1 AND tenant <> ?2`},
		{"gid", a.GID, `SELECT tenant, gid FROM allocations WHERE gid = ?1 AND tenant <> ?2`},
		{"gateway_port", a.GatewayPort, `SELECT tenant, gateway_port FROM allocations
			WHERE gateway_port > ?1 - ` + span + ` AND gateway_port < ?1 + ` + span + ` AND tenant <> ?2
			ORDER BY abs(gateway_port - ?1), tenant LIMIT 1`},
	} {
		if c.value == 0 {
			continue
		}
		var holder string
		var held int
		err := s.queryRow(ctx, tx, c.query, c.value, name).Scan(&holder, &held)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return fmt.Errorf("check %s: %w", c.field, err)
		}
		return &AllocationError{Tenant: name, Field: c.field, Value: c.value, Holder: holder, Held: held}
	}
	return nil
}

// ListTenants returns every tenant, decommissioned ones included, sorted by
// name.
func (s *Store) ListTenants(ctx context.Context) ([]TenantRecord, error) {
	var out []TenantRecord
	err := s.read(ctx, func(tx *sql.Tx) error {
		rows, err := s.query(ctx, tx, selectTenant+` ORDER BY t.name`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			rec, err := scanTenant(rows)
			if err != nil {
				return err
			}
			out = append(out, rec)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("list tenants: %w", err)
	}
	return out, nil
}

// MarkDecommissioned marks the tenant as removed by the user at time at. Its
// allocation stays reserved. Outcomes: nil; an error wrapping ErrNotFound.
func (s *Store) MarkDecommissioned(ctx context.Context, name string, at time.Time) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := s.exec(ctx, tx, `UPDATE tenants SET decommissioned = 1, updated_at = ? WHERE name = ?`, nanos(at), name)
		if err != nil {
			return err
		}
		return mustAffect(res)
	})
	if err != nil {
		return fmt.Errorf("decommission tenant %s: %w", name, err)
	}
	return nil
}

// ReservedUIDs returns every allocated uid and its tenant, decommissioned
// tenants included.
func (s *Store) ReservedUIDs(ctx context.Context) (map[int]string, error) {
	return s.reserved(ctx, "uid")
}

// ReservedGIDs returns every allocated gid and its tenant, decommissioned
// tenants included.
func (s *Store) ReservedGIDs(ctx context.Context) (map[int]string, error) {
	return s.reserved(ctx, "gid")
}

// ReservedPorts returns every allocated gateway base port and its tenant,
// decommissioned tenants included. Each occupies GatewayPortSpan ports.
func (s *Store) ReservedPorts(ctx context.Context) (map[int]string, error) {
	return s.reserved(ctx, "gateway_port")
}

// reserved lists one allocation column; column is one of three constants,
// so the text is fixed.
func (s *Store) reserved(ctx context.Context, column string) (map[int]string, error) {
	out := map[int]string{}
	rows, err := s.query(ctx, nil, `SELECT `+column+`, tenant FROM allocations WHERE `+column+` IS NOT NULL`)
	if err != nil {
		return nil, fmt.Errorf("list reserved %s: %w", column, err)
	}
	defer rows.Close()
	for rows.Next() {
		var v int
		var name string
		if err := rows.Scan(&v, &name); err != nil {
			return nil, fmt.Errorf("list reserved %s: %w", column, err)
		}
		out[v] = name
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list reserved %s: %w", column, err)
	}
	return out, nil
}

const selectTenant = `
SELECT t.name, t.desired_json, t.decommissioned, t.last_job_id, t.created_at, t.updated_at,
	COALESCE(a.user_name, ''), COALESCE(a.group_name, ''),
	COALESCE(a.uid, 0), COALESCE(a.gid, 0), COALESCE(a.gateway_port, 0),
	COALESCE(a.home, ''), COALESCE(a.state_dir, ''), COALESCE(a.config_dir, ''), COALESCE(a.unit, '')
FROM tenants t LEFT JOIN allocations a ON a.tenant = t.name`

type scanner interface{ Scan(dest ...any) error }

func scanTenant(row scanner) (TenantRecord, error) {
	var rec TenantRecord
	var desired string
	var created, updated int64
	a := &rec.Allocation
	if err := row.Scan(&rec.Name, &desired, &rec.Decommissioned, &rec.LastJobID, &created, &updated,
		&a.User, &a.Group, &a.UID, &a.GID, &a.GatewayPort, &a.Home, &a.StateDir, &a.ConfigDir, &a.Unit); err != nil {
		return TenantRecord{}, err
	}
	if err := json.Unmarshal([]byte(desired), &rec.Desired); err != nil {
		return TenantRecord{}, fmt.Errorf("decode desired state of %s: %w", rec.Name, err)
	}
	rec.CreatedAt, rec.UpdatedAt = fromNanos(created), fromNanos(updated)
	return rec, nil
}

func nullInt(v int) sql.NullInt64 {
	return sql.NullInt64{Int64: int64(v), Valid: v != 0}
}

// mustAffect turns an UPDATE that matched no row into ErrNotFound.
func mustAffect(res sql.Result) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}
