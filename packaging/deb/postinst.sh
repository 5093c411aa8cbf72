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
if [ ! -e /etc/missioncontrol/policy.hcl ]; then
	install -m 0640 -o root -g root /usr/share/missioncontrol-executor/policy.hcl /etc/missioncontrol/policy.hcl
	/usr/bin/missioncontrol-executor policy pin --write /etc/missioncontrol/policy.hcl
fi

if [ -d /run/systemd/system ]; then
	systemctl daemon-reload
	if [ -z "$2" ]; then
		systemctl enable missioncontrol-executor.service
	fi
	# A running job is interrupted by the restart: the executor marks it
	# failed on start and `retry` converges.
	systemctl restart missioncontrol-executor.service
fi
