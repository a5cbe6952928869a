#!/bin/bash
# run-push.sh - zcsync push side by side with `rsync -a` to an rsync daemon and
# with the raw-socket ceiling (zcprobe), all on loopback, in one run.
#
# usage: bench/run-push.sh [--smoke] [WL ...]
#   WL is small (20,000 x 4 KiB), medium (1,000 x 1 MiB) or big (1 x 2 GiB);
#   default: small medium big.  --smoke (WLs ignored): a generated 200-file tree, one run
#   of each contender, no full probe matrix: checks the harness end to end.
#
# Per workload, round-robin in one table (push-bench.sh; ratios are taken
# run by run against the first row, rsync):
#   rsync_-a         rsync -a SRC/ rsync://127.0.0.1:PORT/zcb/WL/
#   rsync_local      rsync -a SRC/ DST/ (local: its sender and receiver are
#                    its own processes, so its CPU is all in "sender")
#   zcsync           zcsync push, zero copy, set with fsync: false
#   zcsync_nozc      client and daemon both --no-zero-copy (read/write), fsync: false
#   zcsync_fsync     zcsync push, zero copy, set with fsync: true (rsync never fsyncs)
#   probe_rw/rw      zcprobe pair -s rw -r rw          (the raw ceiling, read/write)
#   probe_sf/auto    zcprobe pair -s sendfile -r auto  (the raw ceiling, zero copy)
# then a table of CPU per side (sender, receiver, both; per GiB; against the
# probe mode with the least CPU and against rsync; zcsync's sender CPU per
# GiB zero copy vs read/write), a no-change re-push (rsync vs zcsync), the peak RSS of one more push
# per tool, and, for the first workload given (small by default), an
# `strace -c -f` profile of the receiving side of each tool (and a perf
# profile of zcsyncd if perf works).  The full run ends with the harness's
# run-probe.sh (every probe mode, per-side CPU, memcpy bandwidth).
#
# The reference harness (../shared/bench, read-only) is copied to
# $ZCB_ROOT/harness and built there; zcsync is built from this checkout into
# $ZCB_ROOT/build unless ZCSYNC_BIN_DIR names a directory holding zcsync and
# zcsyncd.  Run as root: the target is a fresh journaled ext4 image on a loop
# device (see the harness's lib.sh); ZCB_TARGET=plain or tmpfs if that fails.
#
# Env: ZC_SHARED (default <repo>/../shared), ZCB_ROOT (default /tmp/zcbench-push),
#      ZCB_RESULTS (default $ZCB_ROOT/results/<date>), RUNS (default 3),
#      ZCSYNC_BIN_DIR, ZCB_TARGET (ext4img | plain | tmpfs), ZCB_PROBE=0 (skip
#      run-probe.sh), ZCB_PROFILE=0 (skip strace/perf), ZCB_RSS=0 (skip RSS),
#      ZCB_NOCHANGE=0 (skip the no-change re-push).
#      ZCB_BASE_BIN_DIR: a directory holding another build's zcsync and
#      zcsyncd (say, the commit before a change): it gets a daemon of its own
#      (zero copy, fsync: false) and the row zcsync_base, interleaved with
#      the others, for a before/after in one run.
#      ZCB_ROWS: the first table's rows to run, by label (default all:
#      "rsync_-a rsync_local zcsync zcsync_base zcsync_nozc zcsync_fsync
#      probe_rw/rw probe_sf/auto"); e.g. ZCB_ROWS="rsync_-a zcsync zcsync_base
#      probe_rw/rw" leaves out the slow fsync row.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
smoke=
wls=()
for a in "$@"; do
	case $a in
	--smoke) smoke=1 ;;
	small | medium | big) wls+=("$a") ;;
	-h | --help) sed -n '2,35p' "$0"; exit 0 ;;
	*) echo "run-push.sh: unknown argument: $a" >&2; sed -n '4,8p' "$0" >&2; exit 2 ;;
	esac
done
if [ -n "$smoke" ]; then
	wls=(tiny)
	RUNS=1
	: "${ZCB_PROBE:=0}"
