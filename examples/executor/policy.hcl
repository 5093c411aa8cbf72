# missioncontrol-executor policy (reference). Deny by default: anything not
# allowed here is refused, and deny rules override allow rules. Every decision
# is audited with the rule that made it.
#
#   missioncontrol-executor policy check /etc/missioncontrol/policy.hcl
#   missioncontrol-executor policy pin --write /etc/missioncontrol/policy.hcl

# Step kinds the executor may run. The last line is what decommissioning a
# tenant needs (archive, then remove user, group and files) and what
# `archive restore` needs (restore).
actions {
  allow = ["ensure_group", "ensure_user", "ensure_dir", "ensure_file", "ensure_secret", "install_unit",
    "daemon_reload", "enable_unit", "restart_unit", "stop_unit", "sudoers", "remove_file",
  "archive", "remove_user", "remove_group", "remove_dir", "restore"]
}

# Tenant names. mc-<name> must fit the 32-character limit of user names.
names {
  pattern  = "^[a-z][a-z0-9-]{1,28}$"
  reserved = ["root", "admin", "daemon", "bin", "sys", "nobody", "missioncontrol", "systemd", "sudo"]
}

# Environments a tenant may declare; each needs an entry in approvals.
environments = ["development", "staging", "production"]

# Path prefixes steps may touch. Both lists are plain string prefixes: end a
# directory with "/" to allow what is inside it but not its siblings; a deny
# entry also denies every path that merely starts with it.
paths {
  allow = ["/srv/missioncontrol/tenants/", "/etc/missioncontrol/tenants/",
    "/etc/systemd/system/missioncontrol-gateway@", "/etc/sudoers.d/missioncontrol-",
  "/var/lib/missioncontrol/archives/"]
  deny = ["/etc/missioncontrol/tenants/root"]
}

# uids and gids of tenant users and groups (min >= 1000).
uids {
  min = 20000
  max = 29999
}

# Gateway ports: a base port is allowed when base..base+4 is inside.
ports {
  min = 20000
  max = 29999
}

# systemd units (path.Match globs) and systemctl verbs unit steps may use.
units {
  allow = ["missioncontrol-gateway@*.service"]
  verbs = ["daemon-reload", "enable", "restart", "disable"]
}

# One block per executable the executor may run; sha256 pins the file. The
# zeros are placeholders that count as unpinned (commands stay denied); on the
# host, `missioncontrol-executor policy pin --write FILE` fills in the real
# hashes, and `policy check FILE` reports any that no longer match.
command "/usr/sbin/groupadd" { sha256 = "0000000000000000000000000000000000000000000000000000000000000000" }
command "/usr/sbin/useradd" { sha256 = "0000000000000000000000000000000000000000000000000000000000000000" }
command "/usr/sbin/usermod" { sha256 = "0000000000000000000000000000000000000000000000000000000000000000" }
command "/usr/sbin/userdel" { sha256 = "0000000000000000000000000000000000000000000000000000000000000000" }
command "/usr/sbin/groupdel" { sha256 = "0000000000000000000000000000000000000000000000000000000000000000" }
command "/usr/bin/systemctl" { sha256 = "0000000000000000000000000000000000000000000000000000000000000000" }
command "/usr/sbin/visudo" { sha256 = "0000000000000000000000000000000000000000000000000000000000000000" }
command "/usr/bin/tar" { sha256 = "0000000000000000000000000000000000000000000000000000000000000000" }

# The files of every tenant's gateway: each absolute path in gateway.command
# of executor.hcl (node and OpenClaw's entry point). systemd runs them, not
# the executor, so a plan that starts or restarts a gateway checks them
# against these pins, and so does the step when it runs. Upgrading the
# runtime therefore takes a reviewed re-pin before any tenant runs it.
command "/opt/missioncontrol/openclaw/node/bin/node" { sha256 = "0000000000000000000000000000000000000000000000000000000000000000" }
command "/opt/missioncontrol/openclaw/node_modules/openclaw/openclaw.mjs" { sha256 = "0000000000000000000000000000000000000000000000000000000000000000" }

# Command lines a tenant's sudoers fragment may list. Globs match word by
# word: a wildcard never spans a space or a '/'. Tenant commands themselves
# must be exact (no wildcards).
sudo {
  allow_commands = ["/usr/bin/systemctl restart missioncontrol-gateway@*"]
}

# Distinct approvers a change needs, by the tenant's environment (0..16).
approvals {
  development = 0
  staging     = 1
  production  = 2
}

# Budget suspensions. A tenant whose budget says action = "suspend" and who
# spent its monthly budget is suspended by the executor itself (gateway
# stopped, account locked, files kept) only when this allows it; without the
# block, or with suspend = false, breaches are only audited and counted and
# the refused suspension is audited under rule budget.suspend. approvals is
# how many distinct approvers the suspension job needs (omitted: the
# tenant's environment's number above); 0 lets it run at once, as a spent
# budget calls for. Resuming the tenant (a plan with the budget raised, or
# a new month) is an ordinary change with the environment's approvals.
budget {
  suspend   = true
  approvals = 0
}
