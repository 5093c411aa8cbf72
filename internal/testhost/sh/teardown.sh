#!/bin/bash
# teardown.sh NAME... | --all -- stop throwaway hosts and remove every trace.
#  1. ask systemd inside to power off (SIGRTMIN+4 = container poweroff);
#  2. after MCTH_STOP_TIMEOUT (default 10 s) kill the host's cgroup (SIGKILL
#     to every process in it; killing PID 1 kills the whole pid namespace,
#     and the mount namespace with its overlay and tmpfs goes with it);
#  3. remove the cgroup subtree and the state dir (which holds the default
#     share dir).
# --all tears down every host under $MCTH_STATE (stale ones after a crash)
# and removes empty, orphaned mcth-* cgroups and the scripts of other
# harness versions. Exits 1 if anything is left.
set -uo pipefail
ROOT=${MCTH_STATE:-/run/mc-testhost}
TO=${MCTH_STOP_TIMEOUT:-10}
rc=0

alive() { [ -n "$1" ] && [ -d "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }
# Only signal PID if it still is the host we started (pid reuse guard):
# systemd whose parent is unshare(1).
ours() {
  local pp
  pp=$(awk '/^PPid:/{print $2}' "/proc/$1/status" 2>/dev/null)
  [ "$(basename "$(readlink "/proc/$1/exe" 2>/dev/null)")" = systemd ] &&
    [ "$(basename "$(readlink "/proc/$pp/exe" 2>/dev/null)")" = unshare ]
}
killcg() { # SIGKILL everything in cgroup $1 (cgroup.kill, kernel >= 5.14)
  [ -d "$1" ] || return 0
  if [ -e "$1/cgroup.kill" ]; then echo 1 >"$1/cgroup.kill" 2>/dev/null; return 0; fi
  find "$1" -name cgroup.procs -exec cat {} + 2>/dev/null | xargs -r kill -9 2>/dev/null
  return 0
}
rmcg() { # remove cgroup subtree $1 (bottom-up), waiting for dying tasks
  [ -d "$1" ] || return 0
  for _ in $(seq 1 50); do
    find "$1" -depth -type d -exec rmdir {} \; 2>/dev/null
    [ -d "$1" ] || return 0
    sleep 0.1
  done
  echo "teardown.sh: WARNING cgroup $1 still present" >&2
  return 1
}

one() {
  local name=$1 state=$ROOT/$1 pid lpid cg t0 i
  case "$name" in "" | scripts-* | *[!a-zA-Z0-9_-]*) echo "teardown.sh: bad host name '$name'" >&2; return 1 ;; esac
  [ -d "$state" ] || { echo "teardown.sh: no throwaway host $name" >&2; return 0; }
  pid=$(cat "$state/pid" 2>/dev/null || true)
  lpid=$(cat "$state/launcher.pid" 2>/dev/null || true)
  cg=$(cat "$state/cgroup" 2>/dev/null || true)
  t0=$(date +%s%N)
  if alive "$pid" && ours "$pid"; then
    kill -s RTMIN+4 "$pid" 2>/dev/null
    for ((i = 0; i < TO * 20; i++)); do alive "$pid" || break; sleep 0.05; done
    if alive "$pid"; then
      echo "teardown.sh: $name: graceful poweroff timed out, SIGKILL" >&2
      kill -9 "$pid" 2>/dev/null
    fi
  fi
  # Anything still in the host's cgroup (a half-booted host) gets SIGKILL.
  [ -n "$cg" ] && case "$cg" in */mcth-"$name") killcg "$cg" ;; esac
  # script(1) and unshare(1) exit once PID 1 is gone.
  for ((i = 0; i < 100; i++)); do alive "$lpid" || break; sleep 0.05; done
  alive "$lpid" && kill -9 "$lpid" 2>/dev/null
  if [ -n "$cg" ]; then case "$cg" in */mcth-"$name") rmcg "$cg" || rc=1 ;; esac; fi
  # Nothing of the host may be mounted here any more before we delete files.
  if grep -F " $state/" /proc/self/mountinfo >/dev/null 2>&1; then
    echo "teardown.sh: WARNING $name: mounts under $state remain; keeping it" >&2
    rc=1
    return 0
  fi
  rm -rf "$state"
  echo "teardown.sh: host $name stopped in $((($(date +%s%N) - t0) / 1000000))ms" >&2
}

[ $# -gt 0 ] || { echo "usage: teardown.sh NAME... | --all" >&2; exit 2; }
if [ "$1" = --all ]; then
  for d in "$ROOT"/*/; do
    [ -f "$d/.mcth-host" ] && one "$(basename "$d")"
  done
  # Leftover cgroups without a state dir here: remove them when they hold no
  # process and are older than a minute (a host booting right now, maybe
  # under another MCTH_STATE, has a fresh or populated cgroup).
  CG2ROOT=$(findmnt -n -t cgroup2 -o TARGET | head -n1)
  if [ -n "$CG2ROOT" ]; then
    while IFS= read -r cg; do
      [ -d "$ROOT/${cg##*/mcth-}" ] && continue
      [ -z "$(find "$cg" -name cgroup.procs -exec cat {} + 2>/dev/null)" ] || continue
      rmcg "$cg" || rc=1
    done < <(find "$CG2ROOT" -maxdepth 4 -type d -name 'mcth-*' -mmin +1 2>/dev/null)
  fi
  # Scripts of other harness versions (the current one is ours).
  HERE=$(cd "$(dirname "$0")" && pwd)
  for d in "$ROOT"/scripts-*/; do
    [ -d "$d" ] && [ "${d%/}" != "$HERE" ] && rm -rf "${d%/}"
  done
  exit $rc
fi
for n in "$@"; do one "$n" || rc=1; done
exit $rc
