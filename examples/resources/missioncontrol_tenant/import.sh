# A tenant is imported by its name.
terraform import missioncontrol_tenant.acme acme
