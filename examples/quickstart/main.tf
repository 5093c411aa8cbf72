# Two tenants, each with a workspace and a gateway. Try it on a throwaway host:
#
#   eval "$(make dev-host)"     # sets MISSIONCONTROL_ENDPOINT and friends
#   terraform plan              # the executor's dry run: see planned_steps
#   terraform apply
#   eval "$MISSIONCONTROL_HOST_DOWN"
#
# With a locally built provider, point Terraform at it with dev_overrides in
# a CLI configuration file (TF_CLI_CONFIG_FILE) and skip terraform init.

terraform {
  required_providers {
    missioncontrol = {
      source = "missioncontrol/missioncontrol"
    }
  }
}

# The provider needs no block here: its settings come from the environment
# (MISSIONCONTROL_ENDPOINT, MISSIONCONTROL_APPROVALS, ...), see
# examples/provider/provider.tf.

variable "llm_base_url" {
  description = "An OpenAI-compatible model endpoint on the host. make demo runs a fake LLM (a test double of a paid model API) here."
  type        = string
  default     = "http://127.0.0.1:18999/v1"
}

variable "llm_api_key" {
  description = "The endpoint's API key; written to each tenant's root-only credentials file, never to Terraform state."
  type        = string
  default     = "demo-key"
  sensitive   = true
  ephemeral   = true
}

locals {
  tenants = {
    acme = {
      display_name = "ACME Corp"
      environment  = "production"
      agents_md    = "# ACME support agent\n\nAnswer questions about ACME products. Escalate refunds to a human.\n"
    }
    globex = {
      display_name = "Globex"
      environment  = "development"
      agents_md    = "# Globex research agent\n\nSummarise papers and keep notes in notes/.\n"
    }
  }
}

resource "missioncontrol_tenant" "this" {
  for_each = local.tenants

  name         = each.key
  display_name = each.value.display_name
  environment  = each.value.environment

  limits = {
    memory_max_mb = 2048
    tasks_max     = 512
  }

  model_providers = [{
    name     = "local"
    base_url = var.llm_base_url
    api      = "openai-completions"
    models = [{
      id   = "fake-model-1"
      cost = { input = 3, output = 15, cache_read = 0.3, cache_write = 3.75 }
    }]
  }]
  api_keys_wo = { local = var.llm_api_key }
}

resource "missioncontrol_workspace" "main" {
  for_each = local.tenants

  tenant = missioncontrol_tenant.this[each.key].name
  name   = "main"
  model  = "local/fake-model-1"

  files = {
    "AGENTS.md" = each.value.agents_md
  }
}

resource "missioncontrol_service" "gateway" {
  for_each = local.tenants

  tenant = missioncontrol_tenant.this[each.key].name
  kind   = "gateway"

  # The workspace is rendered into the gateway's configuration first.
  depends_on = [missioncontrol_workspace.main]
}

output "tenants" {
  description = "Allocated user, uid, gateway port and unit per tenant."
  value = {
    for name, t in missioncontrol_tenant.this : name => {
      unix_user    = t.unix_user
      uid          = t.uid
      gateway_port = t.gateway_port
      unit         = t.unit_name
      status       = t.status
    }
  }
}

output "planned_steps" {
  description = "The host steps of the last plan, per resource."
  value = merge(
    { for name, t in missioncontrol_tenant.this : "tenant.${name}" => t.planned_steps },
    { for name, w in missioncontrol_workspace.main : "workspace.${name}" => w.planned_steps },
    { for name, s in missioncontrol_service.gateway : "service.${name}" => s.planned_steps },
  )
}
