import {
  to = missioncontrol_service.gateway
  id = "acme/gateway"
}
