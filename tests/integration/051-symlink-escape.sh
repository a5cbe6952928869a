[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 051-symlink-escape: symlinks must never carry a write out of the set root
# (SECURITY.md catalogue rows 7, 9, 11, 13; CVE-2024-12087, rsync
# chdir-symlink-race, Syncthing TestSymlinkTraversalWrite).
#   a) a peer delivers "evil -> OUTSIDE", then writes through evil/ in the
#      same session and in a later one: refused (PATH), nothing outside;
#   b) a local user planted "sub -> OUTSIDE" in the root before a push of
#      sub/f: per-entry refusal; a real push replaces the link by a dir;
#   c) the target leaf is a symlink to an outside file: the push replaces
#      the link itself, the outside file keeps its bytes, mode and times;
#   d) the target is a hard link to an outside file: a new inode lands, the
#      outside inode is unchanged;
#   e) DELETE of a directory holding links to outside removes the links
#      only.
. "$(dirname "$0")/lib.sh"

[ -x "$RAWPEER" ] || hard_error "$RAWPEER: not built"

area=$T/area
dst=$area/dst
outside=$area/outside
evil=$area/dst-evil
src=$T/src
mkdir -p "$dst" "$outside/dir" "$evil" "$src/sub"
echo "do not touch" >"$outside/sentinel"
chmod 0640 "$outside/sentinel"
touch -d '2001-01-01 00:00:00.123456789' "$outside/sentinel"
echo "nor this" >"$outside/dir/f"
echo "hard link target" >"$outside/hl-target"
chmod 0604 "$outside/hl-target"
touch -d '2002-02-02 00:00:00.5' "$outside/hl-target"
echo "evil twin" >"$evil/sentinel"
echo "good file" >"$src/one"
echo "in a real sub directory" >"$src/sub/f"

check_after()
{
	tree_snapshot "$area" "$T/outside.after" dst
	snapshot_same "$T/outside.before" "$T/outside.after" "$1"
	no_temp_files "$area"
	daemon_alive beta || fail "$1: zcsyncd died"
}

recv_config "$T/beta.yaml" "site:$dst"
start_daemon beta "$T/beta.yaml"

# d) needs the hard link before the snapshot: the outside inode's link
# count is 2 there, and 1 once the push has given hl its own inode.
ln "$outside/hl-target" "$dst/hl"
tree_snapshot "$area" "$T/outside.before" dst

# The writes a peer might try through a link to outside, as rawpeer
# commands numbered from $1; each is refused with ACK PATH.
through()
{
	local s=$1 l=$2

	echo "file $s $l/pwn 6 data pwned" "file-end $s 0" "expect-ack $s path"
	echo "file $((s + 1)) $l/sentinel 6 data pwned" \
	    "file-end $((s + 1)) 0" "expect-ack $((s + 1)) path"
	echo "dir $((s + 2)) $l/newdir" "expect-ack $((s + 2)) path"
	echo "symlink $((s + 3)) $l/newlink /etc/passwd" \
	    "expect-ack $((s + 3)) path"
	echo "meta $((s + 4)) $l/sentinel 0777 mtime 1" \
	    "expect-ack $((s + 4)) path"
	echo "delete $((s + 5)) $l/sentinel" "expect-ack $((s + 5)) path"
	echo "delete $((s + 6)) $l/dir" "expect-ack $((s + 6)) path"
}
# through prints several commands per line; split them into words for rp.
through_cmds()
{
	through "$@" | sed -e 's/ \(file-end\|expect-ack\)/\n\1/g'
}

# a) The link arrives verbatim, then writes through it in the same session.
mapfile -t cmds < <(through_cmds 3 evil; through_cmds 10 up/dst-evil)
rawpeer_ok beta "link then write through it" 'hello alpha' 'push site' read-manifest \
    "symlink 1 evil $outside" 'expect-ack 1 ok' \
    'symlink 2 up ..' 'expect-ack 2 ok' \
    "${cmds[@]}" done 'expect-summary 2 14' expect-eof
[ -L "$dst/evil" ] && [ "$(readlink "$dst/evil")" = "$outside" ] ||
    fail "the symlink evil was not stored verbatim"
[ "$(readlink "$dst/up")" = .. ] || fail "the symlink up was not stored"
check_after "a) same session"

# ... and in a later session, where the link is already in the manifest.
mapfile -t cmds < <(through_cmds 1 evil; through_cmds 8 up/dst-evil)
rawpeer_ok beta "write through an existing link" 'hello alpha' 'push site' \
    'read-manifest 3' "${cmds[@]}" done 'expect-summary 0 14' expect-eof
check_after "a) later session"

# b) A local user plants links in the root, deep and shallow, then a peer
# writes beneath them: per-entry refusals.
ln -s "$outside" "$dst/sub"
mkdir -p "$dst/d1"
ln -s "$outside/dir" "$dst/d1/d2"
mapfile -t cmds < <(through_cmds 1 sub; through_cmds 8 d1/d2)
rawpeer_ok beta "write beneath planted links" 'hello alpha' 'push site' read-manifest \
    "${cmds[@]}" done 'expect-summary 0 14' expect-eof
check_after "b) planted links"

# c) The leaf itself is a link to an outside file: the file lands in its
# place (rename replaces the link, nothing opens through it); META for a
# file there is a type conflict, and META for the link applies to the link.
ln -s "$outside/sentinel" "$dst/leaf"
ln -s "$outside/sentinel" "$dst/leaf2"
ln -s "$outside/sentinel" "$dst/leaf3"
rawpeer_ok beta "replace a leaf link" 'hello alpha' 'push site' read-manifest \
    'file 1 leaf 4 data new\n mode 0600' 'file-end 1 0' 'expect-ack 1 ok' \
    'meta 2 leaf2 04777 mtime 5' 'expect-ack 2 fail' \
    'meta 3 leaf3 0777 type 3 mtime 1000000000' 'expect-ack 3 ok' \
    done 'expect-summary 2 1' expect-eof
[ -f "$dst/leaf" ] && [ ! -L "$dst/leaf" ] ||
    fail "c) the leaf is still a symlink"
[ "$(cat "$dst/leaf")" = new ] || fail "c) the leaf has the wrong bytes"
[ "$(stat -c %a "$dst/leaf")" = 600 ] || fail "c) the leaf's mode"
[ -L "$dst/leaf2" ] || fail "c) META replaced leaf2"
[ "$(stat -c %Y "$dst/leaf3")" = 1000000000 ] ||
    fail "c) META type 3 did not set the link's own mtime"
check_after "c) leaf links"

# d) The hard link gets a new inode; the outside inode keeps its bytes,
# mode and times.
ino=$(stat -c %i "$outside/hl-target")
hl_before=$(find "$outside/hl-target" -printf '%i %m %U:%G %s %T@')
rawpeer_ok beta "replace a hard link" 'hello alpha' 'push site' read-manifest \
    'file 1 hl 8 data replaced mode 0666 mtime 7' 'file-end 1 0' \
    'expect-ack 1 ok' done 'expect-summary 1 0' expect-eof
[ "$(stat -c %i "$dst/hl")" != "$ino" ] || fail "d) hl kept the inode"
[ "$(cat "$dst/hl")" = replaced ] || fail "d) hl has the wrong bytes"
[ "$(cat "$outside/hl-target")" = "hard link target" ] ||
    fail "d) the outside inode was written"
[ "$(stat -c %a "$outside/hl-target")" = 604 ] ||
    fail "d) the outside inode's mode changed"
# Its link count dropped from 2 to 1 (which moves its ctime too): compare
# the rest of the snapshot with that line taken out.
tree_snapshot "$area" "$T/outside.after" dst
cmp -s <(tr '\0' '\n' <"$T/outside.before" | grep -av '^outside/hl-target	') \
    <(tr '\0' '\n' <"$T/outside.after" | grep -av '^outside/hl-target	') ||
    fail "d) something outside changed"
hl_after=$(find "$outside/hl-target" -printf '%i %m %U:%G %s %T@')
[ "$hl_after" = "$hl_before" ] ||
    fail "d) hl-target was '$hl_before', is '$hl_after'"
[ "$(stat -c %h "$outside/hl-target")" = 1 ] ||
    fail "d) hl-target still has $(stat -c %h "$outside/hl-target") links"
tree_snapshot "$area" "$T/outside.before" dst

# e) Deleting a directory that holds links to outside removes the links,
# not what they point to, and a DELETE of a link to a directory removes
# just the link.
mkdir -p "$dst/dd/inner"
ln -s "$outside" "$dst/dd/dirlink"
ln -s "$outside/sentinel" "$dst/dd/filelink"
ln -s "$outside" "$dst/dd/inner/deeper"
ln "$evil/sentinel" "$dst/dd/inner/hard" 2>/dev/null || true
tree_snapshot "$area" "$T/outside.before" dst
rawpeer_ok beta "delete dirs with links" 'hello alpha' 'push site' read-manifest \
    'delete 1 dd' 'expect-ack 1 ok' 'delete 2 evil' 'expect-ack 2 ok' \
    'delete 3 sub' 'expect-ack 3 ok' done 'expect-summary 3 0' expect-eof
[ ! -e "$dst/dd" ] && [ ! -L "$dst/evil" ] && [ ! -L "$dst/sub" ] ||
    fail "e) the deletes did not happen"
# The hard link's removal lowers the outside inode's link count; that is
# the only change allowed.
tree_snapshot "$area" "$T/outside.after" dst
cmp -s <(tr '\0' '\n' <"$T/outside.before" | grep -av '^dst-evil/sentinel	') \
    <(tr '\0' '\n' <"$T/outside.after" | grep -av '^dst-evil/sentinel	') ||
    fail "e) something outside changed"
[ "$(cat "$evil/sentinel")" = "evil twin" ] || fail "e) dst-evil/sentinel"
[ -d "$outside/dir" ] && [ -f "$outside/sentinel" ] ||
    fail "e) the delete followed a link"
tree_snapshot "$area" "$T/outside.before" dst

# A real push over what is left (the planted d1/d2 link where the source
# has nothing, up -> ..): --delete removes the links, never their targets.
ln -s "$outside" "$dst/sub"
push_ok --delete "$src" "$(dest beta site)"
tree_equal "$src" "$dst"
[ -d "$dst/sub" ] && [ ! -L "$dst/sub" ] || fail "sub is not a real directory"
check_after "good push"

# The refusals name the peer in the log.
grep -qE 'peer=alpha set=site evil/pwn: invalid path' "$T/beta.log" ||
    fail "no refusal of evil/pwn naming peer=alpha in the log"
grep -qE 'peer=alpha set=site d1/d2/pwn: invalid path' "$T/beta.log" ||
    fail "no refusal of d1/d2/pwn naming peer=alpha in the log"

finish_ok beta
