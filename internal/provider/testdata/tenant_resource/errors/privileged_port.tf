resource "missioncontrol_tenant" "bad" {
  name         = "acme"
  environment  = "development"
  gateway_port = 80
}
