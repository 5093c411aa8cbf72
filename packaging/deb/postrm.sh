#!/bin/sh
# missioncontrol-executor postrm. Removal and purge leave tenants alone: their
# users, homes under /srv/missioncontrol, configuration under
# /etc/missioncontrol/tenants, gateway units, the state database and the
# archives in /var/lib/missioncontrol stay. Purge removes only the policy
# postinst created.
set -e
if [ "$1" = purge ]; then
	rm -f /etc/missioncontrol/policy.hcl
fi
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload || true
fi
