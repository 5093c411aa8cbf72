resource "missioncontrol_workspace" "bad" {
  tenant = "acme"
  name   = "main"

  files = {
    "../openclaw.json" = "{}"
  }
}
