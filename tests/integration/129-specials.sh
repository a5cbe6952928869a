[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 129-specials: SPECIAL.  With --specials (sets[].specials for a daemon) a
# fifo, a socket and a character device (mknod c 1 3, as root) arrive with
# the same type, rdev, mode, owner and mtime, and a re-push sends nothing;
# without it they are skipped with one note per pass naming their kinds.
# A live mirror with specials: true makes a new fifo on its peer; one
# without says once that it skipped one.  A receiver that is not root
# refuses the device (ACK DENIED) and takes the rest.  --delete leaves
# special files alone unless they are sent.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root (mknod of a character device)"
command -v python3 >/dev/null 2>&1 || skip "needs python3 (a socket inode)"

src=$T/src
mkdir -p "$src/dev" "$T/dst1" "$T/dst2"
echo "a file" >"$src/file"
mkfifo -m 0640 "$src/pipe"
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' \
    "$src/sock" || hard_error "cannot make a socket inode"
chmod 0600 "$src/sock"
mknod -m 0666 "$src/dev/null-too" c 1 3 || skip "mknod c 1 3 failed"
chown 1234:5678 "$src/pipe"
touch -h -d '2010-10-10 10:10:10.101010101' "$src/pipe" "$src/sock" \
    "$src/dev/null-too"
touch -d '2011-11-11 11:11:11.1' "$src/dev"

# node_desc DIR: one line per special file: name, type, rdev, mode,
# owner, mtime.
node_desc()
{
	(cd "$1" && find . \( -type p -o -type s -o -type c -o -type b \) \
	    -printf '%P %y ' -exec stat -c '%t:%T %a %u:%g %y' {} \;) | sort
}

# meta_equal SRC DST: tree_equal's metadata comparison (diff -r, its
# content check, cannot read fifos and sockets); the one file by cmp.
meta_equal()
{
	_tree_list "$1" "$T/list.a" || fail "cannot list $1"
	_tree_list "$2" "$T/list.b" || fail "cannot list $2"
	if ! cmp -s "$T/list.a" "$T/list.b"; then
		diff <(tr '\0' '\n' <"$T/list.a") <(tr '\0' '\n' <"$T/list.b")
		fail "metadata differs between $1 and $2"
	fi
	cmp "$1/file" "$2/file" || fail "file differs"
}

FSYNC=false recv_config "$T/beta.yaml" "one:$T/dst1" "two:$T/dst2"
# Set one takes device nodes; set two does not (a peer allowed to push
# into it may still not plant devices there).
sed -i "/path: ${T//\//\\/}\/dst1\$/a\\    specials: true" "$T/beta.yaml"
[ "$(grep -c 'specials: true' "$T/beta.yaml")" = 1 ] ||
    hard_error "cannot give set one specials: true"
start_daemon beta "$T/beta.yaml"

# ---- --specials: all three arrive as what they are.
push_ok --specials "$src" "$(dest beta one)"
grep -q 'specials, ' "$T/push.out" || fail "no specials in the summary"
expect_summary sent 1 failed 0
[ -p "$T/dst1/pipe" ] || fail "pipe is not a fifo on the receiver"
[ -S "$T/dst1/sock" ] || fail "sock is not a socket on the receiver"
[ -c "$T/dst1/dev/null-too" ] || fail "dev/null-too is not a char device"
[ "$(stat -c '%t:%T' "$T/dst1/dev/null-too")" = 1:3 ] ||
    fail "dev/null-too has rdev $(stat -c '%t:%T' "$T/dst1/dev/null-too")"
node_desc "$src" >"$T/nodes.src"
node_desc "$T/dst1" >"$T/nodes.dst"
cmp -s "$T/nodes.src" "$T/nodes.dst" || {
	diff "$T/nodes.src" "$T/nodes.dst"
	fail "special files differ"
}
[ "$(wc -l <"$T/nodes.dst")" = 3 ] || fail "not 3 special files on the receiver"
meta_equal "$src" "$T/dst1"
no_temp_files "$T/dst1"
grep -q 'skipped .* special files' "$T/push.err" &&
    fail "a push with --specials says it skipped special files"

# A re-push: nothing.
push_ok --specials "$src" "$(dest beta one)"
expect_summary sent 0 meta 0 failed 0
grep -q 'specials, ' "$T/push.out" && fail "a re-push sent special files again"

# A changed mode is a META, a changed rdev a new node.
chmod 0604 "$src/pipe"
touch -h -d '2010-10-10 10:10:10.101010101' "$src/pipe"
rm "$src/dev/null-too"
mknod -m 0666 "$src/dev/null-too" c 1 5
touch -h -d '2010-10-10 10:10:10.101010101' "$src/dev/null-too"
touch -d '2011-11-11 11:11:11.1' "$src/dev"
push_ok --specials "$src" "$(dest beta one)"
expect_summary failed 0
[ "$(stat -c '%t:%T %a' "$T/dst1/dev/null-too")" = "1:5 666" ] ||
    fail "dev/null-too was not made again as 1:5"
[ "$(stat -c %a "$T/dst1/pipe")" = 604 ] || fail "pipe mode not updated"
meta_equal "$src" "$T/dst1"

# ---- Without --specials: skipped, one note naming the kinds.
push_ok "$src" "$(dest beta two)"
expect_summary sent 1 failed 0
grep -q 'skipped 3 special files (fifo, socket, device): set specials: true to send them' \
    "$T/push.err" || fail "no note about the skipped special files"
[ "$(grep -c 'special files' "$T/push.err")" = 1 ] ||
    fail "the note is not said once"
[ -n "$(node_desc "$T/dst2")" ] && fail "special files arrived without --specials"
[ -f "$T/dst2/file" ] || fail "the regular file did not arrive"

# ---- A receiving set without specials: true refuses the device (DENIED,
# logged with the peer) and takes the fifo and the socket.
push --specials "$src" "$(dest beta two)"
[ "$PUSH_RC" = 1 ] || fail "a device into a set without specials: exit $PUSH_RC"
expect_summary failed 1
grep -q 'dev/null-too: permission denied' "$T/push.err" ||
    fail "the device was not refused with DENIED"
[ -e "$T/dst2/dev/null-too" ] && fail "a device landed in a set without specials"
[ -p "$T/dst2/pipe" ] && [ -S "$T/dst2/sock" ] ||
    fail "the fifo and the socket did not land in set two"
grep -q 'peer=alpha.*refused dev/null-too: a device node, and the set does not take them' \
    "$T/beta.log" || fail "the device refusal is not logged with the peer"

# ---- Live: specials: true sends a new fifo; false says it skipped one.
mkdir -p "$T/live" "$T/mirror" "$T/live2" "$T/mirror2"
FSYNC=false recv_config -n gamma "$T/gamma.yaml" "on:$T/mirror" \
    "off:$T/mirror2"
start_daemon gamma "$T/gamma.yaml"
cat >"$T/alpha.yaml" <<EOF
node:
  name: alpha
peers:
  - name: gamma
    address: "127.0.0.1:${DAEMON_PORT[gamma]}"
sets:
  - name: on
    path: $T/live
    push_to: [gamma]
    specials: true
    settle: 200
  - name: off
    path: $T/live2
    push_to: [gamma]
    settle: 200
EOF
start_node alpha "$T/alpha.yaml"
wait_log alpha 'peer=gamma set=on: in sync; mirroring live'
wait_log alpha 'peer=gamma set=off: in sync; mirroring live'
mkfifo "$T/live/new-fifo"
mkfifo "$T/live2/new-fifo"
wait_for -t 20 test -p "$T/mirror/new-fifo" ||
    fail "live: the new fifo did not arrive"
wait_log alpha 'set=off: skipped special file new-fifo: set specials: true to send them'
[ -e "$T/mirror2/new-fifo" ] && fail "live: a fifo arrived without specials"
wait_for -t 20 eval '_tree_list "$T/live" "$T/l.a" && _tree_list "$T/mirror" "$T/l.b" && cmp -s "$T/l.a" "$T/l.b"' ||
    fail "live: the mirror differs in metadata"
stop_daemon alpha

# ---- A receiver that is not root: the device is refused, DENIED.
if [ "${ZC_TEST_TLS:-0}" = 1 ]; then
	log "not-root receiver: not run over TLS (its key is root's)"
else
	chmod 0755 "$T"
	mkdir -p "$T/dst3"
	chown 65534:65534 "$T/dst3"
	FSYNC=false recv_config "$T/delta.yaml" "three:$T/dst3"
	chmod 0644 "$T/delta.yaml"
	printf '#!/bin/sh\nexec setpriv --reuid=65534 --regid=65534 --clear-groups "%s" "$@"\n' \
	    "$ZCSYNCD" >"$T/as-nobody"
	chmod 0755 "$T/as-nobody"
	real=$ZCSYNCD
	ZCSYNCD=$T/as-nobody
	start_daemon delta "$T/delta.yaml"
	ZCSYNCD=$real
	push --specials "$src" "$(dest delta three)"
	[ "$PUSH_RC" != 0 ] || fail "a push of a device to a non-root receiver exited 0"
	expect_summary failed 1
	grep -q 'dev/null-too: permission denied' "$T/push.err" ||
	    fail "the device was not refused with DENIED"
	[ -p "$T/dst3/pipe" ] && [ -S "$T/dst3/sock" ] ||
	    fail "the non-root receiver did not make the fifo and the socket"
	[ -e "$T/dst3/dev/null-too" ] && fail "a non-root receiver made a device"
	no_temp_files "$T/dst3"
fi

# ---- --delete without --specials leaves the receiver's special files
# alone (skipped means untouched); with --specials it removes the one the
# source no longer has.
push_ok --delete "$src" "$(dest beta one)"
expect_summary deleted 0 failed 0
[ -p "$T/dst1/pipe" ] && [ -S "$T/dst1/sock" ] ||
    fail "--delete without --specials removed special files"
rm "$src/sock"
push_ok --delete --specials "$src" "$(dest beta one)"
expect_summary deleted 1 failed 0
[ -e "$T/dst1/sock" ] && fail "--delete --specials left a socket the source lost"
meta_equal "$src" "$T/dst1"

finish_ok -n
