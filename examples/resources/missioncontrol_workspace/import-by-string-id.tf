import {
  to = missioncontrol_workspace.main
  id = "acme/main"
}
