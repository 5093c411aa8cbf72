#!/bin/bash
# exec.sh NAME cmd [args...] -- run a command as root inside throwaway host
# NAME, with an empty environment plus a sane PATH. stdin, stdout, stderr and
# the exit code pass through.
#   MCTH_EXEC=ns   (default) nsenter into all namespaces of the host's PID 1.
#                  Fast (~10 ms); the process is not in the inner systemd's
#                  cgroup tree (fine for systemctl, useradd, visudo, ...).
#   MCTH_EXEC=unit run it as a transient service inside (systemd-run --pipe
#                  --wait): tracked by the inner systemd; ~50-100 ms extra.
set -euo pipefail
NAME=${1:?usage: exec.sh NAME cmd...}
shift
[ $# -gt 0 ] || { echo "exec.sh: no command" >&2; exit 2; }
STATE=${MCTH_STATE:-/run/mc-testhost}/$NAME
PID=$(cat "$STATE/pid" 2>/dev/null) || { echo "exec.sh: no throwaway host $NAME" >&2; exit 125; }
# Refuse to enter a recycled PID: it must still be systemd started by unshare.
PP=$(awk '/^PPid:/{print $2}' "/proc/$PID/status" 2>/dev/null || true)
if [ "$(basename "$(readlink "/proc/$PID/exe" 2>/dev/null)")" != systemd ] ||
  [ "$(basename "$(readlink "/proc/$PP/exe" 2>/dev/null)")" != unshare ]; then
  echo "exec.sh: throwaway host $NAME (pid $PID) is not running" >&2
  exit 125
fi
ENV=(env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
  HOME=/root LANG=C.UTF-8 TERM="${TERM:-dumb}" SYSTEMD_PAGER= SYSTEMD_COLORS=0
  MC_TESTHOST_INSIDE=1)
NS=(nsenter -t "$PID" -m -u -i -p -C -r -w)
[ "$(cat "$STATE/net" 2>/dev/null || echo private)" = host ] || NS+=(-n)
if [ "${MCTH_EXEC:-ns}" = unit ]; then
  exec "${NS[@]}" -- "${ENV[@]}" systemd-run --quiet --pipe --wait --collect \
    --service-type=exec -- "$@"
fi
exec "${NS[@]}" -- "${ENV[@]}" "$@"
