[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 112-live-memory: memory at scale (issues 4 and 6).  A set of 20,000
# files in 2,000 directories is mirrored live; the sender is restarted
# against the up-to-date peer, so that both catch-up lists (its own tree
# and the peer's) are alive at once.  Then:
# - the sender's peak above what it keeps once live stays under
#   SEND_PEAK_MAX bytes per entry (it was 273 here with entries of 96
#   bytes, names each in its own allocation, heap-grown arrays and the
#   receiver's whole manifest kept; now about 75);
# - the receiver's peak in that catch-up, above its size before it, stays
#   under RECV_PEAK_MAX bytes per entry (was 175; now about 90, part of
#   it its output buffer, the same for any tree);
# - once live, neither keeps per-file state: the sender's resident size
#   drops by at least SEND_DROP_MIN bytes per entry from its peak, and the
#   receiver keeps less than RECV_KEEP_MAX KiB of what its walk used (was
#   about 90 bytes per entry, 1.9 MiB here: a freed heap that stayed
#   resident; now its connection's buffers, the same for any tree).
# Every figure is read from /proc/PID/status (VmHWM, VmRSS, in KiB).
. "$(dirname "$0")/lib.sh"

# AddressSanitizer has its own allocator, shadow memory and quarantine:
# there the figures say nothing about ours.
if grep -qa '__asan_init' "$ZCSYNCD"; then
	skip "zcsyncd is built with AddressSanitizer: memory is not ours to measure"
fi

SEND_PEAK_MAX=130
SEND_DROP_MIN=40
RECV_PEAK_MAX=130
RECV_KEEP_MAX=1200

src=$T/src
dst=$T/dst
mkdir -p "$src" "$dst"
# 2,000 directories of 10 files each, made with two commands.
mkdir "$src"/d{0000..1999} || fail "mkdir"
touch "$src"/d{0000..1999}/f{0..9} || fail "touch"
echo "some bytes" >"$src/d0000/f0"
entries=$(find "$src" -mindepth 1 | wc -l)
[ "$entries" = 22000 ] || fail "the tree has $entries entries, not 22000"

# status_kb PID FIELD: VmHWM or VmRSS of PID, in KiB.
status_kb()
{
	awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"
}

FSYNC=false recv_config "$T/beta.yaml" "site:$dst"
start_daemon beta "$T/beta.yaml"
live_config "$T/alpha.yaml" site:"$src" "delete: true"
start_node alpha "$T/alpha.yaml"
wait_log alpha 'peer=beta set=site: in sync; mirroring live' 120
mirror_ok "$src" "$dst" alpha beta
stop_daemon alpha
[ "${DAEMON_RC[alpha]}" = 0 ] || fail "alpha exited ${DAEMON_RC[alpha]}"

# The restart: beta walks its 22,000 entries, alpha both lists.
b_before=$(status_kb "${DAEMON_PID[beta]}" VmRSS)
b_hwm_before=$(status_kb "${DAEMON_PID[beta]}" VmHWM)
start_node alpha "$T/alpha.yaml"
wait_for -t 120 eval '[ "$(log_count alpha "in sync; mirroring live")" -ge 2 ]' ||
    fail "alpha did not catch up again within 120 s"
apid=${DAEMON_PID[alpha]} bpid=${DAEMON_PID[beta]}
# Live: what the catch-up held is given back right after its last ACK, at
# least SEND_DROP_MIN bytes per entry (bounded polling, in case the reading
# races the release).
a_hwm=$(status_kb "$apid" VmHWM)
drop_kb=$((SEND_DROP_MIN * entries / 1024))
wait_for -t 10 eval '[ "$(status_kb "$apid" VmRSS)" -le $((a_hwm - drop_kb)) ]' ||
    fail "alpha kept its catch-up: $(status_kb "$apid" VmRSS) KiB resident, peak $a_hwm KiB"
a_rss=$(status_kb "$apid" VmRSS)
b_hwm=$(status_kb "$bpid" VmHWM)
b_rss=$(status_kb "$bpid" VmRSS)
log "sender:   peak $a_hwm KiB, live $a_rss KiB"
log "receiver: $b_before KiB before (peak $b_hwm_before), peak $b_hwm KiB, live $b_rss KiB"
mirror_ok "$src" "$dst" alpha beta

# Per entry, in bytes (integers: rounding down).
send_peak=$(( (a_hwm - a_rss) * 1024 / entries ))
recv_peak=$(( (b_hwm - b_before) * 1024 / entries ))
recv_keep=$((b_rss - b_before))
log "sender peak above live: $send_peak B/entry (max $SEND_PEAK_MAX)"
log "receiver peak above before: $recv_peak B/entry (max $RECV_PEAK_MAX)"
log "receiver kept: $recv_keep KiB (max $RECV_KEEP_MAX)"
[ "$send_peak" -lt "$SEND_PEAK_MAX" ] ||
    fail "the sender's catch-up peaked $send_peak B/entry above its live size"
[ "$b_hwm" -gt "$b_hwm_before" ] ||
    fail "the receiver's peak did not move in the catch-up ($b_hwm KiB)"
[ "$recv_peak" -lt "$RECV_PEAK_MAX" ] ||
    fail "the receiver's catch-up peaked $recv_peak B/entry above its size before"
[ "$recv_keep" -lt "$RECV_KEEP_MAX" ] ||
    fail "the receiver kept $recv_keep KiB after its catch-up"

# Still live after all that.
echo "after the restart" >"$src/d1999/new"
wait_tree_equal "$src" "$dst" 20
finish_ok alpha beta