fi
[ ${#wls[@]} -gt 0 ] || wls=(small medium big)
[ "$(id -u)" = 0 ] || echo "run-push.sh: not root: use ZCB_TARGET=plain or tmpfs" >&2

shared=${ZC_SHARED:-$repo/../shared}/bench
[ -f "$shared/push-bench.sh" ] || { echo "run-push.sh: no harness in $shared (set ZC_SHARED)" >&2; exit 1; }
export ZCB_ROOT=${ZCB_ROOT:-/tmp/zcbench-push}
export RUNS=${RUNS:-3}
export ZCB_RESULTS=${ZCB_RESULTS:-$ZCB_ROOT/results/$(date +%Y%m%d-%H%M%S)${smoke:+-smoke}}
mkdir -p "$ZCB_ROOT"

. "$repo/bench/lib.sh"
bench_harness
bench_zcsync
command -v rsync >/dev/null || { echo "run-push.sh: rsync missing: apt-get install -y rsync" >&2; exit 1; }

# From here on the harness's lib.sh: ZCB_SRC, ZCB_DST, target_up, log,
# zcb_track and the EXIT trap that stops our daemons and the target.
. "$H/lib.sh"
# bench/lib.sh's bench_exit: the harness's cleanup without -e, then the
# target unmounted once nothing holds it.
trap bench_exit EXIT
need_bins
P=$BIN/zcprobe
S=$ZCB_RESULTS/summary.txt

# The smoke workload: 200 x 4 KiB in 10 directories, made here.
if [ -n "$smoke" ] && [ ! -f "$ZCB_SRC/.tiny.complete" ]; then
	rm -rf "$ZCB_SRC/tiny"
	mkdir -p "$ZCB_SRC/tiny"
	"$BIN/zcgen" tree "$ZCB_SRC/tiny" 200 4096 20 45 >/dev/null
	find "$ZCB_SRC/tiny" -type d -exec touch -d @1704067200 {} +
	: >"$ZCB_SRC/.tiny.complete"
fi
# Disk: each workload once as source (unless made already) and once in the
# target image, plus 10%.
need=0
for wl in "${wls[@]}"; do
	b=$(wl_bytes "$wl")
	need=$((need + b))
	[ -f "$ZCB_SRC/.$wl.complete" ] || need=$((need + b))
done
have=$(($(df --output=avail -k "$ZCB_ROOT" | tail -1) * 1024))
if [ "$have" -lt $((need + need / 10)) ]; then
	echo "run-push.sh: $ZCB_ROOT has $((have >> 20)) MiB free, these workloads need about $((need * 11 / 10 >> 20)) MiB" >&2
	exit 1
fi
for wl in "${wls[@]}"; do
	need_workload "$wl"
done

# A target image left mounted by an earlier run that was killed: ours, so
# take it down; every run starts on a fresh file system.
if [ "$ZCB_TARGET" = ext4img ] && mountpoint -q "$ZCB_DST" &&
	losetup -j "$ZCB_ROOT/target.img" | grep -q .; then
	umount "$ZCB_DST" && losetup -j "$ZCB_ROOT/target.img" | cut -d: -f1 | xargs -r -n1 losetup -d
fi
target_up
for wl in "${wls[@]}"; do
	mkdir -p "$ZCB_DST/$wl"
done

log "run-push.sh $(date -u +%Y-%m-%dT%H:%MZ): $(machine_line)"
{
	echo "target: $(target_desc); source: $(stat -f -c %T "$ZCB_SRC") on $(df --output=source "$ZCB_SRC" | tail -1)"
	echo "zcsync: $("$ZCSYNCD" --version 2>&1 | head -1), checkout $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$repo" status --porcelain 2>/dev/null | grep -q . && echo ' (with uncommitted changes)')"
	echo "rsync: $(rsync --version | head -1)"
	echo "runs: $RUNS per contender, warm cache; load before start: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee -a "$S"

# The rsync daemon, as run-rsync.sh starts it (sets rport and rpid).
bench_rsyncd

# Three zcsyncd receivers on 127.0.0.1:0: "zc" (zero copy, fsync: false),
# "nozc" (--no-zero-copy, fsync: false) and "fsync" (zero copy, fsync: true;
# a daemon of its own because two sets may not share a path).  Each has one
# set per workload, named WL and rooted at the target directory $ZCB_DST/WL
# that push-bench.sh empties before every run (the receiver opens the set
# root per push).
declare -A zpid zport
zcsyncd_start() { # name fsync [zcsyncd flags]
	local name=$1 fsync=$2 d=$ZCB_ROOT/zcsyncd-$1 wl i
	shift 2
	mkdir -p "$d"
	{
		echo 'node: {name: beta, listen: "127.0.0.1:0"}'
		echo 'peers: [{name: alpha}]'
		echo 'sets:'
		for wl in "${wls[@]}"; do
			echo "  - {name: $wl, path: \"$ZCB_DST/$wl\", accept_from: [alpha], fsync: $fsync}"
		done
	} >"$d/zcsyncd.yaml"
	rm -f "$d/port"
	"${ZCSYNCD_START:-$ZCSYNCD}" -q -c "$d/zcsyncd.yaml" --ready-fd 3 "$@" 3>"$d/port" 2>>"$d/zcsyncd.log" &
	zpid[$name]=$!
	zcb_track "${zpid[$name]}"
	for i in $(seq 100); do
		grep -qx '[0-9]\+' "$d/port" 2>/dev/null && break
		kill -0 "${zpid[$name]}" 2>/dev/null || { echo "run-push.sh: zcsyncd $name died:" >&2; tail -5 "$d/zcsyncd.log" >&2; exit 1; }
		sleep 0.1
	done
	zport[$name]=$(cat "$d/port")
	[ -n "${zport[$name]}" ] || { echo "run-push.sh: zcsyncd $name never became ready" >&2; exit 1; }
}
zcsyncd_start zc false
zcsyncd_start nozc false --no-zero-copy
zcsyncd_start fsync true
pids=(-p "$rpid" -p "${zpid[zc]}" -p "${zpid[nozc]}" -p "${zpid[fsync]}")
echo "daemons: rsync daemon; zcsyncd (zero copy, fsync: false); zcsyncd --no-zero-copy (fsync: false);" \
	"zcsyncd (zero copy, fsync: true); all on 127.0.0.1, started once, srv cpu = their sum" | tee -a "$S"
base_zc=
if [ -n "${ZCB_BASE_BIN_DIR:-}" ]; then
	base_zc=$ZCB_BASE_BIN_DIR/zcsync
	[ -x "$base_zc" ] && [ -x "$ZCB_BASE_BIN_DIR/zcsyncd" ] || {
		echo "run-push.sh: no zcsync/zcsyncd in $ZCB_BASE_BIN_DIR" >&2
		exit 1
	}
	ZCSYNCD_START=$ZCB_BASE_BIN_DIR/zcsyncd zcsyncd_start base false
	pids+=(-p "${zpid[base]}")
	echo "baseline: $("$ZCB_BASE_BIN_DIR/zcsyncd" --version 2>&1 | head -1) from $ZCB_BASE_BIN_DIR" \
		"(its own zcsyncd, zero copy, fsync: false), row zcsync_base" | tee -a "$S"
fi

# The contenders as push-bench.sh `label=cmd` strings: $SRC_W, $DST_W and
# $WL stay for sh -c to expand at run time; paths and ports go in now.
q_zc=$(printf %q "$ZCSYNC")
q_p=$(printf %q "$P")
c_rsync='rsync_-a=rsync -a "$SRC_W/" rsync://127.0.0.1:'$rport'/zcb/"$WL"/'
c_rlocal='rsync_local=rsync -a "$SRC_W/" "$DST_W/"'
c_zc='zcsync='$q_zc' push -q --name alpha "$SRC_W" 127.0.0.1:'${zport[zc]}'/"$WL"'
c_nozc='zcsync_nozc='$q_zc' push -q --no-zero-copy --name alpha "$SRC_W" 127.0.0.1:'${zport[nozc]}'/"$WL"'
c_fsync='zcsync_fsync='$q_zc' push -q --name alpha "$SRC_W" 127.0.0.1:'${zport[fsync]}'/"$WL"'
c_prw='probe_rw/rw='$q_p' pair -s rw -r rw "$SRC_W" "$DST_W"'
c_psf='probe_sf/auto='$q_p' pair -s sendfile -r auto "$SRC_W" "$DST_W"'
c_base=
[ -z "$base_zc" ] ||
	c_base='zcsync_base='$(printf %q "$base_zc")' push -q --name alpha "$SRC_W" 127.0.0.1:'${zport[base]}'/"$WL"'

# The first table's rows, in this order, less those ZCB_ROWS leaves out.
rows=()
for spec in "$c_rsync" "$c_rlocal" "$c_zc" "$c_base" "$c_nozc" "$c_fsync" \
    "$c_prw" "$c_psf"; do
	[ -n "$spec" ] || continue
	case " ${ZCB_ROWS:-${spec%%=*}} " in
	*" ${spec%%=*} "*) rows+=("$spec") ;;
	esac
done
[ ${#rows[@]} -gt 0 ] || { echo "run-push.sh: ZCB_ROWS names no row" >&2; exit 2; }

# One more push per tool, untimed, for peak RSS: the client's from
# /usr/bin/time (largest process of its tree); zcsyncd's VmHWM after
# resetting it (clear_refs 5); the rsync daemon's per-connection processes
# sampled every 20 ms (sum of each one's VmHWM).
rss_tree_hwm() {
	local root=$1 out=$2
	: >"$out"
	while [ -e "$out" ]; do
		ps -e -o pid=,ppid= | awk -v r="$root" '
			{ par[$1] = $2 }
			END { for (p in par) { q = p; while (q in par && q != r && q > 1) q = par[q]; if (q == r && p != r) print p } }' |
			while read -r p; do
				v=$(awk '/^VmHWM/ {print $2}' "/proc/$p/status" 2>/dev/null) && [ -n "$v" ] && echo "$p $v"
			done >>"$out.tmp" 2>/dev/null
		sort -u "$out.tmp" >"$out.tmp2" 2>/dev/null && mv "$out.tmp2" "$out.tmp"
		sleep 0.02
	done
}
rss_pass() {
	local wl=$1 label cmd client daemon f spid
	export WL=$wl SRC_W=$ZCB_SRC/$wl DST_W=$ZCB_DST/$wl
	for spec in "$c_rsync" "$c_zc" "$c_nozc"; do
		label=${spec%%=*} cmd=${spec#*=}
		rm -rf "$DST_W" && mkdir -p "$DST_W" && sync
		f=$ZCB_RESULTS/logs/rss-$wl-$label
		case $label in
		zcsync) echo 5 >"/proc/${zpid[zc]}/clear_refs" ;;
		zcsync_nozc) echo 5 >"/proc/${zpid[nozc]}/clear_refs" ;;
		rsync_-a) : >"$f.samples"; rss_tree_hwm "$rpid" "$f.samples" & spid=$! ;;
		esac
		/usr/bin/time -f %M -o "$f.client" sh -c "$cmd" >/dev/null 2>&1
		client=$(tail -1 "$f.client")
		case $label in
		zcsync) daemon=$(awk '/^VmHWM/ {print $2}' "/proc/${zpid[zc]}/status") ;;
		zcsync_nozc) daemon=$(awk '/^VmHWM/ {print $2}' "/proc/${zpid[nozc]}/status") ;;
		rsync_-a)
			sleep 0.1
			rm -f "$f.samples"
			wait "$spid" 2>/dev/null || true
			daemon=$(awk '{ if ($2 > m[$1]) m[$1] = $2 } END { for (p in m) s += m[p]; print s + 0 }' "$f.samples.tmp")
			;;
		esac
		printf '  peak RSS %-14s client %7d KiB   receiving side %7d KiB\n' "$label" "$client" "$daemon"
	done | tee -a "$S"
}

