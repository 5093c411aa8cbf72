import {
  to = missioncontrol_tenant.acme
  id = "acme"
}
