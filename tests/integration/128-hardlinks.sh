[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 128-hardlinks: HARDLINK.  Groups of 2 and 3 hard links across directories
# arrive as hard links (one body per group, the rest LINK frames), a file
# whose other link is outside the set arrives as a plain file; a re-push
# sends nothing; a new link to an unchanged file arrives as a link with no
# body; a link broken on the source is broken on the receiver; a pull
# brings the groups too; a live mirror keeps groups it knows linked (new
# names, rewrites), sends `ln a b` of a lone file as a file and the next
# catch-up (a restart) makes it a link.  Hostile LINKs from a raw peer
# (targets outside the root, through or onto symlinks) are refused.
. "$(dirname "$0")/lib.sh"

src=$T/src
dst=$T/dst
out=$T/outside
mkdir -p "$src/a" "$src/b/c" "$src/d" "$dst" "$out"

gen_file "$src/a/two" 100000 1
ln "$src/a/two" "$src/b/two-again"
gen_file "$src/a/three" 200000 2
ln "$src/a/three" "$src/b/c/three-2"
ln "$src/a/three" "$src/d/three-3"
gen_file "$src/lone" 3000 3
gen_file "$out/ext" 5000 4
ln "$out/ext" "$src/d/ext"
touch -d '2019-09-09 09:09:09.999999999' "$src/a/two" "$src/a/three"
touch -d '2018-08-08 08:08:08.8' "$src/d" "$src/b/c" "$src/b" "$src/a"

# inode_groups DIR OUT: "count path,path,..." per inode of DIR's files,
# sorted: the same on both sides means the same links.  A line also says
# "nlink N" when the file system counts other links (outside DIR).
inode_groups()
{
	(cd "$1" && find . -type f -printf '%i %n %P\n') |
	    sort -k1,1n -k3 |
	    awk 'function out() { printf "%d %s%s\n", c, line,
			(n != c ? " nlink " n : "") }
		 { if ($1 != last) { if (NR > 1) out(); line = $3; c = 1 }
		   else { line = line "," $3; c++ }
		   last = $1; n = $2 }
		 END { if (NR > 0) out() }' | sort >"$2"
}

# same_links SRC DST: inode groups and link counts match.
same_links()
{
	inode_groups "$1" "$T/groups.src"
	inode_groups "$2" "$T/groups.dst"
	# Links from outside the set do not travel.
	sed -i 's/ nlink [0-9]*$//' "$T/groups.src"
	if ! cmp -s "$T/groups.src" "$T/groups.dst"; then
		diff "$T/groups.src" "$T/groups.dst"
		fail "hard links differ between $1 and $2"
	fi
	log "same hard links: $(tr '\n' ' ' <"$T/groups.dst")"
}

# hardlinks: the hardlinks count of the last push's summary (0 if absent).
hardlinks()
{
	local line

	line=$(grep -E '[0-9]+ files sent, ' "$T/push.out" | tail -n 1)
	sed -nE 's/^.* ([0-9]+) hardlinks,.*$/\1/p' <<<"$line" | grep . ||
	    echo 0
}

FSYNC=false recv_config "$T/beta.yaml" "one:$dst"
cat >>"$T/beta.yaml" <<EOF
    serve_to: [alpha]
EOF
start_daemon beta "$T/beta.yaml"

# ---- Push: one body per group.
push_ok "$src" "$(dest beta one)"
expect_summary sent 4 failed 0 bytes $((100000 + 200000 + 3000 + 5000))
[ "$(hardlinks)" = 3 ] || fail "expected 3 hard links made, got $(hardlinks)"
tree_equal "$src" "$dst"
same_links "$src" "$dst"
[ "$(stat -c %h "$dst/a/two")" = 2 ] || fail "a/two: nlink $(stat -c %h "$dst/a/two")"
[ "$(stat -c %h "$dst/d/three-3")" = 3 ] || fail "d/three-3 is not one of 3 links"
[ "$(stat -c %i "$dst/a/three")" = "$(stat -c %i "$dst/b/c/three-2")" ] ||
    fail "a/three and b/c/three-2 are not one inode"
[ "$(stat -c %h "$dst/d/ext")" = 1 ] ||
    fail "d/ext (linked from outside the set) is not a plain file"
no_temp_files "$dst"

# ---- Re-push: nothing at all.
push_ok "$src" "$(dest beta one)"
expect_summary sent 0 bytes 0 failed 0 meta 0
[ "$(hardlinks)" = 0 ] || fail "a re-push made $(hardlinks) hard links"

# ---- A new link to an unchanged file: a LINK, no body.  A broken link:
# the file is sent (it is no longer the group's inode).
ln "$src/lone" "$src/b/lone-too"
cp --remove-destination "$src/a/three" "$T/x" && mv "$T/x" "$src/d/three-3"
touch -d '2019-09-09 09:09:09.999999999' "$src/d/three-3"
push_ok "$src" "$(dest beta one)"
[ "$(hardlinks)" = 1 ] || fail "expected 1 new hard link, got $(hardlinks)"
expect_summary sent 1 bytes 200000 failed 0
tree_equal "$src" "$dst"
same_links "$src" "$dst"

