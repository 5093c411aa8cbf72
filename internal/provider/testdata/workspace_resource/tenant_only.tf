resource "missioncontrol_tenant" "acme" {
  name        = "acme"
  environment = "development"
}
