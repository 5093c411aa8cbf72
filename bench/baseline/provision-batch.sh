#!/bin/bash
# Baseline (b): provision-plain.sh with one batched `systemctl enable --now`
# for all units (one reload: the practical floor). As in the reference baselines
# (shared/reference/baselines.md); run as root inside a throwaway host with
# this directory at /share/baseline. Usage: provision-batch.sh N
set -euo pipefail
N=$1
SHARE=$(dirname "$0")
UNIT=/etc/systemd/system/missioncontrol-gateway@.service
TMP=$(mktemp)
units=()
install -d -m 0755 /srv/missioncontrol/tenants /etc/missioncontrol/tenants
install -m 0644 "$SHARE/missioncontrol-gateway@.service" "$UNIT"
systemctl daemon-reload
for i in $(seq 1 "$N"); do
  n=$(printf 't%02d' "$i"); u=mc-$n; id=$((20000 + i)); port=$((20000 + 20 * i))
  home=/srv/missioncontrol/tenants/$n; edir=/etc/missioncontrol/tenants/$n
  groupadd -g "$id" "$u"
  useradd -u "$id" -g "$id" -M -d "$home" -s /usr/sbin/nologin "$u"
  install -d -m 0750 -o "$u" -g "$u" "$home" "$home/.openclaw" "$home/.openclaw/workspace-main"
  token=$(openssl rand -hex 32)
  . "$SHARE/openclaw.json.sh" > "$TMP"
  install -m 0640 -o "$u" -g "$u" "$TMP" "$home/.openclaw/openclaw.json"
  install -d -m 0750 -o root -g "$u" "$edir"
  printf 'PORT=%s\n' "$port" > "$TMP"
  install -m 0640 -o root -g "$u" "$TMP" "$edir/gateway.env"
  units+=("missioncontrol-gateway@$n.service")
done
systemctl enable --now "${units[@]}"
rm -f "$TMP"
