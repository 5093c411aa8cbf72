#!/usr/bin/env bash
# Usage ingestion benchmark (BENCHMARKS.md, "Usage ingestion").
#
#   bench/usage.sh [RECORDS] [FILES]      defaults: 1000000 records in 1000 files
#
# 1. generates a synthetic OpenClaw state dir: FILES JSONL transcripts under
#    agents/<agent>/sessions/, RECORDS assistant messages with usage (each after
#    a user message), 10 agents, 5 models, 30 UTC days;
# 2. ingests it into a fresh executor database through the executor's own code
#    (usage.Scanner -> store.AddUsage, dedupe and rollups), rescans it unchanged,
#    and times 1000 day x model x agent queries over the 30 days;
# 3. runs jq over the same files doing the same aggregation (agent from the path,
#    provider, model, UTC day; input/output/cache tokens, cost, messages), without
#    deduplication, which favours jq;
# 4. fills a second database with FILL (default 10000000) records through
#    store.AddUsage and times the same queries on it.
# Work files go to $BENCH_DIR (default /tmp/mc-usage-bench) and are removed at
# the end unless KEEP=1.
set -euo pipefail
cd "$(dirname "$0")/.."
records=${1:-1000000}
files=${2:-1000}
dir=${BENCH_DIR:-/tmp/mc-usage-bench}
rm -rf "$dir"; mkdir -p "$dir"
command -v jq >/dev/null || { echo "jq is required (apt-get install jq)" >&2; exit 1; }

go build -o "$dir/usagebench" ./bench/cmd/usagebench
echo "== generate"
"$dir/usagebench" gen -dir "$dir/corpus" -records "$records" -files "$files"
du -sh "$dir/corpus"
cat "$dir"/corpus/agents/*/sessions/*.jsonl > /dev/null # warm the page cache for both

echo "== missioncontrol ingest ($(nproc) cores, $(go version | cut -d' ' -f3))"
"$dir/usagebench" ingest -dir "$dir/corpus" -db "$dir/executor.db"
ls -l "$dir/executor.db" | awk '{print "database:", $5, "bytes"}'

echo "== jq $(jq --version) same aggregation"
start=$(date +%s.%N)
jq -n -c '
  reduce (inputs
      | select(.type == "message" and .message.role == "assistant" and (.message.usage | type) == "object")
      | {a: (input_filename | split("/") | .[-3]), p: .message.provider, m: .message.model,
         d: (.message.timestamp / 1000 | floor | strftime("%Y-%m-%d")), u: .message.usage}) as $r
    ({}; ($r.a + "|" + $r.p + "|" + $r.m + "|" + $r.d) as $k
      | .[$k].input += $r.u.input | .[$k].output += $r.u.output
      | .[$k].cacheRead += $r.u.cacheRead | .[$k].cacheWrite += $r.u.cacheWrite
      | .[$k].cost += ($r.u.cost.total // 0) | .[$k].messages += 1)
  | {groups: length, messages: (map(.messages) | add)}' "$dir"/corpus/agents/*/sessions/*.jsonl
end=$(date +%s.%N)
awk -v s="$start" -v e="$end" -v n="$records" 'BEGIN { t = e - s; printf "jq: %d records in %.1fs: %.0f records/s\n", n, t, n / t }'

echo "== query over ${FILL:=10000000} records (added straight through store.AddUsage)"
"$dir/usagebench" fill -db "$dir/fill.db" -records "$FILL"

[ "${KEEP:-0}" = 1 ] || rm -rf "$dir"
