[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 053-denied-identity: who may push where, and peers that connect and say
# nothing (docs/PROTOCOL.md 7.2; SECURITY.md rows 17, 25, 26).
#   - a node name not in the set's accept_from: ERROR DENIED;
#   - a set that does not exist: ERROR NOSET; a malformed set name: ERROR
#     PROTOCOL;
#   - alpha denied on a set only gamma may write, while its own set works;
#   - 200 connections opened at once that never speak, plus one trickling
#     a byte at a time: a good push still completes meanwhile, and the
#     handshake deadline closes them all and frees their slots.
. "$(dirname "$0")/lib.sh"

[ -x "$RAWPEER" ] || hard_error "$RAWPEER: not built"

area=$T/area
dst=$area/dst
other=$area/other
outside=$area/outside
src=$T/src
mkdir -p "$dst" "$other" "$outside" "$src/sub"
echo "do not touch" >"$outside/sentinel"
touch -d '2001-01-01 00:00:00.123456789' "$outside/sentinel"
echo "gamma's" >"$other/theirs"
echo "good file" >"$src/one"
echo "another" >"$src/sub/two"

cat >"$T/beta.yaml" <<EOF
node:
  name: beta
  listen: "127.0.0.1:0"
peers:
  - name: alpha
  - name: gamma
sets:
  - name: site
    path: $dst
    accept_from: [alpha]
  - name: other
    path: $other
    accept_from: [gamma]
EOF

start_daemon beta "$T/beta.yaml"
PID=${DAEMON_PID[beta]}
tree_snapshot "$area" "$T/area.before" dst
fd_count()
{
	ls "/proc/$PID/fd" 2>/dev/null | wc -l
}
FD_BASE=$(fd_count)

# An unknown node, and a known node on a set it may not write: DENIED, and
# nothing is listed or changed (no MANIFEST before the ERROR).
rawpeer_ok beta "unknown node" 'hello mallory' 'push site' 'expect-error denied' \
    expect-eof
rawpeer_ok beta "alpha on gamma's set" 'hello alpha' 'push other' 'expect-error 5' \
    expect-eof
rawpeer_ok beta "mallory on gamma's set with entries" 'hello mallory' 'push other' \
    'dir 1 pwned' 'file 2 theirs 4' 'file-end 2 0' 'expect-error 5' \
    expect-closed
# No such set; a set name that is not a name.
rawpeer_ok beta "no such set" 'hello alpha' 'push nosuch' 'expect-error noset' expect-eof
rawpeer_ok beta "set name ../site" 'hello alpha' 'push ../site' 'expect-error protocol' \
    expect-closed
rawpeer_ok beta "set name with NUL" 'hello alpha' 'push site\0x' 'expect-error 1' \
    expect-closed
# The names the refusals were for are in the log.
grep -qE 'peer=mallory addr=127\.0\.0\.1:[0-9]+ set=site: refused: permission denied' \
    "$T/beta.log" || fail "no DENIED refusal naming peer=mallory in the log"
grep -qE 'peer=alpha addr=127\.0\.0\.1:[0-9]+ set=other: refused: permission denied' \
    "$T/beta.log" || fail "no DENIED refusal naming alpha on set other"
grep -qE 'peer=alpha addr=.* set=nosuch: refused: no such set' \
    "$T/beta.log" || fail "no NOSET refusal in the log"
tree_snapshot "$area" "$T/area.after" dst
cmp -s "$T/area.before" "$T/area.after" ||
    fail "a denied peer changed something outside the root"
[ -z "$(ls -A "$dst")" ] || fail "a denied peer wrote into the root"

# alpha's own set still works.
push_ok "$src" "$(dest beta site)"
tree_equal "$src" "$dst"

# 200 connections that never speak, and one that trickles HELLO a byte
# every 1.5 s, while a good push runs.
"$RAWPEER" -t 60000 "${DAEMON_PORT[beta]}" 'hold 200' "touch $T/held" \
    "wait-file $T/release 60000" >"$T/hold.out" 2>&1 &
holder=$!
"$RAWPEER" -v -t 30000 "${DAEMON_PORT[beta]}" \
    'trickle 0000001f010000005a43533100010000 1500' expect-closed \
    >"$T/trickle.out" 2>&1 &
trickler=$!
held()
{
	[ -e "$T/held" ] || ! kill -0 "$holder" 2>/dev/null
}
wait_for -t 30 held || fail "the 200 connections were not made in 30 s"
kill -0 "$holder" 2>/dev/null || fail "rawpeer hold: $(cat "$T/hold.out")"
# Connections still in their handshake are capped per address (32, from
# 127.0.0.1 here): the newest evict the oldest, so the daemon never holds
# the 200 and a real peer still gets a slot (daemon/listen.c).
evicted()
{
	[ "$(grep -c 'evicted before its handshake was done' "$T/beta.log")" -ge 150 ]
}
wait_for -t 10 evicted ||
    fail "the per-address cap did not evict: $(grep -c evicted "$T/beta.log") evictions"
[ "$(fd_count)" -le $((FD_BASE + 40)) ] ||
    fail "zcsyncd holds $(fd_count) descriptors, over the cap (baseline $FD_BASE + 32)"
t0=$(date +%s%N)
echo "changed while crowded" >"$src/one"
push_ok "$src" "$(dest beta site)"
tree_equal "$src" "$dst"
log "a push with 200 silent connections open took $((($(date +%s%N) - t0) / 1000000)) ms"
daemon_alive beta || fail "zcsyncd died"

# The handshake deadline closes every silent connection and the trickler
# (10 s by docs/PROTOCOL.md section 2); their slots and descriptors free.
fds_back()
{
	[ "$(fd_count)" -le "$FD_BASE" ]
}
wait_for -t 25 fds_back ||
    fail "zcsyncd still holds $(fd_count) descriptors (baseline $FD_BASE) 25 s on"
trickle_done()
{
	! kill -0 "$trickler" 2>/dev/null
}
wait_for -t 30 trickle_done || fail "the trickling peer was never closed"
wait "$trickler" || fail "rawpeer trickle: $(tail -n 5 "$T/trickle.out")"
grep -q 'the receiver closed' "$T/trickle.out" ||
    fail "the trickling peer sent everything: $(tail -n 3 "$T/trickle.out")"
# Every one of the 201 went: evicted by the cap, dropped at the first-byte
# deadline (listen.c), or, the trickler, at the HELLO/PUSH deadline.
n=$(grep -cE 'handshake not done in time|said nothing in|evicted before' "$T/beta.log")
[ "$n" -ge 201 ] ||
    fail "only $n connections closed by the caps or the deadlines, want 201"
touch "$T/release"
wait "$holder" || fail "rawpeer hold exited $?: $(tail -n 5 "$T/hold.out")"

# And after all that, a push still works.
echo "after the crowd" >"$src/sub/three"
push_ok "$src" "$(dest beta site)"
tree_equal "$src" "$dst"
no_temp_files "$area"
tree_snapshot "$area" "$T/area.after" dst
cmp -s "$T/area.before" "$T/area.after" ||
    fail "something outside the root changed"

finish_ok beta
