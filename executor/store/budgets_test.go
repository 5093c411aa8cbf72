package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

func TestBudgetBreachesOncePerMonthAndLimit(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := context.Background()
	at := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	mark := func(month, kind string, limit float64) bool {
		t.Helper()
		first, err := s.MarkBudgetBreach(ctx, "acme", month, kind, limit, at)
		if err != nil {
			t.Fatal(err)
		}
		return first
	}
	got := []bool{
		mark("2026-12", "soft", 10), mark("2026-12", "soft", 10), // once
		mark("2026-12", "hard", 10), // another kind
		mark("2026-12", "soft", 20), // a raised budget re-arms
		mark("2027-01", "soft", 10), // a new month re-arms
	}
	if diff := cmp.Diff([]bool{true, false, true, true, true}, got); diff != "" {
		t.Errorf("first marks (-want +got):\n%s", diff)
	}
	if err := s.UnmarkBudgetBreach(ctx, "acme", "2026-12", "soft", 10); err != nil {
		t.Fatal(err)
	}
	if !mark("2026-12", "soft", 10) {
		t.Error("after unmark the breach is not first again")
	}
}

func TestBudgetHolds(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := context.Background()
	if _, ok, err := s.BudgetHold(ctx, "acme"); ok || err != nil {
		t.Fatalf("hold before any: %v %v", ok, err)
	}
	h := api.BudgetHold{Month: "2026-12", SpentUSD: 12.5, LimitUSD: 10, Since: time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)}
	if err := s.PutBudgetHold(ctx, "acme", h); err != nil {
		t.Fatal(err)
	}
	h.Month, h.SpentUSD = "2027-01", 11
	if err := s.PutBudgetHold(ctx, "acme", h); err != nil {
		t.Fatal(err)
	}
	got, ok, err := s.BudgetHold(ctx, "acme")
	if err != nil || !ok {
		t.Fatalf("hold: %v %v", ok, err)
	}
	if diff := cmp.Diff(h, got); diff != "" {
		t.Errorf("hold (-want +got):\n%s", diff)
	}
	// Only the hold placed at since is lifted: a newer one stays.
	if err := s.DeleteBudgetHold(ctx, "acme", h.Since.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.BudgetHold(ctx, "acme"); !ok || err != nil {
		t.Fatalf("another hold's lift removed it: %v %v", ok, err)
	}
	if err := s.DeleteBudgetHold(ctx, "acme", h.Since); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.BudgetHold(ctx, "acme"); ok || err != nil {
		t.Fatalf("hold after delete: %v %v", ok, err)
	}
	if err := s.DeleteBudgetHold(ctx, "acme", time.Time{}); err != nil {
		t.Errorf("deleting no hold: %v", err)
	}
}
