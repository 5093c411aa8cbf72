# The token never lands in the plan or state; pass it on to something that
# takes ephemeral or write-only values, such as a secret store.
ephemeral "missioncontrol_gateway_token" "acme" {
  tenant = "acme"
}
