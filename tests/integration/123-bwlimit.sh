[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 123-bwlimit: bandwidth caps.  `zcsync push --bwlimit 2M` of 8 MiB takes
# about 4 s, and a push without a limit started beside it is not slowed
# (it ends first).  A daemon with peers[].bwlimit paces its live links to
# that peer, two sets sharing the cap (catch-up of 8 + 4 MiB: about 6 s),
# while its link to another peer without a limit, for the same set, is
# done long before; a reload that lifts the limit applies to the open
# link.  A pull served to a peer with a bwlimit is paced too.  Bytes equal
# every time.  The bounds are loose: this checks that the cap works,
# bench/run-bwlimit.sh measures how close it is.
. "$(dirname "$0")/lib.sh"

need_free_space "$T" 100

MIB8=$((8 * 1024 * 1024))

# elapsed T0: seconds since T0 (an $EPOCHREALTIME), with 3 decimals.
elapsed()
{
	awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }'
}

# between SECS LO HI: LO <= SECS < HI.
between()
{
	awk -v s="$1" -v lo="$2" -v hi="$3" \
	    'BEGIN { exit !(s >= lo && s < hi) }'
}

mkdir -p "$T/src-slow" "$T/src-fast" "$T/dst-slow" "$T/dst-fast" \
    "$T/live" "$T/live-beta" "$T/live-gamma" "$T/served" "$T/pulled" \
    "$T/live2" "$T/live2-beta"
gen_file "$T/src-slow/big" "$MIB8" 31
gen_file "$T/src-fast/big" "$MIB8" 32
gen_file "$T/live/big" "$MIB8" 33
gen_file "$T/live2/half" $((4 * 1024 * 1024)) 37
gen_file "$T/served/big" "$MIB8" 34
echo small >"$T/live/small"

cat >"$T/beta.yaml" <<EOF
node:
  name: beta
  listen: "127.0.0.1:0"
peers:
  - name: alpha
    bwlimit: 2M
sets:
  - name: slow
    path: $T/dst-slow
    accept_from: [alpha]
    fsync: false
  - name: fast
    path: $T/dst-fast
    accept_from: [alpha]
    fsync: false
  - name: live
    path: $T/live-beta
    accept_from: [alpha]
    fsync: false
  - name: live2
    path: $T/live2-beta
    accept_from: [alpha]
    fsync: false
  - name: served
    path: $T/served
    serve_to: [alpha]
EOF
start_daemon beta "$T/beta.yaml"

# ---- The client: one push with --bwlimit 2M, one without, together.
t0=$EPOCHREALTIME
timeout -k 5 "$PUSH_TIMEOUT" "$ZCSYNC" push --name "$CLIENT_NAME" \
    --bwlimit 2M "$T/src-slow" "$(dest beta slow)" >"$T/push-slow.out" \
    2>"$T/push-slow.err" </dev/null &
pid_slow=$!
bg_track "$pid_slow"
push_ok "$T/src-fast" "$(dest beta fast)"
t_fast=$(elapsed "$t0")
pid_alive "$pid_slow" ||
    fail "the limited push ended before the unlimited one (${t_fast} s)"
wait_for -t 20 eval '! pid_alive '"$pid_slow" ||
    fail "the limited push did not end within 20 s"
rc=0
wait "$pid_slow" || rc=$?
t_slow=$(elapsed "$t0")
sed -e 's/^/#   slow: /' "$T/push-slow.out" "$T/push-slow.err"
log "unlimited push: ${t_fast} s; --bwlimit 2M push of 8 MiB: ${t_slow} s"
[ "$rc" = 0 ] || fail "the limited push exited $rc"
between "$t_slow" 3.5 8 ||
    fail "--bwlimit 2M moved 8 MiB in ${t_slow} s, expected 3.5..8 s"
between "$t_fast" 0 3 ||
    fail "the unlimited push took ${t_fast} s beside a limited one"
tree_equal "$T/src-slow" "$T/dst-slow"
tree_equal "$T/src-fast" "$T/dst-fast"
no_temp_files "$T/dst-slow"

# --bwlimit takes the config's syntax, and refuses anything else.
for bad in 2X -1 M 1.5M ""; do
	push --bwlimit "$bad" "$T/src-fast" "$(dest beta fast)"
	[ "$PUSH_RC" = 2 ] ||
	    fail "--bwlimit '$bad' exited $PUSH_RC, expected 2"
	grep -q 'bwlimit' "$T/push.err" || fail "--bwlimit '$bad': no reason"
