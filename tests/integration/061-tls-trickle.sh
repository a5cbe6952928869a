[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 061-tls-trickle: TLS handshakes that never finish cannot hold a daemon.
# A ClientHello trickled one byte every 2 s (from 127.0.0.2) is closed at
# the handshake deadline (10 s: ZC_RECV_HANDSHAKE_MS, after the first byte
# that ends the sniff, ZCD_SNIFF_MS).  200 half-open handshakes from
# 127.0.0.1 (part of a ClientHello, then silence) do not stop a good TLS
# peer from the same address from pushing: past the cap per address
# (ZCD_MAX_PER_ADDR) the newest evicts the oldest, and those left are
# closed at the deadline.  Each is logged; afterwards the daemon holds no
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

def trickle(port, interval, limit, source):
    hello = client_hello()
    s = socket.create_connection(("127.0.0.1", port),
                                 source_address=(source, 0))
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

def halfopen(port, n, nbytes, ready, closes, limit):
    """Open n connections, each sending nbytes of a ClientHello; write
    ready; then log each close by the daemon to closes ("SECONDS" after
    ready, negative before it) until all are closed or limit."""
    hello = client_hello()[:nbytes]
    log = open(closes, "w", buffering=1)
    socks = []
    t0 = time.monotonic()
    pending = set()

    def reap(timeout):
        if not pending:
            return
        r, _, _ = select.select(list(pending), [], [], timeout)
        for s in r:
            if closed(s):
                log.write("%.2f\n" % (time.monotonic() - t0))
                pending.discard(s)
                s.close()

    for i in range(n):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(hello)
        s.setblocking(False)
        pending.add(s)
        reap(0)
    t0 = time.monotonic()
    open(ready, "w").write("%d\n" % n)
    while pending and time.monotonic() - t0 < limit:
        reap(0.2)
    print("%d of %d closed by the daemon, %d left open" %
          (n - len(pending), n, len(pending)))
    return 0 if not pending else 1

if sys.argv[1] == "trickle":
    sys.exit(trickle(int(sys.argv[2]), float(sys.argv[3]),
                     float(sys.argv[4]), sys.argv[5]))
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

# The trickle, in the background: one byte every 2 s, for at most 40 s,
# from another address than the half-open handshakes (which would evict
# it as the oldest from theirs).
python3 "$T/hs.py" trickle "$port" 2 40 127.0.0.2 >"$T/trickle.out" 2>&1 &
trickler=$!
bg_track "$trickler"

# 200 half-open handshakes: 60 bytes of a ClientHello each, then silence.
rm -f "$T/ready" "$T/closes"
python3 "$T/hs.py" halfopen "$port" 200 60 "$T/ready" "$T/closes" 40 \
    >"$T/halfopen.out" 2>&1 &
halfopener=$!
bg_track "$halfopener"
wait_for -t 20 eval '[ -s "$T/ready" ] || ! pid_alive '"$halfopener" ||
    fail "the half-open handshakes were not set up in 20 s"
[ -s "$T/ready" ] || fail "halfopen: $(cat "$T/halfopen.out")"
# closed_count: half-open handshakes the daemon has closed so far.
closed_count()
{
	wc -l <"$T/closes"
}
log "200 half-open handshakes sent: $(closed_count) already closed;" \
    "beta holds $(nfds) fds (before: $fds0), $(nconns) connections"

# A good peer pushes meanwhile, over TLS, well within the deadline, from
# the address the half-open handshakes crowd.
start=$EPOCHREALTIME
push -c "$T/alpha.yaml" "$src" beta/site
took=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
left=$((200 - $(closed_count)))
[ "$PUSH_RC" = 0 ] || fail "the good push exited $PUSH_RC beside the half-open handshakes"
expect_summary sent 51 failed 0
tree_equal "$src" "$dst"
no_temp_files "$dst"
grep -qE "peer=alpha addr=127\.0\.0\.1:[0-9]+: TLS 1\.3, certificate $(pin alpha)\$" \
    "$T/beta.log" || fail "beta does not log alpha's TLS session"
log "the good push took $took s; $left half-open handshakes were still pending"
[ "$left" -gt 0 ] ||
    fail "no half-open handshake was pending when the good push ended: the test proves nothing"

# The rest are closed at the deadline: 10 s, checked once a second.
wait_for -t 40 eval '! pid_alive '"$halfopener" ||
    fail "the half-open handshakes were not all closed in 40 s"
rc=0
wait "$halfopener" || rc=$?
log "halfopen: $(cat "$T/halfopen.out")"
[ "$rc" = 0 ] || fail "half-open handshakes left open: $(cat "$T/halfopen.out")"
last=$(sort -n "$T/closes" | tail -n 1)
awk -v t="$last" 'BEGIN { exit !(t >= 8 && t <= 14) }' ||
    fail "the last half-open handshake was closed $last s after the last connect, not at the 10 s deadline"
evicted=$(log_count beta 'evicted before its handshake was done')
timedout=$(log_count beta 'handshake not done in time, closing')
log "beta: $evicted evicted, $timedout closed at the deadline"

# The trickle: closed at the deadline too, though a byte came every 2 s.
wait_for -t 40 eval '! pid_alive '"$trickler" || fail "the trickle did not end"
rc=0
wait "$trickler" || rc=$?
log "trickle: $(cat "$T/trickle.out")"
[ "$rc" = 0 ] || fail "the trickled handshake was not closed: $(cat "$T/trickle.out")"
t=$(sed -nE 's/^closed after ([0-9.]+) s.*$/\1/p' "$T/trickle.out")
awk -v t="$t" 'BEGIN { exit !(t != "" && t >= 9 && t <= 14) }' ||
    fail "the trickled handshake was closed after ${t:-?} s, not at the 10 s deadline"
grep -qE 'addr=127\.0\.0\.2:[0-9]+: handshake not done in time' "$T/beta.log" ||
    fail "the trickle's close at the deadline is not logged"

# Logged, slots and descriptors freed, the daemon alive and serving.
# Every one of the 201 closes is logged, as an eviction or at the deadline.
evicted=$(log_count beta 'evicted before its handshake was done')
timedout=$(log_count beta 'handshake not done in time, closing')
[ $((evicted + timedout)) -ge 201 ] ||
    fail "beta logged $evicted evictions and $timedout deadlines, not 201 closes"
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

finish_ok beta
