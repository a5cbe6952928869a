#!/bin/bash
# run-fsync.sh - the receiver's fsync cost: `zcsync push` of one workload
# into a daemon's set with fsync: true, builds side by side (interleaved,
# one run), with the journal commits and fsync calls each push cost.
#
# usage: bench/run-fsync.sh NAME=BINDIR [NAME=BINDIR ...]
#   each BINDIR holds zcsync and zcsyncd (e.g. copies of two checkouts'
#   builds: before=/tmp/before after=/tmp/after).
#
# Per round, per build: a fresh empty set directory on the target, a fresh
# zcsyncd (fsync: true), `sync`, then the timed push of the workload (an
# empty receiver: every file is sent), then the target's jbd2 commit count
# (/proc/fs/jbd2/DEV/info, "transactions") before and after, and the
# receiver's CPU (user + system of all its threads, /proc/PID/stat) at the
# end.  With STRACE=1, one more push per build with the receiver under
# `strace -c -f` (its fsync, fdatasync, syncfs, sync_file_range, clone3 and
# futex counts, and all its calls; strace slows it: not timed).
#
# Env: WL (default: the harness's small workload, 20,000 x 4 KiB in 100
#      directories, made by gen-workloads.sh under $ZCB_ROOT/src),
#      ZCB_ROOT (default /tmp/zcbench-fsync), RUNS (default 3),
#      TARGET (ext4img: a fresh 8 GiB ext4 image on a loop device, direct
#      I/O, the harness's lib.sh target_up, needs root; or a directory: a
#      plain directory, e.g. on the scratch disk), STRACE=1, ZC_SHARED.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[ $# -gt 0 ] || { sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 2; }
export ZCB_ROOT=${ZCB_ROOT:-/tmp/zcbench-fsync}
RUNS=${RUNS:-3}
TARGET=${TARGET:-ext4img}
shared=${ZC_SHARED:-$repo/../shared}/bench
mkdir -p "$ZCB_ROOT"
. "$repo/bench/lib.sh"
bench_harness
export ZCB_TARGET=plain
[ "$TARGET" != ext4img ] || ZCB_TARGET=ext4img
. "$H/lib.sh"
trap bench_exit EXIT
if [ -z "${WL:-}" ]; then
	need_workload small
	WL=$ZCB_SRC/small
fi
names=()
declare -A bin
for a in "$@"; do
	names+=("${a%%=*}")
	bin[${a%%=*}]=${a#*=}
	[ -x "${a#*=}/zcsyncd" ] && [ -x "${a#*=}/zcsync" ] ||
		{ echo "run-fsync.sh: no zcsync/zcsyncd in ${a#*=}" >&2; exit 1; }
done

MNT=$ZCB_DST
LOOP=
DPID=
if [ "$TARGET" = ext4img ]; then
	[ "$(id -u)" = 0 ] || { echo "run-fsync.sh: ext4img needs root" >&2; exit 1; }
	bench_target_fresh
	LOOP=$ZCB_LOOP
	JBD=/proc/fs/jbd2/$(basename "$LOOP")-8/info
else
	MNT=$TARGET
	mkdir -p "$MNT"
	dev=$(df --output=source "$MNT" | tail -1)
	JBD=/proc/fs/jbd2/$(basename "$dev")-8/info
fi
commits() { [ -r "$JBD" ] && awk 'NR == 1 { print $1 }' "$JBD" || echo 0; }

nfiles=$(find "$WL" -type f | wc -l)
echo "run-fsync.sh $(date -u +%Y-%m-%dT%H:%MZ): $WL ($nfiles files) into $([ -n "$LOOP" ] && echo "a fresh ext4 image on $LOOP (direct I/O)" || echo "$MNT ($(stat -f -c %T "$MNT"))"), fsync: true, RUNS=$RUNS"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"

# beta NAME DIR [WRAPPER...]: start zcsyncd of build NAME with a set s at
# DIR (fsync: true); sets DPID and PORT.
beta() {
	local name=$1 dir=$2 d=$ZCB_ROOT/run-$1
	shift 2
	bench_recv_config "$ZCB_ROOT/beta.yaml" true "s:$dir"
	bench_daemon "$d" "$@" "${bin[$name]}/zcsyncd" -c "$ZCB_ROOT/beta.yaml"
	DPID=$bench_pid PORT=$bench_port
	zcb_track "$DPID"
}
# The receiver's user + system CPU seconds so far (all its threads).
daemon_cpu() {
	awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / hz }' \
		"/proc/$(pgrep -P "$DPID" -x zcsyncd || echo "$DPID")/stat"
}
stop_beta() {
	# Under strace: stop the daemon, strace then ends and writes its table.
	kill "$(pgrep -P "$DPID" -x zcsyncd || echo "$DPID")"
	wait "$DPID" 2>/dev/null || true
	DPID=
}

