resource "missioncontrol_tenant" "bad" {
  name        = "Acme_Corp"
  environment = "development"
}
