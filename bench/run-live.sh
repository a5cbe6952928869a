#!/bin/bash
# run-live.sh - live mirroring: zcsyncd side by side with lsyncd 2.2 + rsync,
# on loopback, in one run (issue 4, "Measured").
#
# usage: bench/run-live.sh [--smoke] [floor] [latency] [converge] [scale]
#   default: all four phases, in that order.  --smoke: a few samples of each
#   phase on small trees, to check the harness end to end (~2 min).
#
# Contenders (each started fresh, on empty directories, for every block):
#   zcsync_fsync     two zcsyncd: alpha watches SRC and pushes the set to beta
#                    (push_to, delete: true); beta lands it in DST; fsync: true
#                    (the default) on both ends
#   zcsync_nofsync   the same with fsync: false on both ends
#   lsyncd_d0        lsyncd 2.2 default.rsync, delay = 0 (rsync never fsyncs)
#   lsyncd_d15       lsyncd 2.2 default.rsync, delay = 15 (its default;
#                    latency only, LSYNCD15_N samples per case)
#   zcbase_fsync     zcsync_fsync with the zcsyncd in ZCSYNC_BASE_DIR (another
#                    build, e.g. before a change: side by side in one run);
#                    only when that is set
#   zcbase_nofsync   the same with fsync: false; not in the default rows,
#                    name it in LAT_CONTENDERS / CONV_CONTENDERS
#   lsyncd_d0_a      lsyncd_d0 plus rsync = { archive = true }: the convergence
#                    row.  default.rsync runs `rsync -stl -r` (no -p), so a
#                    directory that `cp -a` creates 0700 and chmods 0755 at the
#                    end stays 0700 on the replica: it never converges.
# SRC is a directory on its own journaled ext4 image, DST on the harness's
# target image (lib.sh target_up): two fresh file systems, so neither
# "rm -rf; copy again" measures the allocator of an unjournaled scratch disk.
#
# Phases:
#   floor     on the target image: write a 4 KiB temp file, fsync, rename,
#             fsync the directory (and the same without the fsyncs), 100 each
#   latency   change-to-replicated time of a new 4 KiB file and of a 4 KiB
#             file rewritten in place, 1-2 s apart, LAT_N per case, in rounds
#             of 10 (contenders round-robin); p50, p95 (nearest rank), min-max
#   converge  time from the start of `cp -a` of the workload tree (harness
#             gen-workloads.sh: 1,000 x 1 MiB, 20,000 x 4 KiB) into SRC until
#             DST equals it (size, mode, owner, mtime of every file and
#             directory, no extra entries; then bytes, untimed); RUNS rounds
#   scale     100,000 x 1 KiB files in 10,000 directories: zcsyncd's
#             start-to-"in sync" time with an empty peer and with an
#             up-to-date one (and lsyncd's start-up for reference), and RSS
# Peak RSS: zcsyncd's VmHWM (sender and receiver, by PID, just before they
# stop); lsyncd's VmHWM, and its rsync children's sampled every 10 ms through
# /proc/PID/task/*/children (the largest sum over the tree at one sample).
#
# The reference harness (../shared/bench, read-only) is copied to
# $ZCB_ROOT/harness and built there; zcsync is built from this checkout into
# $ZCB_ROOT/build unless ZCSYNC_BIN_DIR names a directory with zcsync and
# zcsyncd.  The probe (zclive: latency, floor, convergence, RSS sampler) is
# the C source at the end of this file, compiled into $ZCB_ROOT/bin.
# Run as root (loop devices, sysctl); needs lsyncd (apt-get install lsyncd).
#
# Env: ZC_SHARED (default <repo>/../shared), ZCB_ROOT (default
#      /tmp/zcbench-live), ZCB_RESULTS (default $ZCB_ROOT/results/<date>),
#      RUNS (convergence rounds, default 3), LAT_N (samples per case, default
#      30), LSYNCD15_N (default 3; 0 skips), SCALE_FILES (default 100000),
#      SCALE_LSYNCD=0 (skip lsyncd in the scale phase), CONV_TMO (seconds
#      before a convergence round is given up, default 300), ZCSYNC_BIN_DIR,
#      ZCSYNC_BASE_DIR (adds zcbase_fsync to the latency and convergence
#      rows), LAT_CONTENDERS / CONV_CONTENDERS (space-separated names: only
#      these rows; the convergence ratios need lsyncd_d0_a), CONV_WLS (e.g.
#      "small": only these convergence workloads), CONV_WARM=0 (skip the
#      untimed warm-up copy into both images before convergence round 1).
# A convergence round whose replicator dies or never converges is recorded
# as FAILED (with the signal, logs kept under results/.../logs) and the run
# goes on.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
self=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")
smoke=
phases=()
for a in "$@"; do
	case $a in
	--smoke) smoke=1 ;;
	floor | latency | converge | scale) phases+=("$a") ;;
	-h | --help) sed -n '2,/^set -euo/p' "$self" | sed '$d'; exit 0 ;;
	*) echo "run-live.sh: unknown argument: $a" >&2; sed -n '4,6p' "$self" >&2; exit 2 ;;
	esac
