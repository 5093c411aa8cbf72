variable "llm_base_url" {
  type = string
}

resource "missioncontrol_tenant" "acme" {
  name        = "acme"
  environment = "development"

  model_providers = [{
    name     = "local"
    base_url = var.llm_base_url
    api      = "openai-completions"
    models   = [{ id = "fake-model-1" }]
  }]
  api_keys_wo = { local = "sk-acceptance" }
}

resource "missioncontrol_workspace" "main" {
  tenant = missioncontrol_tenant.acme.name
  name   = "main"
  model  = "local/fake-model-1"
}

resource "missioncontrol_service" "gateway" {
  tenant     = missioncontrol_tenant.acme.name
  kind       = "gateway"
  depends_on = [missioncontrol_workspace.main]
}
