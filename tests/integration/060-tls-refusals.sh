[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 060-tls-refusals: a daemon with an identity refuses, over TLS: a client
# without a certificate, an unknown certificate, a pinned peer writing to a
# set that does not accept it (whatever name it claims), an old pin removed
# by a reload after a key rotation, and TLS 1.2.  Each is logged (with the
# fingerprint where a certificate was presented), writes nothing into the
# set, and leaves the daemon serving a good peer.  Plain protocol from
# loopback is still served (the documented rule); 062-tls-plain-remote
# shows plain protocol from beyond loopback refused.
. "$(dirname "$0")/lib.sh"

command -v openssl >/dev/null 2>&1 || skip "no openssl(1)"
"$ZCSYNCD" --version | grep -q '+tls' ||
    skip "zcsyncd is built without TLS: $("$ZCSYNCD" --version)"

src=$T/src
dst=$T/dst
gdst=$T/gdst
mkdir -p "$src" "$dst" "$gdst"
echo "first" >"$src/marker"
head -c 100000 /dev/urandom >"$src/blob"

# Identities: beta receives; alpha pushes (two keys: old and new, for the
# rotation); gamma is a pinned peer with a set of its own; mallory is a
# valid certificate that nobody pins.
mkdir -p "$T/id"
for id in beta alpha-old alpha-new gamma mallory; do
	"$ZCSYNC" keygen -o "$T/id/$id" --name "${id%-*}" >"$T/keygen.$id" 2>&1 ||
	    fail "zcsync keygen $id: $(cat "$T/keygen.$id")"
done
pin()
{
	"$ZCSYNC" fingerprint "$T/id/$1/cert.pem" || fail "zcsync fingerprint $1"
}
head -n 1 "$T/keygen.mallory" | grep -qxE 'fingerprint: sha256:[0-9a-f]{64}' ||
    fail "keygen does not print the pin first: $(head -n 1 "$T/keygen.mallory")"
[ "fingerprint: $(pin mallory)" = "$(head -n 1 "$T/keygen.mallory")" ] ||
    fail "zcsync fingerprint disagrees with keygen"

# beta_config PINS-OF-ALPHA: the receiver; alpha is pinned by PINS.
beta_config()
{
	cat >"$T/beta.yaml" <<EOF
node:
  name: beta
  listen: "127.0.0.1:0"
  identity:
    cert: $T/id/beta/cert.pem
    key: $T/id/beta/key.pem
peers:
  - name: alpha
    fingerprint: $1
  - name: gamma
    fingerprint: $(pin gamma)
sets:
  - name: site
    path: $dst
    accept_from: [alpha]
    fsync: false
  - name: gset
    path: $gdst
    accept_from: [gamma]
    fsync: false
EOF
}
beta_config "[$(pin alpha-old), $(pin alpha-new)]"
start_daemon beta "$T/beta.yaml"
port=${DAEMON_PORT[beta]}

# client_config ID NAME [FILE]: a pusher with identity ID, calling
# itself NAME, that knows beta by its pin; in $T/client.ID.yaml or FILE.
client_config()
{
	cat >"${3:-$T/client.$1.yaml}" <<EOF
node:
  name: $2
  identity:
    cert: $T/id/$1/cert.pem
    key: $T/id/$1/key.pem
peers:
  - name: beta
    address: "127.0.0.1:$port"
    fingerprint: $(pin beta)
EOF
}
client_config alpha-old alpha
client_config alpha-new alpha
client_config gamma gamma
client_config mallory mallory
# mallory calling itself alpha: a name decides nothing.
client_config mallory alpha "$T/client.mallory-as-alpha.yaml"

# tpush CLIENT SET: push src into beta's SET over TLS (by peer name), with
# $T/client.CLIENT.yaml, under the name that file gives.
tpush()
{
	CLIENT_NAME=$(awk '/^  name:/ { print $2; exit }' "$T/client.$1.yaml") \
	    push -c "$T/client.$1.yaml" "$src" "beta/$2"
}

# The first good push, over TLS.
tpush alpha-new site
[ "$PUSH_RC" = 0 ] || fail "the first TLS push exited $PUSH_RC"
tree_equal "$src" "$dst"
grep -qE "peer=alpha addr=127\.0\.0\.1:[0-9]+: TLS 1\.3, certificate $(pin alpha-new)\$" \
    "$T/beta.log" || fail "beta does not log alpha's TLS session and pin"

round=0
# refused DESC: after a refusal: nothing written in either set, beta
# alive, and a good peer (alpha, new key) still pushes a change.
refused()
{
	round=$((round + 1))
	tree_snapshot "$dst" "$T/dst.after"
	cmp -s "$T/dst.before" "$T/dst.after" ||
	    fail "$1: the set site changed"
	[ -z "$(ls -A "$gdst")" ] || fail "$1: the set gset was written"
	daemon_alive beta || fail "$1: beta died"
	echo "after $1" >"$src/marker"
	tpush alpha-new site
	[ "$PUSH_RC" = 0 ] || fail "$1: the good push after it exited $PUSH_RC"
	expect_summary sent 1 failed 0
	tree_equal "$src" "$dst"
	tree_snapshot "$dst" "$T/dst.before"
	log "refused as it should be: $1"
}
tree_snapshot "$dst" "$T/dst.before"

# wait_new NAME BEFORE ERE: wait until NAME's log has more lines matching
# ERE than BEFORE; print the newest.
_more_lines()
{
	[ "$(log_count "$1" "$3")" -gt "$2" ]
}
wait_new()
{
	wait_for -t 15 _more_lines "$1" "$2" "$3" ||
	    fail "no new line matching '$3' in $1.log"
	grep -E -e "$3" "$T/$1.log" | tail -n 1
}

# 1. No client certificate: openssl s_client presents none.
n=$(log_count beta 'TLS handshake failed')
timeout 20 openssl s_client -connect "127.0.0.1:$port" -tls1_3 -ign_eof \
    </dev/null >"$T/s_client.out" 2>&1
line=$(wait_new beta "$n" 'TLS handshake failed')
log "no certificate: $line"
grep -q 'did not return a certificate' <<<"$line" ||
    fail "no certificate: beta says: $line"
grep -q 'certificate required' "$T/s_client.out" ||
    fail "no certificate: the client was not told: $(grep -i alert "$T/s_client.out")"
refused "no client certificate"

# 2. An unknown certificate (valid, self-signed, pinned by nobody).
n=$(log_count beta 'TLS handshake failed')
tpush mallory site
[ "$PUSH_RC" = 1 ] || fail "unknown certificate: push exited $PUSH_RC, expected 1"
line=$(wait_new beta "$n" 'TLS handshake failed')
log "unknown certificate: $line"
grep -qF "certificate $(pin mallory) is not pinned" <<<"$line" ||
    fail "unknown certificate: not logged with its fingerprint: $line"
refused "an unknown certificate"
# The same, claiming a name beta knows.
n=$(log_count beta 'TLS handshake failed')
tpush mallory-as-alpha site
[ "$PUSH_RC" = 1 ] || fail "unknown certificate named alpha: exit $PUSH_RC"
line=$(wait_new beta "$n" 'TLS handshake failed')
grep -qF "certificate $(pin mallory) is not pinned" <<<"$line" ||
    fail "unknown certificate named alpha: not logged with its pin: $line"
refused "an unknown certificate that calls itself alpha"

# 3. The right certificate for the wrong set: gamma is pinned, but site
# accepts alpha only; and calling itself alpha changes nothing.
# denied_gamma: the newest refusal names gamma, and its session is the one
# gamma's certificate opened.
denied_gamma()
{
	local line addr

	line=$(wait_new beta "$n" 'peer=gamma addr=[^ ]+ set=site: refused: permission denied')
	log "wrong set: $line"
	addr=$(sed -E 's/^.* addr=([^ ]+) set=.*$/\1/' <<<"$line")
	grep -qE "peer=gamma addr=$addr: TLS 1\.3, certificate $(pin gamma)\$" \
	    "$T/beta.log" ||
	    fail "wrong set: the refused session ($addr) is not logged with gamma's pin"
}
n=$(log_count beta 'peer=gamma addr=[^ ]+ set=site: refused: permission denied')
tpush gamma site
[ "$PUSH_RC" = 1 ] || fail "wrong set: push exited $PUSH_RC, expected 1"
grep -q 'denied' "$T/push.err" || fail "wrong set: the refusal does not say denied"
denied_gamma
refused "gamma's certificate for alpha's set"
n=$(log_count beta 'peer=gamma addr=[^ ]+ set=site: refused: permission denied')
CLIENT_NAME=alpha push -c "$T/client.gamma.yaml" "$src" beta/site
[ "$PUSH_RC" = 1 ] || fail "gamma as alpha: push exited $PUSH_RC, expected 1"
grep -q 'denied' "$T/push.err" || fail "gamma as alpha: not denied"
grep -q 'peer "gamma"' "$T/push.err" ||
    fail "gamma as alpha: the refusal does not name gamma: $(cat "$T/push.err")"
denied_gamma
grep -q 'peer=gamma .*HELLO claims another name (alpha)' "$T/beta.log" ||
    fail "gamma as alpha: beta does not log the false claim"
refused "gamma's certificate, calling itself alpha"
# gamma may write its own set.
tpush gamma gset
[ "$PUSH_RC" = 0 ] || fail "gamma into its own set: exit $PUSH_RC"
tree_equal "$src" "$gdst"
rm -rf "${gdst:?}"/*

# 4. Key rotation: both of alpha's keys work while both are pinned; a
# reload that drops the old pin refuses the old key, at once.
tpush alpha-old site
[ "$PUSH_RC" = 0 ] || fail "rotation: the old key before the reload: exit $PUSH_RC"
tree_snapshot "$dst" "$T/dst.before"
beta_config "$(pin alpha-new)"
n=$(log_count beta 'reloaded')
kill -HUP "${DAEMON_PID[beta]}"
wait_new beta "$n" 'reloaded' >/dev/null
n=$(log_count beta 'TLS handshake failed')
echo "by the old key" >"$src/marker"
tpush alpha-old site
[ "$PUSH_RC" = 1 ] || fail "rotation: the old key after the reload: exit $PUSH_RC"
line=$(wait_new beta "$n" 'TLS handshake failed')
log "old pin: $line"
grep -qF "certificate $(pin alpha-old) is not pinned" <<<"$line" ||
    fail "rotation: the old key is not logged with its pin: $line"
refused "the old key after the rotation"

# 5. TLS 1.2 only, with a certificate beta pins: the version decides.
n=$(log_count beta 'TLS handshake failed')
timeout 20 openssl s_client -connect "127.0.0.1:$port" -tls1_2 \
    -cert "$T/id/alpha-new/cert.pem" -key "$T/id/alpha-new/key.pem" \
    </dev/null >"$T/s_client.out" 2>&1
line=$(wait_new beta "$n" 'TLS handshake failed')
log "TLS 1.2: $line"
grep -qi 'protocol' <<<"$line" || fail "TLS 1.2: beta says: $line"
grep -qiE 'protocol version|unsupported protocol' "$T/s_client.out" ||
    fail "TLS 1.2: the client was not told: $(grep -i -m 3 'alert\|error' "$T/s_client.out")"
refused "TLS 1.2"

# 6. Plain protocol from loopback, without node.insecure: served (the
# documented rule: plain TCP is for loopback), with no TLS line.  zcsync
# push to HOST:PORT is always plain.
echo "plain from loopback" >"$src/marker"
n=$(log_count beta 'TLS 1\.3, certificate')
push "$src" "127.0.0.1:$port/site"
[ "$PUSH_RC" = 0 ] || fail "plain from loopback: push exited $PUSH_RC"
tree_equal "$src" "$dst"
[ "$(log_count beta 'TLS 1\.3, certificate')" = "$n" ] ||
    fail "the push to HOST:PORT used TLS"

finish_ok beta
