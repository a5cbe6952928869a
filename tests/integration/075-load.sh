[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 075-load: connection floods against one receiver (SECURITY.md rows 25
# and 26), from source addresses in 127.0.0.0/8, each bounded in count
# and time, each while a legitimate push (from 127.0.0.1) must complete:
# - 2,000 silent connections at once from one address: the per-address
#   cap (32 still in their handshake) evicts the oldest, and says so;
# - 2,000 at once from 100 addresses: the cap on handshakes in all (64);
# - a trickler (HELLO, one byte every 2 s) in every handshake slot: each
#   is closed at the handshake deadline;
# - 300 sessions past PUSH (in waves): 256 served, the rest refused with
#   a log line; a plain peer that has spoken when it is refused gets
#   ERROR INTERNAL "server busy"; the daemon answers again once they are
#   gone;
# - zcsyncd raises its soft descriptor limit to the hard one;
# - out of descriptors (zcsyncd under prlimit --nofile=64, 100
#   connections): accept(2) fails with EMFILE; the daemon evicts the
#   oldest connections still in their handshake, keeps descriptors free
#   for work (a push lands meanwhile) and pauses accepting briefly instead
#   of spinning (CPU time measured in /proc/PID/stat).
# After each: the daemon is alive, does not spin, and its descriptors
# come back to where they were at rest.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null 2>&1 || skip "no python3"
command -v prlimit >/dev/null 2>&1 || skip "no prlimit(1)"
fault_trap

cat >"$T/flood.py" <<'EOF'
# flood.py PORT ADDRS PER MODE SECS STATUS STOP: open PER connections from
# each source address in ADDRS (a,b,c or A.B.C.X-Y) to 127.0.0.1:PORT, all
# at once, and hold them until SECS pass or the file STOP exists.  MODE:
# idle (say nothing), hello (HELLO as alpha and PUSH site, then silence:
# past the handshake), trickle (the HELLO frame one byte every 2 s).
# Every 0.2 s STATUS gets "connected N open N closed N failed N".  WAVE
# (optional): connect in waves of that many, 0.3 s apart, not all at once.
import os, select, socket, struct, sys, time, resource

port, addrs, per, mode, secs, status, stop = sys.argv[1:8]
wave = int(sys.argv[8]) if len(sys.argv) > 8 else 0
port, per, secs = int(port), int(per), float(secs)
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

def expand(spec):
    out = []
    for part in spec.split(","):
        if "-" in part:
            base, rng = part.rsplit(".", 1)
            lo, hi = rng.split("-")
            out += ["%s.%d" % (base, i) for i in range(int(lo), int(hi) + 1)]
        else:
            out.append(part)
    return out

def frame(t, payload):
    return struct.pack(">IBBH", len(payload), t, 0, 0) + payload

name = b"alpha"
hello = frame(1, struct.pack(">IHHQQH", 0x5a435331, 1, 0, 0, 0, len(name))
              + name)
push = frame(3, struct.pack(">IH", 0, 4) + b"site")

socks = {}          # fd -> [sock, state, bytes of HELLO sent]
connected = failed = closed = 0
t0 = time.monotonic()
poll = select.poll()
todo = [a for a in expand(addrs) for i in range(per)]

def dial(a):
    global failed
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    try:
        s.bind((a, 0))
        s.connect_ex(("127.0.0.1", port))
    except OSError:
        failed += 1
        s.close()
        return
    socks[s.fileno()] = [s, "connecting", 0]
    poll.register(s.fileno(), select.POLLOUT)

def write_status():
    n_open = sum(1 for v in socks.values() if v[1] == "open")
    with open(status + ".new", "w") as f:
        f.write("connected %d open %d closed %d failed %d\n"
                % (connected, n_open, closed, failed))
    os.rename(status + ".new", status)

last_status = last_trickle = last_wave = 0
while todo and not wave:
    dial(todo.pop(0))
while time.monotonic() - t0 < secs and not os.path.exists(stop):
    for fd, ev in poll.poll(100):
        ent = socks.get(fd)
        if ent is None:
            continue
        s = ent[0]
        if ent[1] == "connecting":
            err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err != 0:
                failed += 1
                poll.unregister(fd); s.close(); del socks[fd]
                continue
            connected += 1
            ent[1] = "open"
            poll.modify(fd, select.POLLIN)
            if mode == "hello":
                try:
                    s.send(hello + push)
                except OSError:
                    pass
            continue
        try:
            b = s.recv(65536)
        except BlockingIOError:
            continue
        except OSError:
            b = b""
        if not b:
            closed += 1
            poll.unregister(fd); s.close(); del socks[fd]
    now = time.monotonic()
    if todo and now - last_wave >= 0.3:
        last_wave = now
        for i in range(min(wave, len(todo))):
            dial(todo.pop(0))
    if mode == "trickle" and now - last_trickle >= 2:
        last_trickle = now
        for fd, ent in list(socks.items()):
            if ent[1] == "open" and ent[2] < len(hello):
                try:
                    ent[0].send(hello[ent[2]:ent[2] + 1])
                    ent[2] += 1
                except OSError:
                    pass
    if now - last_status >= 0.2:
        last_status = now
        write_status()
write_status()
for ent in socks.values():
    ent[0].close()
EOF

src=$T/src
dst=$T/dst
mkdir -p "$src/d" "$dst"
for ((i = 0; i < 50; i++)); do
	echo "file $i" >"$src/d/f$i"
done
gen_file "$src/big" $((16 * 1024 * 1024)) 75
FSYNC=false recv_config "$T/beta.yaml" "site:$dst"
start_daemon beta "$T/beta.yaml"
BPID=${DAEMON_PID[beta]}
PORT=${DAEMON_PORT[beta]}
FD_BASE=$(fd_count "$BPID")
RSS_BASE=$(rss_kb "$BPID")
HZ=$(getconf CLK_TCK)
log "at rest: $FD_BASE descriptors, $RSS_BASE kB resident"

# flood NAME ADDRS PER MODE SECS [WAVE]: start flood.py in the background;
# its status in $T/NAME.st, stopped by flood_stop NAME.
declare -A FLOOD_PID=()
flood()
{
	rm -f "$T/$1.st" "$T/$1.stop"
	python3 "$T/flood.py" "$PORT" "$2" "$3" "$4" "$5" "$T/$1.st" \
	    "$T/$1.stop" "${6:-0}" &
	FLOOD_PID[$1]=$!
	bg_track "${FLOOD_PID[$1]}"
	wait_for -t 10 test -s "$T/$1.st" || fail "flood $1 did not start"
}
# flood_get NAME FIELD: connected, open, closed or failed, now.
flood_get()
{
	awk -v f="$2" '{ for (i = 1; i < NF; i += 2) if ($i == f) print $(i + 1) }' \
	    "$T/$1.st"
}
flood_stop()
{
	touch "$T/$1.stop"
	wait_for -t 15 eval '! pid_alive '"${FLOOD_PID[$1]}" ||
	    fail "flood $1 did not stop"
	wait "${FLOOD_PID[$1]}" || fail "flood $1 failed"
	log "flood $1: $(cat "$T/$1.st")"
}

# spin_check WHAT SECONDS: the daemon uses under a third of a CPU over
# SECONDS (it waits, it does not spin).
spin_check()
{
	local c0 c1

	c0=$(cpu_ticks "$BPID")
	sleep "$2"
	c1=$(cpu_ticks "$BPID")
	log "$1: $((c1 - c0)) ticks of CPU in $2 s ($HZ a second)"
	[ $((c1 - c0)) -lt $((HZ * $2 / 3)) ] ||
	    fail "$1: zcsyncd used $((c1 - c0)) ticks of CPU in $2 s: spinning?"
}

# at_rest WHAT: descriptors back to where they were, daemon alive.
at_rest()
{
	daemon_alive beta || fail "$1: zcsyncd died"
	wait_for -t 15 eval '[ "$(fd_count "$BPID")" -le $((FD_BASE + 1)) ]' ||
	    fail "$1: zcsyncd holds $(fd_count "$BPID") descriptors, $FD_BASE at rest: $(ls -l "/proc/$BPID/fd" | sed -e 's/^.* -> //' | sort | uniq -c | sort -rn | head -n 3 | tr '\n' ' ')"
	log "$1: back to $(fd_count "$BPID") descriptors; $(rss_kb "$BPID") kB resident"
}

# fresh: make the next push send everything again.
fresh()
{
	rm -rf "${dst:?}"/*
}

# 1. 2,000 at once from one address, and a push meanwhile.
fresh
flood one 127.0.0.2 2000 idle 30
push_ok "$src" "$(dest beta site)"
tree_equal "$src" "$dst"
wait_for -t 10 eval '[ "$(flood_get one connected)" -ge 2000 ]' ||
    fail "the flood did not connect 2000 times: $(cat "$T/one.st")"
# The cap is judged by what the daemon holds (its descriptors), not by the
# flood's own view: a socket still in the accept backlog, or one whose EOF
# the flood has not read yet, looks open from outside.
wait_for -t 10 eval '[ "$(fd_count "$BPID")" -le $((FD_BASE + 32 + 4)) ]' ||
    fail "zcsyncd holds $(fd_count "$BPID") descriptors with 2,000 from one address (cap 32, $FD_BASE at rest)"
spin_check "2000 from one address" 2
push_ok "$src" "$(dest beta site)"
flood_stop one
grep -qE 'addr=127\.0\.0\.2:[0-9]+: evicted before its handshake was done: too many from this address' \
    "$T/beta.log" || fail "no eviction for the per-address cap logged"
at_rest "2000 from one address"

# 2. 2,000 at once from 100 addresses (20 each).
fresh
flood many 127.0.1.1-100 20 idle 30
push_ok "$src" "$(dest beta site)"
tree_equal "$src" "$dst"
wait_for -t 10 eval '[ "$(flood_get many connected)" -ge 2000 ]' ||
    fail "the flood did not connect 2000 times: $(cat "$T/many.st")"
wait_for -t 10 eval '[ "$(fd_count "$BPID")" -le $((FD_BASE + 64 + 4)) ]' ||
    fail "zcsyncd holds $(fd_count "$BPID") descriptors with 2,000 from 100 addresses (cap 64, $FD_BASE at rest)"
spin_check "2000 from 100 addresses" 2
flood_stop many
grep -qE 'evicted before its handshake was done: too many handshakes at once' \
    "$T/beta.log" || fail "no eviction for the cap on handshakes logged"
at_rest "2000 from 100 addresses"

# 3. A trickler in every handshake slot (32 from each of 2 addresses),
# each sending its HELLO one byte every 2 s; a push gets in meanwhile;
# each trickler is closed at the handshake deadline (10 s).
fresh
flood trickle 127.0.4.1-2 32 trickle 40
wait_for -t 10 eval '[ "$(flood_get trickle open)" -ge 64 ]' ||
    fail "64 tricklers did not connect: $(cat "$T/trickle.st")"
push_ok "$src" "$(dest beta site)"
tree_equal "$src" "$dst"
wait_for -t 25 eval '[ "$(flood_get trickle open)" = 0 ]' ||
    fail "tricklers still open after 25 s: $(cat "$T/trickle.st")"
flood_stop trickle
at_rest "tricklers"

# 4. 300 sessions past PUSH, in waves of 40, from 10 addresses: 256 are
# served, the rest refused and logged.  A push meanwhile is refused too
# (cleanly, at once); once they are gone, it is served.
flood full 127.0.2.1-10 30 hello 40 40
wait_for -t 20 eval '[ "$(flood_get full connected)" -ge 300 ]' ||
    fail "300 sessions did not connect: $(cat "$T/full.st")"
wait_for -t 10 eval '[ "$(grep -c "set=site: push started" "$T/beta.log")" -ge 256 ]' ||
    true
wait_log beta 'refused: 256 connections already' 10
log "full: $(cat "$T/full.st"); zcsyncd holds $(fd_count "$BPID") descriptors"
PUSH_TIMEOUT=30 push "$src" "$(dest beta site)"
log "a push with 256 sessions served: exit $PUSH_RC"
spin_check "256 sessions" 2
# A peer whose HELLO and PUSH are already there when it is refused hears
# why.  The daemon is stopped (SIGSTOP) while the peer connects and
# writes, so that its bytes are in the socket before accept(2).
cat >"$T/busy.py" <<'EOF'
# busy.py PORT SENT: connect, send HELLO and PUSH, touch SENT; then print
# the first frame back ("ERROR CODE MESSAGE", or "frame TYPE") or "EOF".
import socket, struct, sys
port, sent = int(sys.argv[1]), sys.argv[2]
def frame(t, payload):
    return struct.pack(">IBBH", len(payload), t, 0, 0) + payload
name = b"alpha"
s = socket.create_connection(("127.0.0.1", port), timeout=20)
s.sendall(frame(1, struct.pack(">IHHQQH", 0x5a435331, 1, 0, 0, 0, len(name))
                + name) + frame(3, struct.pack(">IH", 0, 4) + b"site"))
open(sent, "w").close()
buf = b""
try:
    while len(buf) < 8 or len(buf) < 8 + struct.unpack(">I", buf[:4])[0]:
        b = s.recv(4096)
        if not b:
            break
        buf += b
except OSError as e:
    print("error %s" % e)
    sys.exit(0)
if len(buf) < 8:
    print("EOF")
    sys.exit(0)
n, t = struct.unpack(">IB", buf[:5])
if t != 2 or n < 6:
    print("frame %d" % t)
    sys.exit(0)
code, ml = struct.unpack(">IH", buf[8:14])
print("ERROR %d %s" % (code, buf[14:14 + ml].decode("utf-8", "replace")))
EOF
rm -f "$T/busy.sent"
kill -STOP "$BPID"
python3 "$T/busy.py" "$PORT" "$T/busy.sent" >"$T/busy.out" 2>&1 &
busy=$!
bg_track "$busy"
wait_for -t 10 test -e "$T/busy.sent"
kill -CONT "$BPID"
[ -e "$T/busy.sent" ] || fail "the busy client did not connect and send"
wait_for -t 25 eval '! pid_alive '"$busy" || fail "the busy client did not end"
wait "$busy" || fail "the busy client failed: $(cat "$T/busy.out")"
log "refused over the cap, the client read: $(cat "$T/busy.out")"
grep -qE '^ERROR 11 server busy: 25[6-9] connections already, try again later$' \
    "$T/busy.out" || fail "no ERROR INTERNAL server busy: $(cat "$T/busy.out")"
wait_log beta 'addr=127\.0\.0\.1:[0-9]+: refused: 25[6-9] connections already \(sent ERROR: server busy\)' 5
flood_stop full
fresh
push_ok "$src" "$(dest beta site)"
tree_equal "$src" "$dst"
at_rest "256 sessions"

# 5. The soft descriptor limit is raised to the hard one.
stop_daemon beta
[ "${DAEMON_RC[beta]}" = 0 ] || fail "beta exited ${DAEMON_RC[beta]}"
start_daemon_via beta "$T/beta.yaml" prlimit --nofile=64:96 --
grep -E '^Max open files +96 +96 ' "/proc/${DAEMON_PID[beta]}/limits" >/dev/null ||
    fail "zcsyncd did not raise its soft limit to 96: $(grep 'open files' "/proc/${DAEMON_PID[beta]}/limits")"
wait_log beta 'info: descriptor limit raised from 64 to 96$' 5
stop_via beta
[ "${DAEMON_RC[beta]}" = 0 ] || fail "beta exited ${DAEMON_RC[beta]}"

# 6. Out of descriptors: a daemon with 64 of them (soft and hard), 100
# connections from 4 addresses, all silent: as accept(2) fails, the
# oldest are evicted instead of holding their descriptors until their
# handshake deadline, and a push gets in and lands.
start_daemon_via beta "$T/beta.yaml" prlimit --nofile=64 --
BPID=${DAEMON_PID[beta]}
PORT=${DAEMON_PORT[beta]}
FD_BASE=$(fd_count "$BPID")
grep -E '^Max open files +64 +64 ' "/proc/$BPID/limits" >/dev/null ||
    fail "prlimit did not set 64 descriptors: $(grep 'open files' "/proc/$BPID/limits")"
flood emfile 127.0.3.1-4 25 idle 40
wait_log beta 'error: accept: Too many open files; evicting connections still in their handshake, oldest first' 10
wait_log beta 'addr=127\.0\.3\.[1-4]:[0-9]+: evicted before its handshake was done: out of descriptors' 10
spin_check "out of descriptors" 3
# A push now gets in, and finds descriptors for its work: the shed
# handshakes gave back ZCD_FD_RESERVE (16) of them, and the lowered cap
# on handshakes keeps them free while the flood's connections stay open.
fresh
PUSH_TIMEOUT=30 push_ok "$src" "$(dest beta site)"
tree_equal "$src" "$dst"
log "a push while out of descriptors: $(cat "$T/emfile.st")"
wait_log beta 'out of descriptors with [0-9]+ connections in their handshake: evicting 16, at most [0-9]+ in their handshake for 60 s' 5
flood_stop emfile
fresh
push_ok "$src" "$(dest beta site)"
tree_equal "$src" "$dst"
at_rest "out of descriptors"
log "EMFILE lines: $(log_count beta 'accept: Too many open files'); evicted for descriptors: $(log_count beta 'evicted before its handshake was done: out of descriptors')"

EXPECTED_ERRORS='accept: Too many open files|Too many open files'
finish_ok beta
