#!/usr/bin/env bash
# Builds the executor's Debian package with nfpm (make deb):
#   scripts/build-deb.sh [OUT_DIR]     (default dist/)
# VERSION (default 0.0.0~git<commit>) and ARCH (default: go env GOARCH) may be
# set. Prints the path of the .deb. Needs only Go: nfpm comes from the Go
# module proxy at a pinned version.
set -euo pipefail
cd "$(dirname "$0")/.."
NFPM=github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.48.0
out=${1:-dist}
arch=${ARCH:-$(go env GOARCH)}
version=${VERSION:-0.0.0~git$(git rev-parse --short HEAD 2>/dev/null || echo unknown)}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
stage=$work/stage
mkdir -p "$stage" "$work/examples" "$work/docs"
cp -r packaging README.md "$work/"
cp -r examples/executor "$work/examples/"
cp -r docs/operations "$work/docs/"

CGO_ENABLED=0 GOARCH="$arch" go build -trimpath -ldflags "-s -w -X main.version=$version" \
	-o "$stage/missioncontrol-executor" ./executor/cmd/missioncontrol-executor
# Rendered on the build machine (any GOARCH) from the shipped default configuration.
go run ./executor/cmd/missioncontrol-executor unit template --config examples/executor/executor.hcl \
	>"$stage/missioncontrol-gateway@.service"

mkdir -p "$out"
out=$(cd "$out" && pwd)
deb="$out/missioncontrol-executor_${version}_${arch}.deb"
# -mod= flags of the module do not apply to a tool run by version.
(cd "$work" && VERSION="$version" ARCH="$arch" GOFLAGS= go run "$NFPM" package \
	--config packaging/deb/nfpm.yaml --packager deb --target "$deb" >&2)
echo "$deb"
