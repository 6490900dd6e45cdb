#!/usr/bin/env bash
# API service figures: `selkie system service` vs `podman system service` on
# the same host, each with private storage holding the same busybox image and
# N created containers. Docker API paths only, so both answer the same calls.
#
#   bash bench/api.sh                 (N=100 containers, 2000 requests)
#   BENCH_CTRS=11 BENCH_REQS=5000 bash bench/api.sh
set -euo pipefail
cd "$(dirname "$0")/.."
TAGS='containers_image_openpgp exclude_graphdriver_btrfs'
SELKIE=${SELKIE:-$PWD/bin/selkie}
N=${BENCH_CTRS:-100}
REQS=${BENCH_REQS:-2000}
# Podman answers the 100-container list ~20x slower: fewer requests keep the run short.
PODMAN_REQS=${BENCH_PODMAN_REQS:-200}
[ -x "$SELKIE" ] || go build -tags "$TAGS" -o "$SELKIE" ./cmd/selkie
PODMAN=$(command -v podman || true)
WORK=$(mktemp -d /tmp/selkie-apibench.XXXXXX)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	sleep 0.5
	"$SELKIE" --root "$WORK/s/root" --runroot "$WORK/s/run" rm -af >/dev/null 2>&1 || true
	[ -n "$PODMAN" ] && podman_ --root "$WORK/p/root" --runroot "$WORK/p/run" rm -af >/dev/null 2>&1 || true
	for m in $(awk -v d="$WORK" 'index($5, d "/") == 1 {print $5}' /proc/self/mountinfo | sort -r); do umount -l "$m" 2>/dev/null || true; done
	rm -rf "$WORK"
}
trap cleanup EXIT
cat >"$WORK/containers.conf" <<CONF
[containers]
default_ulimits = []
[engine]
runtime = "runc"
[network]
network_config_dir = "$WORK/networks"
CONF
mkdir -p "$WORK/networks"
export CONTAINERS_CONF=$WORK/containers.conf
podman_() { "$PODMAN" --runtime runc "$@"; }
go build -o "$WORK/apiload" ./bench/apiload
go run -tags "$TAGS" ./hack/mkimage -o "$WORK/bb.oci" --format oci-dir >/dev/null
echo '{"default":[{"type":"insecureAcceptAnything"}]}' >"$WORK/policy.json"
IMG=localhost/bb:latest

seed() { # name root run create-cmd...
	local name=$1 root=$2 run=$3
	shift 3
	skopeo copy -q --policy "$WORK/policy.json" "oci:$WORK/bb.oci:latest" "containers-storage:[overlay@$root+$run]$IMG"
	for i in $(seq "$N"); do "$@" create --network none "$IMG" true >/dev/null; done
}

bench_one() { # label sock requests start-cmd...
	local label=$1 sock=$2 REQS=$3
	shift 3
	local readies=() out pid
	for i in 1 2 3 4 5; do
		out=$("$WORK/apiload" ready -sock "$sock" -- "$@")
		readies+=("${out% *}")
		kill "${out#* }"; wait "${out#* }" 2>/dev/null || true
		rm -f "$sock"
	done
	out=$("$WORK/apiload" ready -sock "$sock" -- "$@")
	pid=${out#* }
	PIDS+=("$pid")
	echo "$label ready after start (ms, 5 runs): ${readies[*]}"
	echo "$label GET /v1.41/containers/json?all=1 ($N containers), 1 conn:  $("$WORK/apiload" get -sock "$sock" -n "$REQS" -c 1)"
	echo "$label GET /v1.41/containers/json?all=1 ($N containers), 4 conns: $("$WORK/apiload" get -sock "$sock" -n "$REQS" -c 4)"
	echo "$label GET /_ping, 1 conn: $("$WORK/apiload" get -sock "$sock" -path /_ping -n "$REQS" -c 1)"
	echo "$label RSS after $((REQS * 3)) requests: $(awk '/VmRSS|VmHWM/ {printf "%s %s kB  ", $1, $2}' /proc/"$pid"/status)"
	echo "$label create+start+wait+delete of 'true': $("$WORK/apiload" cycle -sock "$sock" -image "$IMG" -n 20)"
	if command -v docker >/dev/null && command -v hyperfine >/dev/null; then
		DOCKER_HOST=unix://$sock DOCKER_CONFIG=$WORK/dockercfg hyperfine -N -w 2 -r 20 --export-json "$WORK/h.json" "docker ps -a" >/dev/null 2>&1 &&
			echo "$label docker ps -a: $(python3 -c "import json;r=json.load(open('$WORK/h.json'))['results'][0];print('median %.1f ms' % (r['median']*1000))")"
		DOCKER_HOST=unix://$sock DOCKER_CONFIG=$WORK/dockercfg hyperfine -N -w 1 -r 10 --export-json "$WORK/h.json" "docker run --rm --network none $IMG true" >/dev/null 2>&1 &&
			echo "$label docker run --rm: $(python3 -c "import json;r=json.load(open('$WORK/h.json'))['results'][0];print('median %.1f ms' % (r['median']*1000))")" ||
			echo "$label docker run --rm: failed"
	fi
	kill "$pid"
}

S=("$SELKIE" --root "$WORK/s/root" --runroot "$WORK/s/run" --runtime runc)
seed selkie "$WORK/s/root" "$WORK/s/run" "${S[@]}"
bench_one selkie "$WORK/selkie.sock" "$REQS" "${S[@]}" system service --time 0 "unix://$WORK/selkie.sock"
if [ -n "$PODMAN" ]; then
	P=(podman_ --root "$WORK/p/root" --runroot "$WORK/p/run")
	seed podman "$WORK/p/root" "$WORK/p/run" "${P[@]}"
	bench_one podman "$WORK/podman.sock" "$PODMAN_REQS" "$PODMAN" --runtime runc --root "$WORK/p/root" --runroot "$WORK/p/run" system service --time 0 "unix://$WORK/podman.sock"
fi
