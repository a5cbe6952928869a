[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 054-hostile-xattr-idmap: a raw peer that negotiated XATTR or IDMAP sends
# attribute blocks and IDMAP frames that break docs/PROTOCOL.md sections
# 12 and 13 (missing, truncated, trailing, unsorted, duplicate, foreign
# namespaces, bad kinds and names, either frame without its feature), and
# attributes aimed through a symlink.  Each is a protocol error (or a
# refused entry); the daemon lives, nothing outside the root changes, and
# a good push still works.  Well-formed ones land: an attribute, and an
# owner mapped by name.
. "$(dirname "$0")/lib.sh"

RAWPEER=$top_builddir/tests/tools/rawpeer
[ -x "$RAWPEER" ] || hard_error "$RAWPEER: not built"
command -v getfattr >/dev/null || skip "no getfattr (package attr)"

area=$T/area
dst=$area/dst
outside=$area/outside
src=$T/src
mkdir -p "$dst" "$outside" "$src"
echo "do not touch" >"$outside/sentinel"
echo "good file" >"$src/one"
setfattr -n user.probe -v 1 "$src/one" 2>/dev/null ||
    skip "the file system under $T keeps no user.* attributes"

outside_snapshot()
{
	(
		cd "$area" || exit 1
		find . -path ./dst -prune -o \
		    -printf '%P\t%y %i %m %U:%G %s %T@ %C@ %l\0' | sort -z
		getfattr -R -h -d -m - outside 2>/dev/null
	) >"$1" || fail "cannot list $area"
}

recv_config "$T/beta.yaml" "site:$dst"
start_daemon beta "$T/beta.yaml"
push_ok --delete "$src" "$(dest beta site)"
ln -s ../outside/sentinel "$dst/evil-link"
outside_snapshot "$T/outside.before"

failed=()
bad()
{
	echo "# FAILED case $1: $2"
	failed+=("$1")
}

after()
{
	daemon_alive beta || fail "$1: zcsyncd died"
	outside_snapshot "$T/outside.after"
	cmp -s "$T/outside.before" "$T/outside.after" ||
	    fail "$1: something outside the set root changed"
	push "$src" "$(dest beta site)"
	[ "$PUSH_RC" = 0 ] || bad "$1" "the good push after it failed"
}

rrun()
{
	local name=$1 rc=0
	shift

	timeout -k 5 60 "$RAWPEER" -v -t 10000 "${DAEMON_PORT[beta]}" "$@" \
	    >"$T/rp.out" 2>&1 || rc=$?
	if [ "$rc" != 0 ]; then
		tail -n 12 "$T/rp.out" | cat -v
		bad "$name" "rawpeer exited $rc"
	fi
}

rcase()
{
	rrun "$@"
	after "$1"
}

# hex helpers: frame TYPE PAYLOAD-HEX, with its true length.
fr()
{
	echo "frame $1 $((${#2} / 2)) $2"
}
Z8=0000000000000000
SEQ1=0000000000000001
SEQ2=0000000000000002
META_DIR=02''000001ed''00000000''00000000$Z8''0000000065000000''00000000
META_LNK=03''00000000''00000000''00000000''0000000000000013''0000000065000000''00000000
PATH_A=0001''61				# "a"
PATH_EVIL=0009''6576696c2d6c696e6b	# "evil-link"
UX=06''757365722e78			# "user.x"
UA=06''757365722e61			# "user.a"
UB=06''757365722e62			# "user.b"
V1=00000001''31				# value "1"
V0=00000000
X=('hello alpha features 2' 'push site' read-manifest)
I=('hello alpha features 0x10' 'push site' read-manifest)

# XATTR: a well-formed block lands.
rrun xattr-ok "${X[@]}" "$(fr 6 $SEQ1$META_DIR$PATH_A''0001$UX$V1)" \
    'expect-ack 1 ok' done 'expect-summary 1 0' expect-eof
[ "$(getfattr -h --only-values -n user.x "$dst/a" 2>/dev/null)" = 1 ] ||
    bad xattr-ok "user.x did not land on a"
after xattr-ok

# XATTR: blocks that break the rules.
rcase xattr-missing "${X[@]}" "$(fr 6 $SEQ1$META_DIR$PATH_A)" \
    'expect-error 1' expect-closed
rcase xattr-short "${X[@]}" "$(fr 6 $SEQ1$META_DIR$PATH_A''0002$UX$V1)" \
    'expect-error 1' expect-closed
rcase xattr-trailing "${X[@]}" \
    "$(fr 6 $SEQ1$META_DIR$PATH_A''0001$UX$V1''00)" \
    'expect-error 1' expect-closed
rcase xattr-value-overrun "${X[@]}" \
    "$(fr 6 $SEQ1$META_DIR$PATH_A''0001$UX''000000ff31)" \
    'expect-error 1' expect-closed
rcase xattr-value-big "${X[@]}" \
    "$(fr 6 $SEQ1$META_DIR$PATH_A''0001$UX''00010001)" \
    'expect-error 1' expect-closed
rcase xattr-unsorted "${X[@]}" \
    "$(fr 6 $SEQ1$META_DIR$PATH_A''0002$UB$V0$UA$V0)" \
    'expect-error 1' expect-closed
rcase xattr-duplicate "${X[@]}" \
    "$(fr 6 $SEQ1$META_DIR$PATH_A''0002$UA$V0$UA$V0)" \
    'expect-error 1' expect-closed
rcase xattr-namespace "${X[@]}" \
    "$(fr 6 $SEQ1$META_DIR$PATH_A''0001''0a73797374656d2e6e6f70$V0)" \
    'expect-error 1' expect-closed
rcase xattr-bare-prefix "${X[@]}" \
    "$(fr 6 $SEQ1$META_DIR$PATH_A''0001''05757365722e$V0)" \
    'expect-error 1' expect-closed
rcase xattr-name-nul "${X[@]}" \
    "$(fr 6 $SEQ1$META_DIR$PATH_A''0001''06757365720078$V0)" \
    'expect-error 1' expect-closed
rcase xattr-name-empty "${X[@]}" \
    "$(fr 6 $SEQ1$META_DIR$PATH_A''0001''00$V0)" \
    'expect-error 1' expect-closed
rcase xattr-on-delete "${X[@]}" "$(fr 10 $SEQ1$PATH_A''0000)" \
    'expect-error 1' expect-closed
rcase xattr-unnegotiated 'hello alpha' 'push site' read-manifest \
    "$(fr 6 $SEQ1$META_DIR$PATH_A''0001$UX$V1)" 'expect-error 1' \
    expect-closed
# Through a symlink to a file outside: META as a file is refused (the
# leaf is not followed); as a symlink it touches the link only (no user.*
# on links: skipped).
rcase xattr-via-link "${X[@]}" \
    "$(fr 11 $SEQ1''01''000001a4''00000000''00000000''0000000000000000''0000000065000000''00000000$PATH_EVIL''0001$UX$V1)" \
    'expect-ack 1 fail' \
    "$(fr 11 $SEQ2$META_LNK$PATH_EVIL''0001$UX$V1)" 'expect-ack 2 ok' \
    done 'expect-summary' expect-eof

# IDMAP: frames that break the rules.
IDM_ROOT=01''00001092''0004''726f6f74	# user 4242 is "root"
rcase idmap-unnegotiated 'hello alpha' 'push site' read-manifest \
    "$(fr 19 $IDM_ROOT)" 'expect-error 1' expect-closed
rcase idmap-kind "${I[@]}" "$(fr 19 03''00001092''0004''726f6f74)" \
    'expect-error 1' expect-closed
rcase idmap-kind-0 "${I[@]}" "$(fr 19 00''00001092''0004''726f6f74)" \
    'expect-error 1' expect-closed
rcase idmap-name-empty "${I[@]}" "$(fr 19 01''00001092''0000)" \
    'expect-error 1' expect-closed
rcase idmap-name-nul "${I[@]}" "$(fr 19 01''00001092''0002''7200)" \
    'expect-error 1' expect-closed
rcase idmap-trailing "${I[@]}" "$(fr 19 $IDM_ROOT''00)" \
    'expect-error 1' expect-closed
rcase idmap-short "${I[@]}" "$(fr 19 01''000010)" 'expect-error 1' \
    expect-closed

# IDMAP: a well-formed one maps uid 4242 to root (0) here.
rm -rf "$dst/a"
rrun idmap-ok "${I[@]}" "$(fr 19 $IDM_ROOT)" \
    "$(fr 6 $SEQ1''02''000001ed''00001092''00000000$Z8''0000000065000000''00000000$PATH_A)" \
    'expect-ack 1 ok' done 'expect-summary 1 0' expect-eof
[ "$(stat -c %u "$dst/a" 2>/dev/null)" = 0 ] ||
    bad idmap-ok "a is owned by $(stat -c %u "$dst/a" 2>/dev/null), not 0"
after idmap-ok

if [ ${#failed[@]} -gt 0 ]; then
	fail "${#failed[@]} cases failed: ${failed[*]}"
fi
finish_ok beta
