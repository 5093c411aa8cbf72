#!/usr/bin/env bash
# make demo: the main job, end to end on this machine without changing it.
#  1. boot a throwaway host with a real systemd (internal/testhost) and run the
#     executor inside it as a unit (the same code as `make dev-host`);
#  2. point Terraform at the freshly built provider (dev_overrides);
#  3. terraform plan (a real dry run of the host) and apply examples/quickstart;
#  4. show the tenants as the host sees them, then destroy and tear down.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

if [ "$(id -u)" != 0 ]; then
  cat >&2 <<'MSG'
make demo needs root: it boots a throwaway host (Linux namespaces, an overlay
over /, a real systemd as PID 1) so that useradd, systemctl and visudo run for
real without touching this machine. Run it as root (e.g. `sudo make demo`).
MSG
  exit 1
fi
for tool in terraform go unshare nsenter jq curl; do
  command -v "$tool" >/dev/null || { echo "make demo: $tool is not installed" >&2; exit 1; }
done

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

WORK=$(mktemp -d /tmp/mc-demo.XXXXXX)
DOWN=
APPROVER=
cleanup() {
  if [ -n "$APPROVER" ]; then kill "$APPROVER" 2>/dev/null || true; fi
  if [ -n "$DOWN" ]; then "$DOWN" >/dev/null 2>&1 || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

say "boot a throwaway host and start the executor inside it"
go run ./internal/testhost/cmd/devhost -fake-llm > "$WORK/env"
while IFS= read -r line; do
  case "$line" in MISSIONCONTROL_*=*) export "${line?}";; esac
done < "$WORK/env"
DOWN=$MISSIONCONTROL_HOST_DOWN
echo "endpoint: $MISSIONCONTROL_ENDPOINT"

cat > "$WORK/terraformrc" <<RC
provider_installation {
  dev_overrides {
    "missioncontrol/missioncontrol" = "$ROOT/bin"
  }
  direct {}
}
RC
export TF_CLI_CONFIG_FILE=$WORK/terraformrc TF_IN_AUTOMATION=1
cp -r examples/quickstart "$WORK/quickstart"
cd "$WORK/quickstart"

# tf runs terraform, keeps its whole output in $WORK/tf.log and fails the
# demo (showing the log) when terraform fails.
tf() {
  if ! terraform "$1" -input=false -no-color "${@:2}" > "$WORK/tf.log" 2>&1; then
    cat "$WORK/tf.log" >&2
    echo "make demo: terraform $1 failed" >&2
    exit 1
  fi
}

say "terraform plan: a dry run on the host (nothing changes)"
tf plan -out=tfplan
sed -n '/Terraform will perform/,$p' "$WORK/tf.log"

# Reviewers sign the plan digests with their approve-keys (the throwaway
# host's config lists alice and bob next to the operator key that signs the
# provider's requests). The policy wants 2 distinct approvers for production
# (acme), none for development (globex).
EXE=$ROOT/bin/missioncontrol-executor
KEYS=$(dirname "$MISSIONCONTROL_SIGNING_KEY_FILE")
SOCK=${MISSIONCONTROL_ENDPOINT#unix://}
say "review: alice and bob approve the plan digests offline (production needs 2 approvers)"
host_id=$(curl -s --unix-socket "$SOCK" http://executor/v1/info | jq -r .host_id)
tokens=()
for d in $(terraform show -json tfplan | jq -r '[.resource_changes[].change.after.plan_digest? // empty] | unique | .[]'); do
  for who in alice bob; do
    tokens+=("$("$EXE" approve --digest "$d" --key "$KEYS/$who.pem" --host "$host_id" --expires 1h)")
  done
  echo "approved $d by alice and bob"
done
MISSIONCONTROL_APPROVALS=$(IFS=,; echo "${tokens[*]}")
export MISSIONCONTROL_APPROVALS
# Jobs whose digest the plan could not know yet (a workspace of a tenant the
# same apply creates, a decommission) wait for approvals on the host; alice
# and bob give them with the CLI while terraform waits.
approver() {
  while sleep 0.5; do
    "$EXE" jobs list --socket "$SOCK" --json | jq -r 'select(.state == "awaiting_approval") | .id' |
      while read -r job; do
        grep -qx "$job" "$WORK/approved" 2>/dev/null && continue
        for who in alice bob; do "$EXE" approve "$job" --key "$KEYS/$who.pem" --socket "$SOCK"; done
        echo "$job" >> "$WORK/approved"
      done
  done
}
approver > "$WORK/approver.log" 2>&1 &
APPROVER=$!

say "terraform apply: runs exactly the reviewed steps"
tf apply tfplan
grep -E "Creat|Apply complete" "$WORK/tf.log"

say "the tenants on the host: real OpenClaw gateways answering"
for t in acme globex; do
  $MISSIONCONTROL_HOST_EXEC id "mc-$t"
  $MISSIONCONTROL_HOST_EXEC systemctl is-active "missioncontrol-gateway@$t.service" | sed "s/^/missioncontrol-gateway@$t.service: /"
  port=$(terraform output -json tenants | jq -r ".$t.gateway_port")
  echo "GET /readyz on $t's gateway (port $port): $($MISSIONCONTROL_HOST_EXEC curl -s "http://127.0.0.1:$port/readyz" | head -c 120)"
  # The token lives in a root-only file; Terraform reads it only through the
  # ephemeral resource missioncontrol_gateway_token. The demo reads it as root.
  token=$($MISSIONCONTROL_HOST_EXEC sed -n 's/^OPENCLAW_GATEWAY_TOKEN=//p' "/etc/missioncontrol/tenants/$t/token.env")
  reply=$($MISSIONCONTROL_HOST_EXEC curl -s -m 120 -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d '{"model":"openclaw/main","messages":[{"role":"user","content":"Say hello."}]}' "http://127.0.0.1:$port/v1/chat/completions")
  echo "chat turn on $t's gateway: $(printf '%s' "$reply" | head -c 160)"
  code=$($MISSIONCONTROL_HOST_EXEC curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer not-$t-token" \
    -H 'Content-Type: application/json' -d '{"model":"openclaw/main","messages":[]}' "http://127.0.0.1:$port/v1/chat/completions")
  echo "the same with a wrong token: HTTP $code"
done
terraform state list
terraform output -no-color 2>/dev/null || true

say "a second plan is empty: the host matches"
tf plan -detailed-exitcode
echo "no changes"

say "terraform destroy: decommission with a verified archive"
tf destroy -auto-approve
kill "$APPROVER" 2>/dev/null || true
APPROVER=
echo "approved on the host while terraform waited:"
cat "$WORK/approver.log"
grep -E "Destr" "$WORK/tf.log"
$MISSIONCONTROL_HOST_EXEC ls -l /var/lib/missioncontrol/archives/

say "tear down the throwaway host"
"$DOWN"
DOWN=
echo "done: this machine was not changed"
