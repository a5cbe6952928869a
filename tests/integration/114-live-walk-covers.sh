[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 114-live-walk-covers: files written into a new directory before the
# sender walks it go out once, not twice.  With `delay: 800` the
# directory's walk waits 0.8 s; the 40 files written meanwhile are queued
# on their own too (close events), and the walk sends each of them: what
# waits for them is covered and dropped.  Before, every such file was sent
# twice (cp -a into a watched directory sent about a third of a tree of
# small files twice).  Checked: the replica equals the source, alpha's
# metrics count 40 bodies sent and 40 queued changes covered.
. "$(dirname "$0")/lib.sh"

src=$T/src
dst=$T/dst
mkdir -p "$src" "$dst"

FSYNC=false recv_config "$T/beta.yaml" site:"$dst"
start_daemon beta "$T/beta.yaml"
NODE_EXTRA="control: $T/alpha.sock" live_config "$T/alpha.yaml" \
    site:"$src" "delay: 800" "settle: 5000" "fsync: false"
start_node alpha "$T/alpha.yaml"
wait_log alpha 'peer=beta set=site: in sync; mirroring live'

t0=$(date +%s%N)
mkdir "$src/d"
for i in $(seq 1 40); do
	echo "file $i" >"$src/d/f$i"
done
t1=$(date +%s%N)
took=$(((t1 - t0) / 1000000))
log "40 files written in $took ms"
wait_tree_equal "$src" "$dst" 20
no_temp_files "$dst"
# The walk waited 800 ms after mkdir: files written later than that were
# not in it, and are sent once from their own events anyway.
[ "$took" -lt 700 ] || skip "writing 40 files took $took ms (the walk may have come first)"

metric()
{
	awk -v m="$1" '$1 ~ "^" m "\\{" { s += $2 } END { print s + 0 }' \
	    "$T/ctl.out"
}
ctl_ok metrics -c "$T/alpha.yaml"
sent=$(metric zcsync_sent_files_total)
covered=$(metric zcsync_queue_covered_total)
log "alpha sent $sent bodies; $covered queued changes covered by the walk"
[ "$sent" = 40 ] || fail "alpha sent $sent bodies for 40 files"
[ "$covered" = 40 ] || fail "$covered queued changes covered, not 40"

# A change after the walk is still sent.
echo "changed" >"$src/d/f7"
wait_tree_equal "$src" "$dst" 20
ctl_ok metrics -c "$T/alpha.yaml"
sent=$(metric zcsync_sent_files_total)
[ "$sent" = 41 ] || fail "alpha sent $sent bodies after one more change"

finish_ok
