[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 061-tls-trickle: TLS handshakes that never finish cannot hold a daemon.
# A ClientHello trickled one byte every 2 s is closed at the handshake
# deadline (10 s: ZC_RECV_HANDSHAKE_MS, after the first byte that ends
# the sniff, ZCD_SNIFF_MS); 200 half-open handshakes (part of a
# ClientHello, then silence) do not stop a good TLS peer from pushing,
# and are all closed at the deadline.  Afterwards the daemon holds no
# more file descriptors or connections than before, and nothing was
# written into the set but the good push.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null 2>&1 || skip "no python3"
python3 -c 'import ssl' 2>/dev/null || skip "python3 has no ssl module"
"$ZCSYNCD" --version | grep -q '+tls' ||
    skip "zcsyncd is built without TLS: $("$ZCSYNCD" --version)"

src=$T/src
dst=$T/dst
mkdir -p "$src/d" "$dst" "$T/id"
gen_file "$src/big" $((32 * 1024 * 1024)) 61
for ((i = 0; i < 50; i++)); do
	echo "small $i" >"$src/d/f$i"
done

for id in alpha beta; do
	"$ZCSYNC" keygen -o "$T/id/$id" --name "$id" >"$T/keygen.$id" 2>&1 ||
	    fail "zcsync keygen $id: $(cat "$T/keygen.$id")"
done
pin()
{
	"$ZCSYNC" fingerprint "$T/id/$1/cert.pem" || fail "zcsync fingerprint $1"
}
cat >"$T/beta.yaml" <<EOF
node:
  name: beta
  listen: "127.0.0.1:0"
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
start_daemon beta "$T/beta.yaml"
port=${DAEMON_PORT[beta]}
cat >"$T/alpha.yaml" <<EOF
node:
  name: alpha
  identity:
    cert: $T/id/alpha/cert.pem
    key: $T/id/alpha/key.pem
peers:
  - name: beta
    address: "127.0.0.1:$port"
    fingerprint: $(pin beta)
EOF

# The client side: a real ClientHello from Python's ssl module (OpenSSL),
# sent slowly (trickle) or in part on many connections (halfopen).
cat >"$T/hs.py" <<'EOF'
import select, socket, ssl, sys, time

def client_hello():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    hello = out.read()
    assert hello[0] == 0x16 and len(hello) > 100, hello[:8]
    return hello

def closed(s):
    """True if the peer has closed s (EOF or reset)."""
    try:
        return s.recv(4096) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True

def trickle(port, interval, limit):
    hello = client_hello()
    s = socket.create_connection(("127.0.0.1", port))
    s.setblocking(False)
    t0 = time.monotonic()
    sent = 0
    while time.monotonic() - t0 < limit:
        if sent < len(hello):
            try:
                s.send(hello[sent:sent + 1])
                sent += 1
            except OSError as e:
                print("closed after %.1f s (%s), %d of %d bytes sent"
                      % (time.monotonic() - t0, e.strerror, sent,
                         len(hello)))
                return 0
        r, _, _ = select.select([s], [], [], interval)
        if r and closed(s):
            print("closed after %.1f s, %d of %d bytes sent"
                  % (time.monotonic() - t0, sent, len(hello)))
            return 0
    print("still open after %.1f s, %d bytes sent" % (limit, sent))
    return 1

def halfopen(port, n, nbytes, ready, first, limit):
    hello = client_hello()[:nbytes]
    socks = []
    for i in range(n):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(hello)
        s.setblocking(False)
        socks.append(s)
    t0 = time.monotonic()
    open(ready, "w").write("%d\n" % n)
    pending = set(socks)
    times = []
    while pending and time.monotonic() - t0 < limit:
        r, _, _ = select.select(list(pending), [], [], 0.5)
        for s in r:
            if closed(s):
                if not times:
                    open(first, "w").write("%.1f\n" % (time.monotonic() - t0))
                times.append(time.monotonic() - t0)
                pending.discard(s)
                s.close()
    print("%d of %d closed by the daemon; first %.1f s, last %.1f s after "
          "the last connect" % (len(times), n, min(times or [0]),
                                max(times or [0])))
    return 0 if not pending else 1

if sys.argv[1] == "trickle":
    sys.exit(trickle(int(sys.argv[2]), float(sys.argv[3]),
                     float(sys.argv[4])))
sys.exit(halfopen(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]),
                  sys.argv[5], sys.argv[6], float(sys.argv[7])))
EOF

