resource "missioncontrol_tenant" "acme" {
  name        = "acme"
  environment = "development"
}

resource "missioncontrol_workspace" "main" {
  tenant = missioncontrol_tenant.acme.name
  name   = "main"

  files = {
    "AGENTS.md" = <<-EOT
      # ACME support agent

      Answer customer questions about ACME products. Escalate refunds to a human.
    EOT
  }
}
