# missioncontrol-executor configuration (reference).
#
#   missioncontrol-executor serve --config /etc/missioncontrol/executor.hcl
#
# Every setting is optional; the values below are the built-in defaults.
# Paths must be absolute and clean. Unknown settings are errors.

# Audience of signed requests. Empty means the contents of /etc/machine-id.
host_id = ""

# The SQLite database lives at <state_dir>/executor.db.
state_dir = "/var/lib/missioncontrol"

# The deny-by-default policy; lint it with
#   missioncontrol-executor policy check /etc/missioncontrol/policy.hcl
policy_file = "/etc/missioncontrol/policy.hcl"

# Where per-tenant sudoers fragments are installed (after visudo -cf).
sudoers_dir = "/etc/sudoers.d"

listen {
  socket = "/run/missioncontrol/executor.sock"
  mode   = "0660"           # octal string; must grant nothing to others
  group  = "missioncontrol" # peers must be uid 0 or in this group (SO_PEERCRED)

  # Optional TCP listener with mutual TLS for remote clients (the provider's
  # endpoint = "https://host:port" with ca_file, cert_file and key_file).
  # Clients need a certificate signed by tls_client_ca; changes still need
  # signed envelopes. All four or none:
  #   tls_address   = "10.0.0.5:7443"
  #   tls_cert_file = "/etc/missioncontrol/tls/executor.crt"
  #   tls_key_file  = "/etc/missioncontrol/tls/executor.key"
  #   tls_client_ca = "/etc/missioncontrol/tls/clients-ca.crt"
}

tenants {
  root        = "/srv/missioncontrol/tenants"      # homes: <root>/<name>
  config_root = "/etc/missioncontrol/tenants"      # <config_root>/<name>/gateway.env
  archive_dir = "/var/lib/missioncontrol/archives" # decommissioned tenants

  # uids and gids of mc-<name> users; uid_min >= 1000, uid_max < 65534.
  uid_min = 20000
  uid_max = 29999

  # Gateway base ports; OpenClaw also binds base+2 and base+4, so the stride
  # must be 20 and the range 1024..65535 must hold at least base..base+4.
  port_min    = 20000
  port_max    = 29999
  port_stride = 20

  nologin_shell = "/usr/sbin/nologin"
}

gateway {
  # argv of every tenant's gateway, absolute path first: the OpenClaw runtime
  # that scripts/install-openclaw.sh (make openclaw-runtime) installs. systemd
  # expands ${PORT} from the tenant's gateway.env. Only scale benchmarks, where
  # hundreds of real gateways (about 1 GB each) cannot fit, swap in a light
  # stand-in: command = ["/usr/bin/sleep", "infinity"] with readiness = "none".
  command = ["/opt/missioncontrol/openclaw/node/bin/node",
    "/opt/missioncontrol/openclaw/node_modules/openclaw/openclaw.mjs",
  "gateway", "run", "--port", "$${PORT}", "--bind", "loopback"]

  # A job that starts or restarts a gateway waits until it answers /healthz
  # and /readyz ("http"), at most ready_timeout seconds, and reports the
  # unit's last log lines if it does not.
  readiness     = "http"
  ready_timeout = 120

  # "localhost": gateways may reach only loopback model providers (the unit
  # sets IPAddressDeny=any); "any": remote model providers too.
  egress = "localhost"

  # systemd template unit; one instance per tenant (missioncontrol-gateway@<name>.service).
  unit_template = "missioncontrol-gateway@.service"

  # The OpenClaw runtime gateway.command runs on, as installed by
  # scripts/install-openclaw.sh. At start-up the executor refuses to serve
  # unless <runtime>/manifest.json names these versions and node and
  # openclaw.mjs still hash to what it recorded; the policy pins the same
  # files. This executor renders configuration for exactly these versions.
  # "" when command is a stand-in that needs no runtime.
  runtime          = "/opt/missioncontrol/openclaw"
  openclaw_version = "2026.9.6"
  node_version     = "24.22.3"
}

systemd {
  unit_dir = "/etc/systemd/system"
}

# Absolute paths of the host tools the executor runs. Each must also be
# pinned by sha256 in a `command` block of the policy.
commands {
  groupadd  = "/usr/sbin/groupadd"
  useradd   = "/usr/sbin/useradd"
  usermod   = "/usr/sbin/usermod"
  userdel   = "/usr/sbin/userdel"
  groupdel  = "/usr/sbin/groupdel"
  systemctl = "/usr/bin/systemctl"
  visudo    = "/usr/sbin/visudo"
  tar       = "/usr/bin/tar"
}

# Gateway health probes: systemd state of every tenant's gateway unit (one
# systemctl call per round) and, with http = true, GET /healthz then /readyz
# on the gateway's loopback port. Incidents open after open_after bad probes
# in a row and close after close_after good ones; availability is computed
# from the stored status transitions.
health {
  interval      = "15s" # plus up to 10% random jitter per round
  open_after    = 3
  close_after   = 2
  probe_timeout = "2s" # shorter than interval
  # Ask the gateway's /healthz and /readyz too. Set false when gateway.command
  # is a stand-in without those endpoints (sleep infinity), or every running
  # gateway reads degraded.
  http = true
  # This many restarts (NRestarts rising) within the window is a crash loop.
  crash_loop_restarts = 3
  crash_loop_window   = "10m"
}

# Model usage: every interval the executor reads what OpenClaw recorded in each
# tenant's state dir (read-only) and counts it once per message into daily
# rollups per tenant, agent and model (GET /v1/usage, data source
# missioncontrol_usage). "0s" turns ingestion off. Costs OpenClaw did not
# record are priced from the shipped table, overlaid with prices_file if set.
usage {
  interval    = "30s"
  prices_file = "" # e.g. /etc/missioncontrol/prices.hcl
}

# Prometheus metrics (usage counters, ingestion lag and errors) at
# http://<listen>/metrics. Loopback addresses only; "" serves no metrics.
metrics {
  listen = "" # e.g. "127.0.0.1:9464"
}

# Signing keys. Every request that is not a read (plans, job submissions,
# approvals, cancels, retries) must be a signed envelope by one of these keys
# with the route's role; reads (GET) need only the socket's peer check.
# Create a key with
#   missioncontrol-executor keygen --out /path/to/ci.pem
# which prints the public_key to paste here. Roles:
#   plan    dry runs (terraform plan, the provider's ModifyPlan)
#   apply   submit, retry and cancel jobs (terraform apply)
#   approve approve or reject jobs; sign approval tokens with
#           missioncontrol-executor approve --digest D --key FILE
# The policy's approvals block says how many distinct approve-keys a tenant's
# environment needs; the submitting key never counts. environments, when set,
# limits a key to tenants of those environments. Without key blocks the
# executor refuses every signed request.
#
# key "ci" {
#   public_key = "ed25519:..."
#   roles      = ["plan", "apply"]
# }
# key "alice" {
#   public_key   = "ed25519:..."
#   roles        = ["approve"]
#   environments = ["staging", "production"]
# }
