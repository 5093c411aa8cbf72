# Prices of the fake models the fixtures were recorded with (see
# testdata/openclaw/README.md), plus an override of a shipped default.
version = "test-2026-12"

price "fake" "fake-model-1" {
  input       = 3
  output      = 15
  cache_read  = 0.3
  cache_write = 3.75
}

price "*" "fake-model-2" {
  input       = 1
  output      = 5
  cache_read  = 0.1
  cache_write = 1.25
}

price "anthropic" "claude-sonnet-4-5" {
  input  = 2
  output = 10
}
