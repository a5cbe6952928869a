[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 010-push-basic: one push of a small tree with every kind of entry and
# metadata the foundation keeps; the receiver must end up identical.
. "$(dirname "$0")/lib.sh"

src=$T/src
dst=$T/dst
mkdir -p "$src" "$dst"

# The tree: nested directories, an empty file, an empty directory, modes,
# nanosecond mtimes, and symlinks that must arrive as links.
mkdir -p "$src/a/b/c" "$src/empty-dir" "$src/private"
echo "hello" >"$src/top.txt"
printf 'nested\n' >"$src/a/b/c/deep.txt"
: >"$src/empty"
head -c 100000 /dev/urandom >"$src/a/random.bin"
printf '#!/bin/sh\necho hi\n' >"$src/a/script.sh"
echo secret >"$src/private/key"
echo "read only" >"$src/a/b/readonly"
chmod 0600 "$src/private/key"
chmod 0755 "$src/a/script.sh"
chmod 0444 "$src/a/b/readonly"
chmod 0700 "$src/private"
ln -s b/c/deep.txt "$src/a/rel-link"
ln -s /etc/passwd "$src/abs-link"
ln -s does/not/exist "$src/a/dangling"
ln -s .. "$src/a/b/up"
touch -h -d '2001-02-03 04:05:06.123456789' "$src/a/rel-link"
touch -h -d '1999-12-31 23:59:59.000000001' "$src/abs-link"
touch -d '2010-01-01 00:00:00.5' "$src/top.txt"
touch -d '2020-06-07 08:09:10.987654321' "$src/a/b/c/deep.txt"
touch -d '1980-01-01 00:00:00.000000007' "$src/empty"
touch -d '2030-01-01 12:00:00.1' "$src/a/random.bin"
# Directory mtimes last, deepest first, since creating entries moves them.
touch -d '2002-02-02 02:02:02.222222222' "$src/a/b/c"
touch -d '2003-03-03 03:03:03.333333333' "$src/a/b"
touch -d '2004-04-04 04:04:04.444444444' "$src/a"
touch -d '2005-05-05 05:05:05.555555555' "$src/empty-dir"
touch -d '2006-06-06 06:06:06.666666666' "$src/private"

recv_config "$T/beta.yaml" "site:$dst"
start_daemon beta "$T/beta.yaml"

push_ok "$src" "$(dest beta site)"
grep -qE '^[0-9]+ files sent, [0-9]+ skipped, [0-9]+ deleted, [0-9]+ dirs, [0-9]+ links, [0-9]+ meta, [0-9]+ failed; [0-9]+ bytes in [0-9.]+ s \([0-9.]+ MiB/s\)$' \
    "$T/push.out" || fail "no well-formed summary line"
expect_summary sent 7 skipped 0 deleted 0 dirs 5 links 4 meta 0 failed 0
[ -s "$T/push.err" ] && fail "push wrote to stderr"

tree_equal "$src" "$dst"
no_temp_files "$dst"

# The absolute link arrived as a link, and was not followed.
[ -L "$dst/abs-link" ] || fail "abs-link is not a symlink"
[ "$(readlink "$dst/abs-link")" = /etc/passwd ] || fail "abs-link target"
[ -L "$dst/a/dangling" ] || fail "the dangling link did not arrive as one"
[ "$(stat -c %a "$dst/a/b/readonly")" = 444 ] || fail "0444 file mode"
[ "$(stat -c %a "$dst/private")" = 700 ] || fail "0700 dir mode"
[ "$(stat -c %y "$dst/a/b/c/deep.txt")" = \
    "$(stat -c %y "$src/a/b/c/deep.txt")" ] || fail "ns mtime"

daemon_alive beta || fail "zcsyncd died"
finish_ok beta