done
[ ${#phases[@]} -gt 0 ] || phases=(floor latency converge scale)
has_phase() { local p; for p in "${phases[@]}"; do [ "$p" = "$1" ] && return 0; done; return 1; }
[ "$(id -u)" = 0 ] || { echo "run-live.sh: run as root (loop devices, sysctl)" >&2; exit 1; }
command -v lsyncd >/dev/null || { echo "run-live.sh: lsyncd missing: apt-get install -y lsyncd" >&2; exit 1; }
command -v rsync >/dev/null || { echo "run-live.sh: rsync missing: apt-get install -y rsync" >&2; exit 1; }

if [ -n "$smoke" ]; then
	RUNS=1 LAT_N=${LAT_N:-4} LSYNCD15_N=${LSYNCD15_N:-1} SCALE_FILES=${SCALE_FILES:-2000}
fi
shared=${ZC_SHARED:-$repo/../shared}/bench
[ -f "$shared/lib.sh" ] || { echo "run-live.sh: no harness in $shared (set ZC_SHARED)" >&2; exit 1; }
export ZCB_ROOT=${ZCB_ROOT:-/tmp/zcbench-live}
export RUNS=${RUNS:-3}
export ZCB_RESULTS=${ZCB_RESULTS:-$ZCB_ROOT/results/$(date +%Y%m%d-%H%M%S)${smoke:+-smoke}}
LAT_N=${LAT_N:-30}
LSYNCD15_N=${LSYNCD15_N:-3}
SCALE_FILES=${SCALE_FILES:-100000}
mkdir -p "$ZCB_ROOT"

. "$repo/bench/lib.sh"
bench_harness
bench_zcsync

# The probe, from the end of this file.
mkdir -p "$ZCB_ROOT/bin"
sed -n '/^#--- zclive.c ---$/,/^ZCLIVE_C$/p' "$self" | sed '1d;$d' >"$ZCB_ROOT/bin/zclive.c"
gcc -O2 -Wall -o "$ZCB_ROOT/bin/zclive" "$ZCB_ROOT/bin/zclive.c" ||
	{ echo "run-live.sh: building zclive failed" >&2; exit 1; }
ZL=$ZCB_ROOT/bin/zclive

. "$H/lib.sh"
S=$ZCB_RESULTS/summary.txt
L=$ZCB_RESULTS/logs
T=$ZCB_RESULTS/samples
mkdir -p "$L" "$T"

# The source file system: a second journaled ext4 image, made like lib.sh's.
SRCFS=$ZCB_ROOT/srcfs
SRC_LOOP=
srcfs_up() {
	mkdir -p "$SRCFS"
	if mountpoint -q "$SRCFS"; then
		umount "$SRCFS"
		losetup -j "$ZCB_ROOT/source.img" | cut -d: -f1 | xargs -r -n1 losetup -d
	fi
	rm -f "$ZCB_ROOT/source.img"
	truncate -s 8G "$ZCB_ROOT/source.img"
	mkfs.ext4 -F -q -E lazy_itable_init=0,lazy_journal_init=0,nodiscard "$ZCB_ROOT/source.img"
	SRC_LOOP=$(losetup --direct-io=on -f --show "$ZCB_ROOT/source.img")
	mount -o noatime "$SRC_LOOP" "$SRCFS"
}
srcfs_down() {
	[ -n "$SRC_LOOP" ] || return 0
	umount "$SRCFS" && losetup -d "$SRC_LOOP"
	SRC_LOOP=
	rm -f "$ZCB_ROOT/source.img"
}

WATCHES_WAS=
run_live_exit() {
	set +e
	zcb_cleanup
	for _ in $(seq 100); do
		[ -z "$(fuser -m "$ZCB_DST" "$SRCFS" 2>/dev/null)" ] && break
		sleep 0.1
	done
	target_down
	srcfs_down
	[ -z "$WATCHES_WAS" ] || sysctl -qw fs.inotify.max_user_watches="$WATCHES_WAS"
}
trap run_live_exit EXIT

# Workloads (the harness's; made once under $ZCB_ROOT/src).
if [ -n "$smoke" ]; then
	WLS=(tiny)
	if [ ! -f "$ZCB_SRC/.tiny.complete" ]; then
		rm -rf "$ZCB_SRC/tiny"
		mkdir -p "$ZCB_SRC/tiny"
		"$BIN/zcgen" tree "$ZCB_SRC/tiny" 200 4096 20 45 >/dev/null
		find "$ZCB_SRC/tiny" -type d -exec touch -d @1704067200 {} +
		: >"$ZCB_SRC/.tiny.complete"
	fi
else
	WLS=(medium small)
	[ -z "${CONV_WLS:-}" ] || read -r -a WLS <<<"$CONV_WLS"
	has_phase converge && for wl in "${WLS[@]}"; do need_workload "$wl"; done
fi

if [ "$ZCB_TARGET" = ext4img ] && mountpoint -q "$ZCB_DST" &&
	losetup -j "$ZCB_ROOT/target.img" | grep -q .; then
	umount "$ZCB_DST" && losetup -j "$ZCB_ROOT/target.img" | cut -d: -f1 | xargs -r -n1 losetup -d
fi
target_up
srcfs_up

log "run-live.sh $(date -u +%Y-%m-%dT%H:%MZ): $(machine_line)"
{
	echo "source: journaled ext4 (8 GiB image, loop device, direct I/O); target: $(target_desc)"
	[ "$ZCSYNC_BIN_DIR" = "$ZCB_ROOT/build" ] || echo "zcsync binaries from ZCSYNC_BIN_DIR=$ZCSYNC_BIN_DIR, not built from this checkout"
	[ -z "${ZCSYNC_BASE_DIR:-}" ] || echo "zcbase_*: zcsyncd from ZCSYNC_BASE_DIR=$ZCSYNC_BASE_DIR"
	echo "zcsync: $("$ZCSYNCD" --version 2>&1 | head -1), checkout $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$repo" status --porcelain 2>/dev/null | grep -q . && echo ' (with uncommitted changes)')"
	echo "lsyncd: $(lsyncd --version 2>&1 | head -1); $(rsync --version | head -1)"
	echo "phases: ${phases[*]}; RUNS=$RUNS LAT_N=$LAT_N LSYNCD15_N=$LSYNCD15_N SCALE_FILES=$SCALE_FILES"
	echo "load before start: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee -a "$S"

# --- statistics over a file of "S <ms>" lines
# prints: n p50 p95 min max (p95: nearest rank, ceil(0.95 n))
stats() {
	awk '$1 == "S" {print $2}' "$@" | sort -g | awk '
		{ v[NR] = $1 }
		END {
			n = NR
			if (n == 0) { print "0 - - - -"; exit }
			med = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
			r = int(0.95 * n); if (r < 0.95 * n) r++
			printf "%d %.2f %.2f %.2f %.2f\n", n, med, v[r], v[1], v[n]
		}'
}
# median (min-max) of a list of numbers, one per line
medmm() {
	sort -g | awk '{ v[NR] = $1 } END {
		n = NR; if (n == 0) { print "-"; exit }
		med = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
		printf "%.3f (%.3f-%.3f)\n", med, v[1], v[n] }'
}
median() { sort -g | awk '{ v[NR] = $1 } END { n = NR; if (!n) { print 0; exit } print (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2 }'; }

# --- contenders
# start_c NAME: fresh empty SRC and DST, the contender started and "in sync".
# Sets CSRC, CDST; stop_c NAME: stops it and appends its peak RSS to
# $T/rss-NAME-$PHASE.txt.
declare -A cpid
PHASE=none
csrc() { echo "$SRCFS/$1"; }
cdst() { echo "$ZCB_DST/$1"; }
hwm_of() { awk '/^VmHWM/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
# CPU seconds (user + system) of PID, and of its children it has reaped
# (lsyncd's rsync runs), from /proc/PID/stat.
cpu_of() {
	local t
	t=$(getconf CLK_TCK)
	sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk -v t="$t" '{ printf "%.2f", ($12 + $13 + $14 + $15) / t }' || echo 0
}

wait_for_line() { # file regexp timeout_s pid
	local i n=$(($3 * 50))
	for ((i = 0; i < n; i++)); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		kill -0 "$4" 2>/dev/null || { echo "run-live.sh: process died; its log:" >&2; tail -5 "$1" >&2; return 1; }
		sleep 0.02
	done
	echo "run-live.sh: no '$2' in $1 after $3 s" >&2
	return 1
}

zc_start() { # name fsync src dst [zcsyncd]
	local name=$1 fsync=$2 src=$3 dst=$4 d=$ZCB_ROOT/run/$1 ZCSYNCD=${5:-$ZCSYNCD}
	mkdir -p "$d"
	cat >"$d/beta.yaml" <<EOF
node: {name: beta, listen: "127.0.0.1:0"}
peers: [{name: alpha}]
sets: [{name: s, path: "$dst", accept_from: [alpha], fsync: $fsync}]
EOF
	rm -f "$d/port"
	"$ZCSYNCD" -c "$d/beta.yaml" --ready-fd 3 3>"$d/port" 2>"$d/beta.log" &
	cpid[$name.beta]=$!
	zcb_track "${cpid[$name.beta]}"
	for _ in $(seq 200); do
		grep -qx '[0-9]\+' "$d/port" 2>/dev/null && break
		kill -0 "${cpid[$name.beta]}" 2>/dev/null || { echo "run-live.sh: zcsyncd beta died:" >&2; tail -5 "$d/beta.log" >&2; exit 1; }
		sleep 0.05
	done
	cat >"$d/alpha.yaml" <<EOF
node: {name: alpha}
peers: [{name: beta, address: "127.0.0.1:$(cat "$d/port")"}]
sets: [{name: s, path: "$src", push_to: [beta], delete: true, fsync: $fsync}]
EOF
	ZC_T0=$(date +%s.%N)
	"$ZCSYNCD" -c "$d/alpha.yaml" 2>"$d/alpha.log" &
	cpid[$name.alpha]=$!
	zcb_track "${cpid[$name.alpha]}"
	wait_for_line "$d/alpha.log" 'in sync; mirroring live' "${ZC_START_TMO:-120}" "${cpid[$name.alpha]}"
}
ls_start() { # name delay src dst [extra sync{} fields]
	local name=$1 delay=$2 src=$3 dst=$4 extra=${5:-} d=$ZCB_ROOT/run/$1
	mkdir -p "$d"
	cat >"$d/lsyncd.lua" <<EOF
settings { nodaemon = true, logfile = "$d/lsyncd.log" }
sync { default.rsync, source = "$src", target = "$dst", delay = $delay$extra }
EOF
	: >"$d/lsyncd.log"
	LS_T0=$(date +%s.%N)
	lsyncd "$d/lsyncd.lua" >"$d/lsyncd.out" 2>&1 &
	cpid[$name.lsyncd]=$!
	zcb_track "${cpid[$name.lsyncd]}"
	"$ZL" rss "${cpid[$name.lsyncd]}" 10 >"$d/rss.out" &
	cpid[$name.sampler]=$!
	wait_for_line "$d/lsyncd.log" 'Startup of .* finished' "${LS_START_TMO:-120}" "${cpid[$name.lsyncd]}"
}
start_c() {
	local name=$1
	CSRC=$(csrc "$name") CDST=$(cdst "$name")
	rm -rf "$CSRC" "$CDST"
	mkdir -p "$CSRC" "$CDST"
	sync
	case $name in
	zcsync_fsync) zc_start "$name" true "$CSRC" "$CDST" ;;
	zcbase_fsync) zc_start "$name" true "$CSRC" "$CDST" "$ZCSYNC_BASE_DIR/zcsyncd" ;;
	zcbase_nofsync) zc_start "$name" false "$CSRC" "$CDST" "$ZCSYNC_BASE_DIR/zcsyncd" ;;
	zcsync_nofsync) zc_start "$name" false "$CSRC" "$CDST" ;;
	lsyncd_d0) ls_start "$name" 0 "$CSRC" "$CDST" ;;
	lsyncd_d15) ls_start "$name" 15 "$CSRC" "$CDST" ;;
	lsyncd_d0_a) ls_start "$name" 0 "$CSRC" "$CDST" ', rsync = { archive = true }' ;;
	esac
}
kill_wait() {
	kill "$1" 2>/dev/null || return 0
	for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.05; done
	kill -9 "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}
stop_c() {
	local name=$1 d=$ZCB_ROOT/run/$1 a b
	case $name in
	zcsync_* | zcbase_*)
		a=$(hwm_of "${cpid[$name.alpha]}") b=$(hwm_of "${cpid[$name.beta]}")
		echo "$a $b" >>"$T/rss-$name-$PHASE.txt"
		echo "$(cpu_of "${cpid[$name.alpha]}") $(cpu_of "${cpid[$name.beta]}")" >>"$T/cpu-$name-$PHASE.txt"
		kill_wait "${cpid[$name.alpha]}"
		kill_wait "${cpid[$name.beta]}"
		;;
	lsyncd_*)
		# Let its last rsync finish (lsyncd reaps it), then stop it.
		for _ in $(seq 100); do
			[ -z "$(cat /proc/"${cpid[$name.lsyncd]}"/task/*/children 2>/dev/null | tr -d ' \n')" ] && break
			sleep 0.05
		done
		cpu_of "${cpid[$name.lsyncd]}" >>"$T/cpu-$name-$PHASE.txt"
		echo >>"$T/cpu-$name-$PHASE.txt"
		kill_wait "${cpid[$name.lsyncd]}"
		wait "${cpid[$name.sampler]}" 2>/dev/null || true
		awk '{ for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
			print v["self_hwm_kb"], v["child_sum_max_kb"], v["child_max_kb"] }' "$d/rss.out" >>"$T/rss-$name-$PHASE.txt"
		;;
	esac
}

