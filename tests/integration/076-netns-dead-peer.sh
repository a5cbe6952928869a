[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 076-netns-dead-peer: a live mirror between two network namespaces loses
# its peer silently, for longer than TCP gives it (SECURITY.md row 35):
# - a partition (every packet dropped) in the middle of a large file,
#   kept until the sender notices (TCP_USER_TIMEOUT 30 s: bounded here
#   at 45 s).  Meanwhile the receiver lets the dead session's body go
#   (keepalive: 10 s + 3 x 5 s), the sender backs off between dials
#   (no tight loop: its log and its CPU time show it), and once healed it
#   reconnects and the trees converge;
# - a reset storm (every segment to the receiver's port answered with
#   RST, nftables) in the middle of a file: the session ends at once, the
#   dials are refused, and after the storm the trees converge; the
#   receiver, whose own segments were reset too, lets the old session's
#   body go by keepalive.
# Nothing half-written is ever visible under a final name; nothing is
# left over.  The test runs in a mount namespace of its own, so that the
# namespaces' mounts go with it; its trap deletes them too.
ZC_OWN_MNTNS=1
. "$(dirname "$0")/lib.sh"

need_root_netns
command -v tc >/dev/null 2>&1 || skip "no tc(8)"
need_free_space "$T" 200
fault_trap

netns_pair

src=$T/src
dst=$T/dst
stage=$T/stage
mkdir -p "$src/d" "$dst" "$stage"
for ((i = 0; i < 20; i++)); do
	echo "before $i" >"$src/d/f$i"
done

cat >"$T/beta.yaml" <<EOF
node:
  name: beta
  listen: "198.18.0.2:0"
  insecure: true
peers:
  - name: alpha
sets:
  - name: site
    path: $dst
    accept_from: [alpha]
    fsync: false
EOF
start_daemon_via beta "$T/beta.yaml" ip netns exec "$B" --
BPID=${DAEMON_PID[beta]}
PORT=${DAEMON_PORT[beta]}
cat >"$T/alpha.yaml" <<EOF
node:
  name: alpha
  insecure: true
peers:
  - name: beta
    address: "198.18.0.2:$PORT"
sets:
  - name: site
    path: $src
    push_to: [beta]
    delete: true
EOF
start_daemon_via alpha "$T/alpha.yaml" ip netns exec "$A" --
APID=${DAEMON_PID[alpha]}
wait_log alpha 'peer=beta set=site: in sync; mirroring live' 20
mirror_ok "$src" "$dst" alpha beta
FD_BASE=$(fd_count "$BPID")
tc -n "$A" qdisc add dev "$P-ea" root tbf rate 40mbit burst 64kb \
    latency 400ms || fail "tc tbf failed"

no_body()
{
	! ls -l "/proc/$BPID/fd" 2>/dev/null | grep -q '(deleted)'
}

# new_big NAME SEED: a 32 MiB file appears in the source at once, and
# beta is a sixth into its body (bounded wait).
new_big()
{
	local size=$((32 * 1024 * 1024))

	gen_file "$stage/$1" "$size" "$2"
	mv "$stage/$1" "$src/$1"
	wait_for -t 30 eval '[ "$(body_pos "$BPID" "$dst" || echo 0)" -ge $((size / 6)) ]' ||
	    fail "the body of $1 did not get going on beta"
}

# Phase 1: a silent partition that lasts.
if [ "$HAVE_NFT" = 1 ]; then
	partition() {
		ip netns exec "$B" nft -f - <<-'EOF' || fail "nft: partition"
		table inet zcpart {
			chain in { type filter hook input priority 0; policy drop; }
			chain out { type filter hook output priority 0; policy drop; }
		}
		EOF
	}
	heal() {
		ip netns exec "$B" nft delete table inet zcpart ||
		    fail "nft: heal"
	}
else
	partition() {
		ip -n "$B" link set "$P-eb" down || fail "link down failed"
	}
	heal() {
		ip -n "$B" link set "$P-eb" up || fail "link up failed"
	}
fi
final_watch_start "$src" "$dst"
new_big big1 761
ended0=$(log_count alpha 'peer=beta set=site: connection ended')
partition
t0=$EPOCHSECONDS
c0=$(cpu_ticks "$APID")
log "partitioned with $(body_pos "$BPID" "$dst") bytes of big1 on beta"
wait_for -t 45 eval '[ "$(log_count alpha "peer=beta set=site: connection ended")" -gt "$ended0" ]' ||
    fail "alpha did not notice the dead peer within 45 s"
noticed=$((EPOCHSECONDS - t0))
log "alpha noticed after $noticed s: $(grep 'connection ended' "$T/alpha.log" | tail -n 1 | sed -e 's/^.*: connection ended/connection ended/')"
# The receiver lets the dead session's body go (keepalive), while the
# partition lasts.
wait_for -t 30 no_body ||
    fail "beta still holds the dead session's body $((EPOCHSECONDS - t0)) s into the partition"
log "beta let the body go after $((EPOCHSECONDS - t0)) s"
[ -e "$dst/big1" ] && fail "big1 landed while partitioned"
# A few more seconds of dialling into the void: backoff, no tight loop.
sleep 2
c1=$(cpu_ticks "$APID")
secs=$((EPOCHSECONDS - t0))
dials=$(grep -c 'peer=beta set=site: connecting to beta: .*retrying in' "$T/alpha.log")
log "partitioned $secs s: alpha used $((c1 - c0)) CPU ticks, failed $dials dials: $(grep -oE 'retrying in [0-9]+ ms' "$T/alpha.log" | tail -n 4 | tr '\n' ' ')"
[ "$dials" -le 20 ] || fail "alpha dialled $dials times in $secs s: no backoff?"
[ $((c1 - c0)) -lt $(($(getconf CLK_TCK) * secs / 10)) ] ||
    fail "alpha used $((c1 - c0)) ticks of CPU in $secs s of partition"
daemon_alive alpha || fail "alpha died during the partition"
daemon_alive beta || fail "beta died during the partition"
heal
t1=$EPOCHSECONDS
wait_tree_equal "$src" "$dst" 45
log "converged $((EPOCHSECONDS - t1)) s after the heal"
final_watch_stop
mirror_ok "$src" "$dst" alpha beta

# Phase 2: a reset storm in the middle of a file (needs nft).
if [ "$HAVE_NFT" = 1 ]; then
	final_watch_start "$src" "$dst"
	new_big big2 762
	ended0=$(log_count alpha 'peer=beta set=site: connection ended')
	ip netns exec "$B" nft -f - <<-EOF || fail "nft: reset storm"
	table inet zcrst {
		chain in { type filter hook input priority 0; policy accept;
			tcp dport $PORT counter reject with tcp reset; }
	}
	EOF
	t0=$EPOCHSECONDS
	wait_for -t 10 eval '[ "$(log_count alpha "peer=beta set=site: connection ended")" -gt "$ended0" ]' ||
	    fail "alpha did not see the resets within 10 s"
	log "alpha saw the reset after $((EPOCHSECONDS - t0)) s"
	sleep 3
	[ -e "$dst/big2" ] && fail "big2 landed during the reset storm"
	log "resets: $(ip netns exec "$B" nft list table inet zcrst |
	    grep -oE 'packets [0-9]+' | head -n 1)"
	ip netns exec "$B" nft delete table inet zcrst || fail "nft: unrst"
	t1=$EPOCHSECONDS
	wait_tree_equal "$src" "$dst" 30
	log "converged $((EPOCHSECONDS - t1)) s after the storm"
	# beta never saw the resets (its peer's answers to it were reset
	# too): keepalive ends its session, 10 s after it went quiet.
	wait_for -t 30 no_body ||
	    fail "beta still holds the reset session's body $((EPOCHSECONDS - t1)) s after the storm"
	log "beta let the old body go $((EPOCHSECONDS - t1)) s after the storm"
	final_watch_stop
	mirror_ok "$src" "$dst" alpha beta
else
	log "no nft(8): no reset storm"
fi

tc -n "$A" qdisc del dev "$P-ea" root || fail "tc: removing tbf failed"
wait_for -t 10 no_body || fail "beta still holds an unlinked body"
wait_for -t 10 eval '[ "$(fd_count "$BPID")" -le $((FD_BASE + 2)) ]' ||
    fail "beta holds $(fd_count "$BPID") descriptors, $FD_BASE at rest"
finish_ok alpha beta
