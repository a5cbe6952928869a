[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 017-kill-receiver: SIGKILL the receiver while a file's body is arriving.
# Nothing half-written may appear under the target's name: a new file is
# absent, an old version keeps exactly its old bytes, and no temporary name
# is left.  A restarted daemon then completes the push.
. "$(dirname "$0")/lib.sh"

need_free_space "$T" 2500

src=$T/src
dst=$T/dst
mkdir -p "$src/sub" "$dst"
size=$((512 * 1024 * 1024))
gen_file "$src/sub/big" "$size" 17
echo small >"$src/small"

# fsync stays on, as in production; it also widens the window in which
# the body is written but not yet named.
FSYNC=true recv_config "$T/beta.yaml" "site:$dst"
start_daemon beta "$T/beta.yaml"

# Is the daemon writing the unnamed (O_TMPFILE) body of sub/big right now?
# In /proc/PID/fd it shows as a link to "$dst/sub/#12345 (deleted)".
body_in_progress()
{
	ls -l "/proc/${DAEMON_PID[beta]}/fd" 2>/dev/null |
	    grep -E -- "-> $dst/sub/#[0-9]+ \(deleted\)\$" >"$T/fds"
}

# push_and_kill: start a push in the background, wait (bounded) for a body
# in progress, SIGKILL the daemon, and collect the push's exit status.
# 1 if the push finished before a body in progress was seen (a fast
# machine): the caller then tries again.
push_and_kill()
{
	local bg i rc=0

	: >"$T/fds"
	timeout -k 5 "$PUSH_TIMEOUT" "$ZCSYNC" push --name "$CLIENT_NAME" \
	    "$src" "$(dest beta site)" >"$T/bg.out" 2>"$T/bg.err" </dev/null &
	bg=$!
	bg_track "$bg"
	# Up to 60 s in steps of 0.01 s, or until the push is over.
	for ((i = 0; i < 6000; i++)); do
		body_in_progress && break
		pid_alive "$bg" || break
		sleep 0.01
	done
	if [ ! -s "$T/fds" ]; then
		wait "$bg" || rc=$?
		[ "$rc" = 0 ] || fail "push exited $rc: $(cat "$T/bg.err")"
		log "the push finished before a body in progress was seen"
		return 1
	fi
	log "body in progress: $(cat "$T/fds")"
	kill_daemon beta
	wait_for -t 30 eval '! pid_alive '"$bg" ||
	    fail "the push did not end after its receiver was killed"
	wait "$bg" || rc=$?
	log "push after the kill: exit $rc: $(cat "$T/bg.err")"
	cat "$T/bg.err" >>"$T/kill-errors"
	[ "$rc" != 0 ] || fail "the push claims success after its receiver died"
	[ "$rc" != 124 ] || fail "the push hung after its receiver died"
	return 0
}

# Round 1: a new file.  After the kill it must not exist at all.
for ((try = 1; ; try++)); do
	push_and_kill && break
	[ "$try" -lt 3 ] || fail "the push was too quick to catch 3 times"
	rm -f "$dst/sub/big"
done
[ -e "$dst/sub/big" ] && fail "a partial body appeared as $dst/sub/big"
no_temp_files "$dst"
# Temporary names a killed receiver might leave are swept at start, at
# any depth; a name that only looks similar is left alone.
echo junk >"$dst/.zc.0123456789abcdef.zctmp"
echo junk >"$dst/sub/.zc.fedcba9876543210.zctmp"
echo mine >"$dst/.zc.0123456789abcdeg.zctmp"
start_daemon beta "$T/beta.yaml"
[ -e "$dst/.zc.0123456789abcdef.zctmp" ] &&
    fail "the restarted daemon left a .zc.*.zctmp file"
[ -e "$dst/sub/.zc.fedcba9876543210.zctmp" ] &&
    fail "the restarted daemon left a .zc.*.zctmp file in a subdirectory"
[ -e "$dst/.zc.0123456789abcdeg.zctmp" ] ||
    fail "the sweep removed a file that is not a temporary name"
rm "$dst/.zc.0123456789abcdeg.zctmp"
grep -q 'removed 2 leftover' "$T/beta.log" ||
    fail "the restarted daemon did not report the 2 swept files"
push_ok "$src" "$(dest beta site)"
expect_summary failed 0
tree_equal "$src" "$dst"
no_temp_files "$dst"

# Round 2: an old version exists; after the kill it is intact.
for ((try = 1; ; try++)); do
	old_sum=$(md5sum <"$dst/sub/big")
	old_meta=$(stat -c '%i %s %.9Y %a' "$dst/sub/big")
	gen_file "$src/sub/big" "$size" $((17 + try))
	push_and_kill && break
	[ "$try" -lt 3 ] || fail "the push was too quick to catch 3 times"
done
[ -f "$dst/sub/big" ] || fail "the old version vanished"
[ "$(stat -c '%i %s %.9Y %a' "$dst/sub/big")" = "$old_meta" ] ||
    fail "the old version's metadata changed"
[ "$(md5sum <"$dst/sub/big")" = "$old_sum" ] ||
    fail "the old version's bytes changed"
no_temp_files "$dst"
start_daemon beta "$T/beta.yaml"
push_ok "$src" "$(dest beta site)"
expect_summary sent 1 failed 0
tree_equal "$src" "$dst"
no_temp_files "$dst"

# Last, the reason the client gives: a receiver that dies resets the
# connection.  libuv reports POLLERR on a uv_poll_t as UV_EBADF; the real
# error is the socket's SO_ERROR, and that is what a person must be shown.
if grep -q 'Bad file descriptor' "$T/kill-errors"; then
	fail "the client blames 'Bad file descriptor' for a lost receiver: $(head -n 1 "$T/kill-errors")"
fi
finish_ok -n beta
