#!/usr/bin/env bash
# Terraform benchmarks of BENCHMARKS.md (issue 10), in throwaway hosts; needs
# root, terraform and Go. One command per figure:
#
#   bench/tf.sh plan  -n 50,200 -runs 5           # 1. plan overhead vs terraform_data
#   bench/tf.sh apply -n 50 -runs 3               # 2. apply vs scripts and Ansible
#   bench/tf.sh scale -n 10,50,100,200,500,1000 -runs 3 -png bench/scale.png   # 4. scaling
#
# Ansible (2.) needs ansible-core: installed here with apt-get when missing
# (pass -ansible=false to skip it). Results are Markdown tables on stdout,
# progress on stderr. Not part of make test (minutes to an hour); the harness
# itself is tested at 2 tenants by bench/tfbench's TestHarnessTinyN.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench/tf.sh needs root (throwaway hosts)" >&2; exit 1; }
command -v terraform >/dev/null || { echo "bench/tf.sh needs terraform on PATH" >&2; exit 1; }
if [ "${1:-}" = apply ] && ! printf '%s\n' "$@" | grep -qx -- '-ansible=false' && ! command -v ansible-playbook >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ansible-core >&2
fi
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GB RAM, $(uname -r), $(terraform version | head -1), $(go version | cut -d' ' -f3), load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
bin=$(mktemp -d /tmp/mc-tfbench-bin.XXXXXX)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/tfbench" ./bench/cmd/tfbench
"$bin/tfbench" "$@"
