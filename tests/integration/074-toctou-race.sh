[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 074-toctou-race: while pushes of many files into sub/ run, a local loop
# swaps the receiver's sub/ for a symlink to a directory outside the set
# root and back as fast as it can, for 10 s: 5 s by mv, ln -s, rm, mv,
# and 5 s by renameat2(RENAME_EXCHANGE) (SECURITY.md row 10; rsync
# CVE-2026-29518/43619, Syncthing #3801).  A negative oracle: nothing
# outside the root changes (every entry's inode, mode, size, times and
# bytes), whatever the pushes report; no temporary file is left anywhere;
# the daemon serves on, and a last push converges.  The outside directory
# holds files with the very names being pushed, and the symlink is
# absolute half the time and relative ("../outside") the other half.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null 2>&1 || skip "no python3"

area=$T/area
dst=$area/dst
outside=$area/outside
src=$T/src
mkdir -p "$dst" "$outside/deeper" "$src/sub" "$area/away"
N=1500
for ((i = 0; i < N; i++)); do
	echo "pushed $i" >"$src/sub/f$i"
	echo "outside, keep $i" >"$outside/f$i"
done
for ((i = 0; i < 8; i++)); do
	gen_file "$src/sub/big$i" $((256 * 1024)) $((740 + i))
	echo "outside big $i" >"$outside/big$i"
done
echo "do not touch" >"$outside/sentinel"
echo "nor this" >"$outside/deeper/sentinel"
chmod 0640 "$outside/sentinel"
touch -d '2001-01-01 00:00:00.123456789' "$outside/sentinel" "$outside"

# area_snapshot OUT: everything under $area but the set root and away/
# (where the last case moves sub/ to; it must be empty in the end).
area_snapshot()
{
	(
		cd "$area" || exit 1
		find . -path ./dst -prune -o -path ./away -prune -o \
		    -printf '%P\t%y %i %m %U:%G %s %T@ %C@ %l\0' | sort -z
		find . -path ./dst -prune -o -path ./away -prune -o -type f \
		    -print0 | sort -z | xargs -0r md5sum
		find ./away -mindepth 1
	) >"$1" || fail "cannot list $area"
}

FSYNC=false recv_config "$T/beta.yaml" "site:$dst"
start_daemon beta "$T/beta.yaml"
BPID=${DAEMON_PID[beta]}
push_ok "$src" "$(dest beta site)"
FD_BASE=$(fd_count "$BPID")
area_snapshot "$T/outside.before"

# restore_sub: sub/ is our directory again, whatever the race and the
# receiver left (a link, a directory the receiver made meanwhile, our
# directory under another name).  rm never follows the link it removes.
# The receiver may be writing into a directory being removed: tried again
# (bounded) until it holds.
restore_sub()
{
	local spare try

	for ((try = 0; try < 100; try++)); do
		for spare in sub.real sub.link; do
			if [ -L "$dst/$spare" ]; then
				rm -f "$dst/$spare"
				continue
			fi
			[ -d "$dst/$spare" ] || continue
			if [ -L "$dst/sub" ]; then
				rm -f "$dst/sub"
			elif [ -d "$dst/sub" ]; then
				rm -rf "$dst/sub" 2>/dev/null
			fi
			mv -T "$dst/$spare" "$dst/sub" 2>/dev/null
		done
		if [ -L "$dst/sub" ]; then
			rm -f "$dst/sub"
			mkdir "$dst/sub"
		fi
		[ -d "$dst/sub" ] && [ ! -L "$dst/sub" ] &&
		    [ ! -e "$dst/sub.real" ] && [ ! -L "$dst/sub.link" ] &&
		    [ ! -e "$dst/sub.link" ] && return 0
		sleep 0.01
	done
	fail "cannot restore $dst/sub after the race"
}

# race MODE SECONDS: swap sub/ for a symlink to the outside directory and
# back, bounded by time and count; the link is absolute or relative in
# turn.  MODE mv: as a person would type it (mv sub sub.real; ln -s
# OUTSIDE sub; rm sub; mv sub.real sub), in Python for speed; MODE
# exchange: renameat2(RENAME_EXCHANGE) of sub/ and a ready symlink, there
# and back, so that there is never a moment without a sub/.  Prints the
# number of swaps.
race()
{
	python3 - "$dst" "$outside" "$1" "$2" <<-'EOF'
	import ctypes, os, shutil, sys, time
	libc = ctypes.CDLL(None, use_errno=True)
	AT_FDCWD, RENAME_EXCHANGE = -100, 2
	dst, outside, mode, secs = sys.argv[1], sys.argv[2], sys.argv[3], \
	    float(sys.argv[4])
	os.chdir(dst)

	def realdir(p):
	    return os.path.isdir(p) and not os.path.islink(p)

	swaps = 0
	end = time.monotonic() + secs
	for i in range(5000000):
	    target = outside if i % 2 else "../outside"
	    if i % 64 == 0:
	        if time.monotonic() > end:
	            break
	        # A directory the receiver made while the link was sub/.
	        if realdir("sub.link"):
	            shutil.rmtree("sub.link", ignore_errors=True)
	        if mode == "exchange" and not os.path.lexists("sub.link"):
	            os.symlink(target, "sub.link")
	    if mode == "exchange":
	        if libc.renameat2(AT_FDCWD, b"sub", AT_FDCWD, b"sub.link",
	                          RENAME_EXCHANGE) == 0:
	            swaps += 1
	            libc.renameat2(AT_FDCWD, b"sub", AT_FDCWD, b"sub.link",
	                           RENAME_EXCHANGE)
	        continue
	    try:
	        os.rename("sub", "sub.real")
	    except OSError:
	        continue
	    try:
	        os.symlink(target, "sub")
	        swaps += 1
	        os.unlink("sub")
	    except OSError:
	        # The receiver made a new sub/ meanwhile: it goes.
	        if realdir("sub"):
	            shutil.rmtree("sub", ignore_errors=True)
	    try:
	        os.rename("sub.real", "sub")
	    except OSError:
	        pass
	print(swaps)
	EOF
	restore_sub
}

# The pushes: again and again while the race runs (bounded: 200), each
# with new mtimes so that every file is sent again.
pushes()
{
	local g rc

	for ((g = 1; g <= 200; g++)); do
		[ -e "$T/race.over" ] && break
		find "$src" -type f -exec touch -d "@$((1600000000 + g))" {} +
		rc=0
		timeout -k 5 60 "$ZCSYNC" push --name alpha "$src" \
		    "$(dest beta site)" >"$T/p.out" 2>"$T/p.err" </dev/null ||
		    rc=$?
		echo "push $g: exit $rc: $(tail -n 1 "$T/p.out")" >>"$T/pushes"
		grep -oE ': [^:]+$' "$T/p.err" >>"$T/push-reasons"
	done
}

pushes &
PUSHER=$!
bg_track "$PUSHER"
# Let the first push get going (its manifest exchanged) before racing.
wait_for -t 20 eval 'grep -q "push started" "$T/beta.log"' || true
RACE_SECS=5
swaps_mv=$(race mv "$RACE_SECS")
swaps_x=$(race exchange "$RACE_SECS")
touch "$T/race.over"
wait_for -t 70 eval '! pid_alive '"$PUSHER" ||
    fail "the pushes did not stop after the race"
wait "$PUSHER"
log "swaps to a symlink: $swaps_mv by rename and symlink in $RACE_SECS s," \
    "$swaps_x by RENAME_EXCHANGE in $RACE_SECS s;" \
    "$(wc -l <"$T/pushes") pushes meanwhile:"
sed -e 's/^/#   /' "$T/pushes" | tail -n 5
[ -f "$T/push-reasons" ] && sort "$T/push-reasons" | uniq -c |
    sort -rn | head -n 8 | sed -e 's/^/#   failure reason: /'
[ "$swaps_mv" -gt 0 ] && [ "$swaps_x" -gt 0 ] ||
    fail "the race never swapped"
[ "$(wc -l <"$T/pushes")" -gt 0 ] || fail "no push ran during the race"

# The oracle: nothing outside the root changed.
daemon_alive beta || fail "beta died during the race"
[ -d "$dst/sub" ] && [ ! -L "$dst/sub" ] || fail "the race left sub/ wrong"
[ -e "$dst/sub.real" ] || [ -L "$dst/sub.link" ] &&
    fail "the race left sub.real or sub.link behind"
area_snapshot "$T/outside.after"
if ! cmp -s "$T/outside.before" "$T/outside.after"; then
	diff <(tr '\0' '\n' <"$T/outside.before") \
	    <(tr '\0' '\n' <"$T/outside.after") | head -n 20
	fail "something outside the set root changed during the race"
fi
[ -z "$(find "$area" -name '.zc.*.zctmp' -print -quit)" ] ||
    fail "temporary files left: $(find "$area" -name '.zc.*.zctmp' | head -n 3)"
wait_for -t 5 eval '! ls -l "/proc/$BPID/fd" | grep -q "(deleted)"' ||
    fail "beta still holds an unlinked body"
wait_for -t 5 eval '[ "$(fd_count "$BPID")" -le "$FD_BASE" ]' ||
    fail "beta holds $(fd_count "$BPID") descriptors, $FD_BASE before"

# And a last push, the race over, converges.
push_ok "$src" "$(dest beta site)"
tree_equal "$src" "$dst"
no_temp_files "$dst"
area_snapshot "$T/outside.after"
cmp -s "$T/outside.before" "$T/outside.after" ||
    fail "something outside the set root changed in the last push"

# Last, sub/ moved out of the root (to $area/away, a directory the local
# user may write to, on the same file system) in the middle of a push,
# and left there until the push ends.  No file may land in it once it is
# outside: a held descriptor of the directory must not outlive its being
# beneath the root (a file whose body was on its way when it moved may
# fail; none may be written there).
find "$src" -type f -exec touch -d @1600001000 {} +
timeout -k 5 60 "$ZCSYNC" push --name alpha "$src" "$(dest beta site)" \
    >"$T/p.out" 2>"$T/p.err" </dev/null &
PUSHER=$!
bg_track "$PUSHER"
# Wait (bounded) until files of this push land in sub/, a tenth of them.
landed_new()
{
	[ "$(find "$dst/sub" -maxdepth 1 -type f -newermt @1600000999 \
	    2>/dev/null |
	    head -n $((N / 10)) | wc -l)" -ge $((N / 10)) ]
}
wait_for -t 30 landed_new || fail "the push did not get going in sub/"
mv -T "$dst/sub" "$area/away/sub" || fail "cannot move sub/ away"
touch "$T/moved"
before=$(find "$area/away/sub" -type f | wc -l)
wait "$PUSHER"
rc=$?
log "push with sub/ moved out of the root: exit $rc: $(tail -n 1 "$T/p.out")"
escaped=$(find "$area/away/sub" -type f -cnewer "$T/moved" | wc -l)
log "files written into $area/away/sub after it left the root: $escaped"
mv -T "$area/away/sub" "$dst/sub" || fail "cannot move sub/ back"
push_ok "$src" "$(dest beta site)"
tree_equal "$src" "$dst"
no_temp_files "$dst"
area_snapshot "$T/outside.after"
cmp -s "$T/outside.before" "$T/outside.after" ||
    fail "something outside the set root changed"
[ "$escaped" = 0 ] ||
    fail "$escaped files were written into sub/ after it had been moved out of the set root (to $area/away/sub), the push exiting $rc: the receiver keeps landing files through a descriptor of the directory it opened (and cached) while it was beneath the root"

# Refusals are per file; an error line would be a path or I/O failure
# that the race explains (a directory gone for a moment).
EXPECTED_ERRORS='I/O error|No such file|Not a directory|Too many levels'
finish_ok beta
