#!/bin/bash
# run-bwlimit.sh - what `zcsync push --bwlimit` achieves, and what --verify
# costs, on loopback.
#
# usage: bench/run-bwlimit.sh [--smoke]
#
# 1. Caps (CAPS, default "1M 10M 50M"): per cap, RUNS (default 5) pushes of
#    one file of SECS (default 4) seconds' worth at that cap into an empty
#    set; the achieved rate of a run is body bytes / the push's own elapsed
#    time (its summary line: dial to last ACK).  Reported: the median rate
#    and its ratio to the cap (target: within 5%), and the spread.
# 2. Verify: RUNS pushes of one VERIFY_MIB (default 512) MiB file into an
#    empty set without and with --verify, interleaved; medians of the
#    elapsed time and of the user+sys CPU of client and daemon.
#
# One receiving zcsyncd on 127.0.0.1:0 (fsync: false), sources and
# destination under ZCB_ROOT (default /tmp/zcbench-bwlimit); the binaries
# are this checkout's (ZCSYNC_BIN_DIR to use others).  --smoke: one run of
# a 1 s cap and a 16 MiB verify file, to check the script end to end.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=${RUNS:-5}
CAPS=${CAPS:-"1M 10M 50M"}
SECS=${SECS:-4}
VERIFY_MIB=${VERIFY_MIB:-512}
if [ "${1:-}" = --smoke ]; then
	RUNS=1 CAPS=10M SECS=1 VERIFY_MIB=16
elif [ $# -gt 0 ]; then
	sed -n '2,20p' "$0"
	exit 2
fi
bin=${ZCSYNC_BIN_DIR:-$repo}
ZCSYNC=$bin/zcsync
ZCSYNCD=$bin/zcsyncd
[ -x "$ZCSYNC" ] && [ -x "$ZCSYNCD" ] ||
	{ echo "run-bwlimit.sh: build first (no zcsync/zcsyncd in $bin)" >&2; exit 1; }

root=${ZCB_ROOT:-/tmp/zcbench-bwlimit}
rm -rf "$root"
mkdir -p "$root/src" "$root/dst"
dpid=
cleanup() {
	[ -n "$dpid" ] && kill -TERM "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null
	rm -rf "$root/src" "$root/dst"
}
trap cleanup EXIT

cat >"$root/beta.yaml" <<EOF
node:
  name: beta
  listen: "127.0.0.1:0"
peers:
  - name: alpha
sets:
  - name: b
    path: $root/dst
    accept_from: [alpha]
    fsync: false
EOF
"$ZCSYNCD" -c "$root/beta.yaml" --ready-fd 3 3>"$root/port" \
	>"$root/beta.log" 2>&1 </dev/null &
dpid=$!
for _ in $(seq 100); do
	[ -s "$root/port" ] && break
	sleep 0.05
done
port=$(head -n 1 "$root/port")
[ -n "$port" ] || { echo "run-bwlimit.sh: zcsyncd did not start" >&2; exit 1; }

# bytes SIZE: "10M" -> 10485760.
bytes() {
	local n=${1%[KMG]}
	case $1 in
	*K) echo $((n << 10)) ;;
	*M) echo $((n << 20)) ;;
	*G) echo $((n << 30)) ;;
	*) echo "$n" ;;
	esac
}

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# push ARGS...: one push into an emptied set, in the foreground (so that
# its CPU time lands in our cutime); sets b (bytes) and s (seconds).
push() {
	rm -rf "${root:?}/dst/"*
	"$ZCSYNC" push --name alpha "$@" "$root/src" "127.0.0.1:$port/b" \
		>"$root/push.out"
	read -r b s < <(sed -nE 's/^.*; ([0-9]+) bytes in ([0-9.]+) s .*$/\1 \2/p' \
		"$root/push.out")
}

# cpu_ticks PID: utime + stime of a process, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

echo "# run-bwlimit.sh $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -r), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "## Caps ($RUNS runs each, ${SECS} s of data per run)"
echo
echo "| cap | file | achieved (median) | achieved / cap | min .. max |"
echo "|-----|------|-------------------|----------------|------------|"
for cap in $CAPS; do
	rate=$(bytes "$cap")
	size=$((rate * SECS))
	rm -f "$root/src/"*
	head -c "$size" /dev/urandom >"$root/src/f"
	: >"$root/rates"
	for ((i = 0; i < RUNS; i++)); do
		push --bwlimit "$cap"
		[ "$b" = "$size" ] || { echo "run-bwlimit.sh: push moved $b bytes, not $size" >&2; exit 1; }
		awk -v b="$b" -v s="$s" 'BEGIN { printf "%.0f\n", b / s }' >>"$root/rates"
	done
	med=$(median <"$root/rates")
	lo=$(sort -g "$root/rates" | head -n 1)
	hi=$(sort -g "$root/rates" | tail -n 1)
	awk -v cap="$cap" -v r="$rate" -v m="$med" -v lo="$lo" -v hi="$hi" -v sz="$size" 'BEGIN {
		printf "| %s | %.0f MiB | %.3f MiB/s | %.4f | %.3f .. %.3f MiB/s |\n",
		    cap, sz / 1048576, m / 1048576, m / r, lo / 1048576, hi / 1048576 }'
done

echo
echo "## Verify ($RUNS runs each, one ${VERIFY_MIB} MiB file, fsync off)"
echo
rm -f "$root/src/"*
head -c $((VERIFY_MIB << 20)) /dev/urandom >"$root/src/f"
hz=$(getconf CLK_TCK)
: >"$root/t.plain"; : >"$root/t.verify"; : >"$root/c.plain"; : >"$root/c.verify"
for ((i = 0; i < RUNS; i++)); do
	for mode in plain verify; do
		d0=$(cpu_ticks "$dpid")
		c0=$(awk '{ print $14 + $15 + $16 + $17 }' /proc/$$/stat)
		args=()
		[ $mode = verify ] && args=(--verify)
		push "${args[@]}"
		d1=$(cpu_ticks "$dpid")
		c1=$(awk '{ print $14 + $15 + $16 + $17 }' /proc/$$/stat)
		echo "$s" >>"$root/t.$mode"
		awk -v c=$((c1 - c0)) -v d=$((d1 - d0)) -v hz="$hz" \
			'BEGIN { printf "%.2f %.2f\n", c / hz, d / hz }' >>"$root/c.$mode"
	done
done
echo "| push | elapsed (median) | MiB/s | client CPU s (median) | daemon CPU s (median) |"
echo "|------|------------------|-------|-----------------------|-----------------------|"
for mode in plain verify; do
	t=$(median <"$root/t.$mode")
	cc=$(awk '{ print $1 }' "$root/c.$mode" | median)
	dc=$(awk '{ print $2 }' "$root/c.$mode" | median)
	awk -v m="$mode" -v t="$t" -v mib="$VERIFY_MIB" -v cc="$cc" -v dc="$dc" 'BEGIN {
		printf "| %s | %.3f s | %.0f | %.2f | %.2f |\n", m == "plain" ? "without --verify" : "--verify", t, mib / t, cc, dc }'
done
