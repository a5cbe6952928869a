[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 122-backup: the receiver keeps replaced and deleted entries
# (sets[].backup): a file replaced by a push is kept as
# BACKUPDIR/<path>.<UTC time> (a hard link: same bytes, mode and mtime),
# a deleted file and a deleted directory (whole) too; keep: 3 prunes to the
# three newest generations.  The backup directory is the receiver's own: a
# push --delete never lists or deletes it, a raw peer naming anything in it
# is refused (ACK PATH), and a symlink planted in its place is never
# followed (the entry is not replaced instead).
. "$(dirname "$0")/lib.sh"

RAWPEER=$top_builddir/tests/tools/rawpeer
[ -x "$RAWPEER" ] || hard_error "$RAWPEER: not built"

src=$T/src
dst=$T/dst
bk=$dst/.zcsync-backup
outside=$T/outside
mkdir -p "$src/sub" "$dst" "$outside"
echo "do not touch" >"$outside/sentinel"
ts='[0-9]{8}T[0-9]{6}\.[0-9]{3}Z'

cat >"$T/beta.yaml" <<EOF
node:
  name: beta
  listen: "127.0.0.1:0"
peers:
  - name: alpha
sets:
  - name: site
    path: $dst
    accept_from: [alpha]
    serve_to: [alpha]
    fsync: true
    backup:
      dir: .zcsync-backup
      keep: 3
EOF
start_daemon beta "$T/beta.yaml"

# same SRC DST: the trees are equal, the backup directories aside.
same()
{
	diff -r --no-dereference -x .zcsync-backup -x old "$1" "$2" >/dev/null ||
	    fail "$1 and $2 differ: $(diff -r -x .zcsync-backup "$1" "$2" | head -5)"
}

# gens PATH: the backups of PATH (relative to the root), oldest first.
gens()
{
	local dir=$bk base=$1

	case $1 in
	*/*)	dir=$bk/${1%/*}; base=${1##*/} ;;
	esac
	[ -d "$dir" ] || return 0
	ls -1 "$dir" | grep -E "^${base//./\\.}\\.$ts(-[0-9]+)?\$" | sort
}

echo "version 1 of a" >"$src/a.txt"
touch -d '2001-01-01 01:01:01.100000000' "$src/a.txt"
chmod 0640 "$src/a.txt"
echo "b, to be deleted" >"$src/b.txt"
echo "c, in a directory to be deleted" >"$src/sub/c.txt"
push_ok "$src" "$(dest beta site)"
same "$src" "$dst"
[ ! -e "$bk" ] || fail "a first push made backups: $(ls -R "$bk")"
before=$(stat -c '%a %s %Y' "$dst/a.txt")
ino1=$(stat -c %i "$dst/a.txt")

# Replace a.txt, delete b.txt and sub/.
echo "version 2 of a, longer" >"$src/a.txt"
rm "$src/b.txt"
rm -r "$src/sub"
push_ok --delete "$src" "$(dest beta site)"
expect_summary sent 1 deleted 3
same "$src" "$dst"
[ "$(gens a.txt | wc -l)" = 1 ] || fail "no single backup of a.txt: $(ls -a "$bk")"
old=$bk/$(gens a.txt)
[ "$(cat "$old")" = "version 1 of a" ] || fail "the backup of a.txt holds $(cat "$old")"
[ "$(stat -c '%a %s %Y' "$old")" = "$before" ] ||
    fail "the backup of a.txt lost its metadata: $(stat -c '%a %s %Y' "$old") vs $before"
# The old inode itself (a hard link, no copy), now linked only there; the
# new version is a new inode.
[ "$(stat -c '%i %h' "$old")" = "$ino1 1" ] ||
    fail "the backup of a.txt is not the old inode alone: $(stat -c '%i %h' "$old"), was $ino1"
[ "$(stat -c '%i %h' "$dst/a.txt")" != "$ino1 1" ] &&
    [ "$(stat -c %h "$dst/a.txt")" = 1 ] ||
    fail "a.txt: $(stat -c '%i %h' "$dst/a.txt")"
