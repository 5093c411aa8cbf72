resource "missioncontrol_tenant" "bad" {
  name        = "acme"
  environment = "development"

  labels = {
    "Team Name" = "agents"
  }
}
