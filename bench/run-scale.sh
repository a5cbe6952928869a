#!/bin/bash
# run-scale.sh - how `zcsync push` grows with the tree: 1,000, 10,000 and
# 100,000 small files, side by side with `rsync -a` to an rsync daemon.
#
# usage: bench/run-scale.sh [--smoke] [N ...]
#   N: tree sizes in files (default 1000 10000 100000); each tree is N x
#   SCALE_BYTES (default 1024) in directories of 100 files, made once by the
#   harness's zcgen (seed 47) under $ZCB_ROOT/src/scaleN.  --smoke: 200 and
#   1,000 files, one run each: checks the script end to end.
#
# Rounds (RUNS, default 3), interleaved: for each N, zcsync then rsync, into
# an emptied and synced target (zcsyncd set with fsync: false; rsync never
# fsyncs).  Each tool first runs once per N untimed and its target is
# compared with the source (bytes; size, mode and mtime of every file).
# Per run: wall, time per file, client CPU (user+sys, /usr/bin/time), the
# receiving side's CPU (the daemon's utime+stime+cutime+cstime from
# /proc/PID/stat before and after, once it has no child left), the client's
# peak RSS (/usr/bin/time %M) and the receiving side's peak RSS: zcsyncd's
# VmHWM after a reset (clear_refs 5), rsync's per-connection processes
# sampled every 20 ms (sum of their VmHWM).  The summary gives medians and
# min-max per tool and N.
#
# Env: ZC_SHARED, ZCB_ROOT (default /tmp/zcbench-scale), ZCB_RESULTS, RUNS,
#      ZCSYNC_BIN_DIR, ZCB_TARGET (ext4img | plain | tmpfs), SCALE_BYTES.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
smoke=
sizes=()
for a in "$@"; do
	case $a in
	--smoke) smoke=1 ;;
	[0-9]*) sizes+=("$a") ;;
	-h | --help) sed -n '2,27p' "$0"; exit 0 ;;
	*) echo "run-scale.sh: unknown argument: $a" >&2; sed -n '4,8p' "$0" >&2; exit 2 ;;
	esac
done
if [ -n "$smoke" ]; then
	sizes=(200 1000)
	RUNS=1
fi
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 10000 100000)
[ "$(id -u)" = 0 ] || echo "run-scale.sh: not root: use ZCB_TARGET=plain or tmpfs" >&2
fbytes=${SCALE_BYTES:-1024}

shared=${ZC_SHARED:-$repo/../shared}/bench
[ -f "$shared/push-bench.sh" ] || { echo "run-scale.sh: no harness in $shared (set ZC_SHARED)" >&2; exit 1; }
export ZCB_ROOT=${ZCB_ROOT:-/tmp/zcbench-scale}
export RUNS=${RUNS:-3}
export ZCB_RESULTS=${ZCB_RESULTS:-$ZCB_ROOT/results/$(date +%Y%m%d-%H%M%S)${smoke:+-smoke}}
mkdir -p "$ZCB_ROOT"

. "$repo/bench/lib.sh"
bench_harness
bench_zcsync
command -v rsync >/dev/null || { echo "run-scale.sh: rsync missing: apt-get install -y rsync" >&2; exit 1; }
. "$H/lib.sh"
trap bench_exit EXIT
need_bins
S=$ZCB_RESULTS/summary.txt
T=$ZCB_RESULTS/runs.tsv

for n in "${sizes[@]}"; do
	[ -f "$ZCB_SRC/.scale$n.complete" ] && continue
	rm -rf "${ZCB_SRC:?}/scale$n"
	mkdir -p "$ZCB_SRC/scale$n"
	"$BIN/zcgen" tree "$ZCB_SRC/scale$n" "$n" "$fbytes" 100 47 >/dev/null
	find "$ZCB_SRC/scale$n" -type d -exec touch -d @1704067200 {} +
	: >"$ZCB_SRC/.scale$n.complete"
done
bench_target_fresh
for n in "${sizes[@]}"; do
	mkdir -p "$ZCB_DST/scale$n"
done

