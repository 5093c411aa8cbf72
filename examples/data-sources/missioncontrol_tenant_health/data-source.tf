# Gateway health of tenant acme: status, availability and incidents.
data "missioncontrol_tenant_health" "acme" {
  tenant = "acme"
}

output "acme_status" {
  value = data.missioncontrol_tenant_health.acme.status
}

# Share of the last 30 days the gateway was healthy, suspended and
# maintenance time excluded; null when none of the window counts.
output "acme_availability_30d" {
  value = data.missioncontrol_tenant_health.acme.availability["30d"].ratio
}

output "acme_open_incident_causes" {
  value = [for i in data.missioncontrol_tenant_health.acme.open_incidents : i.cause]
}
