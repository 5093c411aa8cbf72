// Package sdnotify tells systemd about the executor's state through the
// sd_notify protocol (sd_notify(3)): READY=1 once the API listens (the
// executor's unit is Type=notify), WATCHDOG=1 pings at half the unit's
// WatchdogSec=, and STOPPING=1 on shutdown. It writes one datagram per
// message to the unix socket NOTIFY_SOCKET names and nothing else; without
// NOTIFY_SOCKET (not run by systemd, or Type= is not notify) every call is
// a no-op. It never reads or changes anything else on the host.
package sdnotify
