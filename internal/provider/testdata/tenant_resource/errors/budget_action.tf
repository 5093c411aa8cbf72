resource "missioncontrol_tenant" "bad" {
  name        = "acme"
  environment = "development"

  budget = {
    monthly_usd = 100
    action      = "stop"
  }
}
