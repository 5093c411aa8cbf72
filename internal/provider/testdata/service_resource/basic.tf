resource "missioncontrol_tenant" "acme" {
  name        = "acme"
  environment = "development"
}

resource "missioncontrol_service" "gateway" {
  tenant = missioncontrol_tenant.acme.name
  kind   = "gateway"

  environment = {
    LOG_LEVEL = "info"
  }
}
