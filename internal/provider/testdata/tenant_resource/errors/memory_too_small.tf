resource "missioncontrol_tenant" "bad" {
  name        = "acme"
  environment = "development"

  limits = {
    memory_max_mb = 16
  }
}
