// Package health probes every registered tenant's gateway, keeps its
// status, opens and closes incidents, and computes availability.
//
// A probe round (Monitor.Tick) reads systemd's view of every gateway unit in
// one observation (ActiveState, SubState, NRestarts, MainPID: pipelined
// D-Bus calls on the executor's connection to systemd's private socket,
// else one `systemctl show`) and, when health.http is on, asks each running
// gateway's /healthz then /readyz on its loopback port. Each tenant gets a
// status:
//
//   - healthy: the unit runs (and the gateway is live and ready);
//   - degraded: up but not ready or not answering, restarting after its
//     process died, or crash looping (NRestarts rose
//     health.crash_loop_restarts times within health.crash_loop_window);
//   - down: the unit is failed, stopped or missing;
//   - suspended: the tenant is suspended or its gateway disabled;
//   - maintenance: a job for the tenant is running;
//   - unknown: not probed, or the probe itself failed.
//
// A change of status (or cause) is stored as a transition; availability over
// a window is computed from those (see Availability), never from samples.
// health.open_after bad probes (degraded or down) in a row open an incident,
// health.close_after healthy ones close it. Suspension, maintenance and
// unknown neither open nor close incidents, and their time is excluded from
// availability.
//
// The package only reads the host: it never starts, stops or restarts units
// (systemd's Restart= does that). The probe loop starts in Run, never in
// New, so tests drive single rounds with Tick and a fixed clock.
package health
