package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/config"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/health"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/metrics"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/plan"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/server"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/store"
)

// startHealth starts the gateway health probes (the health block), serves
// them on srv and registers their metrics in reg. stop ends the probe loop,
// which records every tenant as unknown from then on, and waits for it.
func startHealth(ctx context.Context, cfg config.Config, st *store.Store, units health.UnitReader, srv *server.Server,
	reg *metrics.Registry, logger *slog.Logger) (stop func(), err error) {
	mon := health.New(health.Options{
		Config: cfg.Health, Store: st, Units: units,
		UnitName: func(tenant string) string { return plan.GatewayUnit(cfg, tenant) },
		SuspendReason: func(ctx context.Context, tenant string) string {
			if _, held, err := st.BudgetHold(ctx, tenant); err == nil && held {
				return health.SuspendBudget
			}
			return ""
		},
		Logger: logger.With("component", "health"),
	})
	if err := reg.Register(mon); err != nil {
		return nil, fmt.Errorf("register health metrics: %w", err)
	}
	srv.Health = mon
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = mon.Run(ctx)
	}()
	return func() { cancel(); <-done }, nil
}
