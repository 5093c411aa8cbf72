# The executor and its host's capacity.
data "missioncontrol_host" "this" {}

output "executor_version" {
  value = data.missioncontrol_host.this.version
}

# Refuse to plan more tenants than the host has gateway ports for.
output "free_gateway_ports" {
  value = data.missioncontrol_host.this.ports_free
}

output "tenant_root_gib" {
  value = data.missioncontrol_host.this.tenant_root_bytes / 1073741824
}
