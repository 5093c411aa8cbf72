data "missioncontrol_archives" "acme" {
  tenant = "acme"
}