# --- phase: floor
if has_phase floor; then
	PHASE=floor
	log "floor: 4 KiB temp file + fsync + rename + fsync of the directory, on the target image"
	fd=$ZCB_DST/floor
	rm -rf "$fd" && mkdir -p "$fd" && sync
	n=100
	[ -n "$smoke" ] && n=10
	for m in fsync nofsync; do
		"$ZL" floor "$fd" "$n" "$m" >"$T/floor-$m.txt"
		read -r k p50 p95 mn mx < <(stats "$T/floor-$m.txt")
		printf '  floor %-8s n=%d p50 %s ms, p95 %s ms (min %s, max %s)\n' "$m" "$k" "$p50" "$p95" "$mn" "$mx" | tee -a "$S"
		printf 'floor\t%s\tn=%s\tp50=%s\tp95=%s\tmin=%s\tmax=%s\n' "$m" "$k" "$p50" "$p95" "$mn" "$mx" >>"$ZCB_RESULTS/results.tsv"
	done
	rm -rf "$fd"
fi

# --- phase: latency
LAT_C=(zcsync_fsync zcsync_nofsync lsyncd_d0)
[ -z "${ZCSYNC_BASE_DIR:-}" ] || LAT_C=(zcbase_fsync "${LAT_C[@]}")
[ -z "${LAT_CONTENDERS:-}" ] || read -r -a LAT_C <<<"$LAT_CONTENDERS"
if has_phase latency; then
	PHASE=latency
	per=10
	[ "$LAT_N" -lt "$per" ] && per=$LAT_N
	rounds=$(((LAT_N + per - 1) / per))
	log "latency: a new 4 KiB file, then a 4 KiB file rewritten in place; $LAT_N changes per case and contender, 1-2 s apart, in $rounds rounds of $per (contenders round-robin)"
	for ((r = 1; r <= rounds; r++)); do
		# The floor again, in the same rounds (the disk is shared).
		mkdir -p "$ZCB_DST/floor"
		"$ZL" floor "$ZCB_DST/floor" "$per" fsync >>"$T/latfloor-fsync.txt"
		"$ZL" floor "$ZCB_DST/floor" "$per" nofsync >>"$T/latfloor-nofsync.txt"
		rm -rf "$ZCB_DST/floor"
		for c in "${LAT_C[@]}"; do
			start_c "$c"
			for k in new mod; do
				"$ZL" lat "$k" "$CSRC" "$CDST" "$per" 4096 1000 2000 60 "$r$RANDOM" >>"$T/lat-$c-$k.txt" ||
					echo "  ($c $k round $r: a change timed out)" | tee -a "$S"
			done
			stop_c "$c"
			echo "  round $r: $c done ($(date +%T), load $(cut -d' ' -f1 /proc/loadavg))"
		done
	done
	if [ "$LSYNCD15_N" -gt 0 ]; then
		c=lsyncd_d15
		start_c "$c"
		for k in new mod; do
			"$ZL" lat "$k" "$CSRC" "$CDST" "$LSYNCD15_N" 4096 1000 2000 60 "$RANDOM" >>"$T/lat-$c-$k.txt" ||
				echo "  ($c $k: a change timed out)" | tee -a "$S"
		done
		stop_c "$c"
	fi
	{
		echo "  latency, ms: contender | new p50 / p95 (min-max) n | modified p50 / p95 (min-max) n | peak RSS KiB (zcsync sender/receiver; lsyncd self/rsync tree)"
		for c in "${LAT_C[@]}" lsyncd_d15; do
			[ -f "$T/lat-$c-new.txt" ] || continue
			read -r n1 a1 b1 c1 d1 < <(stats "$T/lat-$c-new.txt")
			read -r n2 a2 b2 c2 d2 < <(stats "$T/lat-$c-mod.txt")
			rss=$(awk '{ if ($1 > a) a = $1; if ($2 > b) b = $2 } END { print a "/" b }' "$T/rss-$c-latency.txt")
			printf '  %-15s | %s / %s (%s-%s) n=%s | %s / %s (%s-%s) n=%s | %s\n' "$c" "$a1" "$b1" "$c1" "$d1" "$n1" "$a2" "$b2" "$c2" "$d2" "$n2" "$rss"
			printf 'latency\t%s\tnew\tn=%s\tp50=%s\tp95=%s\tmin=%s\tmax=%s\n' "$c" "$n1" "$a1" "$b1" "$c1" "$d1" >>"$ZCB_RESULTS/results.tsv"
			printf 'latency\t%s\tmod\tn=%s\tp50=%s\tp95=%s\tmin=%s\tmax=%s\n' "$c" "$n2" "$a2" "$b2" "$c2" "$d2" >>"$ZCB_RESULTS/results.tsv"
		done
		for m in fsync nofsync; do
			read -r k p50 p95 mn mx < <(stats "$T/latfloor-$m.txt")
			printf '  floor (%s), in the same rounds: p50 %s ms, p95 %s ms (min %s, max %s) n=%s\n' "$m" "$p50" "$p95" "$mn" "$mx" "$k"
		done
	} | tee -a "$S"
