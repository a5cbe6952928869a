[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 052-malformed: a raw peer sends bytes that are not the protocol, frames
# that lie about their length, type or flags, frames out of turn, bodies
# that stop early or run long, bad sequence numbers, and a flood of 100,000
# tiny frames (docs/PROTOCOL.md sections 4, 7.7 and 7.8; SECURITY.md rows
# 22-24, 27, 28).  After every case: the daemon is alive, nothing outside
# the root changed, no temporary file or descriptor is left, and a normal
# push still works.  Every case runs even when an earlier one failed; the
# test fails at the end with the list.
. "$(dirname "$0")/lib.sh"

[ -x "$RAWPEER" ] || hard_error "$RAWPEER: not built"

area=$T/area
dst=$area/dst
outside=$area/outside
src=$T/src
mkdir -p "$dst" "$outside" "$area/dst-evil" "$src/sub"
echo "do not touch" >"$outside/sentinel"
chmod 0640 "$outside/sentinel"
touch -d '2001-01-01 00:00:00.123456789' "$outside/sentinel"
echo "evil twin" >"$area/dst-evil/sentinel"
echo "good file" >"$src/one"
echo "another" >"$src/sub/two"
echo "old content" >"$src/keep"

recv_config "$T/beta.yaml" "site:$dst"
start_daemon beta "$T/beta.yaml"
PID=${DAEMON_PID[beta]}
push_ok --delete "$src" "$(dest beta site)"
tree_snapshot "$area" "$T/outside.before" dst

fd_count()
{
	ls "/proc/$PID/fd" 2>/dev/null | wc -l
}
fds_back()
{
	[ "$(fd_count)" -le "$FD_BASE" ]
}
no_deleted_fds()
{
	! ls -l "/proc/$PID/fd" 2>/dev/null | grep -q '(deleted)'
}
no_temps()
{
	[ -z "$(find "$area" -name '.zc.*.zctmp' -print -quit)" ]
}
FD_BASE=$(fd_count)
log "zcsyncd holds $FD_BASE descriptors at rest"

failed=()

# bad NAME WHY: record a failed case and go on.
bad()
{
	echo "# FAILED case $1: $2"
	failed+=("$1")
}

# after NAME: the checks after every case.  A dead daemon ends the test.
after()
{
	local name=$1

	daemon_alive beta || fail "$name: zcsyncd died"
	wait_for -t 5 no_temps || bad "$name" "temporary file left: $(
	    find "$area" -name '.zc.*.zctmp' | head -n 3)"
	wait_for -t 5 no_deleted_fds ||
	    bad "$name" "an unlinked temporary file is still open"
	wait_for -t 5 fds_back ||
	    bad "$name" "zcsyncd holds $(fd_count) descriptors, $FD_BASE before"
	tree_snapshot "$area" "$T/outside.after" dst
	cmp -s "$T/outside.before" "$T/outside.after" ||
	    fail "$name: something outside the set root changed"
	push --delete "$src" "$(dest beta site)"
	[ "$PUSH_RC" = 0 ] || bad "$name" "the good push after it failed"
	tree_equal "$src" "$dst"
}

# rrun NAME COMMAND...: one rawpeer session.
rrun()
{
	local name=$1 rc=0
	shift

	timeout -k 5 120 "$RAWPEER" -v -t 10000 "${DAEMON_PORT[beta]}" "$@" \
	    >"$T/rp.out" 2>&1 || rc=$?
	if [ "$rc" != 0 ]; then
		tail -n 12 "$T/rp.out" | cat -v
		bad "$name" "rawpeer exited $rc"
	fi
}

# rcase NAME COMMAND...: one rawpeer session, then the checks.
rcase()
{
	rrun "$@"
	after "$1"
}

