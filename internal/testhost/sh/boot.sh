#!/bin/bash
# boot.sh NAME [SHARE_DIR] -- boot a throwaway host with a real systemd as
# PID 1 inside Linux namespaces (no container runtime). Its root file system
# is an overlay with a tmpfs upper layer over MCTH_LOWER (default "/"), so
# nothing inside can change the real host's /etc/passwd, /etc/sudoers.d,
# systemd units, ... SHARE_DIR (default: $MCTH_STATE/NAME/share) is bound
# read-write at /share inside.
#
# On success prints the host PID of the throwaway host's PID 1 on stdout and
# leaves in $MCTH_STATE/NAME/:
#   exec   a command prefix that runs a command as root inside
#   down   tears the host down and removes this directory
#   pid launcher.pid cgroup net console.log boot-state
#
# env:
#   MCTH_STATE      state root (default /run/mc-testhost)
#   MCTH_LOWER      overlay lowerdir (default "/"; or a debootstrap'd rootfs).
#                   A second lower dir on the file system of "/" fails with
#                   "overlapping lowerdir path": use MCTH_SEED for extra layers.
#   MCTH_SEED       seed tarballs (mkseed.sh) unpacked into the upper layer
#   MCTH_NET        private (default; own netns, lo only) | host
#   MCTH_BINDS      extra binds "src[:dst[:ro]] ..." (host path -> path inside)
#   MCTH_TIMEOUT    seconds to wait for the boot (default 60)
#   MCTH_TMPFS_SIZE size of the tmpfs holding all writes (default 4g)
#   MCTH_MASK       units to mask (default: see sbx-init.sh)
#   MCTH_PREBOOT    shell snippet run chroot'ed in the new root before boot
#   MCTH_CONSOLE    pty (default; boot log to console.log via script(1)) | null
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
NAME=${1:?usage: boot.sh NAME [SHARE_DIR]}
SHARE=${2:-}
ROOT=${MCTH_STATE:-/run/mc-testhost}
STATE=$ROOT/$NAME
LOWER=${MCTH_LOWER:-/}
NET=${MCTH_NET:-private}
TIMEOUT=${MCTH_TIMEOUT:-60}
die() { echo "boot.sh: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "must run as root"
case "$NAME" in "" | scripts-* | *[!a-zA-Z0-9_-]*) die "bad host name '$NAME'" ;; esac
case "$NET" in private | host) ;; *) die "MCTH_NET must be private or host" ;; esac
[ -z "$SHARE" ] || SHARE=$(cd "$SHARE" && pwd)

if [ -f "$STATE/pid" ] && [ -d "/proc/$(cat "$STATE/pid")" ]; then
  die "host $NAME already running (pid $(cat "$STATE/pid"))"
fi
rm -rf "$STATE"
mkdir -p "$STATE/mnt" "$STATE/.bin"
: >"$STATE/.mcth-host" # teardown.sh --all only touches dirs with this marker
echo "$NET" >"$STATE/net"
if [ -z "$SHARE" ]; then SHARE=$STATE/share; mkdir -m 0755 "$SHARE"; fi
echo "$SHARE" >"$STATE/share-path"
t0=$(date +%s%N)

# Per-host copies of exec.sh/teardown.sh plus the two entry points printed by
# `make dev-host`; they keep working even if the scripts dir goes away.
cp "$HERE/exec.sh" "$HERE/teardown.sh" "$STATE/.bin/"
printf '#!/bin/sh\n# Runs a command as root inside throwaway host %s.\nMCTH_STATE=%q exec /bin/bash %q %q "$@"\n' \
  "$NAME" "$ROOT" "$STATE/.bin/exec.sh" "$NAME" >"$STATE/exec"
printf '#!/bin/sh\n# Tears throwaway host %s down and removes its state.\nMCTH_STATE=%q exec /bin/bash %q %q\n' \
  "$NAME" "$ROOT" "$STATE/.bin/teardown.sh" "$NAME" >"$STATE/down"
chmod 0755 "$STATE/exec" "$STATE/down"

# --- a cgroup for the host, in the host's cgroup2 hierarchy -----------------
CG2ROOT=$(findmnt -n -t cgroup2 -o TARGET | head -n1)
[ -n "$CG2ROOT" ] || die "no cgroup2 mount on this machine"
# Below our own v2 cgroup, so it also works inside a delegated subtree
# (systemd-run --scope -p Delegate=yes ...).
SELFCG=$(sed -n 's/^0:://p' /proc/self/cgroup)
CG="$CG2ROOT${SELFCG%/}/mcth-$NAME"
CG=${CG//\/\//\/}
mkdir -p "$CG"
echo "$CG" >"$STATE/cgroup"

NSFLAGS=(--mount --uts --ipc --pid --cgroup --fork --kill-child --propagation private)
[ "$NET" = private ] && NSFLAGS+=(--net)

# --- launch: join the cgroup, then unshare; the child (PID 1) runs sbx-init -
export MCTH_PIDFILE="$STATE/pid"
LAUNCH=(unshare "${NSFLAGS[@]}" "$HERE/sbx-init.sh" "$NAME" "$STATE/mnt" "$LOWER" "$SHARE")
if [ "${MCTH_CONSOLE:-pty}" = pty ] && command -v script >/dev/null; then
  # A pty as /dev/console (like systemd-nspawn); script(1) copies what
  # systemd prints there into console.log.
  LAUNCH=(env SHELL=/bin/bash script -qfec "$(printf '%q ' "${LAUNCH[@]}")" "$STATE/console.log")
  exec 3>/dev/null
else
  exec 3>"$STATE/console.log"
fi
# setsid: the host outlives the caller (make dev-host) and its terminal.
setsid bash -c 'echo $$ > "$1/cgroup.procs"; shift; exec "$@"' _ "$CG" "${LAUNCH[@]}" \
  </dev/null >&3 2>&3 &
LPID=$!
exec 3>&-
echo "$LPID" >"$STATE/launcher.pid"

fail() {
  echo "boot.sh: $*; console log:" >&2
  tail -n 40 "$STATE/console.log" >&2 || true
  exit 1
}

# --- wait for the host PID of the namespace's PID 1 (written by sbx-init) ---
PID=
for _ in $(seq 1 200); do
  PID=$(cat "$STATE/pid" 2>/dev/null) || true
  [ -n "$PID" ] && break
  [ -d "/proc/$LPID" ] || break
  sleep 0.05
done
[ -n "$PID" ] || fail "host $NAME failed to start"

# --- wait until systemd inside reports that the boot finished --------------
state=
for _ in $(seq 1 $((TIMEOUT * 20))); do
  [ -d "/proc/$PID" ] || fail "host $NAME died during boot"
  if [ "$(basename "$(readlink "/proc/$PID/exe" 2>/dev/null)")" = systemd ]; then
    state=$(nsenter -t "$PID" -m -u -i -p -C -r -w -- \
      /usr/bin/systemctl is-system-running 2>/dev/null) || true
    case "$state" in running | degraded) break ;; esac
  fi
  sleep 0.05
done
echo "$state" >"$STATE/boot-state"
ms=$((($(date +%s%N) - t0) / 1000000))
echo "boot.sh: host $NAME pid=$PID state=${state:-timeout} boot=${ms}ms" >&2
case "$state" in running | degraded) echo "$PID" ;; *) fail "host $NAME did not finish booting in ${TIMEOUT}s (state '${state}')" ;; esac
