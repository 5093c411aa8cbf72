#!/usr/bin/env bash
# Load test at the issue's full size (BENCHMARKS.md, "Load"); needs root.
#
#   bench/load.sh [DRYRUNS] [APPLIES]     defaults: 1000 dry runs, 20 applies
#
# Runs executor/e2e TestLoad: DRYRUNS signed dry runs at concurrency 50; then
# APPLIES tenant bootstraps at once on distinct tenants while DRYRUNS more dry
# runs go on; then 3 workspace jobs at once on each of 4 tenants. It fails on
# any error, on a busy/locked database or any error in the executor's
# journal, and on two jobs of one tenant overlapping (job events and audit
# order). make test runs the same test with 200 dry runs and 10 applies.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== $(nproc) cores, $(go version | cut -d' ' -f3), load average $(cut -d' ' -f1-3 /proc/loadavg)"
MISSIONCONTROL_LOAD_DRYRUNS=${1:-1000} MISSIONCONTROL_LOAD_APPLIES=${2:-20} \
  go test -count=1 -timeout 30m -run '^TestLoad$' -v ./executor/e2e/ 2>&1 \
  | grep -v -E '^ {8}[A-Z][a-z]{2} [ 0-9]{2} |booted in|executor up in|built in|testhost.go'
