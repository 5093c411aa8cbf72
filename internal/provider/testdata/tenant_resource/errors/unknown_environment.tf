resource "missioncontrol_tenant" "bad" {
  name        = "acme"
  environment = "qa"
}
