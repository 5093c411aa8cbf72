# Budget check on model cost: feeds missioncontrol_usage into a Terraform
# `check` block (a warning on every plan and apply) and a precondition (an
# error that stops the apply) per tenant. The executor enforces budgets on
# the host by itself (the tenant's budget block); this lets CI see the burn
# in the pull request before anything is applied.
#
#   terraform plan -var 'monthly_budget_usd={acme=200,globex=50}'

terraform {
  required_version = ">= 1.5.0"
  required_providers {
    missioncontrol = {
      source = "missioncontrol/missioncontrol"
    }
  }
}

provider "missioncontrol" {}

variable "monthly_budget_usd" {
  description = "Monthly model budget per tenant, in USD."
  type        = map(number)
  default = {
    acme   = 200
    globex = 50
  }
}

variable "soft_percent" {
  description = "Warn (check block) from this share of the budget on."
  type        = number
  default     = 80
}

locals {
  # Month to date, in UTC like the executor's rollups.
  month_start = formatdate("YYYY-MM-01", plantimestamp())
  today       = formatdate("YYYY-MM-DD", plantimestamp())
}

# One row per tenant: this month's cost so far.
data "missioncontrol_usage" "month" {
  from     = local.month_start
  to       = local.today
  group_by = ["tenant"]
}

locals {
  spent_usd = { for r in data.missioncontrol_usage.month.rows : r.tenant => r.cost_usd }
  burn = {
    for tenant, budget in var.monthly_budget_usd :
    tenant => lookup(local.spent_usd, tenant, 0) / budget
  }
  over_soft = [for tenant, ratio in local.burn : tenant if ratio * 100 >= var.soft_percent]
  over_hard = [for tenant, ratio in local.burn : tenant if ratio >= 1]
}

# A failed assertion is a warning: plan and apply go on, CI shows it.
check "model_budget" {
  assert {
    condition     = length(local.over_soft) == 0
    error_message = "Over ${var.soft_percent}% of the monthly model budget: ${join(", ", [for t in local.over_soft : format("%s %.0f%% ($%.2f of $%.2f)", t, local.burn[t] * 100, lookup(local.spent_usd, t, 0), var.monthly_budget_usd[t])])}."
  }
  assert {
    condition     = data.missioncontrol_usage.month.unpriced == 0
    error_message = "${data.missioncontrol_usage.month.unpriced} messages this month have no price: their cost is missing from the budget check. Add their models to the executor's usage.prices_file."
  }
}

# A precondition is an error: changes to tenants over budget stop here until
# the budget is raised (a reviewed change to var.monthly_budget_usd).
resource "terraform_data" "budget_gate" {
  for_each = var.monthly_budget_usd
  input    = each.key

  lifecycle {
    precondition {
      condition     = local.burn[each.key] < 1
      error_message = format("Tenant %s spent $%.2f of its $%.2f monthly model budget this month.", each.key, lookup(local.spent_usd, each.key, 0), each.value)
    }
  }
}

output "budget_burn" {
  description = "Month-to-date cost / monthly budget, per tenant."
  value       = local.burn
}
