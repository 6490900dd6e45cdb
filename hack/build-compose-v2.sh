#!/usr/bin/env bash
# Builds docker compose v2 (github.com/docker/compose/v2, issue #9) from the Go
# module proxy and installs it as a docker CLI plugin. `go install` refuses the
# module (its go.mod has exclude directives), so the module source is copied
# to a temp dir and its ./cmd is built there.
#
#   hack/build-compose-v2.sh [PLUGIN_DIR]
#
# PLUGIN_DIR defaults to ${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins. The binary
# is cached as $SELKIE_CACHE/docker-compose-$VERSION (default
# /var/cache/selkie), so reruns only copy it. Prints the installed path.
set -euo pipefail
VERSION=${COMPOSE_V2_VERSION:-v2.40.3}
CACHE=${SELKIE_CACHE:-/var/cache/selkie}
DEST=${1:-${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins}
bin="$CACHE/docker-compose-$VERSION"
export PATH="$PATH:/usr/local/go/bin"
if [ ! -x "$bin" ]; then
	mkdir -p "$CACHE"
	dir=$(go mod download -json "github.com/docker/compose/v2@$VERSION" | sed -n 's/^\s*"Dir": "\(.*\)",\?$/\1/p')
	[ -d "$dir" ] || { echo "build-compose-v2: go mod download gave no source dir" >&2; exit 1; }
	need=$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$dir/go.mod")
	have=$(go env GOVERSION | sed 's/^go//')
	if [ "$(printf '%s\n%s\n' "$need" "$have" | sort -V | head -1)" != "$need" ]; then
		echo "build-compose-v2: compose $VERSION needs go $need, this Go is $have" >&2
		exit 1
	fi
	work=$(mktemp -d)
	trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
	cp -r "$dir/." "$work/"
	chmod -R u+w "$work"
	start=$(date +%s)
	(cd "$work" && GOFLAGS=-mod=mod GOTOOLCHAIN=local \
		go build -ldflags "-s -w -X github.com/docker/compose/v2/internal.Version=$VERSION" \
		-o "$bin.tmp" ./cmd)
	mv -f "$bin.tmp" "$bin"
	echo "build-compose-v2: built $VERSION in $(( $(date +%s) - start ))s" >&2
fi
mkdir -p "$DEST"
cp -f "$bin" "$DEST/docker-compose.tmp"
chmod 755 "$DEST/docker-compose.tmp"
mv -f "$DEST/docker-compose.tmp" "$DEST/docker-compose"
echo "$DEST/docker-compose"
