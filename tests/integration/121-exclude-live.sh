[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 121-exclude-live: a set's exclude rules and .zcsyncignore files while
# mirroring live.  The catch-up sends what rsync with the same rules would
# (and, with delete: true, keeps the receiver's excluded entries); excluded
# directories are not watched (`zcsync status --json` counts the watches);
# what is created in them, or under an excluded name, is not sent; a move
# out of sight deletes, a move into sight sends; a changed .zcsyncignore
# is read again and what it no longer excludes is sent and watched.
. "$(dirname "$0")/lib.sh"

command -v rsync >/dev/null 2>&1 || skip "rsync is not installed"

src=$T/src
dst=$T/dst
mkdir -p "$src" "$dst"

mkdir -p "$src/keep" "$src/build/inner" "$src/sub/hidden" "$src/sub/vis"
echo keep >"$src/keep/a.txt"
echo built >"$src/build/inner/out.o"
echo scratch >"$src/top.tmp"
echo hidden >"$src/sub/hidden/f"
echo visible >"$src/sub/vis/f"
printf -- '- hidden/\n' >"$src/sub/.zcsyncignore"
# Receiver entries the rules exclude: a catch-up with delete keeps them.
mkdir -p "$dst/build" "$dst/gone"
echo theirs >"$dst/build/old.o"
echo theirs >"$dst/protected.tmp"
echo theirs >"$dst/gone/x.txt"

FSYNC=false recv_config "$T/beta.yaml" site:"$dst"
start_daemon beta "$T/beta.yaml"

NODE_EXTRA="control: $T/alpha.sock" live_config "$T/alpha.yaml" \
    "site:$src" "delete: true" 'exclude: ["build/", "*.tmp"]'
start_node alpha "$T/alpha.yaml"
wait_log alpha 'peer=beta set=site: in sync; mirroring live' 10

protected=("d build" "f build/old.o" "f protected.tmp")
# expect: what rsync sends with the same rules, plus the receiver's
# protected entries; then wait (bounded) for dst to list exactly that.
list()
{
	(cd "$1" && find . -mindepth 1 -printf '%y %P\n') | sort
}
expect()
{
	rm -rf "$T/expect"
	rsync -a --filter=': .zcsyncignore' --exclude=build/ --exclude='*.tmp' \
	    "$src/" "$T/expect/" || hard_error "rsync failed"
	{
		list "$T/expect"
		printf '%s\n' "${protected[@]}"
	} | sort >"$T/want"
}
same()
{
	list "$dst" >"$T/got" && cmp -s "$T/want" "$T/got"
}
step()
{
	log "step: $1"
	expect
	if ! wait_for -t 20 same; then
		diff "$T/want" "$T/got" | head -n 20 | sed 's/^/# /'
		fail "$1: beta does not hold what rsync's rules give (<)"
	fi
	diff -r --no-dereference -q "$T/expect" "$dst" 2>/dev/null |
	    grep -v -e '^Only in' >"$T/diff"
	[ -s "$T/diff" ] && fail "$1: contents differ: $(head -n 3 "$T/diff")"
	daemon_alive alpha || fail "alpha died ($1)"
	daemon_alive beta || fail "beta died ($1)"
}
watched()
{
	ctl status --json -c "$T/alpha.yaml" && [ "$CTL_RC" = 0 ] ||
	    fail "status --json: $(cat "$T/ctl.err")"
	json_get "$T/ctl.out" 'd["sets"][0]["watched_dirs"]'
}
expect_watched()
{
	local n

	n=$(watched)
	[ "$n" = "$1" ] || fail "$2: $n directories watched, not $1"
}

step catch-up
[ -e "$dst/gone" ] && fail "the catch-up kept gone/, which is not excluded"
# The root, keep, sub, sub/vis: not build, build/inner or sub/hidden.
expect_watched 4 catch-up

# Created in an excluded directory, or under an excluded name: not sent.
# A marker file written last shows the changes before it were handled.
echo new >"$src/build/new.txt"
mkdir "$src/build/deeper"
echo new >"$src/build/deeper/f"
echo new >"$src/keep/b.tmp"
mkdir "$src/cache.tmp"
echo new >"$src/cache.tmp/f"
# A file named like a directory-only rule (build/) is not excluded: the
# watcher must look at what it is.
echo "a file" >"$src/keep/build"
mkdir "$src/keep/newdir"
echo marker >"$src/keep/newdir/marker"
step "changes in excluded places"
[ -f "$dst/keep/build" ] || fail "keep/build, a file, was not sent"
[ -e "$dst/build/new.txt" ] && fail "build/new.txt was sent"
[ -e "$dst/keep/b.tmp" ] && fail "keep/b.tmp was sent"
[ -e "$dst/cache.tmp" ] && fail "cache.tmp was sent"
# keep/newdir is new and watched; build/deeper and cache.tmp are not.
expect_watched 5 "new directories"

# Moves: out of sight is a deletion, into sight a new entry.
mv "$src/keep/a.txt" "$src/keep/a.tmp"
mv "$src/build/new.txt" "$src/keep/from-build.txt"
mv "$src/cache.tmp" "$src/keep/cache"
step moves
[ -f "$dst/keep/cache/f" ] || fail "a directory moved into sight was not sent"
expect_watched 6 "a directory moved into sight"
mv "$src/keep/cache" "$src/keep/cache.tmp"
step "a directory moved out of sight"
expect_watched 5 "a directory moved out of sight"

# A directory deleted (or moved out of sight) whose copy on beta holds an
# excluded entry: the entry and the directories above it stay, the rest
# goes (a catch-up, as the first).
mkdir -p "$src/keep/d1/d2" "$src/keep/d3"
echo x >"$src/keep/d1/d2/f"
echo x >"$src/keep/d1/g"
echo x >"$src/keep/d3/f"
step "directories to delete"
echo theirs >"$dst/keep/d1/d2/local.tmp"
echo theirs >"$dst/keep/d3/local.tmp"
protected+=("d keep/d1" "d keep/d1/d2" "f keep/d1/d2/local.tmp" \
    "d keep/d3" "f keep/d3/local.tmp")
expect_watched 8 "directories to delete"
rm -r "$src/keep/d1"
mv "$src/keep/d3" "$src/keep/d3.tmp"
step "deleted directories holding excluded entries"
[ -e "$dst/keep/d1/g" ] || [ -e "$dst/keep/d3/f" ] &&
    fail "entries not excluded were kept"
expect_watched 5 "directories deleted"
protected=("d build" "f build/old.o" "f protected.tmp")
rm -r "$dst/keep/d1" "$dst/keep/d3"

# The .zcsyncignore changes: sub/hidden is sent, then watched.
printf '# nothing excluded here now\n' >"$src/sub/.zcsyncignore"
step "a changed .zcsyncignore"
[ -f "$dst/sub/hidden/f" ] || fail "sub/hidden was not sent"
expect_watched 6 "a changed .zcsyncignore"
echo later >"$src/sub/hidden/g"
step "a file in the directory no longer excluded"
# And back: excluded again, unwatched, left alone on beta.
printf -- '- hidden/\n' >"$src/sub/.zcsyncignore"
wait_for -t 10 eval '[ "$(watched)" = 5 ]' ||
    fail "sub/hidden still watched after it was excluded again"
echo more >"$src/sub/hidden/h"
echo marker >"$src/keep/marker2"
wait_for -t 20 test -f "$dst/keep/marker2" || fail "marker2 did not arrive"
[ -e "$dst/sub/hidden/h" ] && fail "sub/hidden/h was sent while excluded"
[ -f "$dst/sub/hidden/g" ] || fail "sub/hidden/g was deleted while excluded"

[ -f "$dst/build/old.o" ] && [ -f "$dst/protected.tmp" ] ||
    fail "the receiver's excluded entries were deleted"
check_logs
