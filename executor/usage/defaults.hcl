# Shipped price table: USD per 1M tokens, providers' published list prices
# (standard tier, 5-minute cache writes) as of November 2025.
#
# Used only for messages whose OpenClaw record has no cost (usage.cost.total
# is 0 or missing). Operators override or extend it with `--prices FILE`
# (same syntax, its own version). Change `version` with every edit: each
# rollup records the version of the price it used.
version = "builtin-2025-11"

price "anthropic" "claude-opus-4-5" {
  input       = 5
  output      = 25
  cache_read  = 0.5
  cache_write = 6.25
}

price "anthropic" "claude-opus-4-1" {
  input       = 15
  output      = 75
  cache_read  = 1.5
  cache_write = 18.75
}

price "anthropic" "claude-sonnet-4-5" {
  input       = 3
  output      = 15
  cache_read  = 0.3
  cache_write = 3.75
}

price "anthropic" "claude-haiku-4-5" {
  input       = 1
  output      = 5
  cache_read  = 0.1
  cache_write = 1.25
}

price "openai" "gpt-5" {
  input      = 1.25
  output     = 10
  cache_read = 0.125
}

price "openai" "gpt-5-mini" {
  input      = 0.25
  output     = 2
  cache_read = 0.025
}

price "openai" "gpt-5-nano" {
  input      = 0.05
  output     = 0.4
  cache_read = 0.005
}

price "openai" "gpt-4.1" {
  input      = 2
  output     = 8
  cache_read = 0.5
}

price "openai" "gpt-4.1-mini" {
  input      = 0.4
  output     = 1.6
  cache_read = 0.1
}
