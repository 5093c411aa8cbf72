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