[ "$(gens b.txt | wc -l)" = 1 ] || fail "no backup of the deleted b.txt"
[ "$(cat "$bk/$(gens b.txt)")" = "b, to be deleted" ] || fail "b.txt's backup differs"
[ "$(gens sub | wc -l)" = 1 ] || fail "no backup of the deleted directory sub"
[ "$(cat "$bk/$(gens sub)/c.txt")" = "c, in a directory to be deleted" ] ||
    fail "sub's backup lacks c.txt"

# The backup directory is not the sender's: a push --delete neither sees
# nor deletes it, and finds nothing to do.
push_ok --delete -v "$src" "$(dest beta site)"
expect_summary sent 0 deleted 0 dirs 0 meta 0
[ -d "$bk" ] && [ -n "$(gens a.txt)" ] || fail "push --delete touched the backups"

# Seven versions with keep: 3: the three newest old versions stay.
for ((i = 1; i <= 7; i++)); do
	echo "loop version $i" >"$src/a.txt"
	touch -d "2002-02-02 02:02:0$i" "$src/a.txt"
	push_ok "$src" "$(dest beta site)"
	expect_summary sent 1
done
same "$src" "$dst"
gens a.txt >"$T/gens"
[ "$(wc -l <"$T/gens")" = 3 ] || fail "$(wc -l <"$T/gens") backups of a.txt kept, not 3: $(cat "$T/gens")"
for i in 4 5 6; do
	f=$bk/$(sed -n "$((i - 3))p" "$T/gens")
	[ "$(cat "$f")" = "loop version $i" ] ||
	    fail "generation $((i - 3)) holds '$(cat "$f")', not loop version $i"
done

# A hostile peer naming the backup directory or anything in it is refused.
tree_snapshot "$dst" "$T/dst.before"
cat >"$T/rp.script" <<EOF
hello alpha
push site
read-manifest
file 1 .zcsync-backup/evil 5 data pwned
file-end 1 0
expect-ack 1 path
delete 2 .zcsync-backup
expect-ack 2 path
delete 3 .zcsync-backup/$(head -n 1 "$T/gens")
expect-ack 3 path
dir 4 .zcsync-backup/newdir
expect-ack 4 path
symlink 5 .zcsync-backup/link $outside
expect-ack 5 path
meta 6 .zcsync-backup 0777 type 2
expect-ack 6 path
file 7 .zcsync-backup 5 data pwned
file-end 7 0
expect-ack 7 path
done
expect-summary 0 7
expect-eof
EOF
timeout -k 5 60 "$RAWPEER" -v "${DAEMON_PORT[beta]}" <"$T/rp.script" \
    >"$T/rp.out" 2>&1 || { tail -n 20 "$T/rp.out"; fail "rawpeer: the backup directory was not refused"; }
tree_snapshot "$dst" "$T/dst.after"
cmp -s "$T/dst.before" "$T/dst.after" || fail "the hostile peer changed the set"
daemon_alive beta || fail "beta died"

# A symlink planted where the backup directory was, pointing outside:
# never followed; the file it would back up is not replaced.
mv "$bk" "$T/bk.moved"
ln -s "$outside" "$bk"
(cd "$outside" && ls -la && md5sum sentinel) >"$T/outside.before"
echo "version 8" >"$src/a.txt"
push "$src" "$(dest beta site)"
[ "$PUSH_RC" = 1 ] || fail "a push that could not keep the old a.txt exited $PUSH_RC"
[ "$(cat "$dst/a.txt")" = "loop version 7" ] || fail "a.txt was replaced without its backup"
echo "to be deleted" >"$dst/gone.txt"
push --delete "$src" "$(dest beta site)"
[ -e "$dst/gone.txt" ] || fail "gone.txt was deleted without its backup"
(cd "$outside" && ls -la && md5sum sentinel) >"$T/outside.after"
cmp -s "$T/outside.before" "$T/outside.after" ||
    fail "something was written through the planted symlink: $(ls -la "$outside")"
[ -L "$bk" ] || fail "the planted symlink was replaced"
grep -q 'backup .zcsync-backup: cannot keep the old a.txt' "$T/beta.log" ||
    fail "beta did not log why a.txt was not replaced"

