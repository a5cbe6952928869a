[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 109-live-empty-root: the sender starts while its set root's file system
# is not mounted (a boot where the mount failed): the path is then the
# bare, empty mount point.  Its catch-up must not delete everything on the
# peer, though the set says delete: true (daemon/mirror.c: "An empty
# mount point must never become 'delete everything' on the peers").
. "$(dirname "$0")/lib.sh"

src=$T/src
dst=$T/dst
mkdir -p "$src" "$dst"
mount -t tmpfs -o size=16m zcsync-test "$src" 2>"$T/mount.err" ||
    skip "cannot mount a tmpfs here: $(head -n 1 "$T/mount.err")"
umount_src()
{
	local rc=$?

	mountpoint -q "$src" && umount -l "$src"
	(exit "$rc")
	cleanup
}
trap umount_src EXIT

mkdir -p "$src/d/e"
echo "one" >"$src/one"
echo "two" >"$src/d/e/two"

FSYNC=false recv_config "$T/beta.yaml" "site:$dst"
start_daemon beta "$T/beta.yaml"
live_config "$T/alpha.yaml" site:"$src" "delete: true"
start_node alpha "$T/alpha.yaml"
wait_log alpha 'peer=beta set=site: in sync; mirroring live'
mirror_ok "$src" "$dst" alpha beta

stop_daemon alpha
umount "$src" || hard_error "cannot unmount $src"
tree_snapshot "$dst" "$T/dst.before"
# alpha may refuse to start, stop the set, or catch up without the
# deletions; it must not empty beta.  Wait until it has decided: it
# exited, logged an error, or finished a catch-up.
"$ZCSYNCD" -c "$T/alpha.yaml" </dev/null >>"$T/alpha.log" 2>&1 &
DAEMON_PID[alpha]=$!
decided()
{
	[ "$(log_count alpha 'in sync; mirroring live')" -ge 2 ] ||
	    [ "$(log_count alpha ' error: ')" -ge 1 ] ||
	    ! pid_alive "${DAEMON_PID[alpha]}"
}
wait_for -t 10 decided || fail "alpha neither caught up nor refused in 10 s"
# Whatever it decided, beta's copy is the same as before.
tree_snapshot "$dst" "$T/dst.after"
if ! cmp -s "$T/dst.before" "$T/dst.after"; then
	log "beta now holds: $(cd "$dst" && find . | tr '\n' ' ')"
	fail "alpha's catch-up from an empty, unmounted root changed beta's copy"
fi
[ -f "$dst/one" ] && [ -f "$dst/d/e/two" ] || fail "beta lost files"

EXPECTED_ERRORS='set site: '
finish_ok -n alpha beta