# strace -c -f of each receiving side (and zcsync's client) during one push,
# and a perf profile of zcsyncd if perf works here.  Counts, not times:
# tracing slows everything down.
profile_pass() {
	local wl=$1 out=$ZCB_RESULTS/profile-$1 spid
	export WL=$wl SRC_W=$ZCB_SRC/$wl DST_W=$ZCB_DST/$wl
	mkdir -p "$out"
	command -v strace >/dev/null || { echo "  (no strace: profile skipped)" | tee -a "$S"; return 0; }
	trace_one() { # name pid cmd
		rm -rf "$DST_W" && mkdir -p "$DST_W" && sync
		strace -c -f -S calls -o "$out/strace-$1.txt" -p "$2" 2>/dev/null &
		spid=$!
		sleep 0.5
		sh -c "$3" >/dev/null 2>&1
		kill -INT "$spid" 2>/dev/null || true
		wait "$spid" 2>/dev/null || true
		for _ in $(seq 100); do
			pgrep -P "$2" >/dev/null || break
			sleep 0.1
		done
	}
	trace_one zcsyncd "${zpid[zc]}" "${c_zc#*=}"
	trace_one zcsyncd-nozc "${zpid[nozc]}" "${c_nozc#*=}"
	trace_one rsyncd "$rpid" "${c_rsync#*=}"
	# The client: traced from its start.
	rm -rf "$DST_W" && mkdir -p "$DST_W" && sync
	strace -c -f -S calls -o "$out/strace-zcsync-client.txt" "$ZCSYNC" push -q --name alpha "$SRC_W" \
		"127.0.0.1:${zport[zc]}/$WL" >/dev/null 2>&1 || true
	for t in zcsyncd zcsyncd-nozc rsyncd zcsync-client; do
		{
			echo "  strace -c -f, $t, one push of $wl (top 15 by calls):"
			sed -n '1,17p' "$out/strace-$t.txt" | sed 's/^/    /'
			grep -E '^-+ -|total' "$out/strace-$t.txt" | tail -1 | sed 's/^/    /'
		} | tee -a "$S"
	done
	if command -v perf >/dev/null && perf stat -e task-clock true >/dev/null 2>&1; then
		rm -rf "$DST_W" && mkdir -p "$DST_W" && sync
		perf record -q -e cpu-clock -F 4999 -g -p "${zpid[zc]}" -o "$out/perf-zcsyncd.data" >/dev/null 2>&1 &
		spid=$!
		sleep 0.5
		sh -c "${c_zc#*=}" >/dev/null 2>&1
		kill -INT "$spid" 2>/dev/null || true
		wait "$spid" 2>/dev/null || true
		perf report -i "$out/perf-zcsyncd.data" --stdio --no-children --sort sym 2>/dev/null |
			grep -E '^ +[0-9.]+%' | head -25 >"$out/perf-zcsyncd.txt" || true
		perf report -i "$out/perf-zcsyncd.data" --stdio --no-children --sort dso 2>/dev/null |
			grep -E '^ +[0-9.]+%' | head -6 >"$out/perf-zcsyncd-dso.txt" || true
		{
			echo "  perf (cpu-clock) of zcsyncd, one push of $wl, self time by object:"
			sed 's/^/    /' "$out/perf-zcsyncd-dso.txt"
			echo "  and the top 25 symbols:"
			sed 's/^/    /' "$out/perf-zcsyncd.txt"
		} | tee -a "$S"
	fi
}