fi

# --- phase: converge
CONV_C=(lsyncd_d0_a zcsync_fsync zcsync_nofsync)
[ -z "${ZCSYNC_BASE_DIR:-}" ] || CONV_C=(lsyncd_d0_a zcbase_fsync zcsync_fsync zcsync_nofsync)
[ -z "${CONV_CONTENDERS:-}" ] || read -r -a CONV_C <<<"$CONV_CONTENDERS"
if has_phase converge; then
	PHASE=converge
	log "convergence: cp -a of the workload tree into SRC, until DST equals it; $RUNS rounds, contenders round-robin"
	# Warm-up, untimed: the images are fresh sparse files, and the first
	# copy into a region of them also allocates the backing file's blocks
	# (cp -a of either tree took about 4 s for round 1's first contender,
	# 0.6-1.4 s after).  One copy of each tree into both images, then
	# removed, so round 1 runs on the same footing as the others.
	if [ "${CONV_WARM:-1}" != 0 ]; then
		for wl in "${WLS[@]}"; do
			for w in "$SRCFS/warm" "$ZCB_DST/warm"; do
				rm -rf "${w:?}" && mkdir -p "$w"
				cp -a "$ZCB_SRC/$wl" "$w/"
				sync
				rm -rf "${w:?}"
			done
		done
		sync
		echo "  (warm-up: one untimed copy of each workload into both images, removed)" | tee -a "$S"
	fi
	for ((r = 1; r <= RUNS; r++)); do
		for wl in "${WLS[@]}"; do
			PHASE=converge-$wl
			for c in "${CONV_C[@]}"; do
				start_c "$c"
				case $c in
				zcsync_* | zcbase_*) pl="${cpid[$c.alpha]} ${cpid[$c.beta]}" ;;
				*) pl=${cpid[$c.lsyncd]} ;;
				esac
				if ! out=$(ZCLIVE_PIDS=$pl ZCLIVE_TMO=${CONV_TMO:-300} "$ZL" conv "$ZCB_SRC/$wl" "$CDST/$wl" \
					cp -a "$ZCB_SRC/$wl" "$CSRC/" 2>"$L/conv-err"); then
					why=$(tail -1 "$L/conv-err")
					for k in alpha beta lsyncd; do
						p=${cpid[$c.$k]:-}
						[ -n "$p" ] || continue
						kill -0 "$p" 2>/dev/null && continue
						st=0
						wait "$p" 2>/dev/null || st=$?
						if [ "$st" -gt 128 ]; then
							why="$why; $k died of signal $((st - 128)) ($(kill -l $((st - 128)) 2>/dev/null))"
						else
							why="$why; $k exited with status $st"
						fi
					done
					stop_c "$c"
					printf '  round %d %-7s %-15s FAILED: %s\n' "$r" "$wl" "$c" "$why" | tee -a "$S"
					echo "$r $why" >>"$T/fail-$wl-$c.txt"
					cp -a "$ZCB_ROOT/run/$c" "$L/failed-$c-$wl-$r" 2>/dev/null || true
					rm -rf "$CSRC" "$CDST"
					continue
				fi
				stop_c "$c"
				cs=$(echo "$out" | sed -n 's/.*conv_s=\([0-9.]*\).*/\1/p')
				cp_s=$(echo "$out" | sed -n 's/.*cmd_s=\([0-9.]*\).*/\1/p')
				echo "$cs" >>"$T/conv-$wl-$c.txt"
				echo "$cp_s" >>"$T/cp-$wl-$c.txt"
				echo "$r $cs" >>"$T/convr-$wl-$c.txt"
				printf '  round %d %-7s %-15s converged %7.3f s (cp -a done at %.3f s; CPU s %s)  %s\n' "$r" "$wl" "$c" "$cs" "$cp_s" \
					"$(tail -1 "$T/cpu-$c-$PHASE.txt")" "$(date +%T)"
				rm -rf "$CSRC" "$CDST"
			done
		done
	done
	{
		for wl in "${WLS[@]}"; do
			echo "  $wl: contender | converged s, median (min-max) | vs lsyncd_d0_a (median of per-round ratios) | cp -a finished at s (median) | peak RSS KiB (zcsync sender/receiver; lsyncd self/rsync tree)"
			for c in "${CONV_C[@]}"; do
				touch "$T/conv-$wl-$c.txt" "$T/cp-$wl-$c.txt" "$T/convr-$wl-$c.txt" "$T/convr-$wl-lsyncd_d0_a.txt"
				ratio=$(join "$T/convr-$wl-$c.txt" "$T/convr-$wl-lsyncd_d0_a.txt" | awk '{ print $2 / $3 }' | median)
				rss=$(awk '{ if ($1 > a) a = $1; if ($2 > b) b = $2 } END { print a "/" b }' "$T/rss-$c-converge-$wl.txt")
				nf=0
				[ -f "$T/fail-$wl-$c.txt" ] && nf=$(wc -l <"$T/fail-$wl-$c.txt")
				printf '  %-15s | %s | %.2f | %s | %s%s\n' "$c" "$(medmm <"$T/conv-$wl-$c.txt")" "$ratio" "$(median <"$T/cp-$wl-$c.txt")" "$rss" \
					"$([ "$nf" = 0 ] || echo " | $nf of $RUNS rounds FAILED (see above)")"
				printf 'converge\t%s\t%s\t%s\tratio=%s\n' "$wl" "$c" "$(medmm <"$T/conv-$wl-$c.txt")" "$ratio" >>"$ZCB_RESULTS/results.tsv"
			done
		done
	} | tee -a "$S"
