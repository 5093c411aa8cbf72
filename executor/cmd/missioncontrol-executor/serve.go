package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"os/user"
	"strconv"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/audit"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/config"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/fault"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/jobs"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/logctx"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/metrics"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/openclaw"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/plan"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/policy"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/sdnotify"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/server"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/steps"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/store"
)

// envStepDelay is a test-only knob: a pause before every job step, so host
// e2e tests can kill the executor in the middle of a job.
const envStepDelay = "MISSIONCONTROL_TEST_STEP_DELAY"

// checkGateway refuses to serve gateways the host cannot run as reviewed:
// a configured OpenClaw runtime must be the installed, unmodified pinned
// version, and the policy must pin every file of gateway.command (Verify
// above has checked the pins against this host).
func checkGateway(cfg config.Config, pol *policy.Policy) error {
	if g := cfg.Gateway; g.Runtime != "" {
		// The renderer writes configuration for exactly one OpenClaw.
		if g.OpenClawVersion != openclaw.Version || g.NodeVersion != openclaw.NodeVersion {
			return fmt.Errorf("gateway: this executor runs gateways on OpenClaw %s with node %s, the configuration names OpenClaw %s with node %s",
				openclaw.Version, openclaw.NodeVersion, g.OpenClawVersion, g.NodeVersion)
		}
		if _, err := (openclaw.Runtime{Prefix: g.Runtime}).Check(); err != nil {
			return fmt.Errorf("gateway.runtime %s cannot be served (install it with scripts/install-openclaw.sh): %w", g.Runtime, err)
		}
	}
	pins := pol.Pins()
	for _, f := range policy.GatewayFiles(cfg.Gateway.Command) {
		if _, ok := pins[f]; !ok {
			return fmt.Errorf("policy %s cannot be served: gateway.command runs %s, which the policy does not pin: add command %q { sha256 = \"\" } and run: missioncontrol-executor policy pin --write %s",
				cfg.PolicyFile, f, f, cfg.PolicyFile)
		}
	}
	return nil
}

func newServeCmd() *cobra.Command {
	var cfgPath string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the executor daemon on this host",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			return serve(ctx, cfgPath, cmd.ErrOrStderr())
		},
	}
	cmd.Flags().StringVar(&cfgPath, "config", "/etc/missioncontrol/executor.hcl", "executor configuration file (HCL)")
	return cmd
}

func serve(ctx context.Context, cfgPath string, logOut io.Writer) error {
	// JSON lines on stderr (the journal under systemd); lines about a request
	// or a job carry its request_id, job and tenant (package logctx).
	logger := slog.New(logctx.NewHandler(slog.NewJSONHandler(logOut, nil)))
	cfg, err := config.Load(cfgPath)
	if err != nil {
		return err
	}
	pol, err := policy.Load(cfg.PolicyFile)
	if err != nil {
		return err
	}
	if err := pol.Verify(policy.HashFile); err != nil {
		return fmt.Errorf("policy %s cannot be served: %w", cfg.PolicyFile, err)
	}
	if err := checkGateway(cfg, pol); err != nil {
		return err
	}
	hostID, err := cfg.ResolveHostID("/etc/machine-id")
	if err != nil {
		return err
	}
	gid := -1
	if cfg.Listen.Group != "" {
		g, err := user.LookupGroup(cfg.Listen.Group)
		if err != nil {
			return fmt.Errorf("listen.group %q: %w", cfg.Listen.Group, err)
		}
		gid, _ = strconv.Atoi(g.Gid)
	}
	for _, d := range []struct {
		path string
		mode os.FileMode
	}{{cfg.StateDir, 0o700}, {cfg.Tenants.ArchiveDir, 0o700}, {cfg.Tenants.Root, 0o755}, {cfg.Tenants.ConfigRoot, 0o755}} {
		if err := os.MkdirAll(d.path, d.mode); err != nil {
			return fmt.Errorf("create %s: %w", d.path, err)
		}
	}
	st, err := store.Open(cfg.DBPath())
	if err != nil {
		return err
	}
	defer st.Close()
	auditLog := audit.New(st.DB(), time.Now).SharingWrites(st.WriteLock())

	host := &steps.Host{
		Runner: steps.ExecRunner{Pins: pol.Pins(), Hashes: &steps.FileHashes{}},
		Commands: steps.Commands{
			Groupadd: cfg.Commands.Groupadd, Useradd: cfg.Commands.Useradd, Usermod: cfg.Commands.Usermod,
			Userdel: cfg.Commands.Userdel, Groupdel: cfg.Commands.Groupdel, Systemctl: cfg.Commands.Systemctl,
			Visudo: cfg.Commands.Visudo, Tar: cfg.Commands.Tar,
		},
	}
	// Plans, tenant reads and health rounds observe units over one
	// connection to systemd's private socket; a read that fails runs
	// systemctl instead (steps.SystemdBus says why).
	bus, systemdVersion, err := steps.DialSystemd(ctx, steps.SystemdPrivateSocket)
	if err != nil {
		logger.Warn("observing units with systemctl until systemd's D-Bus API answers", "error", err)
		bus = steps.NewSystemdBus(steps.SystemdPrivateSocket)
	}
	defer bus.Close()
	host.Units = bus
	planner := &plan.Planner{
		Config: cfg, Policy: func() *policy.Policy { return pol }, Host: host, Registry: st,
		Render: plan.Renderer{Config: cfg}, HostID: hostID,
	}
	if err := installTemplate(ctx, planner, host, auditLog); err != nil {
		return err
	}
	queue := jobs.New(st, planner, host, auditLog, time.Now, logger)
	verifier, err := newVerifier(cfg, hostID, st)
	if err != nil {
		return err
	}
	queue.Trust = verifier
	if err := approvalTTL(queue); err != nil {
		return err
	}
	if d := os.Getenv(envStepDelay); d != "" {
		if queue.StepDelay, err = time.ParseDuration(d); err != nil {
			return fmt.Errorf("%s: %w", envStepDelay, err)
		}
	}
	if err := crashPoints(queue, logger); err != nil {
		return err
	}
	n, err := queue.Recover(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		logger.Warn("marked interrupted jobs failed", "count", n)
	}
	srv := &server.Server{
		Planner: planner, Queue: queue, Store: st, GID: gid, Logger: logger,
		Trust: verifier, Audit: auditLog,
		Info: func(ctx context.Context) api.Info {
			info := api.Info{Version: version, APIVersion: api.Version, HostID: hostID, PolicyRevision: pol.Revision()}
			if list, err := st.ListTenants(ctx); err == nil {
				for _, t := range list {
					if !t.Decommissioned {
						info.TenantCount++
					}
				}
			}
			return info
		},
	}
	reg := metrics.New()
	stopUsage, err := startUsage(ctx, cfg, st, reg, logger, queue, auditLog)
	if err != nil {
		return err
	}
	defer stopUsage()
	stopHealth, err := startHealth(ctx, cfg, st, host, srv, reg, logger)
	if err != nil {
		return err
	}
	defer stopHealth()
	stopMetrics, err := startMetrics(cfg, reg, logger)
	if err != nil {
		return err
	}
	defer stopMetrics()
	ln, err := server.Listen(cfg.Listen.Socket, cfg.Listen.Mode, gid)
	if err != nil {
		return err
	}
	logger.Info("executor serving", "socket", cfg.Listen.Socket, "host_id", hostID, "policy_revision", pol.Revision(), "version", version, "systemd", systemdVersion)
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()
	go expireLoop(ctx, queue, st, logger)
	if err := serveTLS(cfg, srv, errc, logger); err != nil {
		queue.Close()
		return err
	}
	notifier := notifySystemd(ctx, st, logger)
	select {
	case err := <-errc:
		queue.Close()
		return err
	case <-ctx.Done():
	}
	notifier.Notify(sdnotify.Stopping)
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = srv.Shutdown(shutdown)
	queue.Close()
	logger.Info("executor stopped")
	return err
}

