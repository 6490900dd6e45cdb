#!/usr/bin/env bash
# make demo: build an offline busybox image, import it into Selkie's default
# store, tag it localhost/busybox:latest and run a real container from it.
set -euo pipefail
cd "$(dirname "$0")/.."
SELKIE=${SELKIE:-bin/selkie}
# DEMO_FLAGS: global flags for every selkie command (tests use a private --root/--runroot).
read -r -a FLAGS <<<"${DEMO_FLAGS:-}"
TAGS='containers_image_openpgp exclude_graphdriver_btrfs'
[ -x "$SELKIE" ] || [ "$SELKIE" != bin/selkie ] || go build -tags "$TAGS" -o bin/selkie ./cmd/selkie

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
unimplemented() { grep -qiE 'not implemented|unknown command|unrecognized command' "$1"; }

say "go run ./hack/mkimage -o busybox.tar --format oci-archive --tag localhost/busybox:latest"
go run -tags "$TAGS" ./hack/mkimage -o "$work/busybox.tar" --format oci-archive --tag localhost/busybox:latest

# Import: `pull oci-archive:` if Selkie has it, else `load -i`.
imported=
for cmd in "pull oci-archive:$work/busybox.tar" "load -i $work/busybox.tar"; do
	say "selkie $cmd"
	# shellcheck disable=SC2086
	if "$SELKIE" "${FLAGS[@]}" $cmd >"$work/out" 2>"$work/err"; then
		cat "$work/out"
		imported=$(grep -oE '[0-9a-f]{64}' "$work/out" | tail -1)
		imported=${imported:-localhost/busybox:latest}
		break
	fi
	cat "$work/err" >&2
	unimplemented "$work/err" || exit 1
done
if [ -z "$imported" ]; then
	echo "selkie cannot import images yet" >&2
	exit 1
fi

say "selkie tag ${imported:0:12} localhost/busybox:latest"
"$SELKIE" "${FLAGS[@]}" tag "$imported" localhost/busybox:latest 2>"$work/err" || { cat "$work/err" >&2; unimplemented "$work/err" || exit 1; }

say "selkie run --rm localhost/busybox echo \"Hello from Selkie\""
if "$SELKIE" "${FLAGS[@]}" run --rm localhost/busybox echo "Hello from Selkie" 2>"$work/err"; then
	cat "$work/err" >&2
else
	rc=$?
	cat "$work/err" >&2
	unimplemented "$work/err" || exit $rc
	echo "(selkie run is not implemented yet; showing the image store instead)"
	say "selkie images"
	"$SELKIE" "${FLAGS[@]}" images
fi
if [ -z "${rc:-}" ]; then
	say "selkie images localhost/busybox"
	"$SELKIE" "${FLAGS[@]}" images localhost/busybox
fi
