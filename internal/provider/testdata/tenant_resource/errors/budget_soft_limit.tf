resource "missioncontrol_tenant" "bad" {
  name        = "acme"
  environment = "development"

  budget = {
    monthly_usd        = 100
    soft_limit_percent = 120
  }
}