res=$ZCB_ROOT/results.txt
: >"$res"
for ((r = 1; r <= RUNS; r++)); do
	for n in "${names[@]}"; do
		dst=$MNT/$n.$r
		rm -rf "${dst:?}"
		mkdir -p "$dst"
		beta "$n" "$dst"
		sync
		c0=$(commits)
		t0=$(date +%s.%N)
		"${bin[$n]}/zcsync" push --name alpha "$WL" "127.0.0.1:$PORT/s" >"$ZCB_ROOT/push.out" 2>&1 ||
			{ echo "run-fsync.sh: push failed:" >&2; cat "$ZCB_ROOT/push.out" >&2; exit 1; }
		t1=$(date +%s.%N)
		c1=$(commits)
		cpu=$(daemon_cpu)
		stop_beta
		s=$(echo "$t1 - $t0" | bc)
		printf '  round %d %-10s %7.3f s  %6d journal commits  receiver CPU %5.2f s  load %s\n' "$r" "$n" "$s" $((c1 - c0)) "$cpu" "$(cut -d' ' -f1 /proc/loadavg)"
		echo "$n $s $((c1 - c0)) $cpu" >>"$res"
		rm -rf "${dst:?}"
		sync
	done
done
echo "medians (s, commits, receiver CPU s; ratio to ${names[0]}):"
base=$(awk -v n="${names[0]}" '$1 == n { print $2 }' "$res" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
for n in "${names[@]}"; do
	m=$(awk -v n="$n" '$1 == n { print $2 }' "$res" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
	c=$(awk -v n="$n" '$1 == n { print $3 }' "$res" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
	u=$(awk -v n="$n" '$1 == n { print $4 }' "$res" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
	printf '  %-10s %7.3f s (%s files/s)  %s commits (%.3f per file)  CPU %.2f s  x%.2f\n' "$n" "$m" \
		"$(echo "$nfiles / $m" | bc)" "$c" "$(echo "$c / $nfiles" | bc -l)" "$u" "$(echo "$base / $m" | bc -l)"
done
if [ "${STRACE:-0}" = 1 ]; then
	echo "receiver system calls (strace -c -f, one untimed push each):"
	for n in "${names[@]}"; do
		dst=$MNT/$n.strace
		rm -rf "${dst:?}"
		mkdir -p "$dst"
		beta "$n" "$dst" strace -c -f -o "$ZCB_ROOT/strace-$n.txt"
		"${bin[$n]}/zcsync" push --name alpha "$WL" "127.0.0.1:$PORT/s" >"$ZCB_ROOT/push.out" 2>&1 ||
			{ echo "run-fsync.sh: push failed:" >&2; cat "$ZCB_ROOT/push.out" >&2; exit 1; }
		stop_beta
		printf '  %-10s' "$n"
		for sc in fsync fdatasync syncfs sync_file_range renameat linkat clone3 futex total; do
			printf ' %s=%s' "$sc" "$(awk -v s="$sc" '$NF == s { print $4 }' "$ZCB_ROOT/strace-$n.txt" | head -1)"
		done
		echo
		rm -rf "${dst:?}"
	done
fi
