[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 106-live-root-lost: the sender's set root goes away under it: moved
# (mv root root.old), or, where tmpfs can be mounted here, a mount point
# unmounted (umount -l).  The set stops with an error, the daemon keeps
# running, and the receiver keeps every file, though the set says
# delete: true: an empty or missing root must never mean "delete
# everything" on the peers.
. "$(dirname "$0")/lib.sh"

EXPECTED_ERRORS='set (site|mnt): stopped: '

# make_tree DIR: a few files and directories.
make_tree()
{
	mkdir -p "$1/a/b" "$1/c"
	echo "one" >"$1/a/one"
	echo "two" >"$1/a/b/two"
	head -c 100000 /dev/urandom >"$1/c/blob"
	ln -s a/one "$1/link"
}

src=$T/src
dst=$T/dst
mnt=$T/mnt
dstm=$T/dst-mnt
other=$T/other
dsto=$T/dst-other
mkdir -p "$src" "$dst" "$mnt" "$dstm" "$other" "$dsto"
make_tree "$src"
make_tree "$other"

tmpfs=0
if mount -t tmpfs -o size=16m zcsync-test "$mnt" 2>"$T/mount.err"; then
	tmpfs=1
	make_tree "$mnt"
else
	log "no tmpfs here ($(head -n 1 "$T/mount.err")): the unmount case is skipped"
fi
# Unmount it on every exit, whatever happened.
umount_mnt()
{
	local rc=$?

	mountpoint -q "$mnt" && umount -l "$mnt"
	(exit "$rc")
	cleanup
}
trap umount_mnt EXIT

FSYNC=false recv_config "$T/beta.yaml" "site:$dst" "mnt:$dstm" \
    "other:$dsto"
start_daemon beta "$T/beta.yaml"
{
	cat <<EOF
node:
  name: alpha
peers:
  - name: beta
    address: "127.0.0.1:${DAEMON_PORT[beta]}"
sets:
  - name: site
    path: $src
    push_to: [beta]
    delete: true
  - name: other
    path: $other
    push_to: [beta]
    delete: true
EOF
	[ "$tmpfs" = 1 ] && cat <<EOF
  - name: mnt
    path: $mnt
    push_to: [beta]
    delete: true
EOF
} >"$T/alpha.yaml"
start_node alpha "$T/alpha.yaml"
wait_log alpha 'peer=beta set=site: in sync; mirroring live'
mirror_ok "$src" "$dst" alpha beta
wait_log alpha 'peer=beta set=other: in sync; mirroring live'
mirror_ok "$other" "$dsto" alpha beta
if [ "$tmpfs" = 1 ]; then
	wait_log alpha 'peer=beta set=mnt: in sync; mirroring live'
	mirror_ok "$mnt" "$dstm" alpha beta
fi

# The root moved away.
tree_snapshot "$dst" "$T/dst.before"
mv "$src" "$src.old"
wait_log alpha 'set site: stopped: '
daemon_alive alpha || fail "alpha died when its root moved"
# Changes in the moved tree, and a new empty directory at the old path,
# must not reach beta (a catch-up from there would delete everything).
echo "after the move" >"$src.old/a/one"
rm "$src.old/a/b/two"
mkdir "$src"
echo "not the set" >"$src/stranger"
# The set other still mirrors: a change there, once arrived, shows that
# alpha has had its chance to act on the above.
marker()
{
	echo "marker $1" >"$other/marker"
	wait_for -t 10 cmp -s "$other/marker" "$dsto/marker" ||
	    fail "the set other stopped mirroring ($1)"
}
marker 1
tree_snapshot "$dst" "$T/dst.after"
cmp -s "$T/dst.before" "$T/dst.after" ||
    fail "beta's copy changed after alpha's root moved away"
no_temp_files "$dst"

if [ "$tmpfs" = 1 ]; then
	tree_snapshot "$dstm" "$T/dstm.before"
	# alpha's open root keeps a lazily unmounted tmpfs alive, so no
	# IN_UNMOUNT comes: the periodic root check (every 30 s) sees that
	# the path now names another directory.
	umount -l "$mnt"
	wait_log alpha 'set mnt: stopped: ' 40
	daemon_alive alpha || fail "alpha died when its root was unmounted"
	# The mount point is an empty directory now.
	echo "on the mount point" >"$mnt/under"
	marker 2
	tree_snapshot "$dstm" "$T/dstm.after"
	cmp -s "$T/dstm.before" "$T/dstm.after" ||
	    fail "beta's copy changed after alpha's root was unmounted"
	[ -f "$dstm/a/b/two" ] ||
	    fail "beta lost files after the unmount"
	no_temp_files "$dstm"
fi

echo "still live" >"$other/a/one"
wait_tree_equal "$other" "$dsto" 10
mirror_ok "$other" "$dsto" alpha beta
daemon_alive beta || fail "beta died"
finish_ok alpha beta