fi

# --- phase: scale
if has_phase scale; then
	PHASE=scale
	sdirs=$((SCALE_FILES / 10))
	log "scale: $SCALE_FILES x 1 KiB files in $sdirs directories; zcsyncd start to 'in sync' (fsync: false)"
	need=$((2 * sdirs + 1000))
	have=$(cat /proc/sys/fs/inotify/max_user_watches)
	if [ "$have" -lt "$need" ]; then
		WATCHES_WAS=$have
		sysctl -qw fs.inotify.max_user_watches=200000
		echo "  fs.inotify.max_user_watches raised from $have to 200000 for this phase (restored at exit)" | tee -a "$S"
	else
		echo "  fs.inotify.max_user_watches is $have (>= $need needed): left alone" | tee -a "$S"
	fi
	c=zcsync_nofsync
	CSRC=$(csrc scale) CDST=$(cdst scale)
	rm -rf "$CSRC" "$CDST"
	mkdir -p "$CSRC" "$CDST"
	t=$(date +%s.%N)
	"$BIN/zcgen" tree "$CSRC/t" "$SCALE_FILES" 1024 10 46
	echo "  tree made in $(printf %.1f "$(echo "$(date +%s.%N) - $t" | bc)") s; $(find "$CSRC" -type d | wc -l) directories, $(find "$CSRC" -type f | wc -l) files" | tee -a "$S"
	sync
	# The time of zcsyncd's "in sync" line (its own wall clock, ms) minus the
	# moment just before it was started.
	insync_s() { # log t0
		local ts
		ts=$(grep -m1 'in sync; mirroring live' "$1" | awk '{print $1}')
		echo "$(date -d "$ts" +%s.%N) - $2" | bc
	}
	zc_scale() { # label
		local d=$ZCB_ROOT/run/scale a b s
		s=$(insync_s "$d/alpha.log" "$ZC_T0")
		a=$(hwm_of "${cpid[scale.alpha]}") b=$(hwm_of "${cpid[scale.beta]}")
		printf '  %-34s %7.3f s   peak RSS sender %6d KiB, receiver %6d KiB\n' "$1" "$s" "$a" "$b" | tee -a "$S"
		printf 'scale\t%s\ts=%s\tsender_kb=%s\treceiver_kb=%s\n' "$1" "$s" "$a" "$b" >>"$ZCB_RESULTS/results.tsv"
	}
	# Cold: the peer has nothing; "in sync" after the catch-up copied it all.
	ZC_START_TMO=600 zc_start scale false "$CSRC" "$CDST"
	zc_scale "zcsyncd start, empty peer"
	"$ZL" conv "$CSRC/t" "$CDST/t" true >"$L/scale-verify.txt" ||
		{ echo "run-live.sh: the scale replica differs" >&2; exit 1; }
	echo "  replica checked equal (metadata and bytes): $(cat "$L/scale-verify.txt")" | tee -a "$S"
	kill_wait "${cpid[scale.alpha]}"
	# Warm: restart the sender; the peer is up to date.
	for ((r = 1; r <= RUNS; r++)); do
		sync
		d=$ZCB_ROOT/run/scale
		ZC_T0=$(date +%s.%N)
		"$ZCSYNCD" -c "$d/alpha.yaml" 2>"$d/alpha.log" &
		cpid[scale.alpha]=$!
		zcb_track "${cpid[scale.alpha]}"
		wait_for_line "$d/alpha.log" 'in sync; mirroring live' 600 "${cpid[scale.alpha]}"
		zc_scale "zcsyncd restart, peer up to date ($r)"
		# Still live after all that: one more file must arrive.
		if [ "$r" = "$RUNS" ]; then
			"$ZL" lat new "$CSRC/t/d000" "$CDST/t/d000" 3 4096 200 400 30 7 >"$T/scale-lat.txt" &&
				read -r n p50 p95 mn mx < <(stats "$T/scale-lat.txt") &&
				echo "  while watching them all: a new 4 KiB file arrives in $p50 ms (median of $n; max $mx)" | tee -a "$S"
			rm -f "$CSRC"/t/d000/zclive-* 2>/dev/null
		fi
		kill_wait "${cpid[scale.alpha]}"
	done
	kill_wait "${cpid[scale.beta]}"
	if [ "${SCALE_LSYNCD:-1}" != 0 ]; then
		# lsyncd on the same tree, target already equal: its start-up
		# (watches + one full rsync) until "Startup ... finished".
		rm -rf "$CSRC"/t/d000/zclive-* "$CDST"/t/d000/zclive-*
		sync
		ls_start scale_ls 0 "$CSRC" "$CDST"
		s=$(echo "$(date +%s.%N) - $LS_T0" | bc)
		a=$(hwm_of "${cpid[scale_ls.lsyncd]}")
		kill_wait "${cpid[scale_ls.lsyncd]}"
		wait "${cpid[scale_ls.sampler]}" 2>/dev/null || true
		printf '  %-34s %7.3f s   peak RSS lsyncd %6d KiB, rsync tree %s KiB\n' \
			"lsyncd start, target up to date" "$s" "$a" \
			"$(sed -n 's/.*child_sum_max_kb=\([0-9]*\).*/\1/p' "$ZCB_ROOT/run/scale_ls/rss.out")" | tee -a "$S"
	fi
	rm -rf "$CSRC" "$CDST"
	if [ -n "$WATCHES_WAS" ]; then
		sysctl -qw fs.inotify.max_user_watches="$WATCHES_WAS"
		WATCHES_WAS=
	fi
fi

echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$S"
echo
echo "run-live.sh: done; summary in $S, samples in $T, per-line results in $ZCB_RESULTS/results.tsv"
exit 0

# The probe's source (extracted above; never executed as shell).
: <<'ZCLIVE_C'
#--- zclive.c ---
/* zclive - probes for live-mirroring benchmarks (bench/run-live.sh).
 *
 *   zclive lat new|mod SRC DST N BYTES GAPMIN_MS GAPMAX_MS TIMEOUT_S SEED
 *	N changes of a BYTES file in SRC, GAPMIN..GAPMAX ms apart (seeded
 *	uniform).  new: a fresh name each time; mod: the same file rewritten in
 *	place (open O_TRUNC, write, close) with new bytes each time, after it was
 *	first made and replicated, untimed.  t0 is taken right before
 *	close(2); the change counts as replicated when DST/NAME has the same
 *	bytes.  DST is watched with inotify (any create, move-in, close-write,
 *	attrib, modify; drained before each check) and also checked every
 *	0.2 ms, so the resolution is well under a millisecond without burning
 *	a core.  A check is one stat(2) until an event names the file or its
 *	stat changes, for a missing file (new) and an old one (mod) alike.
 *	Prints "S <ms>" per change.
 *   zclive floor DIR N fsync|nofsync
 *	N times: write BYTES=4096 to a temp file (O_CREAT|O_EXCL), fsync it,
 *	close, rename it to a new name, fsync the directory (nofsync: no
 *	fsyncs).  Prints "S <ms>" per iteration.
 *   zclive conv TREE DSTTREE CMD [ARG...]
 *	Takes a manifest of TREE (every file and directory: type, size, mode,
 *	uid, gid, mtime to the nanosecond, entries per directory), then t0,
 *	runs CMD (e.g. cp -a TREE SRCDIR/), and polls DSTTREE every 5 ms until
 *	every entry matches and no directory holds more than it should (a
 *	leftover temp file counts as a difference).  The time it first matches
 *	is confirmed by a second full pass; then, untimed, every file's bytes
 *	are compared.  Prints "conv_s=... cmd_s=... entries=... bytes_ok=1".
 *	Gives up after $ZCLIVE_TMO seconds (default 600), naming the first
 *	entry that still differs, or (exit 3) as soon as a PID listed in
 *	$ZCLIVE_PIDS has died.
 *   zclive rss PID INTERVAL_MS
 *	Until PID exits or SIGTERM/SIGINT: every INTERVAL_MS, the descendants
 *	of PID (via /proc/PID/task/TID/children) and their VmHWM.  Prints
 *	"rss self_hwm_kb=... child_max_kb=... child_sum_max_kb=... children=..."
 *	where child_sum_max is the largest sum of the descendants' VmHWM seen
 *	at one sample (the tree's peak), child_max the largest single one.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

static void
die(const char *what)
{
	perror(what);
	exit(1);
}

static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (*s);
}

static void
fill(char *p, size_t n, uint64_t *s)
{
	size_t k;

	for (k = 0; k + 8 <= n; k += 8) {
		uint64_t v = rnd(s);
		memcpy(p + k, &v, 8);
	}
	for (; k < n; k++)
		p[k] = (char)rnd(s);
}

/*
 * Does path hold want?  *seen is the file last found to differ (its device,
 * inode, size, mtime and ctime): while path is still that file and no
 * event named it since (named == 0), it is not read again.  So a check
 * costs one stat(2) whether the replica is missing (new) or still the old
 * version (mod), and the probe measures both alike.
 */
static int
same_bytes(const char *path, const char *want, char *back, size_t n,
    struct stat *seen, int named)
{
	struct stat st;
	ssize_t got;
	int fd, same;

	if (stat(path, &st) != 0 || (size_t)st.st_size != n)
		return (0);
	if (!named && st.st_dev == seen->st_dev && st.st_ino == seen->st_ino &&
	    st.st_size == seen->st_size &&
	    st.st_mtim.tv_sec == seen->st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == seen->st_mtim.tv_nsec &&
	    st.st_ctim.tv_sec == seen->st_ctim.tv_sec &&
	    st.st_ctim.tv_nsec == seen->st_ctim.tv_nsec)
		return (0);
	if ((fd = open(path, O_RDONLY)) < 0)
		return (0);
	got = read(fd, back, n + 1);
	close(fd);
	same = got == (ssize_t)n && memcmp(back, want, n) == 0;
	if (!same)
		*seen = st;
	return (same);
}

/*
 * Write the file; the moment just before its close(2).  Not after: the
 * close wakes the replicator, which may take the CPU before close returns,
 * and a t0 taken then would leave out what it did meanwhile (samples of
 * 0.01-0.02 ms, shorter than any real replication, were that).
 */
static double
write_file(const char *path, const char *data, size_t n, int flags)
{
	double t0;
	int fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | flags, 0644)) < 0)
		die(path);
	if (write(fd, data, n) != (ssize_t)n)
		die(path);
	t0 = now();
	if (close(fd) != 0)
		die(path);
	return (t0);
}

/*
 * Drain ino; 1 if an event named leaf (or the queue overflowed), so that
 * the file must be read again.
 */
static int
drain(int ino, const char *leaf)
{
	char evbuf[8192]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	ssize_t got, off;
	int named = 0;

	while ((got = read(ino, evbuf, sizeof evbuf)) > 0) {
		for (off = 0; off < got; off += sizeof *ev + ev->len) {
			ev = (const struct inotify_event *)(evbuf + off);
			if ((ev->mask & IN_Q_OVERFLOW) ||
			    (ev->len > 0 && strcmp(ev->name, leaf) == 0))
				named = 1;
		}
	}
	return (named);
}

/*
 * Wait until dpath holds data; -1 on timeout, else the moment it did.
 * The events are drained before the check, never after it: one that comes
 * while the file is checked then ends the ppoll at once instead of being
 * drained unseen (up to 0.2 ms late, longer for a longer check).
 */
static double
wait_replicated(int ino, const char *dpath, const char *data, char *back,
    size_t n, double t0, double tmo)
{
	struct pollfd pfd = { .fd = ino, .events = POLLIN };
	struct timespec ts = { 0, 200000 };
	struct stat seen;
	const char *leaf = strrchr(dpath, '/') ? strrchr(dpath, '/') + 1 :
	    dpath;
	int named = 1;

	memset(&seen, 0, sizeof seen);
	for (;;) {
		named |= drain(ino, leaf);
		if (same_bytes(dpath, data, back, n, &seen, named))
			return (now());
		named = 0;
		if (now() - t0 > tmo)
			return (-1);
		/* Sleep at most 0.2 ms unless an event comes. */
		if (ppoll(&pfd, 1, &ts, NULL) < 0 && errno != EINTR)
			die("ppoll");
	}
}

