resource "missioncontrol_tenant" "acme" {
  name         = "acme"
  display_name = "ACME Corp"
  environment  = "development"

  labels = {
    team = "agents"
  }

  limits = {
    memory_max_mb     = 2048
    cpu_quota_percent = 200
    tasks_max         = 512
  }
}

# This month's usage of tenant acme, one row per agent and model.
data "missioncontrol_usage" "acme" {
  tenant   = missioncontrol_tenant.acme.name
  from     = "2026-12-01"
  to       = "2026-12-31"
  group_by = ["agent", "model"]
}

output "acme_cost_usd" {
  value = data.missioncontrol_usage.acme.totals.cost_usd
}
