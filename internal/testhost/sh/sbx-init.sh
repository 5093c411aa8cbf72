#!/bin/bash
# sbx-init.sh NAME MNT LOWER SHARE -- stage 2 of boot.sh.
#
# Runs as PID 1 of fresh pid/mount/uts/ipc/cgroup(/net) namespaces made by
# unshare(1). Builds a throwaway root filesystem (overlay: tmpfs upper over
# LOWER, default "/"), the API filesystems and a minimal /dev, pivot_root()s
# into it and execs systemd as PID 1. Every mount made here lives only in this
# mount namespace: when PID 1 exits the kernel kills the pid namespace and the
# mounts vanish with it. Nothing here writes to the real host's files.
#
# env (set by boot.sh): MCTH_PIDFILE MCTH_TMPFS_SIZE MCTH_SEED MCTH_BINDS
#                       MCTH_MASK MCTH_PREBOOT MCTH_SYSTEMD_ARGS
set -euo pipefail

NAME=$1    # host name (hostname mcth-$NAME)
MNT=$2     # empty host dir used as mount point (only inside this namespace)
LOWER=$3   # overlay lowerdir: "/" or a rootfs dir
SHARE=$4   # host dir bound read-write at /share ("" = none)
TMPFS_SIZE=${MCTH_TMPFS_SIZE:-4g}

# Our PID as the real host sees it (the host procfs is still at /proc; the
# builtin read makes bash itself open /proc/self).
if [ -n "${MCTH_PIDFILE:-}" ]; then
  read -r HOSTPID _ </proc/self/stat
  echo "$HOSTPID" >"$MCTH_PIDFILE.tmp" && mv "$MCTH_PIDFILE.tmp" "$MCTH_PIDFILE"
fi

# 1. A private tmpfs for the overlay upper/work dirs. It must not be on the
#    file system of lowerdir=/ or overlayfs refuses "overlapping" layers.
mount -t tmpfs -o mode=0755,size="$TMPFS_SIZE" "mcth-$NAME" "$MNT"
mkdir -p "$MNT/upper" "$MNT/work" "$MNT/root"
# Seed layers (tarballs of an overlay upper dir made by mkseed.sh) are
# unpacked into the upper dir before the overlay is mounted.
for seed in ${MCTH_SEED:-}; do
  tar -xpf "$seed" --xattrs --xattrs-include='*' --numeric-owner -C "$MNT/upper"
done
mount -t overlay "mcth-$NAME-root" \
  -o "lowerdir=$LOWER,upperdir=$MNT/upper,workdir=$MNT/work" "$MNT/root"
R=$MNT/root

# 2. API file systems (roughly what systemd-nspawn sets up).
mount -t proc -o nosuid,nodev,noexec proc "$R/proc"
# Host-global kernel knobs are read-only (systemd-sysctl and friends skip).
for p in sys sysrq-trigger irq bus fs; do
  if [ -e "$R/proc/$p" ]; then
    mount --bind "$R/proc/$p" "$R/proc/$p"
    mount -o remount,bind,ro,nosuid,nodev,noexec "$R/proc/$p"
  fi
done
mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$R/sys"
# cgroup2 rooted at our cgroup namespace root (the host's .../mcth-$NAME).
# On hybrid hosts the v1-bound controllers (cpu, memory, ...) are missing
# inside: limits are accepted but not enforced.
mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 "$R/sys/fs/cgroup"

