# A service is imported by <tenant>/<kind>.
terraform import missioncontrol_service.gateway acme/gateway