# The receiver's own HELLO payload for alpha: magic, version 1, reserved,
# features, mandatory, name.
Z8=0000000000000000		# eight zero bytes, as hex
HELLO=5a435331''0001''0000$Z8$Z8''0005''616c706861
START=('hello alpha' 'push site' read-manifest)
# A 33-byte META block for a directory, and seq 1.
META_DIR=02''000001ed''00000000''00000000$Z8''0000000065000000''00000000
SEQ1=0000000000000001
[ ${#HELLO} = 62 ] && [ ${#META_DIR} = 66 ] || hard_error "bad hex constants"

# Not the protocol at all (the header is judged before any payload).
rcase http 'raw 474554202f20485454502f312e310d0a0d0a' 'expect-error 1' \
    expect-closed
rcase rsync 'raw 405253594e43443a2033312e300a' 'expect-error 1' expect-closed
rcase zeros 'raw 0000000000000000' 'expect-error 1' expect-closed
# HELLO judged by the session: ERROR VERSION / FEATURE.
rcase magic 'hello alpha magic 0x5a435332' 'expect-error 2' expect-eof
rcase version-2 'hello alpha version 2' 'expect-error 2' expect-eof
rcase version-0 'hello alpha version 0' 'expect-error 2' expect-eof
rcase feature 'hello alpha mandatory 0x8000' 'expect-error 3' expect-eof
rcase feature-top 'hello alpha mandatory 0x8000000000000000' \
    'expect-error 3' expect-eof
# Headers that lie.  A length over the maximum is refused at once, without
# waiting for (or making room for) the payload it announces.
rcase len-ffffffff 'timeout-ms 3000' 'frame 1 0xffffffff' 'expect-error 1' \
    expect-closed
rcase len-max+1 'timeout-ms 3000' 'frame 1 262145' 'expect-error 1' \
    expect-closed
rcase len-max 'frame 1 262144' 'body 262144' 'expect-error 1' expect-closed
rcase type-200 'frame 200 0' 'expect-error 1' expect-closed
rcase type-0 'frame 0 0' 'expect-error 1' expect-closed
rcase type-99 'frame 99 0' 'expect-error 1' expect-closed
rcase type-255 'frame 255 0' 'expect-error 1' expect-closed
rcase flags "frame 1 31 $HELLO flags 1" 'expect-error 1' expect-closed
rcase reserved "frame 1 31 $HELLO reserved 0x100" 'expect-error 1' \
    expect-closed
# Payloads that lie.
rcase hello-ok "frame 1 31 $HELLO" 'push site' read-manifest done \
    'expect-summary 0 0' expect-eof
rcase hello-trailing "frame 1 32 ${HELLO}00" 'expect-error 1' expect-closed
rcase hello-short "frame 1 30 ${HELLO:0:60}" 'expect-error 1' expect-closed
rcase hello-name 'hello al/pha' 'expect-error 1' expect-closed
rcase hello-long-name "hello $(printf 'n%.0s' $(seq 65))" 'expect-error 1' \
    expect-closed
rcase push-flags 'hello alpha' 'push site flags 0x80000000' 'expect-error 1' \
    expect-closed
rcase dir-size "${START[@]}" 'dir 1 a size 5' 'expect-error 1' expect-closed
rcase dir-mode "${START[@]}" 'dir 1 a mode 010000' 'expect-error 1' \
    expect-closed
rcase dir-nsec "${START[@]}" 'dir 1 a nsec 1000000000' 'expect-error 1' \
    expect-closed
rcase dir-type "${START[@]}" 'dir 1 a type 1' 'expect-error 1' expect-closed
rcase meta-type "${START[@]}" 'meta 1 one 0644 type 4' 'expect-error 1' \
    expect-closed
rcase link-size "${START[@]}" 'symlink 1 l target size 9' 'expect-error 1' \
    expect-closed
rcase str16-overrun "${START[@]}" "frame 6 45 $SEQ1${META_DIR}ffff6162" \
    'expect-error 1' expect-closed
rcase path-empty "${START[@]}" "frame 6 43 $SEQ1${META_DIR}0000" \
    'expect-error 1' expect-closed
rcase seq-0 "${START[@]}" 'dir 0 a' 'expect-error 1' expect-closed
# Truncated input and early EOF: the peer is gone, so no ERROR is owed.
rcase short-header 'raw 000000' shutdown expect-closed
rcase short-frame 'raw 0000001f010000005a4353' shutdown expect-closed
rcase eof-after-push 'hello alpha' 'push site' shutdown expect-closed
# EOF in the middle of a body: the temporary file goes (an O_TMPFILE for a
# large file, a named one for a small file), the target stays as it was.
# absent NAME FILE: record a failure if FILE landed in the root.
absent()
{
	if [ -e "$dst/$2" ]; then
		bad "$1" "$2 landed"
	fi
}
rrun eof-body-large "${START[@]}" \
    'file 1 big 4000000 body-bytes-actually-sent 1000000' shutdown \
    expect-closed
absent eof-body-large big
after eof-body-large
rrun eof-body-small "${START[@]}" \
    'file 1 small 1000 body-bytes-actually-sent 10' shutdown expect-closed
absent eof-body-small small
after eof-body-small
keep_before=$(stat -c '%i %s %Y' "$dst/keep")
rrun eof-body-replace "${START[@]}" \
    'file 1 keep 200000 body-bytes-actually-sent 100' shutdown expect-closed
[ "$(stat -c '%i %s %Y' "$dst/keep")" = "$keep_before" ] &&
    [ "$(cat "$dst/keep")" = "old content" ] ||
    bad eof-body-replace "keep was changed by the broken body"
after eof-body-replace
rrun eof-before-file-end "${START[@]}" 'file 1 small 10' shutdown \
    expect-closed
absent eof-before-file-end small
after eof-before-file-end
# More body bytes than announced: the extra bytes are read as a frame
# header, which is invalid.
rrun long-body "${START[@]}" 'file 1 long 10 body-bytes-actually-sent 30' \
    'file-end 1 0' 'expect-error 1' expect-closed
absent long-body long
after long-body
rrun file-end-seq "${START[@]}" 'file 1 f 3' 'file-end 2 0' \
    'expect-error 1' expect-closed
absent file-end-seq f
after file-end-seq
rcase file-end-status "${START[@]}" 'file 1 f 3' 'file-end 1 2' \
    'expect-error 1' expect-closed
rcase file-end-alone "${START[@]}" 'file-end 1 0' 'expect-error 1' \
    expect-closed
rcase file-aborted "${START[@]}" 'file 1 f 3' 'file-end 1 1' \
    'expect-ack 1 aborted' done 'expect-summary 0 0' expect-eof
# Sequence numbers: nonzero and strictly increasing.
rcase seq-same "${START[@]}" 'dir 5 a' 'expect-ack 5 ok' 'dir 5 b' \
    'expect-error 1' expect-closed
rcase seq-down "${START[@]}" 'dir 5 a' 'expect-ack 5 ok' 'dir 3 b' \
    'expect-error 1' expect-closed
rcase seq-after-file "${START[@]}" 'file 7 f 3' 'file-end 7 0' \
    'expect-ack 7 ok' 'delete 7 f' 'expect-error 1' expect-closed
# Frames out of turn.
rcase done-first 'done' 'expect-error 1' expect-closed
rcase push-first 'push site' 'expect-error 1' expect-closed
rcase file-before-push 'hello alpha' 'file 1 x 3' 'expect-error 1' \
    expect-closed
rcase hello-twice 'hello alpha' 'hello alpha' 'expect-error 1' expect-closed
rcase push-twice "${START[@]}" 'push site' 'expect-error 1' expect-closed
rcase ack-from-sender "${START[@]}" "frame 13 14 ${SEQ1}000000000000" \
    'expect-error 1' expect-closed
rcase manifest-end-from-sender "${START[@]}" "frame 5 8 $SEQ1" \
    'expect-error 1' expect-closed
rcase summary-from-sender "${START[@]}" \
    'frame 14 20 0000000000000000000000000000000000000000' \
    'expect-error 1' expect-closed
rrun entry-after-done "${START[@]}" done 'dir 1 a' 'expect-summary 0 0' \
    expect-closed
absent entry-after-done a
after entry-after-done
# A DRY_RUN push changes nothing: an entry frame in it is out of state.
rrun dry-run-entry 'hello alpha' 'push site flags 2' read-manifest \
    'dir 1 dry' 'expect-error 1' expect-closed
absent dry-run-entry dry
after dry-run-entry
# The sender's own ERROR: the receiver logs it and closes, no reply.
rcase sender-error "${START[@]}" 'frame 2 9 000000010003627965' expect-eof

# 100,000 DIR frames for the same directory: bounded time, bounded memory.
hwm_kb()
{
	awk '/^VmHWM:/ { print $2 }' "/proc/$PID/status"
}
log "VmHWM before the flood: $(hwm_kb) kB"
t0=$(date +%s)
rcase flood "${START[@]}" 'timeout-ms 60000' \
    'repeat 100000 1 dir {} flood' 'repeat 100000 1 expect-ack {} ok' \
    done 'expect-summary 100000 0' expect-eof
t1=$(date +%s)
hwm=$(hwm_kb)
log "100,000 DIR frames in $((t1 - t0)) s; VmHWM $hwm kB"
[ "$hwm" -lt $((64 * 1024)) ] ||
    bad flood "VmHWM $hwm kB after the flood (limit 64 MiB)"
[ $((t1 - t0)) -le 60 ] || bad flood "the flood took $((t1 - t0)) s"

# Every refusal names the peer (or, before HELLO, its address).
grep -qE 'addr=127\.0\.0\.1:[0-9]+ .*refused: unsupported version' \
    "$T/beta.log" || bad log "no VERSION refusal with the address logged"
grep -qE 'peer=alpha addr=127\.0\.0\.1:[0-9]+ set=site: refused: protocol error: sequence' \
    "$T/beta.log" || bad log "no sequence refusal naming peer=alpha logged"

if [ ${#failed[@]} -gt 0 ]; then
	fail "${#failed[@]} cases failed: ${failed[*]}"
fi
finish_ok beta
