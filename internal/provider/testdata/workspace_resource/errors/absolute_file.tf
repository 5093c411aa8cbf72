resource "missioncontrol_workspace" "bad" {
  tenant = "acme"
  name   = "main"

  files = {
    "/etc/passwd" = "root::0:0::/root:/bin/sh\n"
  }
}
