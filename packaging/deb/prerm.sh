#!/bin/sh
# missioncontrol-executor prerm: stop the executor on removal (not on
# upgrade: postinst restarts it). Tenants' gateways keep running.
set -e
if [ "$1" = remove ] && [ -d /run/systemd/system ]; then
	systemctl disable --now missioncontrol-executor.service || true
fi
