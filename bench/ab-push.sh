#!/bin/bash
# ab-push.sh - two builds of zcsync, pushing the same tree into the same
# target directory, interleaved (the order alternates each round): wall
# time of each push and the CPU its receiving zcsyncd used (clock ticks of
# /proc/PID/stat).  A before/after of one change, where run-push.sh's rows
# are too noisy to tell.
#
# usage: bench/ab-push.sh A_BIN_DIR B_BIN_DIR SRC TARGET
#   *_BIN_DIR hold zcsync and zcsyncd; SRC is the tree to push; TARGET an
#   empty directory both daemons receive into (one directory for both: on
#   ext4, the time a push takes into a directory whose files were just
#   deleted depends on how long ago they were written, so two targets give
#   each build a different history; a tmpfs has no such memory).
# Env: ROUNDS (default 12), MODE=first (TARGET emptied before each push,
#   the default) or nochange (TARGET left full: a re-push that sends
#   nothing).
# Output: one line per push, "a|b WALL_S TICKS", then the medians.
set -euo pipefail
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

[ $# = 4 ] || { sed -n '2,18p' "$0" >&2; exit 2; }
A=$1 B=$2 SRC=$3 TGT=$4
ROUNDS=${ROUNDS:-12}
MODE=${MODE:-first}
: "${TGT:?}"
[ -d "$TGT" ] || { echo "ab-push.sh: $TGT: not a directory" >&2; exit 2; }
W=$(mktemp -d /tmp/ab-push.XXXXXX)
declare -A BIN DPID DPORT
BIN[a]=$A BIN[b]=$B

cleanup()
{
	local v

	for v in a b; do
		[ -z "${DPID[$v]:-}" ] || kill "${DPID[$v]}" 2>/dev/null || true
	done
	rm -rf "${W:?}"
}
trap cleanup EXIT

for v in a b; do
	bench_recv_config "$W/$v.yaml" false "s:$TGT"
	"${BIN[$v]}/zcsyncd" -c "$W/$v.yaml" --ready-fd 3 3>"$W/$v.port" \
	    2>"$W/$v.log" &
	DPID[$v]=$!
done
for ((i = 0; i < 100; i++)); do
	[ -s "$W/a.port" ] && [ -s "$W/b.port" ] && break
	sleep 0.1
done
DPORT[a]=$(cat "$W/a.port") DPORT[b]=$(cat "$W/b.port")

ticks()
{
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# one V: a push by build V into TARGET (emptied first unless nochange).
one()
{
	local v=$1 t0 t1 c0 c1

	if [ "$MODE" = first ]; then
		find "$TGT" -mindepth 1 -delete
		sync
	fi
	c0=$(ticks "${DPID[$v]}")
	t0=$(date +%s.%N)
	"${BIN[$v]}/zcsync" push -q --name alpha "$SRC" \
	    "127.0.0.1:${DPORT[$v]}/s"
	t1=$(date +%s.%N)
	c1=$(ticks "${DPID[$v]}")
	echo "$v $(echo "$t1 - $t0" | bc) $((c1 - c0))"
}

one a >/dev/null	# warm-up (and a full target for nochange)
one b >/dev/null
for ((r = 1; r <= ROUNDS; r++)); do
	if ((r % 2)); then one a; one b; else one b; one a; fi
done | tee "$W/runs"
for v in a b; do
	printf '%s: median wall %s s, median receiver CPU %s ticks\n' "$v" \
	    "$(awk -v v="$v" '$1 == v { print $2 }' "$W/runs" | sort -n |
	    awk '{ x[NR] = $1 } END { print x[int((NR + 1) / 2)] }')" \
	    "$(awk -v v="$v" '$1 == v { print $3 }' "$W/runs" | sort -n |
	    awk '{ x[NR] = $1 } END { print x[int((NR + 1) / 2)] }')"
done