done

# ---- A pull served to alpha is paced by beta's peers[].bwlimit.
t0=$EPOCHREALTIME
pull_ok "$(dest beta served)" "$T/pulled"
t_pull=$(elapsed "$t0")
log "pull of 8 MiB from a server with bwlimit 2M: ${t_pull} s"
between "$t_pull" 3.5 8 ||
    fail "a pull served at 2M moved 8 MiB in ${t_pull} s, expected 3.5..8 s"
tree_equal "$T/served" "$T/pulled"

# ---- A daemon: one set to two peers, one of them limited.
FSYNC=false recv_config -n gamma "$T/gamma.yaml" "live:$T/live-gamma"
start_daemon gamma "$T/gamma.yaml"
cat >"$T/alpha.yaml" <<EOF
node:
  name: alpha
peers:
  - name: beta
    address: "127.0.0.1:${DAEMON_PORT[beta]}"
    bwlimit: 2M
  - name: gamma
    address: "127.0.0.1:${DAEMON_PORT[gamma]}"
sets:
  - name: live
    path: $T/live
    push_to: [beta, gamma]
  - name: live2
    path: $T/live2
    push_to: [beta]
EOF
t0=$EPOCHREALTIME
start_node alpha "$T/alpha.yaml"
wait_log alpha 'peer=gamma set=live: in sync; mirroring live' 20
t_gamma=$(elapsed "$t0")
trees_same "$T/live" "$T/live-beta" &&
    fail "the limited peer was in sync as soon as the unlimited one"
wait_log alpha 'peer=beta set=live: in sync; mirroring live' 20
wait_log alpha 'peer=beta set=live2: in sync; mirroring live' 20
t_beta=$(elapsed "$t0")
log "catch-up: unlimited peer (8 MiB) ${t_gamma} s," \
    "peer at 2M (8 + 4 MiB in two sets) ${t_beta} s"
between "$t_gamma" 0 3 ||
    fail "the unlimited peer took ${t_gamma} s beside a limited one"
# One bucket for the peer, both sets together: 12 MiB at 2M, about 6 s.
between "$t_beta" 5.5 11 ||
    fail "the peer at 2M took ${t_beta} s for 12 MiB in two sets," \
    "expected 5.5..11 s"
mirror_ok "$T/live" "$T/live-gamma" alpha gamma
mirror_ok "$T/live" "$T/live-beta" alpha beta
mirror_ok "$T/live2" "$T/live2-beta" alpha beta

# Live changes to the limited peer are paced too: 4 MiB more, about 2 s.
t0=$EPOCHREALTIME
gen_file "$T/live/more" $((4 * 1024 * 1024)) 35
wait_tree_equal "$T/live" "$T/live-beta" 20
t_more=$(elapsed "$t0")
log "live: 4 MiB to the peer at 2M in ${t_more} s"
between "$t_more" 1.5 8 ||
    fail "live: 4 MiB at 2M arrived in ${t_more} s, expected 1.5..8 s"
mirror_ok "$T/live" "$T/live-gamma" alpha gamma

grep -q 'peer=beta: sending at most 2097152 bytes/s' "$T/alpha.log" ||
    fail "alpha did not say it paces beta"

# A reload that lifts the limit applies to the open link, which is not
# restarted: 8 MiB more now arrive at full speed.
connects=$(log_count alpha 'peer=beta set=live: connected')
sed -i -e '/bwlimit: 2M/d' "$T/alpha.yaml"
kill -HUP "${DAEMON_PID[alpha]}"
wait_log alpha 'peer=beta: bwlimit now 0 bytes/s'
t0=$EPOCHREALTIME
gen_file "$T/live/after-reload" "$MIB8" 36
wait_tree_equal "$T/live" "$T/live-beta" 20
t_free=$(elapsed "$t0")
log "live, after the reload: 8 MiB to beta in ${t_free} s"
between "$t_free" 0 3 ||
    fail "after the limit was lifted, 8 MiB took ${t_free} s"
[ "$(log_count alpha 'peer=beta set=live: connected')" = "$connects" ] ||
    fail "the reload restarted the link to beta"
mirror_ok "$T/live" "$T/live-beta" alpha beta
check_logs
exit 0