static int
cmd_lat(int argc, char **argv)
{
	const char *mode, *src, *dst;
	char sp[4096], dp[4096], *data, *back;
	size_t bytes;
	int n, gmin, gmax, i, ino, bad = 0;
	double tmo, t0, t1;
	uint64_t s;

	if (argc != 11) {
		fprintf(stderr, "usage: zclive lat new|mod SRC DST N BYTES "
		    "GAPMIN_MS GAPMAX_MS TIMEOUT_S SEED\n");
		return (2);
	}
	mode = argv[2];
	src = argv[3];
	dst = argv[4];
	n = atoi(argv[5]);
	bytes = strtoul(argv[6], NULL, 0);
	gmin = atoi(argv[7]);
	gmax = atoi(argv[8]);
	tmo = atof(argv[9]);
	s = strtoull(argv[10], NULL, 0) * 0x9e3779b97f4a7c15ULL + getpid();
	if (s == 0)
		s = 1;
	data = malloc(bytes);
	back = malloc(bytes + 1);
	if ((ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0)
		die("inotify_init1");
	if (inotify_add_watch(ino, dst, IN_CREATE | IN_MOVED_TO |
	    IN_CLOSE_WRITE | IN_ATTRIB | IN_MODIFY) < 0)
		die(dst);
	if (strcmp(mode, "mod") == 0) {
		snprintf(sp, sizeof sp, "%s/zclive-mod-%d.bin", src,
		    (int)getpid());
		snprintf(dp, sizeof dp, "%s/zclive-mod-%d.bin", dst,
		    (int)getpid());
		fill(data, bytes, &s);
		write_file(sp, data, bytes, O_EXCL);
		if (wait_replicated(ino, dp, data, back, bytes, now(),
		    tmo) < 0) {
			fprintf(stderr, "zclive: the first copy never "
			    "arrived\n");
			return (1);
		}
		usleep((gmin + rnd(&s) % (gmax - gmin + 1)) * 1000);
	} else if (strcmp(mode, "new") != 0) {
		fprintf(stderr, "zclive lat: new or mod\n");
		return (2);
	}
	for (i = 0; i < n; i++) {
		fill(data, bytes, &s);
		if (mode[0] == 'n') {
			snprintf(sp, sizeof sp, "%s/zclive-new-%d-%d.bin", src,
			    (int)getpid(), i);
			snprintf(dp, sizeof dp, "%s/zclive-new-%d-%d.bin", dst,
			    (int)getpid(), i);
			t0 = write_file(sp, data, bytes, O_EXCL);
		} else
			t0 = write_file(sp, data, bytes, O_TRUNC);
		t1 = wait_replicated(ino, dp, data, back, bytes, t0, tmo);
		if (t1 < 0) {
			printf("T %d timed out after %.0f s\n", i, tmo);
			bad = 1;
		} else
			printf("S %.3f\n", (t1 - t0) * 1000);
		fflush(stdout);
		if (i + 1 < n)
			usleep((gmin + rnd(&s) % (gmax - gmin + 1)) * 1000);
	}
	return (bad);
}

static int
cmd_floor(int argc, char **argv)
{
	char tmp[4096], fin[4096], data[4096];
	int n, i, dfd, fd, sync_on;
	uint64_t s = 88172645463325252ULL;
	double t0;

	if (argc != 5) {
		fprintf(stderr, "usage: zclive floor DIR N fsync|nofsync\n");
		return (2);
	}
	n = atoi(argv[3]);
	sync_on = strcmp(argv[4], "fsync") == 0;
	if ((dfd = open(argv[2], O_RDONLY | O_DIRECTORY)) < 0)
		die(argv[2]);
	for (i = 0; i < n; i++) {
		fill(data, sizeof data, &s);
		snprintf(tmp, sizeof tmp, ".floor-%d.tmp", i);
		snprintf(fin, sizeof fin, "floor-%s-%d.bin", argv[4], i);
		t0 = now();
		if ((fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL,
		    0644)) < 0)
			die(tmp);
		if (write(fd, data, sizeof data) != (ssize_t)sizeof data)
			die("write");
		if (sync_on && fsync(fd) != 0)
			die("fsync");
		close(fd);
		if (renameat(dfd, tmp, dfd, fin) != 0)
			die("renameat");
		if (sync_on && fsync(dfd) != 0)
			die("fsync dir");
		printf("S %.4f\n", (now() - t0) * 1000);
		usleep(20000);
	}
	return (0);
}

/* --- conv */

struct ent {
	char *rel;
	mode_t mode;
	uid_t uid;
	gid_t gid;
	off_t size;
	struct timespec mtime;
	long nent;		/* directories: entries expected */
};

static struct ent *ents;
static size_t nents, capents;

/* Post-order (a directory after what it holds): files are checked as they
 * arrive, and a directory, whose metadata is set last, after them. */
static void
walk(const char *root, const char *rel)
{
	char path[8192];
	struct stat st;
	struct dirent *de;
	DIR *d;
	struct ent *e;
	long k = 0;

	snprintf(path, sizeof path, "%s%s%s", root, *rel ? "/" : "", rel);
	if (lstat(path, &st) != 0)
		die(path);
	if (S_ISDIR(st.st_mode)) {
		if ((d = opendir(path)) == NULL)
			die(path);
		while ((de = readdir(d)) != NULL) {
			char sub[8192];

			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(sub, sizeof sub, "%s%s%s", rel,
			    *rel ? "/" : "", de->d_name);
			k++;
			walk(root, sub);
		}
		closedir(d);
	}
	if (nents == capents) {
		capents = capents ? capents * 2 : 1024;
		if ((ents = realloc(ents, capents * sizeof *ents)) == NULL)
			die("realloc");
	}
	e = &ents[nents++];
	e->rel = strdup(rel);
	e->mode = st.st_mode;
	e->uid = st.st_uid;
	e->gid = st.st_gid;
	e->size = S_ISREG(st.st_mode) ? st.st_size : 0;
	e->mtime = st.st_mtim;
	e->nent = k;
}

static int
ent_ok(const char *root, const struct ent *e)
{
	char path[8192];
	struct stat st;
	struct dirent *de;
	DIR *d;
	long k = 0;

	snprintf(path, sizeof path, "%s%s%s", root, *e->rel ? "/" : "",
	    e->rel);
	if (lstat(path, &st) != 0)
		return (0);
	if (st.st_mode != e->mode || st.st_uid != e->uid ||
	    st.st_gid != e->gid || st.st_mtim.tv_sec != e->mtime.tv_sec ||
	    st.st_mtim.tv_nsec != e->mtime.tv_nsec)
		return (0);
	if (S_ISREG(st.st_mode))
		return (st.st_size == e->size);
	if (!S_ISDIR(st.st_mode))
		return (1);
	if ((d = opendir(path)) == NULL)
		return (0);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			k++;
	closedir(d);
	return (k == e->nent);
}

static int
bytes_equal(const char *a, const char *b)
{
	static char ba[1 << 20], bb[1 << 20];
	int fa, fb, ok = 1;
	ssize_t ra, rb;

	if ((fa = open(a, O_RDONLY)) < 0 || (fb = open(b, O_RDONLY)) < 0)
		return (0);
	for (;;) {
		ra = read(fa, ba, sizeof ba);
		rb = read(fb, bb, sizeof bb);
		if (ra != rb || ra < 0 || memcmp(ba, bb, ra) != 0) {
			ok = 0;
			break;
		}
		if (ra == 0)
			break;
	}
	close(fa);
	close(fb);
	return (ok);
}

