[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 062-tls-plain-remote: plain protocol from beyond loopback is refused by a
# daemon with an identity (TLS is required there), and served once the
# config says node.insecure: true.  Beyond loopback is a pair of network
# namespaces of our own joined by a veth pair, with 10.231.7.0/30
# addresses that exist only inside them; skipped where they cannot be
# made.  A pinned peer is served over TLS from there all along.
. "$(dirname "$0")/lib.sh"

command -v ip >/dev/null 2>&1 || skip "no ip(8)"
"$ZCSYNCD" --version | grep -q '+tls' ||
    skip "zcsyncd is built without TLS: $("$ZCSYNCD" --version)"

ns=zct$$
nsd=${ns}d
nsc=${ns}c
netns_made=0
netns_cleanup()
{
	local rc=$?

	stop_daemons
	if [ "$netns_made" = 1 ]; then
		ip netns del "$nsd" 2>/dev/null
		ip netns del "$nsc" 2>/dev/null
	fi
	(exit "$rc")
	cleanup
}
trap netns_cleanup EXIT
netns_made=1
if ! { ip netns add "$nsd" && ip netns add "$nsc" &&
    ip link add "${ns}a" netns "$nsd" type veth peer name "${ns}b" \
    netns "$nsc" &&
    ip -n "$nsd" addr add 10.231.7.1/30 dev "${ns}a" &&
    ip -n "$nsc" addr add 10.231.7.2/30 dev "${ns}b" &&
    ip -n "$nsd" link set "${ns}a" up && ip -n "$nsc" link set "${ns}b" up &&
    ip -n "$nsd" link set lo up && ip -n "$nsc" link set lo up; } \
    2>"$T/netns.err"; then
	skip "cannot make network namespaces here: $(head -n 1 "$T/netns.err")"
fi
ip netns exec "$nsc" true 2>"$T/netns.err" ||
    skip "cannot enter a network namespace: $(head -n 1 "$T/netns.err")"

src=$T/src
dst=$T/dst
mkdir -p "$src" "$dst" "$T/id"
echo "one" >"$src/one"
for id in alpha beta; do
	"$ZCSYNC" keygen -o "$T/id/$id" --name "$id" >"$T/keygen.$id" 2>&1 ||
	    fail "zcsync keygen $id: $(cat "$T/keygen.$id")"
done
pin()
{
	"$ZCSYNC" fingerprint "$T/id/$1/cert.pem" || fail "zcsync fingerprint $1"
}

# beta_config [INSECURE]: beta listening beyond loopback, with an identity.
beta_config()
{
	cat >"$T/beta.yaml" <<EOF
node:
  name: beta
  listen: "10.231.7.1:0"
  insecure: ${1:-false}
  identity:
    cert: $T/id/beta/cert.pem
    key: $T/id/beta/key.pem
peers:
  - name: alpha
    fingerprint: $(pin alpha)
sets:
  - name: site
    path: $dst
    accept_from: [alpha]
    fsync: false
EOF
}

# Without an identity (or node.insecure) such a listener is a config error.
cat >"$T/bare.yaml" <<EOF
node:
  name: beta
  listen: "10.231.7.1:0"
peers:
  - name: alpha
sets:
  - name: site
    path: $dst
    accept_from: [alpha]
EOF
"$ZCSYNCD" -t -c "$T/bare.yaml" >"$T/out" 2>&1 &&
    fail "zcsyncd -t accepts plain TCP beyond loopback without node.insecure"
grep -q 'node.listen: plain TCP beyond loopback needs node.insecure' "$T/out" ||
    fail "zcsyncd -t: $(cat "$T/out")"

beta_config false
cat >"$T/netns-zcsyncd" <<EOF
#!/bin/sh
exec ip netns exec $nsd "$ZCSYNCD" "\$@"
EOF
chmod +x "$T/netns-zcsyncd"
ZCSYNCD=$T/netns-zcsyncd start_daemon beta "$T/beta.yaml"
port=${DAEMON_PORT[beta]}
cat >"$T/alpha.yaml" <<EOF
node:
  name: alpha
  identity:
    cert: $T/id/alpha/cert.pem
    key: $T/id/alpha/key.pem
peers:
  - name: beta
    address: "10.231.7.1:$port"
    fingerprint: $(pin beta)
EOF

# cpush ARGS...: zcsync push from the client's namespace.
cpush()
{
	PUSH_RC=0
	ip netns exec "$nsc" timeout -k 5 60 "$ZCSYNC" push "$@" \
	    >"$T/push.out" 2>"$T/push.err" </dev/null || PUSH_RC=$?
	log "zcsync push $* (from $nsc) -> exit $PUSH_RC"
	sed -e 's/^/#   out: /' "$T/push.out"
	sed -e 's/^/#   err: /' "$T/push.err"
}
_more_lines()
{
	[ "$(log_count "$1" "$3")" -gt "$2" ]
}

# A pinned peer, over TLS, from beyond loopback.
cpush -c "$T/alpha.yaml" "$src" beta/site
[ "$PUSH_RC" = 0 ] || fail "TLS from beyond loopback: push exited $PUSH_RC"
tree_equal "$src" "$dst"
grep -qE "peer=alpha addr=10\.231\.7\.2:[0-9]+: TLS 1\.3, certificate $(pin alpha)\$" \
    "$T/beta.log" || fail "beta does not log alpha's TLS session with its pin"

# plain_refused DESC: the newest refusal names the client's address;
# nothing was written; beta is alive.
plain_refused()
{
	local line

	wait_for -t 10 _more_lines beta "$n" \
	    'refused: plain TCP from beyond loopback' ||
	    fail "$1: no refusal logged"
	line=$(grep 'refused: plain TCP from beyond loopback' "$T/beta.log" |
	    tail -n 1)
	log "$1: $line"
	grep -q 'addr=10\.231\.7\.2:' <<<"$line" ||
	    fail "$1: the refusal does not name the client's address: $line"
	tree_snapshot "$dst" "$T/dst.after"
	cmp -s "$T/dst.before" "$T/dst.after" || fail "$1: the set changed"
	daemon_alive beta || fail "$1: beta died"
}

# zcsync push to HOST:PORT is plain; --insecure lets the client try.
echo "two" >"$src/two"
tree_snapshot "$dst" "$T/dst.before"
n=$(log_count beta 'refused: plain TCP from beyond loopback')
cpush --insecure --name alpha "$src" "10.231.7.1:$port/site"
[ "$PUSH_RC" = 1 ] || fail "plain from beyond loopback: push exited $PUSH_RC"
plain_refused "zcsync push, plain"

# Any other bytes: refused at the first one, the connection closed.
n=$(log_count beta 'refused: plain TCP from beyond loopback')
ip netns exec "$nsc" timeout 15 bash -c '
	exec 3<>"/dev/tcp/10.231.7.1/$1" || exit 2
	printf "GET / HTTP/1.0\r\n\r\n" >&3
	cat <&3 >/dev/null' _ "$port" 2>"$T/http.err"
rc=$?
[ "$rc" != 124 ] || fail "plain bytes: the connection was not closed"
plain_refused "plain bytes"

# The good peer still pushes, over TLS.
cpush -c "$T/alpha.yaml" "$src" beta/site
[ "$PUSH_RC" = 0 ] || fail "TLS after the refusals: push exited $PUSH_RC"
tree_equal "$src" "$dst"

# node.insecure: true, by a reload: plain from there is served now.
beta_config true
kill -HUP "${DAEMON_PID[beta]}"
wait_log beta 'reloaded'
echo "three" >"$src/three"
cpush --insecure --name alpha "$src" "10.231.7.1:$port/site"
[ "$PUSH_RC" = 0 ] ||
    fail "plain from beyond loopback with node.insecure: push exited $PUSH_RC"
tree_equal "$src" "$dst"

finish_ok beta
