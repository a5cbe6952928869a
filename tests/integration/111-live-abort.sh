[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 111-live-abort: a live file whose body is aborted (it changed while it
# was being sent) must still arrive, whatever the change was.  The sender
# aborts when the file's ctime moves, and a chmod or a rename moves it
# without touching the bytes: the event that follows (ATTRIB, MOVED) says
# nothing about the content, so the receiver would keep its older copy,
# now with the new mode or under the new name.  CI caught that as a
# `sed -i` landing empty (its temp file sent while empty, the full body
# aborted by the rename).  The link is paced (bwlimit) so that a 12 MiB
# body is in flight for about 3 s while the change is made.
. "$(dirname "$0")/lib.sh"

src=$T/src
dst=$T/dst
mkdir -p "$src" "$dst"

FSYNC=false recv_config "$T/beta.yaml" site:"$dst"
start_daemon beta "$T/beta.yaml"

PEER_EXTRA="bwlimit: 4M" live_config "$T/alpha.yaml" site:"$src" "delete: true"
head -c $((12 << 20)) /dev/urandom >"$src/chmod-me"
head -c $((12 << 20)) /dev/urandom >"$src/move-me"
start_node alpha "$T/alpha.yaml"
wait_log alpha 'peer=beta set=site: in sync; mirroring live' 30
mirror_ok "$src" "$dst" alpha beta

# in_flight: wait (bounded) until beta is landing a body: an unnamed
# (O_TMPFILE) or temporary file open in its set.
_landing()
{
	find "/proc/${DAEMON_PID[beta]}/fd" -lname "$dst/*" -printf '%l\n' \
	    2>/dev/null | grep -qE '(deleted)|\.zctmp'
}
in_flight()
{
	wait_for -t 10 _landing || fail "no body in flight within 10 s"
}

# New bytes, then a chmod while they are on the wire.
head -c $((12 << 20)) /dev/urandom >"$T/new1"
cp "$T/new1" "$src/chmod-me"		# rewritten in place: same inode
in_flight
chmod 0600 "$src/chmod-me"
wait_tree_equal "$src" "$dst" 30
cmp "$T/new1" "$dst/chmod-me" || fail "chmod-me: the new bytes did not arrive"

# New bytes, then a rename while they are on the wire.
head -c $((12 << 20)) /dev/urandom >"$T/new2"
cp "$T/new2" "$src/move-me"
in_flight
mv "$src/move-me" "$src/moved"
wait_tree_equal "$src" "$dst" 30
cmp "$T/new2" "$dst/moved" || fail "moved: the new bytes did not arrive"

daemon_alive alpha || fail "alpha died"
daemon_alive beta || fail "beta died"
no_temp_files "$dst"
finish_ok alpha beta