pid=${DAEMON_PID[beta]}
nfds()
{
	ls "/proc/$pid/fd" 2>/dev/null | wc -l
}
nconns()
{
	ss -Htn state established "( sport = :$port )" 2>/dev/null | wc -l
}
fds0=$(nfds)

# The trickle, in the background: one byte every 2 s, for at most 40 s.
python3 "$T/hs.py" trickle "$port" 2 40 >"$T/trickle.out" 2>&1 &
trickler=$!
bg_track "$trickler"

# 200 half-open handshakes: 60 bytes of a ClientHello each, then silence.
rm -f "$T/ready" "$T/first"
python3 "$T/hs.py" halfopen "$port" 200 60 "$T/ready" "$T/first" 40 \
    >"$T/halfopen.out" 2>&1 &
halfopener=$!
bg_track "$halfopener"
wait_for -t 20 eval '[ -s "$T/ready" ] || ! pid_alive '"$halfopener" ||
    fail "the half-open handshakes were not set up in 20 s"
[ -s "$T/ready" ] || fail "halfopen: $(cat "$T/halfopen.out")"
log "200 half-open handshakes; beta holds $(nfds) fds (before: $fds0)," \
    "$(nconns) connections"
[ "$(nconns)" -ge 200 ] || log "(ss counts only $(nconns) connections)"

# A good peer pushes meanwhile, over TLS, well within the deadline.
start=$EPOCHREALTIME
push -c "$T/alpha.yaml" "$src" beta/site
took=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
[ "$PUSH_RC" = 0 ] || fail "the good push exited $PUSH_RC beside the half-open handshakes"
expect_summary sent 51 failed 0
tree_equal "$src" "$dst"
no_temp_files "$dst"
[ -s "$T/first" ] &&
    fail "a half-open handshake was closed $(cat "$T/first") s in, before the good push (${took} s) ended: the test proves nothing"
grep -qE "peer=alpha addr=127\.0\.0\.1:[0-9]+: TLS 1\.3, certificate $(pin alpha)\$" \
    "$T/beta.log" || fail "beta does not log alpha's TLS session"
log "the good push took $took s with 200 handshakes pending"

# All 200 are closed at the deadline: 10 s, checked once a second.
wait_for -t 40 eval '! pid_alive '"$halfopener" ||
    fail "the half-open handshakes were not all closed in 40 s"
rc=0
wait "$halfopener" || rc=$?
log "halfopen: $(cat "$T/halfopen.out")"
[ "$rc" = 0 ] || fail "half-open handshakes left open: $(cat "$T/halfopen.out")"
first=$(cat "$T/first")
awk -v t="$first" 'BEGIN { exit !(t >= 8 && t <= 14) }' ||
    fail "the first half-open handshake was closed after $first s, not at the 10 s deadline"

# The trickle: closed at the deadline too, though a byte came every 2 s.
wait_for -t 40 eval '! pid_alive '"$trickler" || fail "the trickle did not end"
rc=0
wait "$trickler" || rc=$?
log "trickle: $(cat "$T/trickle.out")"
[ "$rc" = 0 ] || fail "the trickled handshake was not closed: $(cat "$T/trickle.out")"
t=$(sed -nE 's/^closed after ([0-9.]+) s.*$/\1/p' "$T/trickle.out")
awk -v t="$t" 'BEGIN { exit !(t != "" && t >= 9 && t <= 14) }' ||
    fail "the trickled handshake was closed after ${t:-?} s, not at the 10 s deadline"

# Logged, slots and descriptors freed, the daemon alive and serving.
c=$(log_count beta 'handshake not done in time, closing')
[ "$c" -ge 201 ] ||
    fail "beta logged $c handshake deadlines, expected 201"
wait_for -t 10 eval '[ "$(nfds)" -le '"$fds0"' ]' ||
    fail "beta holds $(nfds) fds after the handshakes were closed, $fds0 before"
wait_for -t 10 eval '[ "$(nconns)" = 0 ]' ||
    fail "beta still has $(nconns) connections"
daemon_alive beta || fail "beta died"
echo "after the storm" >"$src/d/f0"
push -c "$T/alpha.yaml" "$src" beta/site
[ "$PUSH_RC" = 0 ] || fail "the push after the handshakes exited $PUSH_RC"
expect_summary sent 1 failed 0
tree_equal "$src" "$dst"

stop_daemon beta
[ "${DAEMON_RC[beta]}" = 0 ] || fail "beta exited ${DAEMON_RC[beta]}"
check_logs
exit 0
