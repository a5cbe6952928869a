[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 301-sd-notify: the sd_notify(3) protocol, against a NOTIFY_SOCKET this
# test creates and reads, as systemd would for Type=notify.  zcsyncd says
# READY=1 (with a STATUS= line) once it serves, RELOADING=1 (with
# MONOTONIC_USEC=) then READY=1 around a SIGHUP, good config or bad,
# STOPPING=1 on SIGTERM; every message comes from the daemon's own pid
# (NotifyAccess=main).  With WATCHDOG_USEC (and WATCHDOG_PID naming it) it
# pings WATCHDOG=1 every half interval; with WATCHDOG_PID naming another
# process it does not.
. "$(dirname "$0")/lib.sh"

"$ZCSYNCD" --version | grep -q '+systemd' ||
    skip "zcsyncd built without libsystemd: $("$ZCSYNCD" --version)"
command -v python3 >/dev/null 2>&1 || skip "no python3"

EXPECTED_ERRORS='reload failed, keeping the running config'

# The listener: one line per assignment, "SEQ PID ASSIGNMENT", SEQ
# counting datagrams, PID from SCM_CREDENTIALS (SO_PASSCRED).
cat >"$T/notify.py" <<'PY'
import os, socket, struct, sys, time
path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind(path)
s.settimeout(1.0)
end = time.monotonic() + 300
seq = 0
with open(out, "a", buffering=1) as f:
    while time.monotonic() < end:
        try:
            data, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(12))
        except socket.timeout:
            continue
        pid = -1
        for level, kind, cdata in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid = struct.unpack("iII", cdata[:12])[0]
        seq += 1
        for line in data.decode("utf-8", "replace").split("\n"):
            if line:
                f.write("%d %d %s\n" % (seq, pid, line))
PY
NOTIFY_LOG=$T/notify.log
: >"$NOTIFY_LOG"
python3 "$T/notify.py" "$T/notify.sock" "$NOTIFY_LOG" &
bg_track $!
wait_for -t 10 test -S "$T/notify.sock" || hard_error "no notify socket"

# seq_of PID ASSIGNMENT [AFTER]: the first datagram number > AFTER (default
# 0) in which PID sent a line matching ASSIGNMENT (an ERE, anchored).
seq_of()
{
	awk -v pid="$1" -v re="^($2)\$" -v after="${3:-0}" '
	    $2 == pid && $1 > after {
		    line = $0
		    sub(/^[0-9]+ -?[0-9]+ /, "", line)
		    if (line ~ re) { print $1; exit }
	    }' "$NOTIFY_LOG"
}

# wait_seq VAR PID ASSIGNMENT [AFTER]: wait (10 s) for it; VAR = its seq.
wait_seq()
{
	local var=$1 s args
	shift

	printf -v args '%q ' "$@"
	wait_for -t 10 eval '[ -n "$(seq_of '"$args"')" ]' ||
	    fail "no $2 from pid $1 (after datagram ${3:-0}); notify log: $(tail -n 20 "$NOTIFY_LOG" | tr '\n' ';')"
	s=$(seq_of "$@")
	printf -v "$var" '%s' "$s"
}

src=$T/src
dst=$T/dst
mkdir -p "$src" "$dst"
echo one >"$src/one"
FSYNC=false recv_config "$T/beta.yaml" "site:$dst"

# 1. READY=1 and STATUS= once it serves; a push works then.
export NOTIFY_SOCKET=$T/notify.sock
start_daemon beta "$T/beta.yaml"
unset NOTIFY_SOCKET
pid=${DAEMON_PID[beta]}
wait_seq ready "$pid" 'READY=1'
wait_seq status "$pid" 'STATUS=.*beta.*'
log "READY=1 in datagram $ready, $(grep -m1 " $pid STATUS=" "$NOTIFY_LOG")"
push_ok "$src" "$(dest beta site)"
tree_equal "$src" "$dst"

# 2. SIGHUP with the same config: RELOADING=1 and MONOTONIC_USEC= in one
#    datagram, then READY=1.
kill -HUP "$pid"
wait_seq reloading "$pid" 'RELOADING=1'
grep -qE "^$reloading $pid MONOTONIC_USEC=[0-9]+\$" "$NOTIFY_LOG" ||
    fail "RELOADING=1 came without MONOTONIC_USEC= in its datagram"
