#!/bin/sh
# ktls-guest.sh: run inside the kTLS guest by 200-ktls-vm.sh (not a test of
# its own).  Two daemons with pinned TLS identities on loopback; the sender
# mirrors a set live to the receiver; the body must leave by SSL_sendfile
# over kernel TLS (the sender's own log says which path is live) and arrive
# byte for byte.  Usage: ktls-guest.sh BUILDDIR WORKDIR
set -u
B=$1 W=$2
fail() { echo "ktls-guest: FAIL: $*"; for f in "$W"/*.log; do echo "--- $f"; cat "$f"; done; exit 1; }
mkdir -p "$W/src" "$W/dst" || exit 1
for n in a b; do
	openssl req -x509 -newkey ed25519 -nodes -keyout "$W/$n.key" \
	    -out "$W/$n.crt" -days 2 -subj "/CN=$n" 2>/dev/null || fail "openssl req"
	chmod 600 "$W/$n.key"
done
fpr() { openssl x509 -in "$1" -noout -fingerprint -sha256 | cut -d= -f2; }
cat >"$W/b.yaml" <<CONF
node: {name: beta, listen: "127.0.0.1:0", identity: {cert: $W/b.crt, key: $W/b.key}}
peers: [{name: alpha, fingerprint: ["$(fpr "$W/a.crt")"]}]
sets: [{name: site, path: $W/dst, accept_from: [alpha], fsync: false}]
CONF
"$B/zcsyncd" -c "$W/b.yaml" --ready-fd 3 3>"$W/b.port" 2>"$W/b.log" &
bpid=$!
i=0
until grep -q . "$W/b.port" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 200 ] || fail "receiver did not start"; sleep 0.05
done
cat >"$W/a.yaml" <<CONF
node: {name: alpha, identity: {cert: $W/a.crt, key: $W/a.key}}
peers: [{name: beta, address: "127.0.0.1:$(cat "$W/b.port")", fingerprint: "$(fpr "$W/b.crt")"}]
sets: [{name: site, path: $W/src, push_to: [beta], fsync: false}]
CONF
head -c 8388608 /dev/urandom >"$W/src/body.bin" || fail "making the body"
"$B/zcsyncd" -c "$W/a.yaml" 2>"$W/a.log" &
apid=$!
i=0
until cmp -s "$W/src/body.bin" "$W/dst/body.bin"; do
	i=$((i + 1)); [ $i -lt 1200 ] || fail "the body did not arrive in 60 s"; sleep 0.05
done
grep -q 'kTLS: bodies by SSL_sendfile' "$W/a.log" || fail "the sender did not use kTLS"
kill "$apid" "$bpid"
wait
echo "ktls-guest: PASS: 8 MiB mirrored over kTLS (SSL_sendfile), bytes equal"
grep -h 'TLS' "$W/a.log" | sed 's/^/ktls-guest: /'
