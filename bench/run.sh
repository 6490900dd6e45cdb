#!/usr/bin/env bash
# make bench: Selkie's figures side by side with Podman, Skopeo and a floor
# (curl | tar for pulls, runc run for containers). One line per metric,
# medians. Private temp storage (on tmpfs for pulls and runs), never the
# host's /var/lib/containers. Needs root for tmpfs mounts and containers.
#
#   bash bench/run.sh            all rows
#   BENCH_ROWS="startup images"  only some rows (startup images pull smallfiles run lifecycle resident ps100 ps1000 volumes cp build pods rootless)
#   BENCH_RUNS=20                runs per timed command (hyperfine rows)
#   BENCH_NICE=0                 do not raise the priority (by default, as root,
#                                everything runs under nice -n -20, so that other
#                                work on a shared 2-core machine changes the
#                                figures less; both engines get the same)
set -euo pipefail
if [ "$(id -u)" = 0 ] && [ "${BENCH_NICE:-1}" != 0 ] && [ -z "${BENCH_RENICED:-}" ]; then
	BENCH_RENICED=1 exec nice -n -20 bash "$0" "$@"
fi
cd "$(dirname "$0")/.."
ROOTDIR=$PWD
SELKIE=${SELKIE:-$ROOTDIR/bin/selkie}
TAGS='containers_image_openpgp exclude_graphdriver_btrfs'
RUNS=${BENCH_RUNS:-20}
PULL_RUNS=${BENCH_PULL_RUNS:-3}
ROWS=${BENCH_ROWS:-"startup images pull smallfiles run lifecycle resident ps100 ps1000 volumes cp build pods rootless"}
[ -x "$SELKIE" ] || go build -tags "$TAGS" -o "$SELKIE" ./cmd/selkie

have() { command -v "$1" >/dev/null 2>&1; }
PODMAN=$(command -v podman || true)
SKOPEO=$(command -v skopeo || true)
RUNC=$(command -v runc || ls /usr/sbin/runc 2>/dev/null || true)

WORK=$(mktemp -d /tmp/selkie-bench.XXXXXX)
TMPFS=$WORK/tmpfs
mkdir -p "$TMPFS"
mount -t tmpfs -o size=3g tmpfs "$TMPFS"
REG_PID=
cleanup() {
	[ -n "$REG_PID" ] && kill "$REG_PID" 2>/dev/null && wait "$REG_PID" 2>/dev/null || true
	unmount_under "$WORK"
	rm -rf "$WORK"
}
trap cleanup EXIT

# Podman on this host needs default_ulimits = [] (no CAP_SYS_RESOURCE) and runc.
cat >"$WORK/containers.conf" <<'EOF'
[containers]
default_ulimits = []
[engine]
runtime = "runc"
[network]
network_backend = "netavark"
EOF
podman_() { CONTAINERS_CONF=$WORK/containers.conf "$PODMAN" "$@"; }

unmount_under() {
	local d=$1 m
	for m in $(awk -v d="$d" '$5 == d || index($5, d "/") == 1 {print $5}' /proc/self/mountinfo | sort -r); do
		umount -l "$m" 2>/dev/null || true
	done
}
# reset DIR: an empty directory (after unmounting anything below it).
reset() {
	unmount_under "$1"
	rm -rf "$1"
	mkdir -p "$1"
}

# median of numbers on stdin
median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) {print "nan"} else if (NR%2) {print a[(NR+1)/2]} else {print (a[NR/2]+a[NR/2+1])/2}}'; }

# ms_median CMD...: median wall time in ms of CMD (hyperfine, or a loop).
ms_median() {
	if have hyperfine; then
		if ! hyperfine -N -w 3 -r "$RUNS" --export-json "$WORK/h.json" -- "$(printf '%q ' "$@")" >/dev/null 2>&1; then
			"$@" >/dev/null 2>"$WORK/err" || true
			note "$(basename "$1") ${*:2}: failed in hyperfine; once more: $(tail -1 "$WORK/err" | cut -c1-150)"
			echo fail
			return
		fi
		awk -F: '/"median"/ {gsub(/[ ,]/, "", $2); printf "%.1f\n", $2 * 1000; exit}' "$WORK/h.json"
	else
		local i t0 t1
		"$@" >/dev/null 2>&1 || { echo fail; return; }
		for ((i = 0; i < RUNS; i++)); do
			t0=$(date +%s%N)
			"$@" >/dev/null 2>&1
			t1=$(date +%s%N)
			echo $(((t1 - t0) / 1000))
		done | median | awk '{printf "%.1f\n", $1 / 1000}'
	fi
}

