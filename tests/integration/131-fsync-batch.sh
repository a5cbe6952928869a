[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 131-fsync-batch: the receiver's group commit (fsync on).  Files that
# arrive back to back are fsynced as a group before any of them is put in
# place, and none is placed before its own fsync (strace: the order of the
# receiver's fsync, and renameat or linkat, calls).  An fsync that fails inside
# a group fails that file alone: it is absent, never fsynced again, the
# others land, the next push sends it.  A receiver killed (SIGKILL) while
# a group waits for its fsync leaves no file under its final name and no
# temporary name after a restart, and the next push converges.
. "$(dirname "$0")/lib.sh"

command -v strace >/dev/null 2>&1 || skip "no strace(1)"
strace -f -qq -o /dev/null -e trace=fsync -e inject=fsync:error=EIO:when=1 \
    true 2>/dev/null || skip "strace cannot inject faults here"
strace -f -qq -o /dev/null -e trace=fsync \
    -e inject=fsync:delay_enter=1000:when=1 true 2>/dev/null ||
    skip "strace cannot delay system calls here"
fault_trap

src=$T/src
dst=$T/dst
mkdir -p "$dst"
# 200 small files in two directories.  Each lands as an O_TMPFILE linked
# at its name (strace -y shows it as <DIR/#INODE>(deleted)), or from a named
# temporary file renamed over it.
for d in a b; do
	mkdir -p "$src/$d"
	for ((i = 0; i < 100; i++)); do
		echo "file $d $i" >"$src/$d/f$i"
	done
done
FSYNC=true recv_config "$T/beta.yaml" "site:$dst"
EXPECTED_ERRORS='I/O error'

# beta_traced N STRACE-OPTIONS...: beta under strace -f -y, its log in
# $T/strace.N.
beta_traced()
{
	local n=$1

	shift
	# LeakSanitizer cannot work under ptrace (a sanitizer build).
	start_daemon_via beta "$T/beta.yaml" \
	    env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
	    strace -f -qq -y -o "$T/strace.$n" "$@" --
	BPID=${DAEMON_PID[beta]}
}

# 1. Group commit, seen in the order of the calls.
beta_traced 1 -e trace=fsync,renameat,renameat2,linkat
push_ok "$src" "$(dest beta site)"
expect_summary sent 200 failed 0
tree_equal "$src" "$dst"
no_temp_files "$dst"
stop_via beta
[ "${DAEMON_RC[beta]}" = 0 ] || fail "beta under strace exited ${DAEMON_RC[beta]}"
# For each rename of a temporary name or link of an unnamed file: its fsync
# came first.  Between two of them: how many bodies were fsynced (at most 1
# without group commit).
out=$(awk '
	/ fsync\([0-9]+<[^>]*\/(\.zc\.[0-9a-f]+\.zctmp|#[0-9]+)>/ {
		p = $0
		sub(/^.* fsync\([0-9]+</, "", p)
		sub(/>.*$/, "", p)
		synced[p] = 1
		run++
		if (run > maxrun)
			maxrun = run
		next
	}
	/ renameat2?\([0-9]+<[^>]*>, "\.zc\.[0-9a-f]+\.zctmp"/ {
		d = $0
		sub(/^.* renameat2?\([0-9]+</, "", d)
		sub(/>.*$/, "", d)
		f = $0
		sub(/^[^"]*"/, "", f)
		sub(/".*$/, "", f)
		if (!((d "/" f) in synced)) {
			print "renamed before its fsync: " d "/" f
			exit
		}
		renames++
		run = 0
		next
	}
	/ linkat\([0-9]+<[^>]*\/#[0-9]+>\(deleted\), "", / {
		p = $0
		sub(/^.* linkat\([0-9]+</, "", p)
		sub(/>.*$/, "", p)
		if (!(p in synced)) {
			print "linked before its fsync: " p
			exit
		}
		renames++
		run = 0
	}
	END { printf "renames=%d maxrun=%d\n", renames, maxrun }
' "$T/strace.1")
log "strace: $out"
case $out in
renamed* | linked*) fail "$out" ;;
esac
renames=$(sed -E 's/^renames=([0-9]+) .*$/\1/' <<<"$out")
maxrun=$(sed -E 's/^.* maxrun=([0-9]+)$/\1/' <<<"$out")
[ "$renames" = 200 ] || fail "expected 200 bodies renamed or linked in, strace shows $renames"
[ "$maxrun" -ge 4 ] ||
    fail "no group commit: at most $maxrun files fsynced before a rename"

# 2. The first fsync of the group fails (EIO): that file alone fails.  The
# directories stay, so that the first fsync is a file's, not a mkdir's.
# strace attaches to the daemon's main thread alone: it fsyncs the first
# file of a group, threads of its own the others (strace counts when=
# per thread), so exactly that one fsync fails.
find "$dst" -type f -delete
start_daemon beta "$T/beta.yaml"
BPID=${DAEMON_PID[beta]}
strace -y -o "$T/strace.2" -e trace=fsync,close \
    -e inject=fsync:error=EIO:when=1 -p "$BPID" 2>"$T/strace.2.err" &
SPID=$!
bg_track "$SPID"
wait_for -t 10 eval 'grep -q "attached" "$T/strace.2.err" || ! pid_alive $SPID' ||
    hard_error "strace did not attach"
grep -q "attached" "$T/strace.2.err" ||
    skip "strace cannot attach to a running process here: $(cat "$T/strace.2.err")"
push "$src" "$(dest beta site)"
n=$(grep -c 'INJECTED' "$T/strace.2")
[ "$n" = 1 ] || fail "expected one injected EIO, strace shows $n"
[ "$PUSH_RC" = 1 ] || fail "EIO: the push exited $PUSH_RC, not 1"
expect_summary failed 1
bad=$(sed -nE 's/^.*failed ([ab]\/f[0-9]+): .*(I\/O error|Input\/output error).*$/\1/p' \
    "$T/push.err" | head -n 1)
[ -n "$bad" ] || fail "EIO: no file named as failed: $(cat "$T/push.err")"
log "the failed file: $bad"
[ -e "$dst/$bad" ] && fail "$bad was renamed in after its fsync failed"
landed=$(find "$dst" -type f | wc -l)
[ "$landed" = 199 ] || fail "EIO: $landed files landed, not 199"
no_temp_files "$dst"
wait_for -t 5 eval '! ls -l "/proc/$BPID/fd" | grep -q "\.zctmp"' ||
    fail "EIO: beta still holds a temporary file"
# Never fsynced again: the failed descriptor's next traced call is close.
line=$(grep -m 1 'INJECTED' "$T/strace.2")
fd=$(sed -nE 's/^fsync\(([0-9]+)<.*$/\1/p' <<<"$line")
case $fd in
''|*[!0-9]*) hard_error "cannot find the descriptor in: $line" ;;
esac
next=$(grep -A 100000 -F -x -e "$line" "$T/strace.2" | tail -n +2 |
    grep -m 1 -E "^[a-z]+\($fd<")
[[ $next == "close($fd<"* ]] ||
    fail "after its failed fsync, descriptor $fd saw: ${next:-nothing}"
# strace lets go first (a sanitizer build's leak check needs ptrace).
kill -TERM "$SPID"
wait "$SPID" 2>/dev/null || true
stop_daemon beta
[ "${DAEMON_RC[beta]}" = 0 ] || fail "beta (strace attached) exited ${DAEMON_RC[beta]}"
start_daemon beta "$T/beta.yaml"
push_ok "$src" "$(dest beta site)"
expect_summary sent 1 failed 0
tree_equal "$src" "$dst"
stop_daemon beta

# 3. SIGKILL while a group waits in its first fsync (held 3 s by strace):
# nothing of it is under a final name; after a restart (which removes the
# temporary names) the push converges.
find "$dst" -type f -delete
beta_traced 3 -e trace=fsync -e inject=fsync:delay_enter=3000000:when=1
timeout -k 5 "$PUSH_TIMEOUT" "$ZCSYNC" push --name "$CLIENT_NAME" \
    "$src" "$(dest beta site)" >"$T/bg.out" 2>"$T/bg.err" </dev/null &
bg=$!
bg_track "$bg"
# Bodies are arriving; nothing can be renamed before the first fsync
# returns, 3 s after it began.
wait_for -t 20 eval 'ls -l "/proc/${DAEMON_PID[beta]}/fd" 2>/dev/null |
    grep -qE "\.zctmp|\(deleted\)"' || fail "beta never held a body"
kill_via beta
wait "$bg" 2>/dev/null || true
named=$(find "$dst" -type f ! -name '.zc.*.zctmp' | head -n 5)
[ -z "$named" ] || fail "files under their final names before their fsync returned: $named"
temps=$(find "$dst" -type f -name '.zc.*.zctmp' | wc -l)
log "killed with $temps temporary files and no final name"
start_daemon beta "$T/beta.yaml"
no_temp_files "$dst"
push_ok "$src" "$(dest beta site)"
expect_summary sent 200 failed 0
tree_equal "$src" "$dst"
no_temp_files "$dst"
finish_ok -n beta
