[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 102-live-restart: the sender stops (SIGTERM) while changes are being
# made, more changes (creates, deletes, rewrites) happen while it is down,
# and when it starts again its catch-up makes the peer equal.  The same
# after SIGKILL in the middle of a stream of changes.
. "$(dirname "$0")/lib.sh"

src=$T/src
dst=$T/dst
mkdir -p "$src" "$dst"
for d in a b c; do
	mkdir -p "$src/$d"
	for ((i = 0; i < 50; i++)); do
		echo "$d $i" >"$src/$d/f$i"
	done
done
gen_file "$src/a/big" $((8 * 1024 * 1024)) 3

FSYNC=false recv_config "$T/beta.yaml" "site:$dst"
start_daemon beta "$T/beta.yaml"
live_config "$T/alpha.yaml" site:"$src" "delete: true"
start_node alpha "$T/alpha.yaml"
wait_log alpha 'peer=beta set=site: in sync; mirroring live'
mirror_ok "$src" "$dst" alpha beta

# churn ROUND: a stream of changes in the background until $T/stop exists
# (bounded: at most 2,000 changes): new files, rewrites, deletes, a big
# file rewritten.
churn()
{
	local r=$1 i

	for ((i = 0; i < 2000; i++)); do
		[ -e "$T/stop" ] && break
		echo "round $r change $i" >"$src/b/churn-$r-$((i % 40))"
		echo "rewrite $r $i" >"$src/a/f$((i % 50))"
		rm -f "$src/c/f$((i % 50))" "$src/b/churn-$r-$(((i + 20) % 40))"
		if ((i % 25 == 0)); then
			gen_file "$src/a/big" $((8 * 1024 * 1024)) $((r * 1000 + i))
		fi
	done
}

# restart_during_churn ROUND HOW: churn, stop alpha (stop_daemon or
# kill_daemon) while it is busy, change more while it is down, start it.
restart_during_churn()
{
	local r=$1 how=$2 pid

	rm -f "$T/stop"
	churn "$r" &
	pid=$!
	bg_track "$pid"
	# Let alpha be in the middle of it: wait for some churn to land.
	wait_for -t 20 eval '[ -e "$dst/b/churn-$r-10" ]' ||
	    fail "round $r: nothing of the churn arrived"
	"$how" alpha
	if [ "$how" = stop_daemon ]; then
		[ "${DAEMON_RC[alpha]}" = 0 ] ||
		    fail "alpha exited ${DAEMON_RC[alpha]} on SIGTERM"
	fi
	touch "$T/stop"
	wait "$pid"

	# While alpha is down: create, delete, rewrite, chmod, a new tree.
	mkdir -p "$src/down-$r/x"
	echo "made while down" >"$src/down-$r/x/new"
	rm -f "$src/a/f7" "$src/b/f8"
	rm -rf "$src/c"
	mkdir "$src/c"
	echo "c again $r" >"$src/c/again"
	echo "rewritten while down $r" >"$src/a/f9"
	chmod 0600 "$src/a/f10"
	touch -d "2015-01-0$r 00:00:00.1" "$src/b"
	# beta still has what alpha is about to delete or rewrite.
	trees_same "$src" "$dst" && fail "round $r: beta is equal too early"

	start_node alpha "$T/alpha.yaml"
	wait_tree_equal "$src" "$dst" 30
	mirror_ok "$src" "$dst" alpha beta
	# And live again after the catch-up.
	echo "after restart $r" >"$src/after-$r"
	rm "$src/down-$r/x/new"
	wait_tree_equal "$src" "$dst" 20
	mirror_ok "$src" "$dst" alpha beta
}

restart_during_churn 1 stop_daemon
restart_during_churn 2 kill_daemon

finish_ok alpha beta
