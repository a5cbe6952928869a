[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 071-kill-sender: SIGKILL of the sender in the middle of a large file
# (SECURITY.md row 34).  The receiver sees the connection end, discards
# the body (no descriptor of it kept, no temporary name left) and the
# final name never shows a half-written file: a new file is absent, an
# old version keeps its bytes and inode.  The restarted sender catches up
# and the trees converge.  Three rounds: a live-mirroring sender and a new
# file, the same with an old version in place, and a one-shot `zcsync
# push` killed mid-file.  Both daemons run in a network namespace of the
# test's own whose loopback is capped with tbf (100 Mbit/s), so that a
# 64 MiB file takes seconds and "mid-file" is not a race with the disk.
ZC_OWN_MNTNS=1
. "$(dirname "$0")/lib.sh"

need_root_netns
command -v tc >/dev/null 2>&1 || skip "no tc(8)"
need_free_space "$T" 400
fault_trap

N=zcf$$-k
netns_add "$N"
tc -n "$N" qdisc add dev lo root tbf rate 100mbit burst 256kb \
    latency 100ms || fail "tc tbf on the namespace's lo failed"

src=$T/src
dst=$T/dst
inbox=$T/inbox
stage=$T/stage
mkdir -p "$src/d" "$dst" "$inbox" "$stage"
for ((i = 0; i < 20; i++)); do
	echo "small $i" >"$src/d/f$i"
done
size=$((64 * 1024 * 1024))

recv_config "$T/beta.yaml" "site:$dst" "inbox:$inbox"
start_daemon_via beta "$T/beta.yaml" ip netns exec "$N" --
BPID=${DAEMON_PID[beta]}
live_config "$T/alpha.yaml" "site:$src" "delete: true"
start_alpha()
{
	start_daemon_via alpha "$T/alpha.yaml" ip netns exec "$N" --
}
start_alpha
wait_log alpha 'peer=beta set=site: in sync; mirroring live' 20
mirror_ok "$src" "$dst" alpha beta
FD_BASE=$(fd_count "$BPID")

no_body()
{
	! ls -l "/proc/$BPID/fd" 2>/dev/null | grep -q '(deleted)'
}

# kill_mid_file DIR: wait (bounded) until beta is a quarter into the body
# of a file in DIR, then SIGKILL the sender; fail if the body never got
# that far.
kill_mid_file()
{
	local dir=$1 pos

	wait_for -t 30 eval '[ "$(body_pos "$BPID" "$dir" || echo 0)" -ge $((size / 4)) ]' ||
	    fail "no body a quarter in on beta: $(body_pos "$BPID" "$dir")"
	pos=$(body_pos "$BPID" "$dir")
	if [ -n "${ALPHA_PUSH:-}" ]; then
		builtin kill -KILL "$ALPHA_PUSH"
		wait "$ALPHA_PUSH" 2>/dev/null
		ALPHA_PUSH=
	else
		kill_via alpha
	fi
	log "sender killed with $pos of $size bytes received"
	# The receiver sees EOF and lets the body go.
	wait_for -t 10 no_body ||
	    fail "beta still holds the body 10 s after the sender died: $(ls -l "/proc/$BPID/fd" | grep '(deleted)')"
	daemon_alive beta || fail "beta died with its sender"
	no_temp_files "$dir"
}

# Round 1: a new file; after the kill it must not exist.
final_watch_start "$src" "$dst"
gen_file "$stage/big" "$size" 71
mv "$stage/big" "$src/big"
kill_mid_file "$dst"
[ -e "$dst/big" ] && fail "a partial body appeared as $dst/big"
# Changes while the sender is down are part of its catch-up.
echo "while alpha was dead" >"$src/d/dead"
rm "$src/d/f1"
start_alpha
wait_tree_equal "$src" "$dst" 40
final_watch_stop
mirror_ok "$src" "$dst" alpha beta

# Round 2: an old version is in place; after the kill it is intact.
old_sum=$(md5sum <"$dst/big")
old_meta=$(stat -c '%i %s %.9Y %a' "$dst/big")
final_watch_start "$src" "$dst"
gen_file "$stage/big" "$size" 72
mv "$stage/big" "$src/big"
kill_mid_file "$dst"
[ "$(stat -c '%i %s %.9Y %a' "$dst/big")" = "$old_meta" ] ||
    fail "the old version's metadata changed: $(stat -c '%i %s %.9Y %a' "$dst/big"), was $old_meta"
[ "$(md5sum <"$dst/big")" = "$old_sum" ] ||
    fail "the old version's bytes changed"
start_alpha
wait_tree_equal "$src" "$dst" 40
final_watch_stop
mirror_ok "$src" "$dst" alpha beta

# Round 3: a one-shot push, killed mid-file, then pushed again.
mkdir -p "$stage/one"
gen_file "$stage/one/big" "$size" 73
echo "little" >"$stage/one/little"
ip netns exec "$N" "$ZCSYNC" push --name alpha "$stage/one" \
    "127.0.0.1:${DAEMON_PORT[beta]}/inbox" >"$T/bg.out" 2>&1 </dev/null &
ALPHA_PUSH=$!
bg_track "$ALPHA_PUSH"
kill_mid_file "$inbox"
[ -e "$inbox/big" ] && fail "a partial body appeared as $inbox/big"
PUSH_TIMEOUT=60 push_via ip netns exec "$N" -- "$stage/one" \
    "127.0.0.1:${DAEMON_PORT[beta]}/inbox"
[ "$PUSH_RC" = 0 ] || fail "the push after the kill exited $PUSH_RC"
tree_equal "$stage/one" "$inbox"
no_temp_files "$inbox"

wait_for -t 10 eval '[ "$(fd_count "$BPID")" -le $((FD_BASE + 2)) ]' ||
    fail "beta holds $(fd_count "$BPID") descriptors, $FD_BASE at rest"
finish_ok alpha beta
