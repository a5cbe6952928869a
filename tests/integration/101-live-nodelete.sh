[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 101-live-nodelete: a set mirrored with delete: false.  Files, metadata,
# symlinks, renames and new directories arrive; deletions (rm, rm -r, a
# move out of the set) do not: the peer keeps those entries, unchanged.
. "$(dirname "$0")/lib.sh"

src=$T/src
dst=$T/dst
out=$T/outside
mkdir -p "$src/keep" "$dst" "$out"
echo "first" >"$src/keep/a"
echo "doomed" >"$src/keep/gone-file"
mkdir -p "$src/gone-dir/sub"
echo "doomed too" >"$src/gone-dir/sub/f"
echo "leaving" >"$src/gone-moved-out"
touch -d '2005-05-05 05:05:05.5' "$src/keep/gone-file"

recv_config "$T/beta.yaml" "site:$dst"
start_daemon beta "$T/beta.yaml"
live_config "$T/alpha.yaml" site:"$src" "delete: false"
start_node alpha "$T/alpha.yaml"
wait_log alpha 'peer=beta set=site: in sync; mirroring live'
mirror_ok "$src" "$dst" alpha beta

# Everything but deletions arrives.
echo "second" >>"$src/keep/a"
chmod 0640 "$src/keep/a"
touch -d '2010-10-10 10:10:10.10' "$src/keep/a"
mkdir -p "$src/new/x/y"
echo "deep" >"$src/new/x/y/z"
ln -s keep/a "$src/link"
mv "$src/new/x/y/z" "$src/new/x/y/z2"
wait_tree_equal "$src" "$dst" 20
mirror_ok "$src" "$dst" alpha beta

# The doomed entries as beta has them now.
tree_snapshot "$dst/gone-dir" "$T/gone-dir.before"
gone_file_meta=$(stat -c '%i %s %a %.9Y' "$dst/keep/gone-file")
gone_moved_meta=$(stat -c '%i %s %a %.9Y' "$dst/gone-moved-out")

rm "$src/keep/gone-file"
rm -r "$src/gone-dir"
mv "$src/gone-moved-out" "$out/"
# A change after the deletions: once it has arrived, so would they have.
echo "after the deletions" >"$src/keep/marker"
wait_for -t 20 cmp -s "$src/keep/marker" "$dst/keep/marker" ||
    fail "the change after the deletions did not arrive"

[ -f "$dst/keep/gone-file" ] || fail "a deleted file was deleted on beta"
[ "$(stat -c '%i %s %a %.9Y' "$dst/keep/gone-file")" = "$gone_file_meta" ] ||
    fail "a deleted file changed on beta"
[ -d "$dst/gone-dir" ] || fail "a deleted directory was deleted on beta"
tree_snapshot "$dst/gone-dir" "$T/gone-dir.after"
# Its files must not change at all.  Its directories' mtimes may: alpha
# may see (and mirror) gone-dir after sub was removed and before gone-dir
# itself was.
files_only()
{
	tr '\0' '\n' <"$1" | grep -v '^[^	]*	d '
}
cmp -s <(files_only "$T/gone-dir.before") <(files_only "$T/gone-dir.after") ||
    fail "files in a deleted directory changed on beta"
[ -d "$dst/gone-dir/sub" ] || fail "a deleted subdirectory was deleted on beta"
[ -f "$dst/gone-moved-out" ] || fail "a file moved out was deleted on beta"
[ "$(stat -c '%i %s %a %.9Y' "$dst/gone-moved-out")" = "$gone_moved_meta" ] ||
    fail "a file moved out changed on beta"

# Apart from the kept entries (all named gone-*), beta mirrors alpha,
# directory mtimes included.  0 if so; with -v, show the difference.
same_except_gone()
{
	local a=$T/.ex.a b=$T/.ex.b rc=0

	_tree_list "$src" "$a" || return 1
	_tree_list "$dst" "$b" || return 1
	tr '\0' '\n' <"$a" | grep -v -e '^gone-' -e '/gone-' >"$a.l"
	tr '\0' '\n' <"$b" | grep -v -e '^gone-' -e '/gone-' >"$b.l"
	if ! cmp -s "$a.l" "$b.l"; then
		[ "${1:-}" = -v ] && diff "$a.l" "$b.l" | head -n 20
		rc=1
	elif ! diff -r --no-dereference -q -x 'gone-*' "$src" "$dst" \
	    >"$T/.ex.diff" 2>&1; then
		[ "${1:-}" = -v ] && head -n 20 "$T/.ex.diff"
		rc=1
	fi
	rm -f "$a" "$b" "$a.l" "$b.l"
	return $rc
}
wait_for -t 10 same_except_gone ||
    { same_except_gone -v; fail "beta differs from alpha beyond the kept entries"; }
no_temp_files "$dst"
daemon_alive alpha || fail "alpha died"
daemon_alive beta || fail "beta died"

# The sender restarted: its catch-up must not delete them either.
stop_daemon alpha
echo "while down" >"$src/keep/marker"
start_node alpha "$T/alpha.yaml"
wait_for -t 20 cmp -s "$src/keep/marker" "$dst/keep/marker" ||
    fail "the change made while alpha was down did not arrive"
wait_for -t 10 eval '[ "$(log_count alpha "in sync; mirroring live")" = 2 ]' ||
    fail "alpha did not report its second catch-up"
[ -f "$dst/keep/gone-file" ] && [ -d "$dst/gone-dir/sub" ] &&
    [ -f "$dst/gone-moved-out" ] || fail "the catch-up deleted entries"
wait_for -t 10 same_except_gone ||
    { same_except_gone -v; fail "after the restart beta differs from alpha"; }
no_temp_files "$dst"

finish_ok alpha beta
