resource "missioncontrol_tenant" "bad" {
  name        = "acme"
  environment = "development"

  budget = {
    action = "suspend"
  }
}
