#!/bin/sh
# missioncontrol-executor postinst: group, directories, the first policy, and
# the service. Tenants, their gateways and archives are never touched here.
set -e
[ "$1" = configure ] || exit 0

if command -v systemd-sysusers >/dev/null 2>&1; then
	systemd-sysusers missioncontrol.conf
elif ! getent group missioncontrol >/dev/null; then
	groupadd --system missioncontrol
fi
if command -v systemd-tmpfiles >/dev/null 2>&1; then
	systemd-tmpfiles --create missioncontrol.conf
fi

# The policy belongs to the operator, not to dpkg: it is created once from the
# shipped default and its command pins are taken from this host's binaries
# (check them: missioncontrol-executor policy check /etc/missioncontrol/policy.hcl).
policy=/etc/missioncontrol/policy.hcl
pinned=yes
if [ ! -e "$policy" ]; then
	install -m 0640 -o root -g root /usr/share/missioncontrol-executor/policy.hcl "$policy"
	if ! /usr/bin/missioncontrol-executor policy pin --write "$policy"; then
		pinned=
		echo "missioncontrol-executor: $policy names a command this host lacks (above), so it is left" \
			"unpinned and the executor is not started. Install the tool (sudo for visudo; the OpenClaw" \
			"runtime: scripts/install-openclaw.sh) or remove its command block, then run:" \
			"missioncontrol-executor policy pin --write $policy && systemctl restart missioncontrol-executor" >&2
	fi
fi

if [ -d /run/systemd/system ]; then
	systemctl daemon-reload
	if [ -z "$2" ]; then
		systemctl enable missioncontrol-executor.service
	fi
	# A running job is interrupted by the restart: the executor marks it
	# failed on start and `retry` converges. A service that cannot start
	# (configuration, pins, runtime) does not fail the package: it says why.
	if [ -n "$pinned" ]; then
		systemctl restart missioncontrol-executor.service ||
			echo "missioncontrol-executor did not start: journalctl -u missioncontrol-executor" >&2
	fi
fi
