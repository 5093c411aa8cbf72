variable "display_name" {
  type = string
}

variable "memory_max_mb" {
  type = number
}

variable "suspended" {
  type    = bool
  default = false
}

resource "missioncontrol_tenant" "acme" {
  name         = "acme"
  display_name = var.display_name
  environment  = "development"
  suspended    = var.suspended

  labels = {
    team = "agents"
  }

  limits = {
    memory_max_mb     = var.memory_max_mb
    cpu_quota_percent = 200
    tasks_max         = 512
  }
}
