# Key blocks for /etc/missioncontrol/executor.hcl (see examples/gitops/README.md).
# Paste the public_key that `missioncontrol-executor keygen` printed.

# CI on pull requests: dry runs only.
key "ci-plan" {
  public_key = "ed25519:REPLACE_WITH_THE_CI_PLAN_PUBLIC_KEY="
  roles      = ["plan"]
}

# CI after merge: plans and submits; never an approver.
key "ci-apply" {
  public_key = "ed25519:REPLACE_WITH_THE_CI_APPLY_PUBLIC_KEY="
  roles      = ["plan", "apply"]
}

# Reviewers. Two distinct ones are needed for production (policy approvals).
key "alice" {
  public_key = "ed25519:REPLACE_WITH_ALICES_PUBLIC_KEY="
  roles      = ["approve"]
}

key "bob" {
  public_key   = "ed25519:REPLACE_WITH_BOBS_PUBLIC_KEY="
  roles        = ["approve"]
  environments = ["staging", "production"]
}