note() { echo "  $*" >>"$WORK/notes"; }
row() { printf '%-44s %14s %14s %14s %14s\n' "$@"; }
echo "# $(nproc) cores, load average $(cut -d" " -f1-3 /proc/loadavg) at start; nice $(nice); $(date -u +%FT%TZ)"
row "metric (median)" "selkie" "podman" "skopeo" "floor"

# selkie_has CMD: Selkie's --help lists CMD (a listed command may still answer
# "not implemented"; its row then shows fail).
selkie_has() {
	"$SELKIE" --help 2>/dev/null | grep -qE "^[[:space:]]+$1[[:space:]]"
}

row_startup() {
	local s p="-"
	s=$(ms_median "$SELKIE" version)
	[ -n "$PODMAN" ] && p=$(ms_median "$PODMAN" --version)
	row "startup: version (ms)" "$s" "$p" "-" "-"
}

row_images() {
	local n=50 store=$WORK/img50 s p="-" i
	go run -tags "$TAGS" ./hack/mkimage -o "$WORK/many" --format oci-dir --layers 2 --count $n
	mkdir -p "$store"
	for ((i = 1; i <= n; i++)); do
		"$SKOPEO" copy -q "oci:$WORK/many:img$i" "containers-storage:[overlay@$store/root+$store/runroot]localhost/bench/img$i:latest" >/dev/null
	done
	local g=(--root "$store/root" --runroot "$store/runroot")
	local got
	if ! selkie_has images; then
		s="n/a"
	elif got=$("$SELKIE" "${g[@]}" images -q 2>"$WORK/err" | wc -l) && [ "$got" -ge $n ]; then
		s=$(ms_median "$SELKIE" "${g[@]}" images)
	else
		s=fail
		note "selkie images listed $got of $n images: $(tail -1 "$WORK/err")"
	fi
	[ -n "$PODMAN" ] && p=$(ms_median "$PODMAN" "${g[@]}" images)
	row "images, $n images (ms)" "$s" "$p" "-" "-"
	unmount_under "$store"
}

start_registry() {
	[ -n "$REG_PID" ] && return
	local port
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 5123)
	REG=127.0.0.1:$port
	mkdir -p "$WORK/registry"
	cat >"$WORK/registry/config.yml" <<-EOF
	version: 0.1
	log:
	  level: error
	  accesslog:
	    disabled: true
	storage:
	  filesystem:
	    rootdirectory: $WORK/registry/storage
	http:
	  addr: $REG
	EOF
	docker-registry serve "$WORK/registry/config.yml" >"$WORK/registry/log" 2>&1 &
	REG_PID=$!
	for _ in $(seq 100); do curl -sf "http://$REG/v2/" >/dev/null && break; sleep 0.05; done
	printf 'unqualified-search-registries = []\n[[registry]]\nlocation = "%s"\ninsecure = true\n' "$REG" >"$WORK/registries.conf"
}

# ms_runs N PREP CMD: median ms of CMD (eval) over N runs, PREP (untimed) before each;
# "fail" if any run fails.
ms_runs() {
	local n=$1 prep=$2 cmd=$3 i t0 t1 out=()
	for ((i = 0; i < n; i++)); do
		eval "$prep"
		t0=$(date +%s%N)
		if ! eval "$cmd" >/dev/null 2>"$WORK/err"; then
			note "$cmd: $(grep -v '^See ' "$WORK/err" | tail -1 | cut -c1-150)"
			echo fail
			return
		fi
		t1=$(date +%s%N)
		out+=($(((t1 - t0) / 1000000)))
	done
	printf '%s\n' "${out[@]}" | median
}

