variable "suspended" {
  type    = bool
  default = false
}

resource "missioncontrol_tenant" "acme" {
  name        = "acme"
  environment = "development"
  suspended   = var.suspended
}

resource "missioncontrol_service" "gateway" {
  tenant = missioncontrol_tenant.acme.name
  kind   = "gateway"
}

# Read after the tenant and its gateway exist.
data "missioncontrol_tenant_health" "acme" {
  tenant     = "acme"
  depends_on = [missioncontrol_service.gateway]
}

data "missioncontrol_host" "this" {
  depends_on = [missioncontrol_service.gateway]
}
