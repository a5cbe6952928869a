[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 072-disk-full: the receiver's set root is a small tmpfs (SECURITY.md
# row 31).  A push of more than fits exits 1 and names each file that
# failed for lack of space; every file is either complete under its name
# or not there (an old version keeps its bytes); no temporary file or
# open body is left; the daemon serves on.  With space freed, the same
# push converges.  The same when the file system runs out of inodes, and
# with a live mirror, which retries by itself once space is back (it
# catches up again 10 s after entries failed).  The test runs in a mount
# namespace of its own: its mounts vanish with it.
ZC_OWN_MNTNS=1
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root (tmpfs mounts)"
[ "${ZC_MNTNS:-}" = 1 ] || skip "no unshare(1) for a private mount namespace"
fault_trap

src=$T/src
dst=$T/dst
live=$T/live
lsrc=$T/lsrc
mkdir -p "$src/sub" "$dst" "$live" "$lsrc"
fault_mount -t tmpfs -o size=20m,mode=0755 zc-full "$dst" ||
    skip "cannot mount a tmpfs"
fault_mount -t tmpfs -o size=12m,mode=0755 zc-full-live "$live" ||
    fail "cannot mount a second tmpfs"

FSYNC=true recv_config "$T/beta.yaml" "site:$dst" "live:$live"
start_daemon beta "$T/beta.yaml"
BPID=${DAEMON_PID[beta]}
FD_BASE=$(fd_count "$BPID")
EXPECTED_ERRORS='No space left on device|no space'

# One old version in place first.
echo "old keep" >"$src/keep"
push_ok "$src" "$(dest beta site)"
old_keep=$(stat -c '%i %s %.9Y' "$dst/keep")

# Then far more than fits: 10 files of 3 MiB, 40 small ones, and a new
# 4 MiB version of keep.
for ((i = 0; i < 10; i++)); do
	gen_file "$src/sub/big$i" $((3 * 1024 * 1024)) $((720 + i))
done
for ((i = 0; i < 40; i++)); do
	echo "small $i" >"$src/sub/small$i"
done
gen_file "$src/keep" $((4 * 1024 * 1024)) 729

# landed_or_absent SRC DST: each file of SRC is, in DST, complete or
# absent, except keep, which may also be the old version; prints the
# names not landed.
landed_or_absent()
{
	local f rel

	while IFS= read -r -d '' f; do
		rel=${f#"$1"/}
		if [ ! -e "$2/$rel" ]; then
			echo "$rel"
		elif ! cmp -s "$f" "$2/$rel"; then
			if [ "$rel" = keep ] &&
			    [ "$(stat -c '%i %s %.9Y' "$2/keep")" = "$old_keep" ] &&
			    [ "$(cat "$2/keep")" = "old keep" ]; then
				echo "$rel"
				continue
			fi
			fail "$2/$rel is neither the source's file nor absent (nor the old version)"
		fi
	done < <(find "$1" -type f -print0)
}

# after_full WHAT SRC DST: the checks after a push that ran out of room.
after_full()
{
	local what=$1 missing nfail

	[ "$PUSH_RC" = 1 ] || fail "$what: the push exited $PUSH_RC, not 1"
	nfail=$(summary failed)
	[ "$nfail" -gt 0 ] || fail "$what: no failure counted"
	missing=$(landed_or_absent "$2" "$3")
	[ -n "$missing" ] || fail "$what: everything landed?"
	log "$what: $nfail failed; not landed: $(echo $missing)"
	# Each file not landed is named on stderr as failed for lack of
	# space (or, for a file in a directory that could not be made,
	# whatever made it fail).
	for f in $missing; do
		grep -qF "failed $f: " "$T/push.err" ||
		    grep -qF "failed $(dirname "$f"): " "$T/push.err" ||
		    fail "$what: $f did not land and is not named as failed"
	done
	grep -qiE 'failed [^:]+: .*(no space|nospace)' "$T/push.err" ||
	    fail "$what: no failure says 'no space': $(head -n 3 "$T/push.err")"
	no_temp_files "$3"
	wait_for -t 5 eval '! ls -l "/proc/$BPID/fd" | grep -q "(deleted)"' ||
	    fail "$what: beta still holds an unlinked body"
	daemon_alive beta || fail "$what: beta died"
}

# Disk full.
push "$src" "$(dest beta site)"
after_full "disk full" "$src" "$dst"
df -k "$dst" | sed -e 's/^/# /'
# Space freed (the tmpfs made larger): the same push converges.
mount -o remount,size=80m "$dst" || fail "remount failed"
push_ok "$src" "$(dest beta site)"
tree_equal "$src" "$dst"
no_temp_files "$dst"

# Out of inodes: 120 new small files on a tmpfs with nr_inodes=60.
mkdir -p "$T/isrc/a" "$T/idst"
for ((i = 0; i < 120; i++)); do
	echo "inode $i" >"$T/isrc/a/n$i"
done
fault_mount -t tmpfs -o size=20m,nr_inodes=60,mode=0755 zc-inodes \
    "$T/idst" ||
    fail "cannot mount the inode-starved tmpfs"
stop_daemon beta
FSYNC=true recv_config "$T/beta.yaml" "site:$dst" "live:$live" \
    "inodes:$T/idst"
start_daemon beta "$T/beta.yaml"
BPID=${DAEMON_PID[beta]}
FD_BASE=$(fd_count "$BPID")
old_keep=none
push "$T/isrc" "$(dest beta inodes)"
after_full "out of inodes" "$T/isrc" "$T/idst"
df -i "$T/idst" | sed -e 's/^/# /'
mount -o remount,nr_inodes=1000 "$T/idst" || fail "remount failed"
push_ok "$T/isrc" "$(dest beta inodes)"
tree_equal "$T/isrc" "$T/idst"
no_temp_files "$T/idst"

# A live mirror into a full disk retries by itself once there is room.
live_config "$T/alpha.yaml" "live:$lsrc" "delete: true"
start_node alpha "$T/alpha.yaml"
wait_log alpha 'peer=beta set=live: in sync; mirroring live'
# A first file through the link: its session's descriptors (splice pipe,
# directory) are part of the baseline.
gen_file "$lsrc/first" $((100 * 1024)) 739
wait_tree_equal "$lsrc" "$live" 10
FD_BASE=$(fd_count "$BPID")
mkdir -p "$T/lstage"
for ((i = 0; i < 6; i++)); do
	gen_file "$T/lstage/f$i" $((3 * 1024 * 1024)) $((740 + i))
done
final_watch_start "$lsrc" "$live"
mv "$T/lstage"/f* "$lsrc/"
wait_log alpha 'peer=beta set=live f[0-9]: .*(no space|No space)' 20
t0=$EPOCHSECONDS
trees_same "$lsrc" "$live" && fail "all of it fitted on a 12 MiB tmpfs?"
mount -o remount,size=40m "$live" || fail "remount failed"
wait_tree_equal "$lsrc" "$live" 40
log "the live mirror converged $((EPOCHSECONDS - t0)) s after the first failure"
wait_log alpha 'set=live: entries failed earlier: catching up again'
final_watch_stop
mirror_ok "$lsrc" "$live" alpha beta

wait_for -t 10 eval '[ "$(fd_count "$BPID")" -le $((FD_BASE + 2)) ]' ||
    fail "beta holds $(fd_count "$BPID") descriptors, $FD_BASE before: $(ls -l "/proc/$BPID/fd" | sed -e 's/^.* [0-9]* -> //' | tr '\n' ' ')"
finish_ok alpha beta
