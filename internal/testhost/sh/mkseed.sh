#!/bin/bash
# mkseed.sh OUT.tar 'shell commands' -- build a seed layer for boot.sh
# (MCTH_SEED=OUT.tar). Runs the commands chroot'ed in a throwaway overlay of
# MCTH_LOWER (default "/") with the machine's network (so apt works) and
# tars up only the overlay's upper dir, i.e. the changes. Nothing is written
# to the real root file system: the overlay's upper layer is a tmpfs in a
# private mount namespace, and maintainer scripts may not start services.
# OUT is replaced atomically.
# Example: mkseed.sh /var/cache/x/sudo.tar 'apt-get install -y --no-install-recommends sudo'
set -euo pipefail
OUT=$(realpath -m "${1:?usage: mkseed.sh OUT.tar CMD}")
CMD=${2:?usage: mkseed.sh OUT.tar CMD}
LOWER=${MCTH_LOWER:-/}
[ "$(id -u)" = 0 ] || { echo "mkseed.sh: must run as root" >&2; exit 1; }
mkdir -p "$(dirname "$OUT")"
W=$(mktemp -d /tmp/mcth-seed.XXXXXX)
trap 'rmdir "$W" 2>/dev/null || true; rm -f "$OUT.tmp.$$"' EXIT
t0=$(date +%s%N)
unshare --mount --pid --uts --ipc --fork --propagation private bash -euo pipefail -c '
W=$1; LOWER=$2; CMD=$3; TMP=$4
mount -t tmpfs -o mode=0755,size=8g mcth-seed "$W"
mkdir "$W/upper" "$W/work" "$W/root"
mount -t overlay mcth-seed -o "lowerdir=$LOWER,upperdir=$W/upper,workdir=$W/work" "$W/root"
R=$W/root
mount -t proc proc "$R/proc"
mount --rbind /dev "$R/dev"
mount --make-rslave "$R/dev"
mount -t sysfs -o ro sysfs "$R/sys"
mount -t tmpfs tmpfs "$R/run"
mount -t tmpfs tmpfs "$R/tmp"
# Maintainer scripts must never start services.
printf "#!/bin/sh\nexit 101\n" >"$R/tmp/policy-rc.d"
chmod +x "$R/tmp/policy-rc.d"
NEWPOL=
if [ ! -e "$R/usr/sbin/policy-rc.d" ]; then cp "$R/tmp/policy-rc.d" "$R/usr/sbin/policy-rc.d"; NEWPOL=1; fi
chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
  DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 /bin/sh -ec "$CMD"
if [ -n "$NEWPOL" ]; then rm -f "$R/usr/sbin/policy-rc.d"; fi
chroot "$R" /bin/sh -c "apt-get clean >/dev/null 2>&1 || true"
tar -C "$W/upper" --xattrs --xattrs-include="*" --numeric-owner \
  --exclude=./var/cache/apt --exclude=./var/lib/apt/lists --exclude=./var/log \
  --exclude=./run --exclude=./tmp --exclude=./root/.cache \
  -cpf "$TMP" .
' _ "$W" "$LOWER" "$CMD" "$OUT.tmp.$$"
mv -f "$OUT.tmp.$$" "$OUT"
echo "mkseed.sh: $OUT ($(du -h "$OUT" | cut -f1)) in $((($(date +%s%N) - t0) / 1000000))ms" >&2
