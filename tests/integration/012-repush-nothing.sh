[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 012-repush-nothing: pushing an unchanged tree again moves no bodies and
# rewrites nothing; a new mtime resends just that file; a new mode is
# metadata only.
. "$(dirname "$0")/lib.sh"

src=$T/src
dst=$T/dst
mkdir -p "$src/d1/d2" "$src/d3" "$dst"
for i in 1 2 3 4 5; do
	head -c $((i * 3000)) /dev/urandom >"$src/f$i"
	echo "small $i" >"$src/d1/s$i"
done
head -c 300000 /dev/urandom >"$src/d1/d2/big"
ln -s ../f1 "$src/d3/link"
# 5 + 5 + 1 regular files.
nfiles=11
find "$src" -mindepth 1 -depth -exec touch -h -d '2012-12-12 12:12:12.121212121' {} +

FSYNC=false recv_config "$T/beta.yaml" "site:$dst"
start_daemon beta "$T/beta.yaml"

push_ok "$src" "$(dest beta site)"
expect_summary sent "$nfiles" skipped 0 failed 0
tree_equal "$src" "$dst"

# Again: nothing to send, every file skipped, nothing on the receiver
# rewritten (same inodes, ctimes and contents).
tree_snapshot "$dst" "$T/snap.1"
push_ok "$src" "$(dest beta site)"
expect_summary sent 0 skipped "$nfiles" deleted 0 dirs 0 links 0 meta 0 \
    failed 0 bytes 0
tree_snapshot "$dst" "$T/snap.2"
if ! cmp -s "$T/snap.1" "$T/snap.2"; then
	diff <(tr '\0' '\n' <"$T/snap.1") <(tr '\0' '\n' <"$T/snap.2") | head -n 20
	fail "an identical push changed the receiver"
fi
tree_equal "$src" "$dst"

# A new mtime on one file: that file alone is sent again (its directory's
# mtime is unchanged, so no directory entry either).
ino_f2=$(stat -c %i "$dst/f2")
touch -d '2013-01-01 00:00:00.000000042' "$src/d1/s3"
push_ok "$src" "$(dest beta site)"
expect_summary sent 1 skipped $((nfiles - 1)) deleted 0 meta 0 failed 0 \
    bytes "$(stat -c %s "$src/d1/s3")"
tree_equal "$src" "$dst"
[ "$(stat -c %i "$dst/f2")" = "$ino_f2" ] || fail "f2 was rewritten"

# A new mode: metadata only, no body.
ino_f4=$(stat -c %i "$dst/f4")
chmod 0640 "$src/f4"
push_ok "$src" "$(dest beta site)"
expect_summary sent 0 skipped "$nfiles" meta 1 failed 0 bytes 0
tree_equal "$src" "$dst"
[ "$(stat -c %i "$dst/f4")" = "$ino_f4" ] ||
    fail "a mode change rewrote the file instead of changing its mode"
[ "$(stat -c %a "$dst/f4")" = 640 ] || fail "mode not applied"

finish_ok -n beta
