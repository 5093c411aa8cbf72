variable "display_name" {
  type = string
}

variable "memory_max_mb" {
  type = number
}

variable "timeout" {
  type = string
}

resource "missioncontrol_tenant" "bigcorp" {
  name         = "bigcorp"
  display_name = var.display_name
  environment  = "production"

  limits = {
    memory_max_mb = var.memory_max_mb
  }

  timeouts {
    create = var.timeout
    update = var.timeout
    delete = var.timeout
  }
}
