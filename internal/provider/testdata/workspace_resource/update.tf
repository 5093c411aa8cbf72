variable "agents_md" {
  type = string
}

variable "model" {
  type    = string
  default = null
}

resource "missioncontrol_tenant" "acme" {
  name        = "acme"
  environment = "development"
}

resource "missioncontrol_workspace" "main" {
  tenant = missioncontrol_tenant.acme.name
  name   = "main"
  model  = var.model

  files = {
    "AGENTS.md"      = var.agents_md
    "today.md" = "Nothing yet.\n"
  }
}
