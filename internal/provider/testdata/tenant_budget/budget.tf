variable "monthly_usd" {
  type = number
}

variable "soft_limit_percent" {
  type    = number
  default = null
}

variable "action" {
  type    = string
  default = null
}

resource "missioncontrol_tenant" "initech" {
  name        = "initech"
  environment = "development"

  budget = {
    monthly_usd        = var.monthly_usd
    soft_limit_percent = var.soft_limit_percent
    action             = var.action
  }
}