mbps() { # MB ms -> "123.4 (1.71s)", or with UNIT=s just "1.71s"
	if [ "$2" = fail ] || [ "$2" = nan ]; then echo "$2"; return; fi
	if [ "${UNIT:-}" = s ]; then awk -v ms="$2" 'BEGIN {printf "%.2fs\n", ms / 1000}'; return; fi
	awk -v mb="$1" -v ms="$2" 'BEGIN {printf "%.1f (%.2fs)\n", mb / (ms / 1000), ms / 1000}'
}

# pull_row LABEL NAME MKIMAGE-ARGS...: push an image to the loopback registry,
# then pull it into empty storage on tmpfs with each tool.
pull_row() {
	local label=$1 name=$2
	shift 2
	start_registry
	go run -tags "$TAGS" ./hack/mkimage -o "$WORK/$name.oci" --format oci-dir "$@"
	"$SKOPEO" copy -q --dest-tls-verify=false "oci:$WORK/$name.oci:latest" "docker://$REG/bench/$name:latest" >/dev/null
	local ref=$REG/bench/$name:latest
	local mf digests mb
	mf=$(curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$REG/v2/bench/$name/manifests/latest")
	digests=$(jq -r '.layers[].digest' <<<"$mf" | tr '\n' ' ')
	mb=$(jq '[.layers[].size] | add / 1000000' <<<"$mf")
	local S="$TMPFS/s" g="--root $TMPFS/s/root --runroot $TMPFS/s/runroot" s p="-" k="-" f
	if selkie_has pull; then
		s=$(ms_runs "$PULL_RUNS" "reset $S" "$SELKIE $g --registries-conf $WORK/registries.conf pull -q $ref")
		s=$(mbps "$mb" "$s")
	else
		s="n/a"
	fi
	[ -n "$PODMAN" ] && p=$(mbps "$mb" "$(ms_runs "$PULL_RUNS" "reset $S" "podman_ $g pull -q --tls-verify=false $ref")")
	[ -n "$SKOPEO" ] && k=$(mbps "$mb" "$(ms_runs "$PULL_RUNS" "reset $S" "$SKOPEO copy -q --src-tls-verify=false docker://$ref containers-storage:[overlay@$S/root+$S/runroot]$ref")")
	local curltar="for d in $digests; do curl -sf http://$REG/v2/bench/$name/blobs/\$d | tar -xzf - -C $S || exit 1; done"
	# The floor is the faster of sequential and parallel (one curl | tar per layer at once).
	local par="for d in $digests; do (mkdir -p $S/\$d && curl -sf http://$REG/v2/bench/$name/blobs/\$d | tar -xzf - -C $S/\$d) & done; wait"
	local fs fp
	fs=$(ms_runs "$PULL_RUNS" "reset $S" "$curltar")
	fp=$(ms_runs "$PULL_RUNS" "reset $S" "$par")
	if [ "$fp" != fail ] && { [ "$fs" = fail ] || awk -v a="$fp" -v b="$fs" 'BEGIN {exit !(a < b)}'; }; then fs=$fp; fi
	f=$(mbps "$mb" "$fs")
	row "$label ($([ "${UNIT:-}" = s ] && echo s || echo MB/s))" "$s" "$p" "$k" "$f"
	reset "$S"
}

row_pull() {
	pull_row "pull 6x33MiB random + busybox, tmpfs" big --random-layers 6 --random-mb 33
}

row_smallfiles() {
	UNIT=s pull_row "pull 20k-small-files layer, tmpfs" small --small-files 20000
}

# ---- containers: one store for selkie, one for podman (each with busybox), a runc bundle.
CT_READY=
setup_containers() {
	[ -n "$CT_READY" ] && return
	CT_READY=1
	go run -tags "$TAGS" ./hack/mkimage -o "$WORK/bb.oci" --format oci-dir
	local d
	for d in sel pod; do
		reset "$TMPFS/$d"
		"$SKOPEO" copy -q "oci:$WORK/bb.oci:latest" "containers-storage:[overlay@$TMPFS/$d/root+$TMPFS/$d/runroot]localhost/busybox:latest" >/dev/null
	done
	ES="$SELKIE --root $TMPFS/sel/root --runroot $TMPFS/sel/runroot"
	EP="podman_ --root $TMPFS/pod/root --runroot $TMPFS/pod/runroot"
	[ -n "$RUNC" ] || return 0
	local b=$TMPFS/bundle layer
	mkdir -p "$b/rootfs"
	layer=$(jq -r '.manifests[0].digest' "$WORK/bb.oci/index.json" | cut -d: -f2)
	layer=$(jq -r '.layers[0].digest' "$WORK/bb.oci/blobs/sha256/$layer" | cut -d: -f2)
	tar -xzf "$WORK/bb.oci/blobs/sha256/$layer" -C "$b/rootfs"
	(cd "$b" && "$RUNC" spec)
	jq '.process.terminal = false | .process.args = ["true"]' "$b/config.json" >"$b/c.json" && mv "$b/c.json" "$b/config.json"
	mkdir -p "$TMPFS/bundle-sleep"
	jq --arg r "$b/rootfs" '.process.args = ["sleep", "1000"] | .root.path = $r' "$b/config.json" >"$TMPFS/bundle-sleep/config.json"
	RUNCR="$RUNC --root $TMPFS/runc"
	# A second floor: runc run on Selkie's own spec for the same container
	# (seccomp profile, masked paths, cgroups, mounts), on the same rootfs.
	local id cfg
	if id=$($ES create --pull never --network none localhost/busybox true 2>/dev/null) && $ES init "$id" >/dev/null 2>&1; then
		cfg=$TMPFS/sel/runroot/selkie/containers/$id/config.json
		mkdir -p "$TMPFS/bundle-spec"
		jq --arg r "$b/rootfs" --arg t "$TMPFS" '.root.path = $r | .root.readonly = false
			| .mounts |= map(select((.source // "") | startswith($t) | not))
			| .linux.namespaces |= map(del(.path)) | .linux.cgroupsPath = "/selkie-bench-floor"' \
			"$cfg" >"$TMPFS/bundle-spec/config.json" 2>/dev/null || rm -rf "$TMPFS/bundle-spec"
	fi
	[ -n "$id" ] && $ES rm -f "$id" >/dev/null 2>&1
	return 0
}

# selkie_ok PROBE: the eval'd PROBE ($E = selkie) works; otherwise it prints
# n/a (Selkie lacks the command or flag) or fail, and notes why.
selkie_ok() {
	local E=$ES
	if eval "$1" >/dev/null 2>"$WORK/err"; then return 0; fi
	note "selkie: $1: $(grep -v '^See ' "$WORK/err" | tail -1 | cut -c1-150)"
	if grep -qiE 'not implemented|unknown command|unrecognized command|unknown flag|unknown shorthand' "$WORK/err"; then
		echo n/a
	else
		echo fail
	fi
	return 1
}

LRUNS=${BENCH_LIFECYCLE_RUNS:-10}
# life LABEL PROBE PREP CMD [FLOOR]: PROBE, PREP and CMD are eval'd with $E set
# to the engine command; selkie's row is n/a unless PROBE works. Selkie and
# Podman take turns (one run each, in alternating order), so that both see the
# same load on a busy machine.
life() {
	local label=$1 probe=$2 prep=$3 cmd=$4 floor=${5:--} s="n/a" p="-" i
	local ss=() ps=() sok= pok=
	setup_containers
	s=$(selkie_ok "$probe") && sok=1
	[ -n "$PODMAN" ] && pok=1
	for ((i = 0; i < LRUNS; i++)); do
		if ((i % 2)); then
			[ -n "$pok" ] && { pok=$(E=$EP life_once ps "$prep" "$cmd") || true; }
			[ -n "$sok" ] && { sok=$(E=$ES life_once ss "$prep" "$cmd") || true; }
		else
			[ -n "$sok" ] && { sok=$(E=$ES life_once ss "$prep" "$cmd") || true; }
			[ -n "$pok" ] && { pok=$(E=$EP life_once ps "$prep" "$cmd") || true; }
		fi
	done
	if [ "$s" != n/a ]; then s=$(life_median ss); fi
	[ -n "$PODMAN" ] && p=$(life_median ps)
	rm -f "$WORK/vars.ss" "$WORK/vars.ps"
	row "$label (ms)" "$s" "$p" "-" "$floor"
}

# life_once VAR PREP CMD: one timed run of CMD ($E set by the caller), its ms
# appended to the file $WORK/life.VAR; prints 1, or nothing (and a note, and
# "fail" in the file) when it failed, which ends that engine's runs. It runs
# in a subshell: the variables a PREP keeps across runs (LC, CPC: a container
# made once) are carried per engine in $WORK/vars.VAR.
life_once() {
	local t0 t1
	[ -f "$WORK/vars.$1" ] && . "$WORK/vars.$1"
	eval "$2"
	declare -p LC CPC 2>/dev/null >"$WORK/vars.$1" || true
	t0=$(date +%s%N)
	if ! eval "$3" >/dev/null 2>"$WORK/err"; then
		note "$3: $(grep -v '^See ' "$WORK/err" | tail -1 | cut -c1-150)"
		echo fail >>"$WORK/life.$1"
		return 1
	fi
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000)) >>"$WORK/life.$1"
	echo 1
}

# life_median VAR: median of $WORK/life.VAR ("fail" if a run failed); resets it.
life_median() {
	local f=$WORK/life.$1
	if [ ! -s "$f" ]; then echo -; elif grep -q fail "$f"; then echo fail; else median <"$f"; fi
	rm -f "$f"
}

runc_ms() { [ -n "${RUNCR:-}" ] && ms_runs "$LRUNS" "${2:-:}" "$1" || echo -; }

P_CREATE='ID=$($E create --pull never --network none localhost/busybox true)'
P_RUND='ID=$($E run -d --pull never --network none localhost/busybox sleep 1000)'

row_run() {
	setup_containers
	local f fs=-
	if [ -n "${RUNCR:-}" ] && [ -f "$TMPFS/bundle-spec/config.json" ]; then
		# Both floors in turns, so that they see the same load.
		read -r f fs < <(runc_pair "$RUNCR run --bundle $TMPFS/bundle floor" "$RUNCR run --bundle $TMPFS/bundle-spec floor-spec")
	else
		f=$(runc_ms "$RUNCR run --bundle $TMPFS/bundle floor")
	fi
	life "run --rm --network none true" '$E run --rm --pull never --network none localhost/busybox true' : \
		'$E run --rm --pull never --network none localhost/busybox true' "$f"
	life "run --rm true (default network)" '$E run --rm --pull never localhost/busybox true' : \
		'$E run --rm --pull never localhost/busybox true' "$f"
	[ "$fs" != - ] && row "floor: runc run on Selkie's spec (ms)" - - - "$fs"
	return 0
}

# runc_pair CMD1 CMD2: "median1 median2" of the two commands run in turns, LRUNS each.
runc_pair() {
	local i t0 t1 a=() b=()
	for ((i = 0; i < LRUNS; i++)); do
		t0=$(date +%s%N); eval "$1" >/dev/null 2>&1; t1=$(date +%s%N); a+=($(((t1 - t0) / 1000000)))
		t0=$(date +%s%N); eval "$2" >/dev/null 2>&1; t1=$(date +%s%N); b+=($(((t1 - t0) / 1000000)))
	done
	echo "$(printf '%s\n' "${a[@]}" | median) $(printf '%s\n' "${b[@]}" | median)"
}

row_lifecycle() {
	setup_containers
	life "create" "$P_CREATE" : "$P_CREATE"
	life "start (true, detached)" "$P_CREATE"' && $E start $ID' "$P_CREATE" '$E start $ID'
	life "stop -t0" "$P_RUND"' && $E stop -t0 $ID' "$P_RUND" '$E stop -t0 $ID'
	life "rm" "$P_CREATE"' && $E rm $ID' "$P_CREATE" '$E rm $ID'
	local fe=-
	if [ -n "${RUNCR:-}" ]; then
		$RUNCR run -d --bundle "$TMPFS/bundle-sleep" floor-sleep </dev/null >/dev/null 2>&1 || true
		fe=$(runc_ms "$RUNCR exec floor-sleep true")
		$RUNCR delete -f floor-sleep >/dev/null 2>&1 || true
	fi
	local X='[ -n "${LC:-}" ] || LC=$($E run -d --pull never --network none localhost/busybox sleep 1000)'
	life "exec true" "$X"' && $E exec $LC true' "$X" '$E exec $LC true' "$fe"
	life "inspect" "$X"' && $E inspect $LC' "$X" '$E inspect $LC'
	local fp=-
	[ -n "${RUNCR:-}" ] && fp=$(LRUNS=3 runc_ms "for i in 0 1 2 3 4 5 6 7 8 9; do $RUNCR run --bundle $TMPFS/bundle par\$i & done; wait")
	LRUNS=3 life "10 parallel run --rm --network none" '$E run --rm --pull never --network none localhost/busybox true' : \
		'for i in 0 1 2 3 4 5 6 7 8 9; do $E run --rm --pull never --network none localhost/busybox true & done; wait' "$fp"
	$ES rm -af -t0 >/dev/null 2>&1 || true
	$EP rm -af -t0 >/dev/null 2>&1 || true
}

# ps_row N ENGINES: ps -a with N containers.
ps_row() {
	local n=$1 s="n/a" p="-" i
	setup_containers
	if s=$(selkie_ok '$E ps -a'); then
		for ((i = 0; i < n; i++)); do $ES create --pull never --network none localhost/busybox true >/dev/null || break; done
		s=$(ms_median $ES ps -a)
		$ES rm -af >/dev/null 2>&1 || true
	fi
	if [ -n "$PODMAN" ] && [ "$2" = both ]; then
		for ((i = 0; i < n; i++)); do $EP create --pull never --network none localhost/busybox true >/dev/null || break; done
		p=$(ms_median env CONTAINERS_CONF="$WORK/containers.conf" "$PODMAN" --root "$TMPFS/pod/root" --runroot "$TMPFS/pod/runroot" ps -a)
		$EP rm -af >/dev/null 2>&1 || true
	fi
	row "ps -a, $n containers (ms)" "$s" "$p" "-" "-"
}
row_ps100() { ps_row 100 both; }
row_ps1000() { ps_row 1000 selkie; }

# volumes: run --rm with 1 and 10 named volumes (created by the first run).
row_volumes() {
	setup_containers
	local v1="-v bv1:/v1" v10="" i
	for i in 1 2 3 4 5 6 7 8 9 10; do v10="$v10 -v bv$i:/v$i"; done
	life "run --rm, 1 named volume" "\$E run --rm --pull never --network none $v1 localhost/busybox true" : \
		"\$E run --rm --pull never --network none $v1 localhost/busybox true"
	life "run --rm, 10 named volumes" "\$E run --rm --pull never --network none $v10 localhost/busybox true" : \
		"\$E run --rm --pull never --network none $v10 localhost/busybox true"
}

# cp: a 100 MB tree (400 files of 256 KiB in 20 dirs) into and out of a created container.
row_cp() {
	setup_containers
	local t=$TMPFS/cptree i j
	if [ ! -d "$t" ]; then
		for ((i = 0; i < 20; i++)); do
			mkdir -p "$t/d$i"
			for ((j = 0; j < 20; j++)); do head -c 262144 /dev/urandom >"$t/d$i/f$j"; done
		done
	fi
	local X='[ -n "${CPC:-}" ] || CPC=$($E create --pull never --network none localhost/busybox true)'
	local Y='[ -n "${CPC:-}" ] || { CPC=$($E create --pull never --network none localhost/busybox true) && $E cp '"$t"' $CPC:/; }'
	LRUNS=5 life "cp 100 MB tree host→container" "$X"' && $E cp '"$t"' $CPC:/' "$X" '$E cp '"$t"' $CPC:/'
	LRUNS=5 life "cp 100 MB tree container→host" "$Y"' && $E cp $CPC:/cptree '"$TMPFS"'/cpout' "$Y"'; rm -rf '"$TMPFS"'/cpout' '$E cp $CPC:/cptree '"$TMPFS"'/cpout'
	$ES rm -af -t0 >/dev/null 2>&1 || true
	$EP rm -af -t0 >/dev/null 2>&1 || true
}

# build: a 10-step Containerfile (2 RUN, 1 COPY) cold (--no-cache) and fully
# cached, and COPY of a 20k-small-file context (--no-cache); RUN on the host network for both.
row_build() {
	setup_containers
	local c10=$TMPFS/bctx10 c20k=$TMPFS/bctx20k i
	mkdir -p "$c10" "$c20k/files"
	echo data >"$c10/f"
	printf 'FROM localhost/busybox\nENV A=1\nLABEL b=2\nWORKDIR /app\nCOPY f /app/f\nRUN echo one > /one\nRUN cat /app/f > /two\nENV C=3\nEXPOSE 80\nCMD ["sh"]\n' >"$c10/Containerfile"
	for ((i = 0; i < 20000; i++)); do echo "$i" >"$c20k/files/f$i"; done
	printf 'FROM localhost/busybox\nCOPY files /files\n' >"$c20k/Containerfile"
	local B='build -q --pull=never --network host'
	LRUNS=5 life "build 10 steps, cold (--no-cache)" "\$E $B -t b10 $c10" : "\$E $B --no-cache -t b10 $c10"
	LRUNS=5 life "build 10 steps, fully cached" "\$E $B -t b10 $c10" : "\$E $B -t b10 $c10"
	LRUNS=3 life "build COPY 20k small files (--no-cache)" "\$E $B -t b20k $c20k" : "\$E $B --no-cache -t b20k $c20k"
}

# pods: create a pod (default network), start 3 members in it, remove it all.
row_pods() {
	setup_containers
	local m='$E run -d --pull never --pod bp localhost/busybox sleep 1000'
	local P="\$E pod create --name bp && $m && $m && $m && \$E pod rm -f -t0 bp"
	LRUNS=${BENCH_POD_RUNS:-5} life "pod create + 3 members started, pod rm -f" "$P" : "$P"
}

# row_resident: conmon RSS per detached container, and engine processes left
# resident once `run -d` has returned (goal: none).
row_resident() {
	setup_containers
	local s="n/a" p="-" rs="-" rp="-" out
	out=$(resident "$ES" "$TMPFS/sel") && { s=${out% *}; rs=${out#* }; }
	[ -n "$PODMAN" ] && out=$(resident "$EP" "$TMPFS/pod") && { p=${out% *}; rp=${out#* }; }
	row "conmon RSS per container (MB)" "$s" "$p" "-" "-"
	row "engine processes left after run -d" "$rs" "$rp" "-" "-"
}

# resident ENGINE STOREDIR: prints "RSS_MB ENGINE_PROCS" for one detached container.
resident() {
	local E=$1 dir=$2 id pid rss=0 n=0 a
	id=$(eval "$E run -d --pull never --network none localhost/busybox sleep 1000" 2>"$WORK/err") || { note "resident: $(tail -1 "$WORK/err")"; return 1; }
	sleep 0.5
	for pid in $(pgrep -x conmon); do
		grep -qF "$id" "/proc/$pid/cmdline" 2>/dev/null || continue
		rss=$(awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$pid/status")
	done
	for pid in $(pgrep -f -- "$dir/root"); do
		a=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || continue
		case "$a" in *conmon*|*runc*) ;; *selkie*|*podman*) n=$((n + 1)) ;; esac
	done
	eval "$E rm -f -t0 $id" >/dev/null 2>&1
	echo "$rss $n"
}

# row_rootless: pull and run --rm as an unprivileged account (selkie-bench,
# created with /etc/subuid ranges), Selkie vs Podman rootless; the floor
# column holds rootful Selkie for the same command. Stores on a 0755 tmpfs.
row_rootless() {
	local u=selkie-bench uid gid RL
	command -v setpriv >/dev/null && command -v newuidmap >/dev/null || { note "rootless: setpriv/newuidmap missing"; return; }
	id "$u" >/dev/null 2>&1 || useradd --no-create-home --shell /bin/sh "$u" || { note "rootless: useradd $u failed"; return; }
	grep -q "^$u:" /etc/subuid || usermod --add-subuids 800000-865535 --add-subgids 800000-865535 "$u"
	uid=$(id -u "$u") gid=$(id -g "$u")
	RL=$(mktemp -d /tmp/selkie-bench-rl.XXXXXX)
	mount -t tmpfs -o size=2g,mode=755 tmpfs "$RL"
	mkdir -p "$RL/sh" "$RL/sr" "$RL/ph" "$RL/pr" && chown "$uid:$gid" "$RL/sh" "$RL/sr" "$RL/ph" "$RL/pr" && chmod 700 "$RL/sh" "$RL/sr" "$RL/ph" "$RL/pr"
	cp "$SELKIE" "$RL/selkie" && cp "$WORK/containers.conf" "$RL/containers.conf" && chmod 644 "$RL/containers.conf"
	go run -tags "$TAGS" ./hack/mkimage -o "$RL/bb.tar" && chmod 644 "$RL/bb.tar"
	local AS="setpriv --reuid $uid --regid $gid --init-groups env -i PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"
	local RS="$AS HOME=$RL/sh XDG_RUNTIME_DIR=$RL/sr $RL/selkie"
	local RP="$AS HOME=$RL/ph XDG_RUNTIME_DIR=$RL/pr CONTAINERS_CONF=$RL/containers.conf $PODMAN"
	local G="$TMPFS/rg" s p f
	# Stores are emptied between pulls (the user's namespace stays: it holds no mounts then).
	s=$(ms_runs "$PULL_RUNS" "rm -rf $RL/sh/.local" "$RS pull -q oci-archive:$RL/bb.tar")
	p=-
	[ -n "$PODMAN" ] && p=$(ms_runs "$PULL_RUNS" "$RP rm -af >/dev/null 2>&1; $RP rmi -af >/dev/null 2>&1" "$RP pull -q oci-archive:$RL/bb.tar")
	f=$(ms_runs "$PULL_RUNS" "reset $G" "$SELKIE --root $G/root --runroot $G/runroot pull -q oci-archive:$RL/bb.tar")
	row "rootless pull busybox oci-archive (ms)" "$s" "$p" "-" "$f"
	local img
	img=$($RS images -q | head -1)
	local pimg=-
	[ -n "$PODMAN" ] && pimg=$($RP images -q | head -1)
	for net in none default; do
		local n="--network none"
		[ "$net" = default ] && n=""
		s=$(ms_runs "$LRUNS" : "$RS run --rm --pull never $n $img true")
		p=-
		[ -n "$PODMAN" ] && p=$(ms_runs "$LRUNS" : "$RP run --rm --pull never $n $pimg true")
		f=$(ms_runs "$LRUNS" : "$SELKIE --root $G/root --runroot $G/runroot run --rm --pull never $n $img true")
		row "rootless run --rm true, network $net (ms)" "$s" "$p" "-" "$f"
	done
	$RS rm -af -t0 >/dev/null 2>&1
	[ -f "$RL/sr/selkie/pause.pid" ] && kill -9 "$(cat "$RL/sr/selkie/pause.pid")" 2>/dev/null
	[ -n "$PODMAN" ] && $RP system migrate >/dev/null 2>&1
	[ -f "$RL/pr/libpod/tmp/pause.pid" ] && kill -9 "$(cat "$RL/pr/libpod/tmp/pause.pid")" 2>/dev/null
	sleep 0.2
	unmount_under "$RL"
	rm -rf "$RL"
	reset "$G"
}

for r in $ROWS; do
	"row_$r"
done
echo "# load average $(cut -d" " -f1-3 /proc/loadavg) at the end"
echo "floor: curl | tar -xz of each layer, sequential or all at once, whichever is faster (pulls); runc run/exec on a prepared bundle. n/a: not implemented in selkie yet; -: not measured."
if [ -s "$WORK/notes" ]; then echo "notes:"; cat "$WORK/notes"; fi