# Put the backup directory back: everything lands again.
rm "$bk"
mv "$T/bk.moved" "$bk"
push_ok --delete "$src" "$(dest beta site)"
same "$src" "$dst"
[ "$(cat "$bk/$(gens a.txt | tail -n 1)")" = "loop version 7" ] ||
    fail "the newest backup of a.txt is not loop version 7"
[ "$(gens gone.txt | wc -l)" = 1 ] || fail "no backup of gone.txt"
no_temp_files "$dst"

# zcsync pull --backup-dir: the same on the pulling side; the server never
# sends its own backup directory.
pulled=$T/pulled
mkdir "$pulled"
pull_ok --delete --backup-dir old --backup-keep 2 "$(dest beta site)" "$pulled"
same "$src" "$pulled"
[ ! -e "$pulled/.zcsync-backup" ] || fail "the server sent its backup directory"
[ ! -e "$pulled/old" ] || fail "a first pull made backups"
for i in 9 10 11; do
	echo "version $i" >"$src/a.txt"
	touch -d "2003-03-03 03:03:$i" "$src/a.txt"
	push_ok "$src" "$(dest beta site)"
	pull_ok --delete --backup-dir old --backup-keep 2 "$(dest beta site)" \
	    "$pulled"
done
same "$src" "$pulled"
ls -1 "$pulled/old" | grep -E "^a\.txt\.$ts\$" | sort >"$T/pgens"
[ "$(wc -l <"$T/pgens")" = 2 ] || fail "pull kept $(cat "$T/pgens")"
[ "$(cat "$pulled/old/$(tail -n 1 "$T/pgens")")" = "version 10" ] ||
    fail "the pull's newest backup is not version 10"
pull --backup-dir ../x "$(dest beta site)" "$pulled"
[ "$PULL_RC" = 2 ] || fail "pull --backup-dir ../x exited $PULL_RC"

# A node that keeps backups and mirrors the set on (beta -> gamma, live,
# with deletions) neither watches nor sends its backup directory.
gdst=$T/gamma
mkdir "$gdst"
cat >"$T/gamma.yaml" <<EOF
node:
  name: gamma
  listen: "127.0.0.1:0"
peers:
  - name: beta
sets:
  - name: site
    path: $gdst
    accept_from: [beta]
    fsync: false
EOF
start_daemon gamma "$T/gamma.yaml"
stop_daemon beta
cat >"$T/beta.yaml" <<EOF
node:
  name: beta
  listen: "127.0.0.1:0"
peers:
  - name: alpha
  - name: gamma
    address: "127.0.0.1:${DAEMON_PORT[gamma]}"
sets:
  - name: site
    path: $dst
    accept_from: [alpha]
    push_to: [gamma]
    delete: true
    fsync: false
    backup:
      dir: .zcsync-backup
      keep: 3
EOF
start_daemon beta "$T/beta.yaml"
wait_log beta 'peer=gamma set=site: in sync; mirroring live' 20
same "$dst" "$gdst"
[ ! -e "$gdst/.zcsync-backup" ] || fail "the catch-up sent the backup directory"
echo "version 12" >"$src/a.txt"
echo "new" >"$src/new.txt"
push_ok --delete "$src" "$(dest beta site)"
wait_for -t 20 eval '[ "$(cat "$gdst/a.txt" 2>/dev/null)" = "version 12" ]' ||
    fail "gamma did not get a.txt live"
# A change in the backup directory itself, then a marker after it.
echo "local note" >"$bk/note"
echo "marker" >"$dst/marker"
wait_for -t 20 test -f "$gdst/marker" || fail "gamma did not get the marker"
[ ! -e "$gdst/.zcsync-backup" ] || fail "beta sent its backup directory live"
[ "$(gens a.txt | wc -l)" = 3 ] || fail "beta's backups: $(ls "$bk")"
same "$dst" "$gdst"

EXPECTED_ERRORS='backup \.zcsync-backup: cannot keep the old '
finish_ok -n beta gamma
