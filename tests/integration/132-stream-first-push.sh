[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 132-stream-first-push: a push into an empty target sends entries while
# it is still walking its tree (docs/PROTOCOL.md 7.3, the reference
# sender).  What lands, and in what order, is what a push that walks first
# sends:
# - a tree of nested directories, files with set modes and mtimes, hard
#   link groups (two and three names, one with a link outside the set),
#   symlinks (one dangling), an empty directory, files left out by
#   --exclude and by a .zcsyncignore, lands exactly (bytes, modes, mtimes,
#   links), and the entries land in the same order as a push of the same
#   tree into a target that holds one unrelated file (which plans after
#   the whole walk);
# - a file that grows while the push runs lands as one whole earlier
#   version (a prefix of what the writer wrote) or is reported as changing;
# - on plain TCP, the first file leaves the sender (strace) before its
#   walk opens the tree's last directory.
. "$(dirname "$0")/lib.sh"

src=$T/src
mkdir -p "$src"

# ---- The tree.
mk_tree()
{
	local r=$1 i

	mkdir -p "$r/a/b/c" "$r/a/e" "$r/d" "$r/empty" "$r/x/y/z"
	gen_file "$r/a/one" 5000 1
	gen_file "$r/a/b/two" 70000 2		# past ZC_SEND_SMALL_MAX
	gen_file "$r/a/b/c/three" 100 3
	for ((i = 0; i < 40; i++)); do
		gen_file "$r/x/y/z/f$i" $((i * 37 + 1)) $((10 + i))
	done
	gen_file "$r/d/group2" 3000 4
	ln "$r/d/group2" "$r/a/e/group2-b"
	gen_file "$r/a/group3" 8000 5
	ln "$r/a/group3" "$r/d/group3-b"
	ln "$r/a/group3" "$r/x/group3-c"
	gen_file "$T/outside" 2000 6
	ln "$T/outside" "$r/d/outlinked"
	ln -s ../a/one "$r/d/rel-link"
	ln -s /nonexistent/zc "$r/d/dangling"
	gen_file "$r/a/skip.tmp" 100 7		# --exclude '*.tmp'
	gen_file "$r/x/y/keep.tmp" 100 8
	printf 'secret*\n' >"$r/x/.zcsyncignore"
	gen_file "$r/x/secret-1" 100 9
	gen_file "$r/x/y/secret-2" 100 10
	chmod 0600 "$r/a/one"
	chmod 0750 "$r/a/b"
	chmod 0700 "$r/x/y/z"
	touch -d '2020-02-02 02:02:02.123456789' "$r/a/one" "$r/a/b/two"
	touch -h -d '2019-01-01 01:01:01.5' "$r/d/rel-link"
}

# set_dir_times ROOT: fixed directory mtimes, deepest first.
set_dir_times()
{
	local d

	while IFS= read -r d; do
		touch -d '2021-03-03 03:03:03.333333333' "$1/$d"
	done < <(cd "$1" && find . -mindepth 1 -type d | sort -r)
}

# expected ROOT OUT: ROOT as it should land: a copy without what the
# rules leave out, with the same directory mtimes.
expected()
{
	cp -a "$1" "$2"
	rm -f "$2/a/skip.tmp" "$2/x/y/keep.tmp" "$2/x/secret-1" \
	    "$2/x/y/secret-2"
	set_dir_times "$2"
}

# inode_groups DIR OUT: the paths of each inode with more than one name
# in DIR, one group a line.
inode_groups()
{
	(cd "$1" && find . -type f -links +1 -printf '%i %P\n') | sort |
	    awk '{ if ($1 != last && NR > 1) print line; if ($1 != last)
		line = $2; else line = line "," $2; last = $1 }
	     END { if (NR > 0) print line }' | sort >"$2"
}

# landed OUT: the push's -v lines (one per entry, in ACK order, which is
# the order the entries were sent).
landed()
{
	grep -E '^(send|dir|link|hardlink|meta|delete) ' "$T/push.out" >"$1" ||
	    true
}

mk_tree "$src"
set_dir_times "$src"
expected "$src" "$T/want"

FSYNC=false recv_config "$T/beta.yaml" "empty:$T/dst-empty" \
    "other:$T/dst-other"
mkdir -p "$T/dst-empty" "$T/dst-other"
gen_file "$T/dst-other/unrelated" 10 99
start_daemon beta "$T/beta.yaml"

# ---- Into an empty target: streamed.
push_ok -v --exclude '*.tmp' "$src" "$(dest beta empty)"
expect_summary sent 47 failed 0 links 2
[ -z "$(find "$T/dst-empty" -name '*.tmp' -o -name 'secret*')" ] ||
    fail "excluded files landed"
tree_equal "$T/want" "$T/dst-empty"
inode_groups "$T/dst-empty" "$T/groups.got"
printf '%s\n' 'a/e/group2-b,d/group2' 'a/group3,d/group3-b,x/group3-c' \
    >"$T/groups.want"
cmp -s "$T/groups.want" "$T/groups.got" ||
    fail "hard links: want $(cat "$T/groups.want"), got $(cat "$T/groups.got")"
[ "$(stat -c %h "$T/dst-empty/d/outlinked")" = 1 ] ||
    fail "a file linked from outside the set landed linked"
