resource "missioncontrol_service" "bad" {
  tenant = "acme"
  kind   = "gateway"

  environment = {
    "log-level" = "info"
  }
}
