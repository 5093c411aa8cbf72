resource "missioncontrol_tenant" "bad" {
  name          = "acme"
  environment   = "development"
  sudo_commands = ["systemctl restart nginx"]
}