wait_seq ready2 "$pid" 'READY=1' "$reloading"
wait_log beta 'reloaded '

# 3. SIGHUP with a broken config: the old one stays, and so READY=1 again.
cp "$T/beta.yaml" "$T/beta.yaml.good"
printf 'bogus_key: 1\n' >>"$T/beta.yaml"
kill -HUP "$pid"
wait_seq reloading2 "$pid" 'RELOADING=1' "$ready2"
wait_seq ready3 "$pid" 'READY=1' "$reloading2"
wait_log beta 'reload failed, keeping the running config'
cp "$T/beta.yaml.good" "$T/beta.yaml"
echo two >"$src/two"
push_ok "$src" "$(dest beta site)"
tree_equal "$src" "$dst"

# 4. The watchdog: a daemon told WATCHDOG_USEC=200000 with WATCHDOG_PID
#    its own pid pings every 100 ms; one whose WATCHDOG_PID names another
#    process does not ping at all.  The wrapper exports its own pid, which
#    exec makes zcsyncd's.
cat >"$T/wd.sh" <<EOF2
#!/bin/bash
export WATCHDOG_USEC=200000 WATCHDOG_PID=\$\$
[ "\${WD_OTHER:-0}" = 1 ] && WATCHDOG_PID=1
exec "$top_builddir/zcsyncd" "\$@"
EOF2
chmod +x "$T/wd.sh"
dst2=$T/dst2 dst3=$T/dst3
mkdir -p "$dst2" "$dst3"
FSYNC=false recv_config "$T/wd.yaml" "site:$dst2"
FSYNC=false recv_config "$T/nowd.yaml" "site:$dst3"
export NOTIFY_SOCKET=$T/notify.sock
ZCSYNCD_REAL=$ZCSYNCD
ZCSYNCD=$T/wd.sh
start_daemon wd "$T/wd.yaml"
WD_OTHER=1 start_daemon nowd "$T/nowd.yaml"
ZCSYNCD=$ZCSYNCD_REAL
unset NOTIFY_SOCKET
wdpid=${DAEMON_PID[wd]}
nowdpid=${DAEMON_PID[nowd]}
[ "$(readlink "/proc/$wdpid/exe")" = "$(readlink -f "$ZCSYNCD")" ] ||
    hard_error "the wrapper did not exec zcsyncd as pid $wdpid"
wait_seq wdready "$wdpid" 'READY=1'
wait_seq nowdready "$nowdpid" 'READY=1'
wait_log wd 'systemd: watchdog every 100 ms'
wait_for -t 10 eval '[ "$(grep -c "^[0-9]* $wdpid WATCHDOG=1\$" "$NOTIFY_LOG")" -ge 5 ]' ||
    fail "fewer than 5 WATCHDOG=1 from the watchdog daemon in 10 s"
# Five pings took at least 400 ms: the other daemon had time for four.
n=$(grep -c "^[0-9]* $nowdpid WATCHDOG=1\$" "$NOTIFY_LOG")
[ "$n" = 0 ] || fail "$n WATCHDOG=1 from a daemon whose WATCHDOG_PID is not its own"
n=$(grep -c "^[0-9]* $pid WATCHDOG=1\$" "$NOTIFY_LOG")
[ "$n" = 0 ] || fail "$n WATCHDOG=1 without WATCHDOG_USEC"
stop_daemon wd
stop_daemon nowd

# 5. SIGTERM: STOPPING=1, exit 0.
stop_daemon beta
wait_seq stopping "$pid" 'STOPPING=1' "$ready3"
[ "${DAEMON_RC[beta]}" = 0 ] || fail "beta exited ${DAEMON_RC[beta]}"
[ "${DAEMON_RC[wd]}" = 0 ] || fail "wd exited ${DAEMON_RC[wd]}"

# Every message came from a daemon's own pid, and none was sent twice in
# one go (a READY=1 per datagram at most).
bad=$(awk -v a="$pid" -v b="$wdpid" -v c="$nowdpid" \
    '$2 != a && $2 != b && $2 != c' "$NOTIFY_LOG")
[ -z "$bad" ] || fail "notify messages from another pid: $bad"
log "notify log: $(wc -l <"$NOTIFY_LOG") lines; $(grep -c ' READY=1$' "$NOTIFY_LOG") READY=1"
check_logs
exit 0