log "run-scale.sh $(date -u +%Y-%m-%dT%H:%MZ): $(machine_line)"
{
	echo "target: $(target_desc); trees: ${sizes[*]} files x $fbytes B, 100 per directory"
	echo "zcsync: $("$ZCSYNCD" --version 2>&1 | head -1), checkout $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo '?')"
	echo "rsync: $(rsync --version | head -1)"
	echo "runs: $RUNS per tool and size, interleaved; load before start: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee -a "$S"

bench_rsyncd

zd=$ZCB_ROOT/zcsyncd
mkdir -p "$zd"
sets=()
for n in "${sizes[@]}"; do
	sets+=("scale$n:$ZCB_DST/scale$n")
done
bench_recv_config "$zd/zcsyncd.yaml" false "${sets[@]}"
bench_daemon "$zd" "$ZCSYNCD" -q -c "$zd/zcsyncd.yaml"
zpid=$bench_pid zport=$bench_port
zcb_track "$zpid"

# CPU seconds (clock ticks) of a daemon and its reaped children, once it
# has no child left (rsync's per-connection processes are reaped late).
daemon_ticks() {
	local _
	for _ in $(seq 200); do
		pgrep -P "$1" >/dev/null || break
		sleep 0.02
	done
	awk '{ sub(/^.*\) /, ""); print $12 + $13 + $14 + $15 }' "/proc/$1/stat"
}
# Peak RSS (KiB) of the processes below $1, sampled into $2 until $2 is
# removed (the sum of each one's VmHWM).
rss_below() {
	local root=$1 out=$2
	while [ -e "$out" ]; do
		ps -e -o pid=,ppid= | awk -v r="$root" '
			{ par[$1] = $2 }
			END { for (p in par) { q = p; while (q in par && q != r && q > 1) q = par[q]; if (q == r && p != r) print p } }' |
			while read -r p; do
				v=$(awk '/^VmHWM/ {print $2}' "/proc/$p/status" 2>/dev/null) && [ -n "$v" ] && echo "$p $v"
			done >>"$out.tmp" 2>/dev/null
		sleep 0.02
	done
}
manifest() { (cd "$1" && find . -type f ! -name '.*' -printf '%P %s %m %T@\n' | LC_ALL=C sort); }
clear_dst() { rm -rf "${ZCB_DST:?}/scale$1" && mkdir -p "$ZCB_DST/scale$1" && sync; }
tool_cmd() { # tool n
	case $1 in
	zcsync) echo "$(printf %q "$ZCSYNC") push -q --name alpha $(printf %q "$ZCB_SRC/scale$2") 127.0.0.1:$zport/scale$2" ;;
	rsync) echo "rsync -a $(printf %q "$ZCB_SRC/scale$2")/ rsync://127.0.0.1:$rport/zcb/scale$2/" ;;
	esac
}
# One push, appended to $T: tool n round wall client_cpu srv_cpu client_kib srv_kib
one_push() { # tool n round
	local tool=$1 n=$2 round=$3 f=$ZCB_RESULTS/logs/scale-$1-$2 c0 c1 t0 t1 spid srv
	clear_dst "$n"
	case $tool in
	zcsync) echo 5 >"/proc/$zpid/clear_refs"; c0=$(daemon_ticks "$zpid") ;;
	rsync) c0=$(daemon_ticks "$rpid"); : >"$f.samples"; rm -f "$f.samples.tmp"
		rss_below "$rpid" "$f.samples" & spid=$! ;;
	esac
	t0=$(date +%s.%N)
	/usr/bin/time -f '%e %U %S %M' -o "$f.time" sh -c "$(tool_cmd "$tool" "$n")" >>"$f.log" 2>&1 || {
		echo "run-scale.sh: $tool push of $n files failed:" >&2; tail -5 "$f.log" >&2; exit 1; }
	t1=$(date +%s.%N)
	case $tool in
	zcsync) c1=$(daemon_ticks "$zpid"); srv=$(awk '/^VmHWM/ {print $2}' "/proc/$zpid/status") ;;
	rsync) c1=$(daemon_ticks "$rpid"); rm -f "$f.samples"; wait "$spid" 2>/dev/null || true
		srv=$(awk '{ if ($2 > m[$1]) m[$1] = $2 } END { for (p in m) s += m[p]; print s + 0 }' "$f.samples.tmp" 2>/dev/null || echo 0) ;;
	esac
	printf '%s\t%s\t%s\t%.4f\t%s\t%.2f\t%s\t%s\n' "$tool" "$n" "$round" "$(echo "$t1 - $t0" | bc)" \
		"$(awk 'END { print $2 + $3 }' "$f.time")" "$(echo "($c1 - $c0) / $(getconf CLK_TCK)" | bc -l)" \
		"$(awk 'END { print $4 }' "$f.time")" "$srv" >>"$T"
}

mkdir -p "$ZCB_RESULTS/logs"
: >"$T"
# Warm-up and check: one untimed push per tool and size, then the target
# must equal the source.
for n in "${sizes[@]}"; do
	for tool in zcsync rsync; do
		clear_dst "$n"
		sh -c "$(tool_cmd "$tool" "$n")" >>"$ZCB_RESULTS/logs/scale-$tool-$n.log" 2>&1 || {
			echo "run-scale.sh: $tool push of $n files failed" >&2; exit 1; }
		if ! diff -rq "$ZCB_SRC/scale$n" "$ZCB_DST/scale$n" >/dev/null 2>&1 ||
			! diff <(manifest "$ZCB_SRC/scale$n") <(manifest "$ZCB_DST/scale$n") >/dev/null; then
			echo "run-scale.sh: $tool left a target that differs from the source ($n files)" >&2
			exit 1
		fi
	done
done
for r in $(seq "$RUNS"); do
	for n in "${sizes[@]}"; do
		for tool in zcsync rsync; do
			one_push "$tool" "$n" "$r"
		done
	done
done
clear_dst "${sizes[0]}"

{
	echo
	echo "== scale series: medians (min-max) over $RUNS runs; load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
	printf '%-7s %8s %22s %11s %8s %8s %11s %11s\n' tool files "wall s (min-max)" "us/file" "cli cpu" "srv cpu" "cli RSS KiB" "srv RSS KiB"
	awk -F'\t' '
		{ k = $1 "\t" $2; if (!(k in seen)) { seen[k] = 1; key[++nk] = k }
		  w[k] = w[k] " " $4; c[k] = c[k] " " $5; s[k] = s[k] " " $6; cr[k] = cr[k] " " $7; sr[k] = sr[k] " " $8 }
		function sorted(str, a,   n, i, j, t) {
			n = split(str, a, " ")
			for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
			return n
		}
		function med(str,   a, n) { n = sorted(str, a); return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
		function lo(str,   a) { sorted(str, a); return a[1] }
		function hi(str,   a, n) { n = sorted(str, a); return a[n] }
		END {
			for (i = 1; i <= nk; i++) { k = key[i]; split(k, p, "\t")
				printf "%-7s %8d %22s %11.1f %8.3f %8.3f %11d %11d\n", p[1], p[2],
				    sprintf("%.3f (%.3f-%.3f)", med(w[k]), lo(w[k]), hi(w[k])), med(w[k]) / p[2] * 1e6,
				    med(c[k]), med(s[k]), hi(cr[k]), hi(sr[k]) }
		}' "$T"
} | tee -a "$S"
echo
echo "run-scale.sh: done; summary in $S, one line per run in $T"
