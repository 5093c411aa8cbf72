# A workspace is imported by <tenant>/<name>.
terraform import missioncontrol_workspace.main acme/main
