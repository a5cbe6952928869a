[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 110-live-rewrite: files rewritten in place while the live mirror sends
# them (cp -a of many 1 MiB files into the watched set, then rewrites of
# a large file during its send).  A body that changed while it was sent
# is aborted; the sender must live on (a live send has no manifest index
# to retry from: an out-of-bounds read there once killed it) and the next
# event sends the final content.  Trees equal at the end.
. "$(dirname "$0")/lib.sh"

src=$T/src
dst=$T/dst
stage=$T/stage
mkdir -p "$src" "$dst" "$stage"
recv_config "$T/beta.yaml" "site:$dst"
start_daemon beta "$T/beta.yaml"
live_config "$T/alpha.yaml" site:"$src" "delete: true" "fsync: false"
start_node alpha "$T/alpha.yaml"
wait_log alpha 'peer=beta set=site: in sync; mirroring live'

# 600 x 1 MiB copied in while the mirror runs: cp -a writes, closes and
# then sets times and modes, so bodies change under the sender.
for i in $(seq 1 600); do
	head -c 1048576 /dev/urandom >"$stage/f$i"
done
cp -a "$stage/." "$src/"
# A 64 MiB file rewritten in place four times, 50 ms apart.
head -c 67108864 /dev/urandom >"$src/big"
for i in 1 2 3 4; do
	sleep 0.05
	dd if=/dev/urandom of="$src/big" bs=1M count=8 seek=$((i * 8)) \
	    conv=notrunc status=none
done
wait_tree_equal "$src" "$dst" 90
pid_alive "${DAEMON_PID[alpha]}" || fail "the live sender died"
mirror_ok "$src" "$dst" alpha beta
finish_ok -n alpha beta
