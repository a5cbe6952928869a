[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 073-fsync-eio: fsync(2) fails with EIO on the receiver (strace fault
# injection; SECURITY.md row 32, "fsyncgate").  The file whose fsync
# failed is discarded, never renamed in (a new file is absent, an old
# version keeps its bytes and inode), no temporary name is left, the
# push names it as failed and exits 1, and the error is logged; the
# fsync is not retried (strace shows one fsync of it); the next push
# sends it again and converges.  With a live mirror, the link catches up
# again by itself (10 s after entries failed) and converges.  When the
# directory's fsync after the renames fails, the files it held are failed
# and marked stale, and the next push sends them again.
. "$(dirname "$0")/lib.sh"

command -v strace >/dev/null 2>&1 || skip "no strace(1)"
strace -f -qq -o /dev/null -e trace=fsync -e inject=fsync:error=EIO:when=1 \
    true 2>/dev/null || skip "strace cannot inject faults here"
fault_trap

src=$T/src
dst=$T/dst
mkdir -p "$src/sub" "$dst"
# Files over 64 KiB land through O_TMPFILE, smaller ones through a named
# temporary file: both ways are covered.
for ((i = 1; i <= 5; i++)); do
	gen_file "$src/f$i" $((200 * 1024)) $((730 + i))
	echo "small $i" >"$src/sub/s$i"
done
FSYNC=true recv_config "$T/beta.yaml" "site:$dst"
EXPECTED_ERRORS='I/O error|a directory fsync failed'

# beta_under_strace WHEN: start beta with the fsync calls numbered WHEN
# (strace's when=) failing with EIO; strace's log in $T/strace.N.
STRACE_N=0
beta_under_strace()
{
	STRACE_N=$((STRACE_N + 1))
	# LeakSanitizer cannot work under ptrace (a sanitizer build).
	start_daemon_via beta "$T/beta.yaml" \
	    env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
	    strace -f -qq -y \
	    -o "$T/strace.$STRACE_N" -e trace=fsync,close \
	    -e inject=fsync:error=EIO:when="$1" --
	BPID=${DAEMON_PID[beta]}
}

# injected: the strace line of the failed fsync (exactly one).
injected()
{
	local n

	n=$(grep -c 'INJECTED' "$T/strace.$STRACE_N")
	[ "$n" = 1 ] || fail "expected one injected EIO, strace shows $n"
	grep 'INJECTED' "$T/strace.$STRACE_N"
}

# not_retried LINE: the descriptor whose fsync failed in LINE is closed
# next, not fsynced again (strace traces close too; the inode number of
# an unnamed body may come back for a later file, the descriptor's next
# call tells).
not_retried()
{
	local fd next

	fd=$(sed -E 's/^[0-9]+ +fsync\(([0-9]+)<.*$/\1/' <<<"$1")
	case $fd in
	''|*[!0-9]*) hard_error "cannot parse the strace line: $1" ;;
	esac
	next=$(grep -A 100000 -F -x -e "$1" "$T/strace.$STRACE_N" |
	    tail -n +2 | grep -m 1 -E "^[0-9]+ +[a-z]+\($fd<")
	[[ $next == *" close($fd<"* ]] ||
	    fail "after its failed fsync, descriptor $fd saw: ${next:-nothing}"
}

# after_eio WHAT NAME: the checks after a push whose fsync of NAME failed.
after_eio()
{
	[ "$PUSH_RC" = 1 ] || fail "$1: the push exited $PUSH_RC, not 1"
	expect_summary failed 1
	grep -qE "failed $2: .*(I/O error|Input/output error)" "$T/push.err" ||
	    fail "$1: $2 is not named as failed with an I/O error: $(cat "$T/push.err")"
	no_temp_files "$dst"
	wait_for -t 5 eval '! ls -l "/proc/$BPID/fd" | grep -q "(deleted)"' ||
	    fail "$1: beta still holds an unlinked body"
	daemon_alive beta || fail "$1: beta died"
	grep -qE "error: peer=alpha set=site $2: I/O error" "$T/beta.log" ||
	    fail "$1: beta did not log the failed fsync of $2"
}

# 1. A new file whose fsync fails: the third fsync, that of f3 (the first
# two are those of f1 and f2; the directory's waits for the run's end).
beta_under_strace 3
push "$src" "$(dest beta site)"
line=$(injected)
log "strace: $line"
[[ $line == *"$dst/#"*"(deleted)"* ]] ||
    fail "the third fsync was not that of an unnamed body: $line"
after_eio "new file" f3
[ -e "$dst/f3" ] && fail "f3 was renamed in after its fsync failed"
for f in f1 f2 f4 f5 sub/s1 sub/s5; do
	cmp -s "$src/$f" "$dst/$f" || fail "$f did not land"
done
not_retried "$line"
# The next push sends f3 again.
push_ok "$src" "$(dest beta site)"
expect_summary sent 1 failed 0
tree_equal "$src" "$dst"
no_temp_files "$dst"
stop_via beta
[ "${DAEMON_RC[beta]}" = 0 ] || fail "beta under strace exited ${DAEMON_RC[beta]}"

# 2. A new version of a small file (a named temporary file) whose fsync
# fails: the old version stays, bytes and inode; the temp goes.
old_meta=$(stat -c '%i %s %.9Y' "$dst/sub/s2")
echo "small 2, second version" >"$src/sub/s2"
beta_under_strace 1
push "$src" "$(dest beta site)"
line=$(injected)
log "strace: $line"
[[ $line == *"$dst/sub/.zc."*".zctmp>"* ]] ||
    fail "the first fsync was not that of sub/s2's temporary file: $line"
after_eio "old version" sub/s2
not_retried "$line"
[ "$(stat -c '%i %s %.9Y' "$dst/sub/s2")" = "$old_meta" ] &&
    [ "$(cat "$dst/sub/s2")" = "small 2" ] ||
    fail "the old sub/s2 changed although the new one's fsync failed"
push_ok "$src" "$(dest beta site)"
expect_summary sent 1 failed 0
tree_equal "$src" "$dst"
no_temp_files "$dst"
stop_via beta
[ "${DAEMON_RC[beta]}" = 0 ] || fail "beta under strace exited ${DAEMON_RC[beta]}"

# 3. A live mirror: the first fsync (that of the first new file's body:
# beta has all else already) fails; the link catches up again by itself
# about 10 s later, with no change to trigger it.
beta_under_strace 1
live_config "$T/alpha.yaml" "site:$src" "delete: true"
start_node alpha "$T/alpha.yaml"
wait_log alpha 'peer=beta set=site: in sync; mirroring live' 20
mkdir -p "$T/stage"
for ((i = 6; i <= 9; i++)); do
	gen_file "$T/stage/f$i" $((200 * 1024)) $((730 + i))
done
final_watch_start "$src" "$dst"
mv "$T/stage"/f* "$src/"
wait_log alpha 'peer=beta set=site f[6-9]: I/O error' 20
t0=$EPOCHSECONDS
line=$(injected)
log "strace: $line"
[[ $line == *"$dst/#"*"(deleted)"* ]] ||
    fail "the first fsync was not that of an unnamed body: $line"
not_retried "$line"
bad=$(grep -oE 'set=site f[6-9]: I/O error' "$T/alpha.log" | head -n 1 |
    sed -E 's/^set=site (f[6-9]):.*$/\1/')
[ -e "$dst/$bad" ] && fail "$bad was renamed in after its fsync failed"
wait_tree_equal "$src" "$dst" 30
log "the live mirror converged $((EPOCHSECONDS - t0)) s after the failure"
grep -q 'set=site: entries failed earlier: catching up again' \
    "$T/alpha.log" || fail "alpha converged without its retry?"
final_watch_stop
mirror_ok "$src" "$dst" alpha beta

stop_daemon alpha
stop_via beta
[ "${DAEMON_RC[alpha]}" = 0 ] || fail "alpha exited ${DAEMON_RC[alpha]}"
[ "${DAEMON_RC[beta]}" = 0 ] || fail "beta under strace exited ${DAEMON_RC[beta]}"

# 4. The fsync of the directory after the renames fails (strace -P: only
# that directory's fsync is traced, so only it is injected).  The files are
# in place but their names may not be durable: the push fails them, and
# the receiver marks them stale, so that the next push sends them again
# (before, it found them equal and never made them durable).
src2=$T/src2
dst2=$T/dst2
mkdir -p "$src2" "$dst2"
for ((i = 1; i <= 3; i++)); do
	echo "two $i" >"$src2/t$i"
done
FSYNC=true recv_config "$T/beta2.yaml" "two:$dst2"
STRACE_N=$((STRACE_N + 1))
start_daemon_via beta "$T/beta2.yaml" \
    env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
    strace -f -qq -y -o "$T/strace.$STRACE_N" -P "$dst2" -e trace=fsync \
    -e inject=fsync:error=EIO:when=1 --
BPID=${DAEMON_PID[beta]}
push "$src2" "$(dest beta two)"
line=$(injected)
log "strace: $line"
[[ $line == *"<$dst2>"* ]] || fail "the injected fsync was not the directory's: $line"
[ "$PUSH_RC" = 1 ] || fail "dir fsync: the push exited $PUSH_RC, not 1"
grep -q 'a directory fsync failed: [1-9][0-9]* of [1-9][0-9]* files marked stale' \
    "$T/beta.log" || fail "dir fsync: beta did not mark the files stale"
push_ok "$src2" "$(dest beta two)"
[ "$(summary sent)" -ge 1 ] ||
    fail "dir fsync: the next push sent nothing: the files never became durable"
expect_summary failed 0
tree_equal "$src2" "$dst2"
no_temp_files "$dst2"
finish_ok beta
