#!/bin/bash
# run-sparse.sh - SPARSE: one big file that is mostly holes, pushed by
# `zcsync push` to a zcsyncd on loopback (issue 9, "docs/benchmarks.md
# records the sparse file case").
#
# usage: bench/run-sparse.sh [--smoke] [SIZE_GIB [DATA_MIB]]
#   (default: 10 GiB, 1 MiB; --smoke: 1 GiB, one run, for bench/run-all)
#
# The file is SIZE_GIB of holes with DATA_MIB of incompressible data in
# three places (start, middle, end; truncate + dd conv=notrunc).  Recorded,
# per run (RUNS, default 5, each into an empty directory): the wall time of
# the push, the body bytes it sent (its summary line; the frames around
# them are a few hundred bytes more), the disk the receiver's copy uses
# (du), and cmp of the two files (untimed).  Needs
# only SIZE_GIB of apparent size, not of disk: the disk holds the data.
#
# Env: ZCB_ROOT (default /tmp/zcbench-sparse; the file system must keep
#      holes), ZCSYNC_BIN_DIR (default: this checkout), RUNS.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
runs=${RUNS:-5}
if [ "${1:-}" = --smoke ]; then
	shift
	set -- 1 1
	runs=1
fi
gib=${1:-10}
data_mib=${2:-1}
case $gib$data_mib in
*[!0-9]*) echo "usage: bench/run-sparse.sh [--smoke] [SIZE_GIB [DATA_MIB]]" >&2; exit 2 ;;
esac
bin=${ZCSYNC_BIN_DIR:-$repo}
root=${ZCB_ROOT:-/tmp/zcbench-sparse}
[ -x "$bin/zcsync" ] && [ -x "$bin/zcsyncd" ] ||
    { echo "run-sparse.sh: build zcsync first (or set ZCSYNC_BIN_DIR)" >&2; exit 1; }

rm -rf "$root"
mkdir -p "$root/src" "$root/dst"
pid=
cleanup()
{
	[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$root/src" "$root/dst"
}
trap cleanup EXIT

f=$root/src/sparse.img
size=$((gib * 1024 * 1024 * 1024))
chunk=$((data_mib * 1024 * 1024 / 4))
truncate -s "$size" "$f"
head -c $((chunk * 4)) /dev/urandom >"$root/chunk"
# A quarter at the start, half in the middle, a quarter at the end.
dd if="$root/chunk" of="$f" bs="$chunk" count=1 conv=notrunc status=none
dd if="$root/chunk" of="$f" bs="$chunk" count=2 skip=1 \
    seek=$((size / 2 / chunk)) conv=notrunc status=none
dd if="$root/chunk" of="$f" bs="$chunk" count=1 skip=3 \
    seek=$((size / chunk - 1)) conv=notrunc status=none
rm -f "$root/chunk"
[ "$(stat -c %s "$f")" = "$size" ] || { echo "run-sparse.sh: bad size" >&2; exit 1; }

cat >"$root/beta.yaml" <<EOF
node:
  name: beta
  listen: "127.0.0.1:0"
peers:
  - name: alpha
sets:
  - name: s
    path: $root/dst
    accept_from: [alpha]
    fsync: false
EOF
"$bin/zcsyncd" -c "$root/beta.yaml" --ready-fd 3 3>"$root/port" \
    >"$root/beta.log" 2>&1 </dev/null &
pid=$!
for ((i = 0; i < 100; i++)); do
	[ -s "$root/port" ] && grep -q . "$root/port" && break
	sleep 0.05
done
port=$(head -n 1 "$root/port")

echo "# $(uname -r), $(nproc) CPUs; $root on $(df -T "$root" | awk 'NR == 2 { print $2 }')"
echo "# source: $(stat -c %s "$f") bytes apparent, $(du -k "$f" | cut -f1) KiB on disk"
printf '%-4s %10s %14s %12s %s\n' run wall_s body_bytes dst_disk_kib cmp
for ((r = 1; r <= runs; r++)); do
	rm -rf "$root/dst" && mkdir -p "$root/dst" && sync
	start=$EPOCHREALTIME
	"$bin/zcsync" push --name alpha "$root/src" "127.0.0.1:$port/s" \
	    >"$root/push.out" 2>&1
	end=$EPOCHREALTIME
	body=$(sed -nE 's/^.*; ([0-9]+) bytes in .*$/\1/p' "$root/push.out")
	disk=$(du -k "$root/dst/sparse.img" | cut -f1)
	same=equal
	cmp -s "$f" "$root/dst/sparse.img" || same=DIFFERS
	printf '%-4s %10.3f %14s %12s %s\n' "$r" \
	    "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')" \
	    "$body" "$disk" "$same"
	# A figure counts only if the copy is right and still sparse.
	[ "$same" = equal ] || { echo "run-sparse.sh: the copy differs" >&2; exit 1; }
	[ "$disk" -le $((data_mib * 1024 * 4)) ] ||
	    { echo "run-sparse.sh: the copy uses $disk KiB: not sparse" >&2; exit 1; }
done
