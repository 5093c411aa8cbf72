// Package testhost boots throwaway Linux hosts with a real systemd as PID 1
// for host end-to-end tests, provider acceptance tests, benchmarks and
// `make dev-host`.
//
// A throwaway host is a set of fresh pid, mount, uts, ipc, cgroup and
// (by default) network namespaces made with unshare(1), whose root file
// system is an overlay: the machine's "/" as the read-only lower layer and a
// tmpfs as the upper layer. Every write inside (useradd, unit files,
// sudoers fragments, /srv) lands in that tmpfs and vanishes with the host.
// A host directory is bound read-write at /share for binaries, fixtures and
// the executor's unix socket, which is reachable from the real host by its
// host path.
//
// The package never changes the real host: not its /etc, users, groups,
// sudoers or units, and it installs no packages on it. What it writes
// outside the throwaway hosts is its own bookkeeping: the state dir
// /run/mc-testhost (one directory per host, plus the embedded scripts),
// one cgroup mcth-NAME per host below the caller's cgroup2 cgroup, and the
// cache /var/cache/missioncontrol/testhost (seed layers, executor builds).
// It is a guard against accidents, not a security boundary: root inside
// keeps CAP_SYS_ADMIN and shares the kernel and the user namespace.
//
// Hosts need root, util-linux (unshare, nsenter, setpriv), overlayfs and a
// mounted cgroup2 hierarchy; tests call Require, which skips loudly
// otherwise. The shell side lives in sh/ (boot.sh, sbx-init.sh, exec.sh,
// teardown.sh, mkseed.sh); it is embedded and written to
// /run/mc-testhost/scripts-<hash> on first use, so the package works from
// any working directory. After a crash, `teardown.sh --all` (or
// TeardownAll, or `go run ./internal/testhost/cmd/devhost -down-all`)
// removes stale hosts.
package testhost