# ---- Pull: the served tree's links arrive as links.
pull_ok "$(dest beta one)" "$T/pulled"
tree_equal "$dst" "$T/pulled"
same_links "$dst" "$T/pulled"
no_temp_files "$T/pulled"

# ---- Hostile LINKs from a raw peer: every target outside the root, or
# through a symlink, or a symlink itself, is refused (ACK PATH) and nothing
# is linked; a LINK without HARDLINK negotiated is a protocol error.
RAWPEER=$top_builddir/tests/tools/rawpeer
[ -x "$RAWPEER" ] || hard_error "$RAWPEER: not built"
echo secret >"$out/secret"
ln -s "$out" "$dst/evil-dir"
ln -s "$out/secret" "$dst/evil-leaf"
rawpeer()
{
	local rc=0

	timeout -k 5 60 "$RAWPEER" -v -t 10000 "${DAEMON_PORT[beta]}" "$@" \
	    >"$T/rp.out" 2>&1 || rc=$?
	if [ "$rc" != 0 ]; then
		tail -n 12 "$T/rp.out" | cat -v
		fail "rawpeer exited $rc"
	fi
}
rawpeer 'hello alpha features 4' 'push one' read-manifest \
    'link 1 x1 ../outside/secret' 'expect-ack 1 path' \
    "link 2 x2 $out/secret" 'expect-ack 2 path' \
    'link 3 x3 evil-dir/secret' 'expect-ack 3 path' \
    'link 4 x4 evil-leaf' 'expect-ack 4 path' \
    'link 5 x5 a' 'expect-ack 5 type' \
    'link 6 ../x6 a/two' 'expect-ack 6 path' \
    'link 7 x7 a/two' 'expect-ack 7 ok' \
    done 'expect-summary 1 6' expect-eof
[ "$(stat -c %h "$out/secret")" = 1 ] || fail "an outside file was linked"
for f in x1 x2 x3 x4 x5; do
	[ -e "$dst/$f" ] || [ -L "$dst/$f" ] && fail "a refused LINK made $f"
done
[ -e "$T/x6" ] && fail "a LINK made a name outside the root"
[ "$(stat -c %i "$dst/x7")" = "$(stat -c %i "$dst/a/two")" ] ||
    fail "a good LINK from the raw peer did not link"
no_temp_files "$dst"
rawpeer 'hello alpha' 'push one' read-manifest 'link 1 y a/two' \
    'expect-error 1' expect-closed
[ -e "$dst/y" ] && fail "a LINK without HARDLINK made a link"
rm -f "$dst/evil-dir" "$dst/evil-leaf" "$dst/x7"

# ---- Live.  A new name of a file already in a group arrives as a link;
# a group member rewritten in place arrives with its links still one inode;
# `ln a b` of a file that had one link arrives as a file (the live sender
# keeps an index of multi-link files only) and the next catch-up (a
# restart) makes it a link.
mkdir -p "$T/live" "$T/mirror"
cp -a "$src/." "$T/live/"
echo solo >"$T/live/solo"
FSYNC=false recv_config -n gamma "$T/gamma.yaml" "site:$T/mirror"
start_daemon gamma "$T/gamma.yaml"
live_config -p gamma "$T/alpha.yaml" "site:$T/live" "settle: 200"
start_node alpha "$T/alpha.yaml"
wait_log alpha 'peer=gamma set=site: in sync; mirroring live'
tree_equal "$T/live" "$T/mirror"
same_links "$T/live" "$T/mirror"

ln "$T/live/a/two" "$T/live/d/two-live"
wait_for -t 20 eval '[ "$(stat -c %h "$T/mirror/a/two" 2>/dev/null)" = 3 ]' ||
    fail "live: d/two-live did not arrive as a third link of a/two"
wait_tree_equal "$T/live" "$T/mirror" 20
same_links "$T/live" "$T/mirror"

printf 'appended live\n' >>"$T/live/a/three"
wait_for -t 20 cmp -s "$T/live/b/c/three-2" "$T/mirror/b/c/three-2" ||
    fail "live: b/c/three-2 did not follow a/three, its other link"
wait_tree_equal "$T/live" "$T/mirror" 20
same_links "$T/live" "$T/mirror"

ln "$T/live/solo" "$T/live/d/solo-2"
wait_tree_equal "$T/live" "$T/mirror" 20
[ "$(stat -c %h "$T/mirror/d/solo-2")" = 1 ] ||
    log "live: d/solo-2 arrived as a link already"
stop_daemon alpha
start_node alpha "$T/alpha.yaml"
wait_log alpha 'peer=gamma set=site: in sync; mirroring live'
wait_for -t 10 eval '[ "$(stat -c %h "$T/mirror/d/solo-2")" = 2 ]' ||
    fail "after the catch-up d/solo-2 is not a link of solo"
tree_equal "$T/live" "$T/mirror"
same_links "$T/live" "$T/mirror"

finish_ok -n
