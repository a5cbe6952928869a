[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 070-netns-partition: a live mirror between two network namespaces (a
# veth pair, addresses that exist only there) survives the network
# failing under it (SECURITY.md row 35):
# - a partition of about 8 s in the middle of a large file, on a link
#   capped with tbf; healed, the transfer resumes (or the link notices,
#   backs off and reconnects) and the trees converge;
# - 5 % random loss each way (nftables numgen: this kernel has no netem)
#   on the capped link, while a tree is mirrored live and while a one-shot
#   push runs: both converge.
# Throughout, no file is ever visible under its final name with other
# bytes than the source's, and no temporary file or open body is left.
# The test runs in a mount namespace of its own, so that the namespaces'
# mounts go with it whatever happens; its trap deletes them too.
ZC_OWN_MNTNS=1
. "$(dirname "$0")/lib.sh"

need_root_netns
command -v tc >/dev/null 2>&1 || skip "no tc(8)"
need_free_space "$T" 300
fault_trap

netns_pair
[ "$HAVE_NFT" = 1 ] ||
    log "no nft(8): the partition takes the link down; no loss phase"

src=$T/src
dst=$T/dst
inbox=$T/inbox
stage=$T/stage
mkdir -p "$src/d" "$dst" "$inbox" "$stage"
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
  - name: inbox
    path: $inbox
    accept_from: [alpha]
    fsync: false
EOF
start_daemon_via beta "$T/beta.yaml" ip netns exec "$B" --
BPID=${DAEMON_PID[beta]}
cat >"$T/alpha.yaml" <<EOF
node:
  name: alpha
  insecure: true
peers:
  - name: beta
    address: "198.18.0.2:${DAEMON_PORT[beta]}"
sets:
  - name: site
    path: $src
    push_to: [beta]
    delete: true
EOF
start_daemon_via alpha "$T/alpha.yaml" ip netns exec "$A" --
wait_log alpha 'peer=beta set=site: in sync; mirroring live' 20
mirror_ok "$src" "$dst" alpha beta
FD_BASE=$(fd_count "$BPID")
log "beta holds $FD_BASE descriptors at rest"

# partition / heal: every packet between the two dropped, silently.
partition()
{
	if [ "$HAVE_NFT" = 1 ]; then
		ip netns exec "$B" nft -f - <<-'EOF' || fail "nft: partition"
		table inet zcpart {
			chain in { type filter hook input priority 0; policy drop; }
			chain out { type filter hook output priority 0; policy drop; }
		}
		EOF
	else
		ip -n "$B" link set "$P-eb" down || fail "link down failed"
	fi
	log "partitioned"
}
heal()
{
	if [ "$HAVE_NFT" = 1 ]; then
		ip netns exec "$B" nft delete table inet zcpart ||
		    fail "nft: heal"
	else
		ip -n "$B" link set "$P-eb" up || fail "link up failed"
	fi
	log "healed"
}

# Phase 1: a partition in the middle of a 48 MiB file on a 40 Mbit/s link.
tc -n "$A" qdisc add dev "$P-ea" root tbf rate 40mbit burst 64kb \
    latency 400ms || fail "tc tbf failed"
big=$((48 * 1024 * 1024))
gen_file "$stage/big" "$big" 70
final_watch_start "$src" "$dst"
mv "$stage/big" "$src/big"
# Wait (bounded) until a sixth of it has arrived.
wait_for -t 30 eval '[ "$(body_pos "$BPID" "$dst" || echo 0)" -ge $((big / 6)) ]' ||
    fail "the big file's body did not get going on beta: $(body_pos "$BPID" "$dst")"
pos0=$(body_pos "$BPID" "$dst")
partition
t0=$EPOCHSECONDS
# Eight seconds of partition; meanwhile nothing completes and nobody dies.
for ((i = 0; i < 16; i++)); do
	sleep 0.5
	daemon_alive alpha || fail "alpha died during the partition"
	daemon_alive beta || fail "beta died during the partition"
done
pos1=$(body_pos "$BPID" "$dst" || echo none)
log "body at $pos0 bytes when partitioned, $pos1 after $((EPOCHSECONDS - t0)) s"
[ -e "$dst/big" ] && fail "the big file landed while partitioned"
heal
t1=$EPOCHSECONDS
wait_tree_equal "$src" "$dst" 45
log "converged $((EPOCHSECONDS - t1)) s after the heal"
final_watch_stop
mirror_ok "$src" "$dst" alpha beta
log "alpha sessions: $(log_count alpha 'connected \(')," \
    "backoffs: $(log_count alpha 'retrying in')"

# Phase 2: 5 % loss each way on the capped link.
if [ "$HAVE_NFT" = 1 ]; then
	ip netns exec "$B" nft -f - <<-'EOF' || fail "nft: loss"
	table inet zcloss {
		chain in { type filter hook input priority 0; policy accept;
			numgen random mod 100 < 5 counter drop; }
		chain out { type filter hook output priority 0; policy accept;
			numgen random mod 100 < 5 counter drop; }
	}
	EOF
	mkdir -p "$stage/tree"
	for ((d = 0; d < 10; d++)); do
		mkdir "$stage/tree/d$d"
		for ((i = 0; i < 30; i++)); do
			echo "tree $d $i" >"$stage/tree/d$d/f$i"
		done
		gen_file "$stage/tree/d$d/mid" $((600 * 1024)) $((700 + d))
	done
	gen_file "$stage/tree/big2" $((8 * 1024 * 1024)) 71
	cp -a "$stage/tree" "$stage/tree-copy"
	final_watch_start "$src" "$dst"
	t2=$EPOCHSECONDS
	mv "$stage/tree" "$src/tree"
	wait_tree_equal "$src" "$dst" 50
	log "the tree converged under loss in $((EPOCHSECONDS - t2)) s"
	final_watch_stop
	mirror_ok "$src" "$dst" alpha beta

	# A one-shot push from the sender's namespace, under the same loss.
	PUSH_TIMEOUT=60 push_via ip netns exec "$A" -- --insecure \
	    "$stage/tree-copy" "198.18.0.2:${DAEMON_PORT[beta]}/inbox"
	[ "$PUSH_RC" = 0 ] || fail "the push under loss exited $PUSH_RC"
	tree_equal "$stage/tree-copy" "$inbox"
	no_temp_files "$inbox"
	log "loss: $(ip netns exec "$B" nft list table inet zcloss |
	    grep -o 'packets [0-9]*' | tr '\n' ' ')dropped"
	ip netns exec "$B" nft delete table inet zcloss || fail "nft: unloss"
fi
tc -n "$A" qdisc del dev "$P-ea" root || fail "tc: removing tbf failed"

# Still live after all that, and nothing left over on beta.
echo "after the faults" >"$src/d/after"
rm "$src/d/f3"
wait_tree_equal "$src" "$dst" 20
mirror_ok "$src" "$dst" alpha beta
wait_for -t 10 eval '! ls -l "/proc/$BPID/fd" | grep -q "(deleted)"' ||
    fail "beta still holds an unlinked body: $(ls -l "/proc/$BPID/fd" | grep '(deleted)')"
wait_for -t 10 eval '[ "$(fd_count "$BPID")" -le $((FD_BASE + 2)) ]' ||
    fail "beta holds $(fd_count "$BPID") descriptors, $FD_BASE at rest"

finish_ok alpha beta
