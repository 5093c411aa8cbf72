package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/config"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/jobs"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/server"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/store"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/trust"
)

// newVerifier checks signed requests and approvals against the config's keys.
func newVerifier(cfg config.Config, hostID string, st *store.Store) (*trust.Verifier, error) {
	keys, err := trust.KeyringFromConfig(cfg.Keys)
	if err != nil {
		return nil, err
	}
	return &trust.Verifier{Keys: keys, HostID: hostID, Nonces: st, Replay: store.ErrReplay, Now: time.Now}, nil
}

// expireLoop ends jobs whose approval deadline passed and forgets nonces
// that expired (their requests are refused as expired anyway), once a
// minute until ctx ends.
func expireLoop(ctx context.Context, q *jobs.Queue, st *store.Store, logger *slog.Logger) {
	every := time.Minute
	if q.ApprovalTTL > 0 && q.ApprovalTTL < 2*every {
		every = max(q.ApprovalTTL/2, 100*time.Millisecond)
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			if n, err := q.ExpireWaiting(ctx); err != nil {
				logger.Error("expire waiting jobs", "error", err)
			} else if n > 0 {
				logger.Info("expired jobs awaiting approval", "count", n)
			}
			// Keep nonces a skew past their expiry, so a request the
			// verifier still accepts as unexpired can never find its nonce gone.
			if err := st.PurgeNonces(ctx, now.Add(-2*trust.ClockSkew)); err != nil {
				logger.Error("purge nonces", "error", err)
			}
		}
	}
}

// serveTLS starts the mutual TLS listener when the config has one; its
// end is reported on errc.
func serveTLS(cfg config.Config, srv *server.Server, errc chan<- error, logger *slog.Logger) error {
	t := cfg.Listen.TLS
	if t.Address == "" {
		return nil
	}
	tlsCfg, err := server.TLSConfig(t.CertFile, t.KeyFile, t.ClientCA)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", t.Address)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", t.Address, err)
	}
	logger.Info("executor serving mutual TLS", "address", ln.Addr().String())
	go func() { errc <- srv.ServeTLS(ln, tlsCfg) }()
	return nil
}

// envApprovalTTL is a test-only knob: how long jobs may await approval
// (jobs.DefaultApprovalTTL otherwise), so host e2e tests can watch a job
// expire.
const envApprovalTTL = "MISSIONCONTROL_TEST_APPROVAL_TTL"

func approvalTTL(q *jobs.Queue) error {
	v := os.Getenv(envApprovalTTL)
	if v == "" {
		return nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return fmt.Errorf("%s: %q is not a positive duration", envApprovalTTL, v)
	}
	q.ApprovalTTL = d
	return nil
}
