#!/usr/bin/env bash
# Executor cost benchmark (BENCHMARKS.md, "Executor cost"); needs root (it
# boots a throwaway host, like the host e2e tests).
#
#   bench/cost.sh            full figures, written into BENCHMARKS.md
#   NO_WRITE=1 bench/cost.sh print them only
#
# 1. bench/cmd/costbench boots a throwaway host with the real executor
#    inside (tenants run the light stand-in gateway) and measures: idle RSS;
#    dry runs (signed POST /v1/plans of a new tenant with a workspace and a
#    gateway) at concurrency 1 and 50; job throughput (20 tenant bootstraps
#    submitted at once); then, with the executor stopped, registers 1,000
#    tenants straight into its store (store.PutTenant, as jobs register
#    them; nothing is created on the host for them), starts it again and
#    measures RSS, dry runs and GET /v1/tenants with them registered.
# 2. Go benchmarks of the planner, the plan digest, policy evaluation and
#    the audit append.
# Environment: DRYRUNS (1000), SEQ (200), JOBS (20), REGISTERED (1000),
# BENCHTIME (2s).
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d /tmp/mc-cost.XXXXXX)
trap 'rm -rf "$out"' EXIT

machine="$(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(go version | cut -d' ' -f3), $(uname -sr)"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "== $machine; load average $load_before"

go build -o "$out/costbench" ./bench/cmd/costbench
"$out/costbench" run -dryruns "${DRYRUNS:-1000}" -seq "${SEQ:-200}" -jobs "${JOBS:-20}" \
  -registered "${REGISTERED:-1000}" -table "$out/table.md"

echo "== Go benchmarks"
go test -count=1 -run '^$' -bench . -benchtime "${BENCHTIME:-2s}" -benchmem \
  ./executor/plan/ ./executor/api/ ./executor/policy/ ./executor/audit/ 2>&1 \
  | grep -E '^(Benchmark|ok|FAIL|---)' | tee "$out/bench.txt"
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

[ "${NO_WRITE:-0}" = 1 ] && exit 0
{
  echo "<!-- cost.sh begin -->"
  echo "Measured by \`bench/cost.sh\` on $(date -u +%Y-%m-%d): $machine; load average $load_before before, $load_after after."
  echo
  cat "$out/table.md"
  echo
  echo "Go benchmarks (\`go test -run '^\$' -bench . -benchtime ${BENCHTIME:-2s} -benchmem ./executor/plan/ ./executor/api/ ./executor/policy/ ./executor/audit/\`):"
  echo
  echo '```'
  cat "$out/bench.txt"
  echo '```'
  echo "<!-- cost.sh end -->"
} > "$out/section.md"
if grep -q '<!-- cost.sh begin -->' BENCHMARKS.md; then
  awk -v f="$out/section.md" '
    /<!-- cost.sh begin -->/ { while ((getline l < f) > 0) print l; skip = 1; next }
    /<!-- cost.sh end -->/   { skip = 0; next }
    !skip' BENCHMARKS.md > "$out/B.md"
else
  { cat BENCHMARKS.md; echo; echo "## Executor cost"; echo; cat "$out/section.md"; } > "$out/B.md"
fi
cp "$out/B.md" BENCHMARKS.md
echo "== BENCHMARKS.md updated"
