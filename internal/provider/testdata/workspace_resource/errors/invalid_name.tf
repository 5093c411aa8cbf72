resource "missioncontrol_workspace" "bad" {
  tenant = "acme"
  name   = "Main Workspace"
}
