package ingest

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"sync"
	"time"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/store"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/usage"
)

// DefaultBatchSize is how many records one transaction adds at most.
const DefaultBatchSize = 4096

// Ingester counts usage from tenants' state dirs into a Store. Create it
// with New; it is safe for concurrent use, but ticks run one at a time.
type Ingester struct {
	store     *store.Store
	prices    *usage.Prices
	scanner   *usage.Scanner
	interval  time.Duration
	now       func() time.Time
	logger    *slog.Logger
	batchSize int
	onTick    func(ctx context.Context)

	tickMu sync.Mutex // one tick at a time

	mu       sync.Mutex
	status   map[string]*TenantStatus
	totals   map[totalKey]*usage.Rollup
	loaded   bool
	failures map[string]float64 // scan or store failures per tenant
}

// Options configure an Ingester. Zero values mean the defaults.
type Options struct {
	// Interval is the time between two ticks of Run; 0 disables the loop.
	Interval time.Duration
	// Prices prices records without a recorded cost (nil: usage.DefaultPrices()).
	Prices *usage.Prices
	// Scan tunes the scanner (its Now defaults to Now).
	Scan usage.Options
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// Logger receives per-tick problems (nil: discarded).
	Logger *slog.Logger
	// BatchSize bounds the records per transaction (0: DefaultBatchSize).
	BatchSize int
	// OnTick runs after every tick of Run, failed or not, with what was
	// counted so far (the budget checker).
	OnTick func(ctx context.Context)
}

// New returns an Ingester over st. It starts nothing.
func New(st *store.Store, o Options) *Ingester {
	if o.Prices == nil {
		o.Prices = usage.DefaultPrices()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Scan.Now == nil {
		o.Scan.Now = o.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.BatchSize <= 0 {
		o.BatchSize = DefaultBatchSize
	}
	return &Ingester{
		store: st, prices: o.Prices, scanner: usage.NewScanner(o.Scan), interval: o.Interval,
		now: o.Now, logger: o.Logger, batchSize: o.BatchSize, onTick: o.OnTick,
		status: map[string]*TenantStatus{}, totals: map[totalKey]*usage.Rollup{}, failures: map[string]float64{},
	}
}

// TenantStatus is what the last scans of one tenant did.
type TenantStatus struct {
	// LastSuccess is when the last scan that read every store ended.
	LastSuccess time.Time
	// LastError is the last scan's failure, or its first unreadable store;
	// nil after a clean scan.
	LastError error
	// Added counts the records the scans added (not known before);
	// Malformed the malformed events and lines they met.
	Added     int64
	Malformed int64
}

// Status returns a copy of each tenant's status, by tenant.
func (in *Ingester) Status() map[string]TenantStatus {
	in.mu.Lock()
	defer in.mu.Unlock()
	out := make(map[string]TenantStatus, len(in.status))
	for k, v := range in.status {
		out[k] = *v
	}
	return out
}

// Run ticks at once and then every Interval until ctx ends, and returns
// nil then. With Interval 0 it returns nil at once. A failing tick is
// logged and the loop goes on.
func (in *Ingester) Run(ctx context.Context) error {
	if in.interval <= 0 {
		return nil
	}
	t := time.NewTicker(in.interval)
	defer t.Stop()
	for {
		if err := in.Tick(ctx); err != nil && ctx.Err() == nil {
			in.logger.Warn("usage ingestion", "error", err)
		}
		if in.onTick != nil && ctx.Err() == nil {
			in.onTick(ctx)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Tick scans every registered tenant that is not decommissioned once.
// Outcomes: nil; or errors.Join of each tenant's failure (other tenants are
// still scanned), or ctx's error.
func (in *Ingester) Tick(ctx context.Context) error {
	in.tickMu.Lock()
	defer in.tickMu.Unlock()
	if err := in.loadTotals(ctx); err != nil {
		return err
	}
	tenants, err := in.store.ListTenants(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, t := range tenants {
		if t.Decommissioned || t.Allocation.StateDir == "" {
			continue
		}
		if err := in.ScanTenant(ctx, t.Name, t.Allocation.StateDir); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// ScanTenant reads what was added to tenant's state dir since its stored
// cursor and counts it. A state dir that does not exist yet has nothing to
// count. Outcomes: nil (stores that could not be read are in Status and
// count as errors); or an error, and the cursor is unchanged.
func (in *Ingester) ScanTenant(ctx context.Context, tenant, stateDir string) (err error) {
	st := in.tenantStatus(tenant)
	var added int64
	defer func() {
		in.mu.Lock()
		st.Added += added
		st.LastError = err
		if err != nil {
			in.failures[tenant]++
		}
		in.mu.Unlock()
	}()
	from, _, err := in.store.UsageCursor(ctx, tenant)
	if err != nil {
		return err
	}
	batch := make([]store.PricedRecord, 0, in.batchSize)
	flush := func(cur *usage.Cursor) error {
		rollups, err := in.store.AddUsage(ctx, tenant, batch, cur, in.now())
		if err != nil {
			return err
		}
		batch = batch[:0]
		added += in.count(tenant, rollups)
		return nil
	}
	next, rep, err := in.scanner.Scan(ctx, stateDir, from, func(r usage.Record) error {
		batch = append(batch, store.PricedRecord{Record: r, Cost: in.prices.Cost(r.Event)})
		if len(batch) >= in.batchSize {
			return flush(nil)
		}
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil // not bootstrapped yet
	}
	if err != nil {
		return fmt.Errorf("scan usage of %s: %w", tenant, err)
	}
	if err := flush(&next); err != nil {
		return err
	}
	in.mu.Lock()
	st.Malformed += int64(rep.Malformed())
	in.mu.Unlock()
	for _, s := range rep.Sources {
		if s.Err != nil {
			return fmt.Errorf("scan usage of %s: %s: %w", tenant, s.Path, s.Err)
		}
	}
	in.mu.Lock()
	st.LastSuccess = in.now()
	in.mu.Unlock()
	return nil
}

func (in *Ingester) tenantStatus(tenant string) *TenantStatus {
	in.mu.Lock()
	defer in.mu.Unlock()
	st := in.status[tenant]
	if st == nil {
		st = &TenantStatus{}
		in.status[tenant] = st
	}
	return st
}