# 3. A minimal /dev.
mount -t tmpfs -o mode=0755,nosuid,size=4m "mcth-dev" "$R/dev"
mknod -m 666 "$R/dev/null" c 1 3
mknod -m 666 "$R/dev/zero" c 1 5
mknod -m 666 "$R/dev/full" c 1 7
mknod -m 666 "$R/dev/random" c 1 8
mknod -m 666 "$R/dev/urandom" c 1 9
mknod -m 666 "$R/dev/tty" c 5 0
mkdir -m 755 "$R/dev/pts"
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5,nosuid,noexec devpts "$R/dev/pts"
ln -s pts/ptmx "$R/dev/ptmx"
mkdir -m 1777 "$R/dev/shm"
mount -t tmpfs -o mode=1777,nosuid,nodev shm "$R/dev/shm"
mkdir -m 755 "$R/dev/mqueue"
ln -s /proc/self/fd "$R/dev/fd"
ln -s /proc/self/fd/0 "$R/dev/stdin"
ln -s /proc/self/fd/1 "$R/dev/stdout"
ln -s /proc/self/fd/2 "$R/dev/stderr"
ln -s /proc/kcore "$R/dev/core"
# /dev/console: the pty of script(1) when boot.sh provides one, else /dev/null
# (systemd still logs to the journal inside).
touch "$R/dev/console"
if tty -s 2>/dev/null; then mount --bind "$(tty)" "$R/dev/console"
else mount --bind /dev/null "$R/dev/console"; fi

# 4. Private /run and /tmp.
mount -t tmpfs -o mode=0755,nosuid,nodev,size=20% tmpfs "$R/run"
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$R/tmp"
mkdir -p "$R/run/systemd"
: >"$R/run/systemd/container"
# Marker: code running inside knows it is inside a throwaway host.
echo "$NAME" >"$R/run/mc-testhost-inside"

# 5. The shared dir (binaries, fixtures, sockets), read-write at /share.
if [ -n "$SHARE" ]; then
  mkdir -p "$R/share"
  mount --bind "$SHARE" "$R/share"
fi
# Extra binds: MCTH_BINDS="src[:dst[:ro]] ..." (host path -> path inside).
for b in ${MCTH_BINDS:-}; do
  IFS=: read -r src dst opt <<<"$b"
  dst=${dst:-$src}
  if [ -d "$src" ]; then mkdir -p "$R$dst"
  else mkdir -p "$(dirname "$R$dst")"; [ -e "$R$dst" ] || touch "$R$dst"; fi
  mount --bind "$src" "$R$dst"
  if [ "$opt" = ro ]; then mount -o remount,bind,ro "$R$dst"; fi
done

# 6. Per-host identity, written to the tmpfs upper layer.
echo "mcth-$NAME" >"$R/etc/hostname"
grep -q "mcth-$NAME" "$R/etc/hosts" 2>/dev/null ||
  printf '127.0.1.1\tmcth-%s\n' "$NAME" >>"$R/etc/hosts"
hostname "mcth-$NAME"
od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$R/etc/machine-id"
echo >>"$R/etc/machine-id"
mkdir -p "$R/etc/systemd/system"
ln -sfn /lib/systemd/system/multi-user.target "$R/etc/systemd/system/default.target"
# Units that make no sense in a throwaway host, are slow, or touch hardware.
for u in ${MCTH_MASK:-postgresql.service getty@.service console-getty.service \
  container-getty@.service serial-getty@.service systemd-timesyncd.service \
  apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer \
  e2scrub_reap.service fstrim.timer man-db.timer systemd-pstore.service \
  systemd-journald-audit.socket}; do
  ln -sfn /dev/null "$R/etc/systemd/system/$u"
done
if [ -n "${MCTH_PREBOOT:-}" ]; then chroot "$R" /bin/sh -c "$MCTH_PREBOOT"; fi

# 7. Switch root and exec systemd as PID 1.
cd "$R"
mkdir -p .mcth-oldroot
pivot_root . .mcth-oldroot
cd /
umount -l /.mcth-oldroot
rmdir /.mcth-oldroot

# Drop the capabilities that could change the real host's kernel or hardware
# state (same spirit as systemd-nspawn's default set). This is a guard
# against accidents, not a security boundary.
exec env -i container=other container_uuid="$(cat /etc/machine-id)" \
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin TERM=dumb \
  setpriv --bounding-set -sys_module,-sys_time,-sys_rawio,-syslog,-wake_alarm,-block_suspend,-audit_control,-audit_read,-mac_admin,-mac_override \
  /lib/systemd/systemd --log-color=no --show-status=yes ${MCTH_SYSTEMD_ARGS:-}
