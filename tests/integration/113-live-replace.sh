[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 113-live-replace: small files rewritten in place on a live sender land
# on the receiver (fsync: false) by exchanging the new file with the old
# one (RENAME_EXCHANGE) and removing the old one after.  Checked: the new
# bytes arrive every time and no temporary name is left; a reader that
# holds the old replica open, and a hard link to it outside the set, keep
# the old bytes; a directory in the file's way on the receiver is refused,
# as a rename would refuse it, and left whole (not moved aside or deleted);
# once it is gone, the next change lands.
. "$(dirname "$0")/lib.sh"

src=$T/src
dst=$T/dst
out=$T/outside
mkdir -p "$src" "$dst" "$out"

FSYNC=false recv_config "$T/beta.yaml" site:"$dst"
start_daemon beta "$T/beta.yaml"
live_config "$T/alpha.yaml" site:"$src" "delete: true" "fsync: false"
start_node alpha "$T/alpha.yaml"
wait_log alpha 'peer=beta set=site: in sync; mirroring live'

for i in $(seq 1 20); do
	head -c 4096 /dev/urandom >"$src/f$i"
done
wait_tree_equal "$src" "$dst" 20
no_temp_files "$dst"

# Rewritten in place (O_TRUNC, write, close), three rounds.
for r in 1 2 3; do
	for i in $(seq 1 20); do
		head -c $((4096 + r)) /dev/urandom >"$src/f$i"
	done
	wait_tree_equal "$src" "$dst" 20
	no_temp_files "$dst"
done

# A reader of the old replica and a hard link to it outside the set.
cp "$dst/f1" "$T/f1.old"
ln "$dst/f1" "$out/f1.link" || skip "no hard link from $out into $dst"
exec {rd}<"$dst/f1"
echo "the next version of f1" >"$src/f1"
wait_tree_equal "$src" "$dst" 20
no_temp_files "$dst"
cmp -s "$dst/f1" "$src/f1" || fail "f1: the new bytes did not land"
cmp -s "$out/f1.link" "$T/f1.old" ||
    fail "the hard link outside the set lost the old bytes"
cmp -s "/proc/$$/fd/$rd" "$T/f1.old" ||
    fail "a reader of the old replica lost the old bytes"
exec {rd}<&-
[ "$(stat -c %h "$out/f1.link")" = 1 ] ||
    fail "the old f1 still has $(stat -c %h "$out/f1.link") links"

# A directory in f2's way on the receiver: refused, and kept whole.
rm "$dst/f2"
mkdir -m 0750 "$dst/f2"
echo kept >"$dst/f2/inside"
echo "f2 wants to be a file" >"$src/f2"
echo "f3, after f2" >"$src/f3"
wait_for -t 20 cmp -s "$src/f3" "$dst/f3" || fail "f3 never arrived"
[ -d "$dst/f2" ] || fail "the directory in f2's way is gone"
[ "$(stat -c %a "$dst/f2")" = 750 ] || fail "f2/ changed mode"
[ "$(cat "$dst/f2/inside")" = kept ] || fail "f2/inside changed"
no_temp_files "$dst"
daemon_alive alpha || fail "alpha died"
daemon_alive beta || fail "beta died"

# Gone: the next change of f2 lands.
rm -r "$dst/f2"
echo "f2, again" >"$src/f2"
wait_tree_equal "$src" "$dst" 20
no_temp_files "$dst"
stop_daemon alpha
stop_daemon beta
check_logs
exit 0
