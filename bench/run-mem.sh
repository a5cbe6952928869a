#!/bin/bash
# run-mem.sh - zcsyncd's memory at scale (issues 4 and 6): a live set of
# FILES x 1 KiB files (default 100,000, 10 a directory: zcgen's layout)
# mirrored by two zcsyncd on 127.0.0.1, fsync off.
#
# usage: bench/run-mem.sh BIN_DIR...
#   Each BIN_DIR holds a zcsyncd (two builds compare side by side).  Per
#   round and step (STEPS, default "cold warm"), each build in turn: cold,
#   a cold start (fresh receiver on an empty directory, then the sender);
#   warm, a restart against the up-to-date peer (fresh receiver and sender
#   again; a cold step, of any build, must have made the target once).
#   Recorded at the sender's "in sync; mirroring live" line: the seconds
#   since its start and both daemons' user+system CPU seconds; 5 s later,
#   VmHWM (the peak) and VmRSS (what stays once live) of each, in KiB.
#
# Env: FILES, RUNS (rounds, default 1), STEPS, ZCB_ROOT (default
#      /tmp/zcbench-mem; about 1 GiB for 100,000 files on each side),
#      ZC_SHARED (the harness, for zcgen).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
files=${FILES:-100000}
runs=${RUNS:-1}
root=${ZCB_ROOT:-/tmp/zcbench-mem}
shared=${ZC_SHARED:-$repo/../shared}/bench
[ $# -gt 0 ] || { echo "usage: bench/run-mem.sh BIN_DIR..." >&2; exit 2; }
for b in "$@"; do
	[ -x "$b/zcsyncd" ] || { echo "run-mem.sh: no $b/zcsyncd" >&2; exit 1; }
done
: "${root:?}"
mkdir -p "$root"
src=$root/src dst=$root/dst run=$root/run out=$root/results.tsv
ZCB_ROOT=$root
. "$repo/bench/lib.sh"

if [ ! -d "$src/t" ]; then
	bench_harness
	mkdir -p "$src"
	"$H/bin/zcgen" tree "$src/t" "$files" 1024 10 46
fi
entries=$(find "$src" -mindepth 1 | wc -l)
echo "# $(date -u +%FT%TZ) $entries entries; load: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out"

pids=()
cleanup() { local p; for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

kv() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
cpu() { awk '{ printf "%.2f", ($14 + $15) / 100 }' "/proc/$1/stat"; }

# one BIN_DIR cold|warm
one()
{
	local bin=$1 how=$2 bpid apid t0 t1 i as bs
	: "${run:?}"
	rm -rf "$run"
	mkdir -p "$run"
	if [ "$how" = cold ]; then
		: "${dst:?}"
		rm -rf "$dst"
		mkdir -p "$dst"
	fi
	bench_recv_config "$run/beta.yaml" false "s:$dst"
	bench_daemon "$run" "$bin/zcsyncd" -c "$run/beta.yaml"
	bpid=$bench_pid
	pids+=("$bpid")
	cat >"$run/alpha.yaml" <<EOF
node: {name: alpha}
peers: [{name: beta, address: "127.0.0.1:$bench_port"}]
sets: [{name: s, path: "$src", push_to: [beta], delete: true, fsync: false}]
EOF
	t0=$EPOCHREALTIME
	"$bin/zcsyncd" -c "$run/alpha.yaml" 2>"$run/alpha.log" &
	apid=$!
	pids+=("$apid")
	for ((i = 0; i < 12000; i++)); do
		grep -q 'in sync; mirroring live' "$run/alpha.log" && break
		kill -0 "$apid" 2>/dev/null || { echo "run-mem.sh: the sender died" >&2; exit 1; }
		sleep 0.05
	done
	t1=$EPOCHREALTIME
	as=$(cpu "$apid") bs=$(cpu "$bpid")
	sleep 5
	printf '%s\t%s\tin_sync_s=%.2f\tcpu_s=%s/%s\tsender_hwm=%s\tsender_rss=%s\treceiver_hwm=%s\treceiver_rss=%s\n' \
	    "$bin" "$how" "$(echo "$t1 - $t0" | bc)" "$as" "$bs" \
	    "$(kv "$apid" VmHWM)" "$(kv "$apid" VmRSS)" \
	    "$(kv "$bpid" VmHWM)" "$(kv "$bpid" VmRSS)" | tee -a "$out"
	kill "$apid" "$bpid"
	wait "$apid" "$bpid" || true
}

for ((r = 0; r < runs; r++)); do
	for step in ${STEPS:-cold warm}; do
		case $step in
		cold|warm) ;;
		*) echo "run-mem.sh: STEPS: cold or warm, not $step" >&2; exit 2 ;;
		esac
		for b in "$@"; do
			one "$b" "$step"
		done
	done
done
