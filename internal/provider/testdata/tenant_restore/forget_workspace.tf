# The workspace leaves Terraform's state but stays in the tenant's registered
# spec, and the tenant is decommissioned: its archive holds both.
removed {
  from = missioncontrol_workspace.main

  lifecycle {
    destroy = false
  }
}
