terraform {
  required_providers {
    missioncontrol = {
      source = "missioncontrol/missioncontrol"
    }
  }
}

# Every setting can come from the environment instead (MISSIONCONTROL_*),
# which is what `eval "$(make dev-host)"` sets up.
provider "missioncontrol" {
  # The executor on this host (the default).
  endpoint = "unix:///run/missioncontrol/executor.sock"

  # Or a remote host over mutual TLS:
  # endpoint  = "https://host-1.example.internal:8443"
  # ca_file   = "/etc/missioncontrol/ca.pem"
  # cert_file = "/etc/missioncontrol/client.pem"
  # key_file  = "/etc/missioncontrol/client-key.pem"

  request_timeout = "30s"

  # Approval tokens for the reviewed plan digests, e.g. from CI secrets:
  # approvals = split(",", var.approvals)
}
