resource "missioncontrol_tenant" "bad" {
  name        = "a-tenant-name-that-is-far-too-long"
  environment = "development"
}
