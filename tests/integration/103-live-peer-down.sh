[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 103-live-peer-down: the receiver is down when the sender starts; the
# sender retries (backing off) and, once the receiver is up, connects and
# catches up.  Then the receiver is killed (SIGKILL) and restarted: the
# mirror resumes by itself.  The receiver needs a port known in advance:
# we take one the kernel gave a receiver on port 0, and try again with
# another if it was taken meanwhile.
. "$(dirname "$0")/lib.sh"

src=$T/src
dst=$T/dst
mkdir -p "$src/d" "$dst"
echo "before anyone was up" >"$src/d/early"
ln -s d/early "$src/link"

# beta_config PORT: beta listening on 127.0.0.1:PORT.
beta_config()
{
	cat >"$T/beta.yaml" <<EOF
node:
  name: beta
  listen: "127.0.0.1:$1"
peers:
  - name: alpha
sets:
  - name: site
    path: $dst
    accept_from: [alpha]
    fsync: false
EOF
	tls_config "$T/beta.yaml"	# TLS mode: an identity and pins
}

# try_beta_on PORT: start beta on PORT; 1 if it could not listen there.
try_beta_on()
{
	local pf=$T/port.beta pid

	beta_config "$1"
	rm -f "$pf"
	"$ZCSYNCD" -c "$T/beta.yaml" --ready-fd 3 3>"$pf" </dev/null \
	    >>"$T/beta.log" 2>&1 &
	pid=$!
	DAEMON_PID[beta]=$pid
	wait_for -t 10 eval '_port_ready "$pf" || ! pid_alive '"$pid"
	if ! _port_ready "$pf"; then
		pid_alive "$pid" || { _reap_daemon beta; return 1; }
		fail "zcsyncd beta: no port on --ready-fd within 10 s"
	fi
	[ "$(head -n 1 "$pf")" = "$1" ] ||
	    fail "beta reports port $(head -n 1 "$pf"), not $1"
	DAEMON_PORT[beta]=$1
	log "zcsyncd beta: pid $pid port $1"
}

started=0
for ((try = 1; try <= 5; try++)); do
	# A port to use: the one the kernel gives beta on port 0.
	beta_config 0
	start_daemon beta "$T/beta.yaml"
	port=${DAEMON_PORT[beta]}
	stop_daemon beta

	cat >"$T/alpha.yaml" <<EOF
node:
  name: alpha
peers:
  - name: beta
    address: "127.0.0.1:$port"
sets:
  - name: site
    path: $src
    push_to: [beta]
    delete: true
EOF
	start_node alpha "$T/alpha.yaml"
	# It retries, backing off: wait for three failed dials.
	wait_for -t 10 eval '[ "$(log_count alpha "peer=beta set=site: connecting to beta: Connection refused; retrying in [0-9]+ ms")" -ge 3 ]' ||
	    fail "alpha did not log three refused dials to beta"
	daemon_alive alpha || fail "alpha died while beta was down"
	[ -e "$dst/d/early" ] && fail "beta got files while it was down?"
	# A change while beta is down: part of the catch-up.
	echo "while beta was down" >"$src/d/late"

	if try_beta_on "$port"; then
		started=1
		break
	fi
	log "port $port was taken meanwhile; trying another"
	stop_daemon alpha
done
[ "$started" = 1 ] || fail "could not start beta on a known port in 5 tries"

# The next dial (within the backoff: 2 s now, +25 % jitter) connects.
wait_log alpha 'peer=beta set=site: in sync; mirroring live' 10
wait_tree_equal "$src" "$dst" 10
mirror_ok "$src" "$dst" alpha beta
# Backoff delays logged: each about double the last (250 ms +-25 %, ...).
grep -oE 'retrying in [0-9]+ ms' "$T/alpha.log" | head -n 3 |
    awk '{ ms[NR] = $3 } END {
	if (ms[1] < 187 || ms[1] > 313) exit 1
	if (ms[2] < 375 || ms[2] > 625) exit 1
	if (ms[3] < 750 || ms[3] > 1250) exit 1 }' ||
    fail "the backoff is not 250 ms doubling: $(grep -oE 'retrying in [0-9]+ ms' "$T/alpha.log" | head -n 3 | tr '\n' ' ')"

echo "live" >"$src/d/live"
wait_tree_equal "$src" "$dst" 10

# The receiver crashes and comes back on the same port.
kill_daemon beta
echo "while beta was dead" >"$src/d/dead"
rm "$src/d/early"
wait_log alpha 'peer=beta set=site: connection ended' 10
daemon_alive alpha || fail "alpha died when beta was killed"
try_beta_on "$port" || fail "could not restart beta on port $port"
wait_tree_equal "$src" "$dst" 15
mirror_ok "$src" "$dst" alpha beta
[ "$(log_count alpha 'in sync; mirroring live')" -ge 2 ] ||
    fail "alpha did not catch up a second time"
echo "live again" >"$src/d/again"
wait_tree_equal "$src" "$dst" 10
mirror_ok "$src" "$dst" alpha beta

finish_ok alpha beta
