variable "memory_max_mb" {
  type = number
}

variable "agents_md" {
  type = string
}

resource "missioncontrol_tenant" "acme" {
  name        = "acme"
  environment = "development"

  limits = {
    memory_max_mb = var.memory_max_mb
  }
}

resource "missioncontrol_workspace" "main" {
  tenant = missioncontrol_tenant.acme.name
  name   = "main"

  files = {
    "AGENTS.md" = var.agents_md
  }
}
