[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 104-live-overflow: the sender is stopped (SIGSTOP) while 20,000 files
# are created, far more events than the kernel queues for one inotify
# instance (fs.inotify.max_queued_events, 16384 by default).  When it
# continues, it sees the overflow, logs it, and resyncs the set in full:
# everything arrives.  Directories made, and one renamed, after the
# overflow lost their events: they must be watched all the same, under
# their new names, so that later changes in them arrive live.
. "$(dirname "$0")/lib.sh"

src=$T/src
dst=$T/dst
mkdir -p "$src/d0" "$src/mv-me/sub" "$dst"
echo "seed" >"$src/d0/seed"
echo "in a directory to be renamed" >"$src/mv-me/sub/file"

max=$(cat /proc/sys/fs/inotify/max_queued_events 2>/dev/null) ||
    skip "no /proc/sys/fs/inotify/max_queued_events"
# Each new file makes three events (create, modify, close): 20,000 files
# must overflow the queue.
[ "$max" -lt 50000 ] ||
    skip "fs.inotify.max_queued_events is $max: 20,000 files cannot overflow it"

FSYNC=false recv_config "$T/beta.yaml" "site:$dst"
start_daemon beta "$T/beta.yaml"
live_config "$T/alpha.yaml" site:"$src" "delete: true"
start_node alpha "$T/alpha.yaml"
wait_log alpha 'peer=beta set=site: in sync; mirroring live'
mirror_ok "$src" "$dst" alpha beta

kill -STOP "${DAEMON_PID[alpha]}"
# 20,000 files: 16,000 in d0 (overflowing the queue on their own), then
# four new directories of 1,000 each, whose creation events are lost.
(
	cd "$src/d0" || exit 1
	for ((i = 0; i < 16000; i++)); do
		echo "d0 $i" >"f$i"
	done
	for d in d1 d2 d3 d4; do
		mkdir "../$d"
		for ((i = 0; i < 1000; i++)); do
			echo "$d $i" >"../$d/f$i"
		done
	done
	rm seed
	mv ../mv-me ../moved
) || hard_error "could not create the files"
kill -CONT "${DAEMON_PID[alpha]}"

wait_log alpha 'set site: inotify queue overflowed' 30
wait_tree_equal "$src" "$dst" 120
mirror_ok "$src" "$dst" alpha beta
[ "$(find "$dst" -type f | wc -l)" = 20001 ] || fail "beta does not have 20,001 files"
wait_log alpha 'peer=beta set=site: full resync' 10

# After the resync, changes arrive live again, in old and new directories
# alike (no periodic rescan covers for a missing watch: it runs only for
# sets out of watches, and then every 30 s).
wait_for -t 30 eval '[ "$(log_count alpha "in sync; mirroring live")" -ge 2 ]' ||
    fail "alpha did not report the resync's end"
echo "changed after the resync" >"$src/d0/f1"
echo "new after the resync" >"$src/d4/new"
mkdir "$src/d3/sub"
echo "deeper" >"$src/d3/sub/x"
rm "$src/d2/f5"
echo "changed in the renamed directory" >"$src/moved/sub/file"
echo "new in the renamed directory" >"$src/moved/new"
wait_tree_equal "$src" "$dst" 15
mirror_ok "$src" "$dst" alpha beta

finish_ok alpha beta
