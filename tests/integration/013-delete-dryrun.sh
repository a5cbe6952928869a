[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 013-delete-dryrun: --dry-run lists and changes nothing; extra receiver
# entries stay without --delete and go with it; type changes are applied.
. "$(dirname "$0")/lib.sh"

src=$T/src
dst=$T/dst
mkdir -p "$src" "$dst"

# The receiver's set holds an older tree.
mkdir -p "$src/keep/sub" "$src/was-file" "$src/was-dir-parent"
echo keep >"$src/keep/sub/a"
echo keep >"$src/keep/b"
echo old >"$src/to-dir"
mkdir -p "$src/to-file/inner"
echo x >"$src/to-file/inner/x"
echo old >"$src/to-link"
ln -s keep "$src/link-to-file"
find "$src" -mindepth 1 -depth -exec touch -h -d '2011-11-11 11:11:11.111111111' {} +

FSYNC=false recv_config "$T/beta.yaml" "site:$dst"
start_daemon beta "$T/beta.yaml"
push_ok "$src" "$(dest beta site)"
tree_equal "$src" "$dst"

# Extra entries only the receiver has: a file, a directory, a nested tree,
# a symlink, and a file inside a kept directory.
echo extra >"$dst/extra-file"
mkdir -p "$dst/extra-dir" "$dst/extra-tree/x/y/z"
echo e >"$dst/extra-tree/x/y/z/f"
echo e >"$dst/extra-tree/x/g"
ln -s /etc/passwd "$dst/extra-tree/x/link"
ln -s nowhere "$dst/extra-link"
echo extra >"$dst/keep/sub/extra"

# Type changes on the sending side.
rm "$src/to-dir"
mkdir "$src/to-dir"
echo now-in-dir >"$src/to-dir/child"
rm -r "$src/to-file"
echo now-a-file >"$src/to-file"
rm "$src/to-link"
ln -s keep/b "$src/to-link"
rm "$src/link-to-file"
echo now-a-file >"$src/link-to-file"
echo changed >"$src/keep/b"
touch -d '2012-01-01 00:00:00.5' "$src/keep/b" "$src/to-dir/child" \
    "$src/to-dir" "$src/to-file" "$src/link-to-file" "$src/keep" "$src"
touch -h -d '2012-01-01 00:00:00.5' "$src/to-link"

# Dry run, with --delete: lists, changes nothing.
tree_snapshot "$dst" "$T/snap.before"
push_ok --dry-run --delete "$src" "$(dest beta site)"
tree_snapshot "$dst" "$T/snap.after"
cmp -s "$T/snap.before" "$T/snap.after" || fail "--dry-run changed the receiver"
grep -q '^dry run: would have: ' "$T/push.out" ||
    fail "the dry run's summary lacks its prefix"
for line in 'delete extra-file' 'delete extra-dir' 'delete extra-tree' \
    'delete extra-tree/x/y/z/f' 'delete extra-link' \
    'delete keep/sub/extra' 'send keep/b' 'send to-dir/child' \
    'send to-file' 'send link-to-file'; do
	grep -qxF "$line" "$T/push.out" || fail "dry run does not list '$line'"
done
grep -qE '^dir to-dir$' "$T/push.out" || fail "dry run does not list dir to-dir"
grep -qE '^link to-link$' "$T/push.out" || fail "dry run does not list link to-link"
grep -qE '^(send|meta|dir|link|delete) keep/sub/a$' "$T/push.out" &&
    fail "dry run lists an unchanged file"
[ "$(summary sent)" = 4 ] || fail "dry run: expected 4 files to send"
no_temp_files "$dst"

# Dry run without --delete: only entries whose type changes are deleted.
push_ok -n "$src" "$(dest beta site)"
grep -E '^delete (extra|keep)' "$T/push.out" &&
    fail "dry run without --delete lists deletions of extra entries"
tree_snapshot "$dst" "$T/snap.after"
cmp -s "$T/snap.before" "$T/snap.after" || fail "-n changed the receiver"

# Without --delete: changes and type changes land, extras stay.
# The four type changes delete the old entry first; that is all.  The
# count is of entries removed: the old directory to-file held inner and
# inner/x, so 4 + 2.
push_ok "$src" "$(dest beta site)"
expect_summary deleted 6 failed 0
for e in extra-file extra-dir extra-tree/x/y/z/f extra-tree/x/link extra-link \
    keep/sub/extra; do
	[ -e "$dst/$e" ] || [ -L "$dst/$e" ] ||
	    fail "$e went without --delete"
done
[ -d "$dst/to-dir" ] && [ ! -L "$dst/to-dir" ] || fail "file -> dir not applied"
[ -f "$dst/to-file" ] && [ ! -L "$dst/to-file" ] || fail "dir -> file not applied"
[ -L "$dst/to-link" ] || fail "file -> symlink not applied"
[ -f "$dst/link-to-file" ] && [ ! -L "$dst/link-to-file" ] ||
    fail "symlink -> file not applied"
[ "$(cat "$dst/keep/b")" = changed ] || fail "keep/b not updated"

# With --delete: the receiver becomes an exact copy.
push_ok --delete "$src" "$(dest beta site)"
expect_summary failed 0
[ "$(summary deleted)" -ge 5 ] || fail "expected at least 5 deletions"
tree_equal "$src" "$dst"
no_temp_files "$dst"
[ -e /etc/passwd ] || fail "deleting a link to /etc/passwd removed the target"

# And again: nothing left to do.
push_ok --delete "$src" "$(dest beta site)"
expect_summary sent 0 deleted 0 dirs 0 links 0 meta 0 failed 0

finish_ok -n beta
