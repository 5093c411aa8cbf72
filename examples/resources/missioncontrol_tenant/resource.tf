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

  # Model spend per UTC month, from OpenClaw's own cost records: a soft
  # breach at 80% is audited and counted; at 100% the executor suspends the
  # tenant (when the host's policy has budget { suspend = true }) until the
  # budget is raised or the month turns.
  budget = {
    monthly_usd        = 200
    soft_limit_percent = 80
    action             = "suspend"
  }
}
