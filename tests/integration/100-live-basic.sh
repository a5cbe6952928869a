[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 100-live-basic: a zcsyncd mirrors a set live to another.  It catches up
# a tree that existed before it started, then every kind of change arrives
# by itself: new, rewritten, appended, truncated files, chmod, touch,
# symlinks, deletions (delete: true), renames of files and of a whole
# directory tree (as a rename: no body is sent again), nested new
# directories, a file still held open while it grows (within the settle
# time), and moves into and out of the set.
. "$(dirname "$0")/lib.sh"

src=$T/src
dst=$T/dst
out=$T/outside
mkdir -p "$src" "$dst" "$out"

# The tree before the sender starts: the catch-up must bring it over.
mkdir -p "$src/old/deep/er" "$src/empty-dir"
echo "before" >"$src/old/file"
head -c 200000 /dev/urandom >"$src/old/deep/er/blob"
ln -s deep/er/blob "$src/old/link"
touch -d '2001-01-01 01:01:01.123456789' "$src/old/file"
touch -d '2002-02-02 02:02:02.2' "$src/old/deep/er" "$src/old/deep"
touch -d '2003-03-03 03:03:03.3' "$src/old" "$src/empty-dir"

FSYNC=false recv_config "$T/beta.yaml" site:"$dst"
start_daemon beta "$T/beta.yaml"

live_config "$T/alpha.yaml" site:"$src" "delete: true" "settle: 1000"
start_node alpha "$T/alpha.yaml"

# Catch-up.
wait_log alpha 'peer=beta set=site: in sync; mirroring live'
mirror_ok "$src" "$dst" alpha beta

# step NAME: after a change, wait until beta mirrors alpha again.
step()
{
	log "step: $1"
	wait_tree_equal "$src" "$dst" 20
	no_temp_files "$dst"
	daemon_alive alpha || fail "alpha died ($1)"
	daemon_alive beta || fail "beta died ($1)"
}

echo "new file" >"$src/new.txt"
step create

echo "rewritten, longer than before" >"$src/new.txt"
step rewrite

echo "appended line" >>"$src/new.txt"
step append

: >"$src/old/file"
step "truncate to 0"
echo "some bytes again" >"$src/old/file"
truncate -s 5 "$src/old/file"
step "truncate to 5"

chmod 0600 "$src/new.txt"
chmod 0700 "$src/old/deep"
step chmod

touch -d '1999-09-09 09:09:09.987654321' "$src/new.txt"
touch -d '2011-11-11 11:11:11.111111111' "$src/old/deep/er"
step "touch -d"

ln -s new.txt "$src/sym"
step "symlink create"
ln -sfn old/file "$src/sym"
step "symlink change"
touch -h -d '2012-12-12 12:12:12.5' "$src/sym"
step "symlink touch -h"

rm "$src/old/deep/er/blob"
step "delete a file"
rm -r "$src/empty-dir"
step "delete a directory"

mv "$src/new.txt" "$src/renamed.txt"
step "rename a file"

# Editors and sed -i write a temporary file and rename it over the old.
printf 'one\ntwo\n' >"$src/edited"
step "file to edit"
sed -i 's/two/three/' "$src/edited"
step "sed -i"
# The same while alpha is busy (stopped here): it then sees the temporary
# file's creation and its rename at once, so the RENAME names a file beta
# never had.  alpha falls back to sending the new name whole; neither side
# may count that as an error.
kill -STOP "${DAEMON_PID[alpha]}"
sed -i 's/three/four/' "$src/edited"
ln -sfn edited "$src/sym"
kill -CONT "${DAEMON_PID[alpha]}"
step "sed -i and ln -sfn while alpha is busy"

# A tree of 1,000 files renamed as a whole: beta renames it too, so every
# file keeps its inode there; a resend would land new inodes.
mkdir -p "$src/big/sub"
for ((i = 0; i < 1000; i++)); do
	echo "file $i" >"$src/big/sub/f$i"
done
step "1,000 new files"
inode_list "$dst/big" "$T/inodes.before"
[ "$(wc -l <"$T/inodes.before")" = 1000 ] ||
    fail "beta has $(wc -l <"$T/inodes.before") files under big, not 1000"
mv "$src/big" "$src/moved"
step "rename a directory of 1,000 files"
inode_list "$dst/moved" "$T/inodes.after"
if ! cmp -s "$T/inodes.before" "$T/inodes.after"; then
	diff "$T/inodes.before" "$T/inodes.after" | head -n 10
	fail "the directory move resent files (inodes changed on beta)"
fi
[ -e "$dst/big" ] && fail "the old name of the moved directory is still there"

mkdir -p "$src/a/b/c" && echo x >"$src/a/b/c/f"
step "mkdir -p a/b/c && echo x > a/b/c/f"

# A file held open and appended to: it must arrive within the settle time
# (1 s) without ever being closed.  The writer keeps fd 7 open until we
# let it go.
mkfifo "$T/go"
(
	exec 7>>"$src/growing.log"
	echo "line 1" >&7
	echo "line 2" >&7
	read -r _ <"$T/go"
	exec 7>&-
) &
writer=$!
bg_track "$writer"
wait_for -t 5 grep -q 'line 2' "$src/growing.log" || fail "writer did not start"
ls -l "/proc/$writer/fd/7" >/dev/null 2>&1 || fail "the writer does not hold fd 7"
start=$EPOCHREALTIME
wait_tree_equal "$src" "$dst" 10
took=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
log "the open file arrived after $took s"
awk -v t="$took" 'BEGIN { exit !(t < 4) }' ||
    fail "the open file took $took s to arrive; settle is 1 s"
ls -l "/proc/$writer/fd/7" >/dev/null 2>&1 ||
    fail "the writer closed the file before it arrived"
# More appends while still open: they arrive too.
echo "line 3" >>"/proc/$writer/fd/7"
wait_tree_equal "$src" "$dst" 10
ls -l "/proc/$writer/fd/7" >/dev/null 2>&1 ||
    fail "the writer closed the file before line 3 arrived"
echo done >"$T/go"
wait "$writer"
step "open file closed"

# Moves across the set's boundary: in is a create, out is a delete.
mkdir -p "$out/tree/in"
echo "from outside" >"$out/tree/in/file"
echo "single" >"$out/single"
mv "$out/tree" "$src/tree-in"
mv "$out/single" "$src/single-in"
step "move into the set"
mv "$src/tree-in" "$out/tree-back"
mv "$src/renamed.txt" "$out/renamed-out"
step "move out of the set"
[ -e "$dst/tree-in" ] && fail "tree-in survived its move out"
[ -e "$dst/renamed.txt" ] && fail "renamed.txt survived its move out"

mirror_ok "$src" "$dst" alpha beta
finish_ok alpha beta