grep -q '^hardlink d/group3-b$' "$T/push.out" ||
    fail "d/group3-b did not land as a link"
grep -Eq ' 3 hardlinks,' "$T/push.out" || fail "expected 3 hard links made"
landed "$T/order.streamed"

# ---- Into a target with one unrelated file: planned after the walk.
push_ok -v --exclude '*.tmp' "$src" "$(dest beta other)"
expect_summary sent 47 failed 0 links 2
landed "$T/order.planned"
if ! cmp -s "$T/order.streamed" "$T/order.planned"; then
	diff "$T/order.planned" "$T/order.streamed" | head -n 20
	fail "the streamed push sent other entries, or in another order"
fi
log "$(wc -l <"$T/order.streamed") entries, in the same order both ways"

# ---- A file that grows while the push runs.
rm -rf "${T:?}/dst-empty" && mkdir "$T/dst-empty"
mkdir "$src/grow"
head -c 4096 /dev/zero | tr '\0' 'g' >"$T/chunk"
: >"$src/grow/log"
(
	for ((i = 0; i < 3000; i++)); do
		cat "$T/chunk" >>"$src/grow/log" || exit 1
	done
) &
writer=$!
bg_track "$writer"
push --exclude '*.tmp' "$src" "$(dest beta empty)"
wait_for -t 120 eval '! pid_alive '"$writer" || fail "the writer did not finish"
wait "$writer" || hard_error "the writer failed"
case $PUSH_RC in
0)	;;
1)	grep -q 'changed during send' "$T/push.err" ||
	    fail "push exited 1 for another reason than a changing file" ;;
*)	fail "push exited $PUSH_RC" ;;
esac
if [ -e "$T/dst-empty/grow/log" ]; then
	n=$(stat -c %s "$T/dst-empty/grow/log")
	[ $((n % 4096)) = 0 ] || fail "grow/log landed torn: $n bytes"
	cmp -s -n "$n" "$T/dst-empty/grow/log" "$src/grow/log" ||
	    fail "grow/log landed with other bytes than the writer wrote"
	log "grow/log landed whole at $n of $(stat -c %s "$src/grow/log") bytes"
fi
no_temp_files "$T/dst-empty"
# Everything else landed exactly.
rm -rf "${src:?}/grow" "$T/dst-empty/grow"
set_dir_times "$src"
tree_equal "$T/want" "$T/dst-empty"

# ---- The first file leaves before the walk is over (plain TCP only: the
# frames are what strace shows of the socket writes).  The first file is
# larger than ZC_SEND_SMALL_MAX: its body goes by sendfile, so its header
# leaves at once instead of waiting for a full batch of small files.
if [ "${ZC_TEST_TLS:-0}" = 1 ]; then
	log "ZC_TEST_TLS=1: the strace check needs clear text; skipped"
elif ! command -v strace >/dev/null 2>&1 ||
    ! strace -o /dev/null true >/dev/null 2>&1; then
	log "no working strace: the order of walk and send not checked"
else
	big=$T/big
	mkdir -p "$big/a"
	gen_file "$big/a/0first" 100000 42
	# 100 directories of 50 files, then the last directory, zzz.
	for ((i = 0; i < 100; i++)); do
		d=$big/m$(printf %03d "$i")
		mkdir "$d"
		for ((j = 0; j < 50; j++)); do
			: >"$d/f$j"
		done
	done
	mkdir "$big/zzz"
	: >"$big/zzz/last"
	ok=
	# The receiver answers an empty manifest in milliseconds; the traced
	# walk of 5,000 entries takes far longer.  A loaded machine may
	# still delay the answer past the walk: up to three tries.
	for try in 1 2 3; do
		rm -rf "${T:?}/dst-empty" && mkdir "$T/dst-empty"
		PUSH_RC=0
		# LeakSanitizer cannot work under ptrace (a sanitizer build).
		timeout -k 5 "$PUSH_TIMEOUT" env \
		    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		    strace -o "$T/strace.out" -e trace=openat,sendto -s 1024 \
		    "$ZCSYNC" push --name "$CLIENT_NAME" "$big" \
		    "$(dest beta empty)" >"$T/push.out" 2>"$T/push.err" \
		    </dev/null || PUSH_RC=$?
		[ "$PUSH_RC" = 0 ] ||
		    { cat "$T/push.err"; fail "traced push exited $PUSH_RC"; }
		first=$(grep -n -m 1 '^sendto(.*a/0first' "$T/strace.out" |
		    cut -d: -f1)
		last=$(grep -n -m 1 '^openat([0-9]*, "zzz"' "$T/strace.out" |
		    cut -d: -f1)
		[ -n "$first" ] || fail "no socket write carried a/0first"
		[ -n "$last" ] || fail "the walk did not open zzz"
		log "try $try: a/0first sent at strace line $first, zzz opened at line $last"
		if [ "$first" -lt "$last" ]; then
			ok=1
			break
		fi
	done
	[ -n "$ok" ] || fail "the first file left only after the whole walk"
	cmp -s "$big/a/0first" "$T/dst-empty/a/0first" ||
	    fail "a/0first did not land"
	[ -e "$T/dst-empty/zzz/last" ] || fail "zzz/last did not land"
fi

check_logs