/* True when a PID in $ZCLIVE_PIDS is gone or a zombie. */
static int
pids_dead(void)
{
	const char *l = getenv("ZCLIVE_PIDS");
	char path[64], st[512], *p, *end;
	FILE *f;
	size_t got;

	if (l == NULL)
		return (0);
	for (p = (char *)l;; p = end) {
		long pid = strtol(p, &end, 10);

		if (end == p)
			return (0);
		snprintf(path, sizeof path, "/proc/%ld/stat", pid);
		if ((f = fopen(path, "r")) == NULL)
			return (1);
		got = fread(st, 1, sizeof st - 1, f);
		fclose(f);
		st[got] = '\0';
		if ((p = strrchr(st, ')')) != NULL && p[1] == ' ' &&
		    (p[2] == 'Z' || p[2] == 'X'))
			return (1);
	}
}

static int
cmd_conv(int argc, char **argv)
{
	const char *tree, *dst;
	size_t i, next = 0, bad = 0;
	double t0, tcmd = -1, tconv = -1, tmo;
	pid_t pid;
	int st;

	if (argc < 5) {
		fprintf(stderr, "usage: zclive conv TREE DSTTREE CMD...\n");
		return (2);
	}
	tree = argv[2];
	dst = argv[3];
	tmo = getenv("ZCLIVE_TMO") != NULL ? atof(getenv("ZCLIVE_TMO")) : 600;
	walk(tree, "");
	t0 = now();
	if ((pid = fork()) < 0)
		die("fork");
	if (pid == 0) {
		execvp(argv[4], argv + 4);
		_exit(127);
	}
	for (;;) {
		if (tcmd < 0 && waitpid(pid, &st, WNOHANG) == pid) {
			tcmd = now();
			if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
				fprintf(stderr, "zclive: the copy command "
				    "failed\n");
				return (1);
			}
		}
		/* Resume where the last pass stopped. */
		while (next < nents && ent_ok(dst, &ents[next]))
			next++;
		if (next == nents && tcmd >= 0) {
			double t = now();

			/* Confirm with a full pass. */
			for (i = 0; i < nents; i++)
				if (!ent_ok(dst, &ents[i]))
					break;
			if (i == nents) {
				tconv = t;
				break;
			}
			next = i;
		}
		if (pids_dead()) {
			fprintf(stderr, "zclive: a replicator died (first "
			    "difference then: %s)\n",
			    next < nents ? ents[next].rel : "(the copy)");
			return (3);
		}
		if (now() - t0 > tmo) {
			fprintf(stderr, "zclive: not converged after %.0f s "
			    "(first difference: %s)\n", tmo,
			    next < nents ? ents[next].rel : "(the copy)");
			return (1);
		}
		usleep(5000);
	}
	for (i = 0; i < nents; i++) {
		char a[8192], b[8192];

		if (!S_ISREG(ents[i].mode))
			continue;
		snprintf(a, sizeof a, "%s/%s", tree, ents[i].rel);
		snprintf(b, sizeof b, "%s/%s", dst, ents[i].rel);
		if (!bytes_equal(a, b)) {
			fprintf(stderr, "zclive: bytes differ: %s\n",
			    ents[i].rel);
			bad++;
		}
	}
	printf("conv_s=%.3f cmd_s=%.3f entries=%zu bytes_ok=%d\n",
	    tconv - t0, tcmd - t0, nents, bad == 0);
	return (bad != 0);
}

/* --- rss */

static volatile sig_atomic_t stop;

static void
on_sig(int sig)
{
	(void)sig;
	stop = 1;
}

static long
hwm(pid_t pid)
{
	char path[64], line[256];
	FILE *f;
	long v = -1;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return (-1);
	while (fgets(line, sizeof line, f) != NULL)
		if (strncmp(line, "VmHWM:", 6) == 0) {
			v = atol(line + 6);
			break;
		}
	fclose(f);
	return (v);
}

#define MAXSEEN 65536
static pid_t seen[MAXSEEN];
static long seenhwm[MAXSEEN];
static size_t nseen;

/* Sum of the VmHWM of pid's descendants; records each one's largest. */
static long
descend(pid_t pid, int depth)
{
	char path[320], buf[4096], *p, *end;
	DIR *d;
	struct dirent *de;
	long sum = 0;

	if (depth > 16)
		return (0);
	snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
	if ((d = opendir(path)) == NULL)
		return (0);
	while ((de = readdir(d)) != NULL) {
		FILE *f;
		size_t got;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "/proc/%d/task/%s/children",
		    (int)pid, de->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		got = fread(buf, 1, sizeof buf - 1, f);
		fclose(f);
		buf[got] = '\0';
		for (p = buf;; p = end) {
			pid_t c = (pid_t)strtol(p, &end, 10);
			long h;
			size_t k;

			if (end == p)
				break;
			if ((h = hwm(c)) > 0) {
				sum += h;
				for (k = 0; k < nseen; k++)
					if (seen[k] == c)
						break;
				if (k == nseen && nseen < MAXSEEN)
					seen[nseen++] = c;
				if (k < MAXSEEN && h > seenhwm[k])
					seenhwm[k] = h;
			}
			sum += descend(c, depth + 1);
		}
	}
	closedir(d);
	return (sum);
}

static int
cmd_rss(int argc, char **argv)
{
	pid_t pid;
	int ms;
	long self = 0, h, sum, summax = 0, cmax = 0;
	size_t k;

	if (argc != 4) {
		fprintf(stderr, "usage: zclive rss PID INTERVAL_MS\n");
		return (2);
	}
	pid = atoi(argv[2]);
	ms = atoi(argv[3]);
	signal(SIGTERM, on_sig);
	signal(SIGINT, on_sig);
	while (!stop && kill(pid, 0) == 0) {
		if ((h = hwm(pid)) > self)
			self = h;
		sum = descend(pid, 0);
		if (sum > summax)
			summax = sum;
		usleep(ms * 1000);
	}
	for (k = 0; k < nseen; k++)
		if (seenhwm[k] > cmax)
			cmax = seenhwm[k];
	printf("rss self_hwm_kb=%ld child_max_kb=%ld child_sum_max_kb=%ld "
	    "children=%zu\n", self, cmax, summax, nseen);
	return (0);
}

int
main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "lat") == 0)
		return (cmd_lat(argc, argv));
	if (argc >= 2 && strcmp(argv[1], "floor") == 0)
		return (cmd_floor(argc, argv));
	if (argc >= 2 && strcmp(argv[1], "conv") == 0)
		return (cmd_conv(argc, argv));
	if (argc >= 2 && strcmp(argv[1], "rss") == 0)
		return (cmd_rss(argc, argv));
	fprintf(stderr, "usage: zclive lat|floor|conv|rss ...\n");
	return (2);
}
ZCLIVE_C
