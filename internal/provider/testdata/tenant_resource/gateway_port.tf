variable "gateway_port" {
  type = number
}

resource "missioncontrol_tenant" "acme" {
  name         = "acme"
  environment  = "development"
  gateway_port = var.gateway_port
}