# CPU of each side, per contender, from the table just printed (medians
# of the timed runs in results.tsv) and, for the probe, from its own
# per-side report in the log (medians over every run, warm-up included).
# "sender" is the pushing client (zcsync, rsync) or the probe's sending
# child; "receiver" the daemons' CPU (srv cpu) or the probe's receiving
# child.  The ceiling is the probe mode with the least CPU, both sides.
cpu_table() {
	local wl=$1 tag="push $1" logf
	logf=$ZCB_RESULTS/logs/$(echo "$tag" | tr -c 'A-Za-z0-9_.-' '_').log
	{
		awk '/^pair / {
			k = "probe_" $2 "/" $3
			sub("send=", "", k); sub("recv=", "", k); sub("sendfile", "sf", k)
			for (i = 1; i <= NF; i++) {
				if ($i ~ /^send_cpu=/) { v = $i; sub("send_cpu=", "", v); s[k] = s[k] " " v }
				if ($i ~ /^recv_cpu=/) { v = $i; sub("recv_cpu=", "", v); r[k] = r[k] " " v }
			}
		}
		function med(str,   a, n, i, j, t) {
			n = split(str, a, " ")
			for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
			return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
		}
		END { for (k in s) printf "P\t%s\t%.3f\t%.3f\n", k, med(s[k]), med(r[k]) }' "$logf"
		awk -F'\t' -v t="$tag" '$1 == t {
			c = $7; sub("cpu_med=", "", c); v = $8; sub("srv_cpu_med=", "", v)
			printf "R\t%s\t%s\t%s\n", $2, c, v
		}' "$ZCB_RESULTS/results.tsv"
	} | awk -F'\t' -v gib="$(find "$ZCB_SRC/$wl" -type f -printf '%s\n' | awk '{ b += $1 } END { print b / 1073741824 }')" '
		$1 == "P" { n[++k] = $2; snd[$2] = $3; rcv[$2] = $4; probe[$2] = 1 }
		$1 == "R" && $2 !~ /^probe_/ { n[++k] = $2; snd[$2] = $3; rcv[$2] = $4 }
		END {
			ceil = ""; for (i = 1; i <= k; i++) { l = n[i]; t = snd[l] + rcv[l]
				if (probe[l] && (ceil == "" || t < snd[ceil] + rcv[ceil])) ceil = l }
			rs = "rsync_-a"
			printf "  CPU s, both sides (medians; per GiB moved); ceiling = %s\n", ceil
			printf "  %-18s %8s %8s %8s %9s %9s %8s %8s\n", "row", "sender", "receiver", "total", "total/GiB", "send/GiB", "/ceiling", "/rsync"
			ct = ceil != "" ? snd[ceil] + rcv[ceil] : 0
			rt = (rs in snd) ? snd[rs] + rcv[rs] : 0
			for (i = 1; i <= k; i++) { l = n[i]; t = snd[l] + rcv[l]
				vc = ct > 0 ? sprintf("%.2f", t / ct) : "-"
				vr = rt > 0 ? sprintf("%.2f", t / rt) : "-"
				printf "  %-18s %8.3f %8.3f %8.3f %9.3f %9.3f %8s %8s\n", l, snd[l], rcv[l], t, t / gib, snd[l] / gib, vc, vr }
			if (("zcsync" in snd) && ("zcsync_nozc" in snd))
				printf "  sender CPU per GiB, zcsync zero copy %.3f s vs its read/write mode %.3f s: saves %.3f s/GiB\n",
				    snd["zcsync"] / gib, snd["zcsync_nozc"] / gib, (snd["zcsync_nozc"] - snd["zcsync"]) / gib
			if (("probe_sf/auto" in snd) && ("probe_rw/rw" in snd))
				printf "  sender CPU per GiB, probe sendfile %.3f s vs read/write %.3f s: saves %.3f s/GiB\n",
				    snd["probe_sf/auto"] / gib, snd["probe_rw/rw"] / gib, (snd["probe_rw/rw"] - snd["probe_sf/auto"]) / gib
		}' | tee -a "$S"
}

for wl in "${wls[@]}"; do
	"$H/push-bench.sh" -n "$RUNS" "${pids[@]}" -T "push $wl" "$wl" "${rows[@]}"
	cpu_table "$wl"
	[ "${ZCB_NOCHANGE:-1}" = 0 ] ||
		"$H/push-bench.sh" -r -n "$RUNS" "${pids[@]}" -T "push $wl no-change" "$wl" \
			'rsync_-a_nochange='"${c_rsync#*=}" 'zcsync_nochange='"${c_zc#*=}"
	[ "${ZCB_RSS:-1}" = 0 ] || rss_pass "$wl"
	if [ "${ZCB_PROFILE:-1}" != 0 ] && [ "$wl" = "${wls[0]}" ]; then
		profile_pass "$wl"
	fi
done

if [ "${ZCB_PROBE:-1}" != 0 ]; then
	log "the raw ceiling, every probe mode (harness run-probe.sh)"
	"$H/run-probe.sh" "${wls[@]}"
fi
echo
echo "run-push.sh: done; summary in $S, per-run log lines in $ZCB_RESULTS/results.tsv"
