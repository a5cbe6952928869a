[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 402-pull: `zcsync pull PEER/SET DIR`, tested as push is: a tree with
# every kind of entry (nested directories, modes, owners, nanosecond
# mtimes, symlinks, odd names, a 50 MiB file) arrives identical; a second
# pull moves nothing; --delete removes local extras; refusals (not in
# serve_to, no such set) exit 1 with the reason; DIR is made if missing;
# symlinks planted in DIR are not followed out of it; and a server killed
# (SIGKILL) in the middle of a large file leaves no temporary file and no
# half-written target.  Over TLS too with ZC_TEST_TLS=1 (lib.sh's wrapper).
. "$(dirname "$0")/lib.sh"

need_free_space "$T" 600
command -v python3 >/dev/null 2>&1 || skip "needs python3 (/proc watcher)"

srv=$T/srv
dst=$T/dst
mkdir -p "$srv" "$T/closed-set" "$T/bigsrv"

# ---- The served tree.
mkdir -p "$srv/a/b/c" "$srv/empty-dir" "$srv/private" "$srv/sub"
echo "hello" >"$srv/top.txt"
printf 'nested\n' >"$srv/a/b/c/deep.txt"
: >"$srv/empty"
gen_file "$srv/a/random.bin" 100000 3
gen_file "$srv/a/b/fifty-mib" $((50 * 1024 * 1024)) 50
printf '#!/bin/sh\necho hi\n' >"$srv/a/script.sh"
echo secret >"$srv/private/key"
echo "read only" >"$srv/a/b/readonly"
echo "owned by someone else" >"$srv/a/owned"
echo "inside sub" >"$srv/sub/f"
chown 1234:5678 "$srv/a/owned"
chmod 0600 "$srv/private/key"
chmod 0755 "$srv/a/script.sh"
chmod 0444 "$srv/a/b/readonly"
chmod 0700 "$srv/private"
chmod 2750 "$srv/a/b/c"
ln -s b/c/deep.txt "$srv/a/rel-link"
ln -s /etc/passwd "$srv/abs-link"
ln -s does/not/exist "$srv/a/dangling"
ln -s .. "$srv/a/b/up"
names=(
	"with space"
	$'new\nline'
	$'tab\there'
	'back\slash'
	'-leading-dash'
	$'\xff\xfe'
	$'\x01\x1f\x7f'
	'*?[glob]$HOME`x`'
	'.hidden'
	'...'
	'ünïcödé-名前'
	"$(printf 'L%.0s' {1..255})"
	'.zc.notatemp'
	'.zc.0123456789abcdef.zctmp-not'
)
mkdir "$srv/odd"
i=0
for n in "${names[@]}"; do
	i=$((i + 1))
	printf 'odd %d\n' "$i" >"$srv/odd/$n" || hard_error "cannot create a name"
done
mkdir -p "$srv/odd/"$'sub\ndir'
echo inner >"$srv/odd/"$'sub\ndir'/$'x\xffy'
ln -s $'target\nwith newline\xff' "$srv/odd/"$'odd\nlink'
find "$srv/odd" -mindepth 1 -exec touch -h -d '2015-05-05 05:05:05.505050505' {} +
touch -h -d '2001-02-03 04:05:06.123456789' "$srv/a/rel-link"
touch -h -d '1999-12-31 23:59:59.000000001' "$srv/abs-link"
touch -d '2010-01-01 00:00:00.5' "$srv/top.txt"
touch -d '2020-06-07 08:09:10.987654321' "$srv/a/b/c/deep.txt"
touch -d '1980-01-01 00:00:00.000000007' "$srv/empty"
touch -d '2030-01-01 12:00:00.1' "$srv/a/random.bin"
touch -d '2011-11-11 11:11:11.111111111' "$srv/a/b/fifty-mib"
# Directory mtimes last, deepest first, since creating entries moves them.
touch -d '2002-02-02 02:02:02.222222222' "$srv/a/b/c"
touch -d '2003-03-03 03:03:03.333333333' "$srv/a/b"
touch -d '2004-04-04 04:04:04.444444444' "$srv/a"
touch -d '2005-05-05 05:05:05.555555555' "$srv/empty-dir"
touch -d '2006-06-06 06:06:06.666666666' "$srv/private"
touch -d '2007-07-07 07:07:07.777777777' "$srv/odd"
tree_snapshot "$srv" "$T/srv.before"
nfiles=$(find "$srv" -type f -printf . | wc -c)
nbytes=$(find "$srv" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')

# The big set, for the kill: 256 MiB, so that the body is in flight
# long enough to be seen.
gen_file "$T/bigsrv/big" $((256 * 1024 * 1024)) 99

cat >"$T/beta.yaml" <<EOF
node:
  name: beta
  listen: "127.0.0.1:0"
peers:
  - name: alpha
  - name: gamma
sets:
  - name: site
    path: $srv
    serve_to: [alpha]
  - name: closed
    path: $T/closed-set
    serve_to: [gamma]
    accept_from: [alpha]
  - name: bigset
    path: $T/bigsrv
    serve_to: [alpha]
EOF
start_daemon beta "$T/beta.yaml"

# ---- The first pull: everything, identical.
mkdir "$dst"
pull_ok "$(dest beta site)" "$dst"
grep -qE '^[0-9]+ files received, [0-9]+ entries applied, [0-9]+ failed; [0-9]+ bytes in [0-9.]+ s \([0-9.]+ MiB/s\)$' \
    "$T/pull.out" || fail "no well-formed summary line"
expect_pull_summary files "$nfiles" bytes "$nbytes" failed 0
[ -s "$T/pull.err" ] && fail "pull wrote to stderr"
tree_equal "$srv" "$dst"
no_temp_files "$dst"
[ -L "$dst/abs-link" ] && [ "$(readlink "$dst/abs-link")" = /etc/passwd ] ||
    fail "abs-link did not arrive as a link to /etc/passwd"
[ "$(stat -c '%u:%g' "$dst/a/owned")" = 1234:5678 ] || fail "owner not kept"
[ "$(stat -c %a "$dst/a/b/c")" = 2750 ] || fail "setgid directory mode not kept"
wait_log beta "peer=alpha addr=127\\.0\\.0\\.1:[0-9]+ set=site: pull done: $nfiles files, $nbytes bytes sent, 0 deleted, 0 failed" 5
tree_snapshot "$srv" "$T/srv.after"
cmp -s "$T/srv.before" "$T/srv.after" || fail "the pull changed the served tree"

# ---- A second pull has nothing to do.
pull_ok "$(dest beta site)" "$dst"
expect_pull_summary files 0 entries 0 failed 0 bytes 0
tree_equal "$srv" "$dst"

# ---- Local extras: kept without --delete, removed with it.
echo extra >"$dst/extra-file"
mkdir -p "$dst/extra-dir/deeper"
echo x >"$dst/extra-dir/deeper/x"
ln -s nowhere "$dst/a/extra-link"
pull_ok "$(dest beta site)" "$dst"
expect_pull_summary files 0 failed 0
[ -f "$dst/extra-file" ] && [ -f "$dst/extra-dir/deeper/x" ] &&
    [ -L "$dst/a/extra-link" ] || fail "a pull without --delete removed local extras"
pull_ok --delete "$(dest beta site)" "$dst"
expect_pull_summary files 0 failed 0
[ -e "$dst/extra-file" ] || [ -e "$dst/extra-dir" ] || [ -L "$dst/a/extra-link" ] &&
    fail "--delete left local extras"
tree_equal "$srv" "$dst"
# A changed file comes again; nothing else does.
echo "changed on the server" >"$srv/top.txt"
pull_ok --delete "$(dest beta site)" "$dst"
expect_pull_summary files 1 failed 0
tree_equal "$srv" "$dst"

# ---- Refusals: not in serve_to, no such set; exit 1 with the reason.
pull "$(dest beta closed)" "$T/refused"
[ "$PULL_RC" = 1 ] || fail "pull of a set that does not serve alpha: exit $PULL_RC"
grep -qF 'permission denied: peer "alpha" may not pull set "closed"' \
    "$T/pull.err" || fail "refusal not reported: $(cat "$T/pull.err")"
[ -z "$(ls -A "$T/refused" 2>/dev/null)" ] || fail "a refused pull wrote files"
pull "$(dest beta nosuch)" "$T/refused"
[ "$PULL_RC" = 1 ] || fail "pull of an unknown set: exit $PULL_RC"
grep -qF 'no such set' "$T/pull.err" || fail "unknown set: $(cat "$T/pull.err")"
[ -z "$(ls -A "$T/refused" 2>/dev/null)" ] || fail "a refused pull wrote files"
pull "$(dest beta site)"
[ "$PULL_RC" = 2 ] || fail "pull without DIR: exit $PULL_RC, expected 2"

# ---- The target directory is made if it is missing.
pull_ok "$(dest beta site)" "$T/fresh"
expect_pull_summary failed 0
tree_equal "$srv" "$T/fresh"
no_temp_files "$T/fresh"

# ---- Symlinks planted in DIR do not lead the pull out of it.  The
# server has sub/f, a/b/c/deep.txt and top.txt; in DIR those paths go
# through links to $T/outside, which holds the same names.
mkdir -p "$T/outside/c" "$T/planted/a/b"
echo sentinel >"$T/outside/f"
echo sentinel >"$T/outside/c/deep.txt"
echo sentinel >"$T/outside/top.txt"
ln -s "$T/outside" "$T/planted/sub"
ln -s ../../../outside/c "$T/planted/a/b/c"
ln -s "$T/outside/top.txt" "$T/planted/top.txt"
tree_snapshot "$T/outside" "$T/outside.before"
pull "$(dest beta site)" "$T/planted"
tree_snapshot "$T/outside" "$T/outside.after"
cmp -s "$T/outside.before" "$T/outside.after" ||
    fail "the pull wrote outside DIR through a planted symlink"
no_temp_files "$T/planted"
no_temp_files "$T/outside"
# Either each planted link was replaced (its type differs from the
# server's entry, as for push) and DIR is now the set, or the entries
# beneath it failed, one by one, and the pull says so.
if [ "$PULL_RC" = 0 ]; then
	[ -d "$T/planted/sub" ] && [ ! -L "$T/planted/sub" ] ||
	    fail "exit 0, but sub is not a directory"
	tree_equal "$srv" "$T/planted"
else
	[ "$PULL_RC" = 1 ] || fail "planted symlinks: exit $PULL_RC"
	grep -qE '^zcsync: failed ' "$T/pull.err" ||
	    fail "planted symlinks: exit 1 without a failed entry: $(cat "$T/pull.err")"
fi

# The same with --delete: a planted link to a directory outside, whose
# entries the set does not have, is removed as a link; nothing beneath
# its target is deleted.
mkdir -p "$T/outside2" "$T/planted2"
echo keep >"$T/outside2/keep-me"
echo keep >"$T/outside2/f"
ln -s "$T/outside2" "$T/planted2/sub"
ln -s "$T/outside2" "$T/planted2/extra-link"
tree_snapshot "$T/outside2" "$T/outside2.before"
pull --delete "$(dest beta site)" "$T/planted2"
tree_snapshot "$T/outside2" "$T/outside2.after"
cmp -s "$T/outside2.before" "$T/outside2.after" ||
    fail "pull --delete changed a directory outside DIR through a planted symlink"
[ "$PULL_RC" = 0 ] || [ "$PULL_RC" = 1 ] || fail "planted2: exit $PULL_RC"
[ ! -e "$T/planted2/extra-link" ] && [ ! -L "$T/planted2/extra-link" ] ||
    fail "pull --delete kept a link the set does not have"
[ "$PULL_RC" != 0 ] || tree_equal "$srv" "$T/planted2"
no_temp_files "$T/planted2"

# ---- SIGKILL of the server in the middle of a large file.  The old
# version of big stays as it was; no temporary name is left.
mkdir "$T/bigdst"
gen_file "$T/bigdst/big" 1048576 7
touch -d '2000-01-01 00:00:00.25' "$T/bigdst/big"
cp -p "$T/bigdst/big" "$T/big.old"

# The watcher: waits for a pid in PIDFILE, then (up to 60 s) until that
# process has an unnamed (O_TMPFILE) body open in DIR, which /proc/PID/fd
# shows as a link to "DIR/#12345 (deleted)", with 64 MiB or more of SIZE
# still to write (its file offset in /proc/PID/fdinfo: the file is
# preallocated to its size), and stops it there (SIGSTOP).  Exit 1 if it ended first.
# It is started before the pull, so that its own start-up does not count.
cat >"$T/watch.py" <<'EOF'
import os, re, signal, sys, time
pidfile, d, total = sys.argv[1], sys.argv[2], int(sys.argv[3])
pat = re.compile(re.escape(d) + r"/#[0-9]+ \(deleted\)$")
seen = set()
def gone(why):
    sys.stderr.write("watch: %s; saw %s\n" % (why, sorted(seen)))
    sys.exit(1)
end = time.monotonic() + 10
while not (os.path.exists(pidfile) and open(pidfile).read().endswith("\n")):
    if time.monotonic() > end:
        gone("no pid")
    time.sleep(0.001)
pid = int(open(pidfile).read())
end = time.monotonic() + 60
while time.monotonic() < end:
    try:
        with open("/proc/%d/stat" % pid) as f:
            if f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X"):
                gone("the process ended")
        fds = os.listdir("/proc/%d/fd" % pid)
    except OSError as e:
        gone(str(e))
    for fd in fds:
        try:
            t = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        seen.add(t)
        if not pat.search(t):
            continue
        try:
            with open("/proc/%d/fdinfo/%s" % (pid, fd)) as f:
                pos = int(f.readline().split()[1])
        except (OSError, ValueError, IndexError):
            continue
        # 64 MiB or more still to come: more than socket and pipe
        # buffers hold, so the server cannot have sent it all yet.
        if pos < total - (64 << 20):
            os.kill(pid, signal.SIGSTOP)
            print("%s at offset %d" % (t, pos))
            sys.exit(0)
gone("timed out")
EOF
PY=$(python3 -c 'import sys; print(sys.executable)')

# pull_and_stop: start the watcher, then the pull; 0 with the pull ($bg)
# stopped in the middle of big, 1 if the pull ended first (a fast
# machine: the caller tries again).
pull_and_stop()
{
	local w rc=0

	rm -f "$T/pidfile"
	"$PY" "$T/watch.py" "$T/pidfile" "$T/bigdst" \
	    "$(stat -c %s "$T/bigsrv/big")" >"$T/body" 2>"$T/watch.err" &
	w=$!
	"$ZCSYNC" pull --name "$CLIENT_NAME" "$(dest beta bigset)" \
	    "$T/bigdst" >"$T/bg.out" 2>"$T/bg.err" </dev/null &
	bg=$!
	bg_track "$bg"
	echo "$bg" >"$T/pidfile"
	wait "$w" && return 0
	wait "$bg" || rc=$?
	log "the pull ended (exit $rc) before it was seen in the middle of big: $(cat "$T/watch.err")"
	[ "$rc" = 0 ] || fail "the pull exited $rc: $(cat "$T/bg.err")"
	# Back to the old version for the next try.
	cp -p "$T/big.old" "$T/bigdst/big"
	return 1
}
for ((try = 1; try <= 5; try++)); do
	pull_and_stop && break
done
[ "$try" -le 5 ] || fail "in 5 pulls, none was seen in the middle of big"
log "pull stopped with a body in progress: $(cat "$T/body")"
kill_daemon beta
kill -CONT "$bg"
wait_for -t 30 eval '! pid_alive '"$bg" ||
    fail "the pull did not end after its server was killed"
rc=0
wait "$bg" || rc=$?
log "pull after the kill: exit $rc"
sed -e 's/^/#   out: /' "$T/bg.out" | cat -v
sed -e 's/^/#   err: /' "$T/bg.err" | cat -v
[ "$rc" = 1 ] || fail "the pull exited $rc after its server was killed, expected 1"
no_temp_files "$T/bigdst"
cmp -s "$T/bigdst/big" "$T/big.old" ||
    fail "big changed: a half-written body took the target's name"
[ "$(stat -c %y "$T/bigdst/big")" = "$(stat -c %y "$T/big.old")" ] ||
    fail "big's mtime changed"
[ "$(ls -A "$T/bigdst")" = big ] ||
    fail "more than big in DIR after the kill: $(ls -A "$T/bigdst" | cat -v)"

# The server comes back: the next pull completes.
start_daemon beta "$T/beta.yaml"
pull_ok "$(dest beta bigset)" "$T/bigdst"
expect_pull_summary files 1 failed 0
tree_equal "$T/bigsrv" "$T/bigdst"

finish_ok beta
