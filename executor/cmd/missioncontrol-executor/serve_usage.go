package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/audit"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/budget"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/config"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/ingest"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/jobs"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/metrics"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/store"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/usage"
)

// startUsage registers usage and budget metrics and starts the ingestion
// loop (usage.interval; 0 leaves it off), which checks budgets after every
// pass and asks q to suspend tenants over budget. stop ends the loop and
// waits for it, so call it before the store closes.
func startUsage(ctx context.Context, cfg config.Config, st *store.Store, reg *metrics.Registry, logger *slog.Logger,
	q *jobs.Queue, log *audit.Log) (stop func(), err error) {
	prices := usage.DefaultPrices()
	if cfg.Usage.PricesFile != "" {
		if prices, err = usage.LoadPrices(cfg.Usage.PricesFile); err != nil {
			return nil, fmt.Errorf("usage.prices_file: %w", err)
		}
	}
	budgets := budget.New(budget.Options{Store: st, Audit: log, Suspender: q, Logger: logger.With("component", "budget")})
	if err := reg.Register(budgets); err != nil {
		return nil, fmt.Errorf("register budget metrics: %w", err)
	}
	ing := ingest.New(st, ingest.Options{Interval: cfg.Usage.Interval, Prices: prices, Logger: logger.With("component", "usage"),
		OnTick: func(ctx context.Context) {
			if err := budgets.Check(ctx); err != nil && ctx.Err() == nil {
				logger.Warn("budget check", "component", "budget", "error", err)
			}
		}})
	if err := reg.Register(ing); err != nil {
		return nil, fmt.Errorf("register usage metrics: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = ing.Run(ctx)
	}()
	return func() { cancel(); <-done }, nil
}

// startMetrics serves reg on metrics.listen; an empty address serves
// nothing. stop shuts the listener down.
func startMetrics(cfg config.Config, reg *metrics.Registry, logger *slog.Logger) (stop func(), err error) {
	if cfg.Metrics.Listen == "" {
		return func() {}, nil
	}
	srv, err := metrics.Listen(cfg.Metrics.Listen, reg)
	if err != nil {
		return nil, fmt.Errorf("metrics.listen: %w", err)
	}
	go func() {
		if err := srv.Serve(); err != nil {
			logger.Error("metrics listener stopped", "error", err)
		}
	}()
	logger.Info("metrics serving", "listen", srv.Addr().String())
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}
