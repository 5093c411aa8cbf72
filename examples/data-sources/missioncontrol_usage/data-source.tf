# This month's usage of tenant acme, one row per agent and model.
data "missioncontrol_usage" "acme" {
  tenant   = "acme"
  from     = "2026-12-01"
  to       = "2026-12-31"
  group_by = ["agent", "model"]
}

# Cost per day across every tenant on the host.
data "missioncontrol_usage" "daily" {
  group_by = ["day"]
}

output "acme_cost_usd" {
  value = data.missioncontrol_usage.acme.totals.cost_usd
}

output "acme_unpriced_messages" {
  value = data.missioncontrol_usage.acme.unpriced
}