// crashPoints wires the test-only fault injection (package fault) into the
// queue when fault.EnvFile is set; a build without it refuses to start then.
func crashPoints(q *jobs.Queue, logger *slog.Logger) error {
	in, err := fault.New(os.Getenv(fault.EnvFile), logger)
	if err != nil || in == nil {
		return err
	}
	logger.Warn("fault injection enabled (test-only build)", "trigger", os.Getenv(fault.EnvFile))
	q.CrashPoint = func(tenant string, step int, after bool) {
		p := fault.Point{Tenant: tenant, Phase: fault.Before, Step: step}
		if after {
			p.Phase = fault.After
		}
		in.At(p)
	}
	return nil
}

// notifySystemd tells systemd the executor is ready (its unit is
// Type=notify: dependents start only once the API listens) and, when the
// unit has WatchdogSec=, pings the watchdog while the store answers. Outside
// systemd it does nothing.
func notifySystemd(ctx context.Context, st *store.Store, logger *slog.Logger) sdnotify.Notifier {
	n, err := sdnotify.FromEnv(os.Getenv, os.Getpid())
	if err != nil {
		logger.Warn("systemd notification disabled", "error", err)
		return sdnotify.Notifier{}
	}
	if _, err := n.Notify(sdnotify.Ready); err != nil {
		logger.Warn("systemd readiness", "error", err)
	}
	go n.RunWatchdog(ctx, st.DB().PingContext, func(err error) { logger.Warn("systemd watchdog", "error", err) })
	return n
}

// installTemplate keeps the shared gateway template unit in step with the
// configuration. It is audited like any step; if the audit record cannot be
// written, the unit is not touched.
func installTemplate(ctx context.Context, p *plan.Planner, host *steps.Host, log *audit.Log) error {
	act, err := p.InstallTemplate(ctx)
	if err != nil || act == nil {
		return err
	}
	data, _ := api.CanonicalJSON(act.Step)
	if _, err := log.Append(ctx, audit.Record{Type: "step", Actor: "executor", Outcome: "started", Data: data}); err != nil {
		return fmt.Errorf("audit template install: %w", err)
	}
	if _, err := act.Apply(ctx, host); err != nil {
		return fmt.Errorf("install gateway template unit: %w", err)
	}
	reload := steps.DaemonReload(host, "gateway template unit changed")
	if _, err := reload.Apply(ctx, host); err != nil {
		return fmt.Errorf("daemon-reload after template install: %w", err)
	}
	return nil
}
