resource "missioncontrol_service" "bad" {
  tenant = "acme"
  kind   = "cron"
}
