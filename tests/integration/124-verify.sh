[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 124-verify: VERIFY (docs/PROTOCOL.md).  `zcsync push --verify` and
# `zcsync pull --verify` land equal bytes (bodies by sendfile, buffered
# small ones, empty ones, and with --no-zero-copy), and so does a live
# link of a set with verify: true.  A byte flipped on the way (a proxy) lands
# unnoticed without --verify, and with it (push, or a live link's catch-up)
# is refused and sent again.  The
# check can fail: a raw sender whose
# FILE_END carries a wrong XXH3-128 gets ACK VERIFY (12), nothing lands
# under the final name, no temporary file remains, and a right hash lands.
# FILE_END without the hash in a VERIFY session, with it in a session
# without, and the VERIFY flag without the VERIFY feature are protocol
# errors.
. "$(dirname "$0")/lib.sh"

RAWPEER=$top_builddir/tests/tools/rawpeer
[ -x "$RAWPEER" ] || hard_error "$RAWPEER: not built"

src=$T/src
dst=$T/dst
mkdir -p "$src/sub" "$dst" "$T/pulled" "$T/pulled-rw" "$T/dst-rw" \
    "$T/live" "$T/live-dst"
gen_file "$src/big" $((20 * 1024 * 1024)) 41
gen_file "$src/sub/mid" 200000 42
gen_file "$src/sub/small" 5000 43
echo hello >"$src/tiny"
: >"$src/empty"
# A sparse file (SPARSE: only its data segments travel) is verified too:
# the hash covers the segments as sent, small and large.
truncate -s $((64 * 1024 * 1024)) "$src/sparse"
gen_file "$T/seg" $((300 * 1024)) 48
dd if="$T/seg" of="$src/sparse" bs=64k seek=300 conv=notrunc status=none
truncate -s 40000 "$src/sub/sparse-small"
echo "small data" | dd of="$src/sub/sparse-small" bs=1 seek=20000 \
    conv=notrunc status=none
gen_file "$T/live/a" 3000000 44

cat >"$T/beta.yaml" <<EOF
node:
  name: beta
  listen: "127.0.0.1:0"
peers:
  - name: alpha
sets:
  - name: site
    path: $dst
    accept_from: [alpha]
    serve_to: [alpha]
    fsync: true
  - name: rw
    path: $T/dst-rw
    accept_from: [alpha]
    fsync: false
  - name: live
    path: $T/live-dst
    accept_from: [alpha]
    fsync: false
EOF
start_daemon beta "$T/beta.yaml" -v

# ---- push, pull: equal bytes.
push_ok --verify "$src" "$(dest beta site)"
expect_summary sent 7 failed 0
tree_equal "$src" "$dst"
no_temp_files "$dst"
push_ok --verify --no-zero-copy "$src" "$(dest beta rw)"
expect_summary sent 7 failed 0
tree_equal "$src" "$T/dst-rw"
pull_ok --verify "$(dest beta site)" "$T/pulled"
expect_pull_summary files 7 failed 0
tree_equal "$src" "$T/pulled"
pull_ok --verify --no-zero-copy "$(dest beta site)" "$T/pulled-rw"
tree_equal "$src" "$T/pulled-rw"
no_temp_files "$T/pulled"

# ---- A live link with sets[].verify.
live_config "$T/alpha.yaml" "live:$T/live" "verify: true"
start_node alpha "$T/alpha.yaml"
wait_log alpha 'peer=beta set=live: in sync; mirroring live'
mirror_ok "$T/live" "$T/live-dst" alpha beta
gen_file "$T/live/b" 1000000 45
echo more >"$T/live/c"
wait_tree_equal "$T/live" "$T/live-dst"
mirror_ok "$T/live" "$T/live-dst" alpha beta
stop_daemon alpha

# ---- A real sender and receiver, with a byte flipped on the way: a
# proxy (python3, on 127.0.0.1) that inverts the byte at one offset of what
# each connection's client sends.  Plain TCP only: that is what VERIFY is
# for (over TLS a flipped byte fails the record, and the session).
if [ "${ZC_TEST_TLS:-0}" != 1 ] && command -v python3 >/dev/null 2>&1; then
	cat >"$T/flip.py" <<'EOF'
import socket, sys, threading
target, flip_at, conns = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(4)
ls.settimeout(60)
print(ls.getsockname()[1], flush=True)
def pump(src, dst, flip):
    off = 0
    try:
        while True:
            b = src.recv(65536)
            if not b:
                break
            if flip is not None and off <= flip < off + len(b):
                b = bytearray(b)
                b[flip - off] ^= 0xFF
                b = bytes(b)
            off += len(b)
            dst.sendall(b)
    except OSError:
        pass
    try:
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass
for _ in range(conns):
    c, _ = ls.accept()
    u = socket.create_connection(("127.0.0.1", target))
    ts = [threading.Thread(target=pump, args=(c, u, flip_at)),
          threading.Thread(target=pump, args=(u, c, None))]
    for t in ts:
        t.start()
    for t in ts:
        t.join(90)
    c.close()
    u.close()
EOF
	mkdir -p "$T/flipsrc" "$T/flipdst" "$T/flipsrc2" "$T/flipdst2"
	gen_file "$T/flipsrc/big" 1000000 46
	gen_file "$T/flipsrc2/big" 1000000 47
	cat >>"$T/beta.yaml" <<EOF
  - name: flip
    path: $T/flipdst
    accept_from: [alpha]
    fsync: false
  - name: flip2
    path: $T/flipdst2
    accept_from: [alpha]
    fsync: false
EOF
	kill -HUP "${DAEMON_PID[beta]}"
	wait_log beta 'reloaded .*: 1 peers, 5 sets'
	timeout -k 5 120 python3 "$T/flip.py" "${DAEMON_PORT[beta]}" 300000 3 \
	    >"$T/flip.port" 2>"$T/flip.err" &
	flip_pid=$!
	bg_track "$flip_pid"
	wait_for -t 10 test -s "$T/flip.port" || fail "the proxy did not start"
	fport=$(head -n 1 "$T/flip.port")
	# Without VERIFY the flipped byte lands unnoticed...
	push_ok "$T/flipsrc" "127.0.0.1:$fport/flip"
	cmp -s "$T/flipsrc/big" "$T/flipdst/big" &&
	    fail "the proxy did not corrupt the body"
	# ...with it, the receiver refuses that copy and the sender sends the
	# file again in the same session (the proxy flips one byte per
	# connection, so the second copy arrives intact).
	rm -f "$T/flipdst/big"
	push_ok --verify "$T/flipsrc" "127.0.0.1:$fport/flip"
	expect_summary sent 1 failed 0
	cmp -s "$T/flipsrc/big" "$T/flipdst/big" ||
	    fail "--verify landed a corrupted body"
	no_temp_files "$T/flipdst"
	wait_log beta 'flip big: verification failed'
	[ "$(log_count beta 'flip big: verification failed')" = 1 ] ||
	    fail "expected one verification failure"
	# A live link with verify: true, through the proxy: the catch-up's
	# corrupted copy is refused and sent again before the link is in sync.
	BETA_PORT=$fport live_config "$T/alpha-flip.yaml" "flip2:$T/flipsrc2" \
	    "verify: true"
	start_node alpha "$T/alpha-flip.yaml"
	wait_log alpha 'peer=beta set=flip2: in sync; mirroring live'
	mirror_ok "$T/flipsrc2" "$T/flipdst2" alpha beta
	wait_log beta 'flip2 big: verification failed'
	wait_log alpha 'big: the landed body differed from ours'
	stop_daemon alpha
	wait_for -t 10 eval '! pid_alive '"$flip_pid" ||
	    fail "the proxy did not end"
fi

# ---- A raw sender: the check can fail.
rp()
{
	local rc=0

	timeout -k 5 60 "$RAWPEER" -v -t 10000 "${DAEMON_PORT[beta]}" "$@" \
	    >"$T/rp.out" 2>&1 || rc=$?
	[ "$rc" = 0 ] || { tail -n 12 "$T/rp.out" | cat -v; return 1; }
}
V=0x40			# ZC_FEAT_VERIFY
BAD=00112233445566778899aabbccddeeff
START=("hello alpha features $V" 'push site flags 8' read-manifest)

# A wrong hash: ACK VERIFY, nothing under the final name, no temp file.
rp "${START[@]}" 'file 1 forged 100000 data abc' \
    "file-end-hash 1 0 $BAD" 'expect-ack 1 verify' \
    'file 2 forged-small 10 data abc' "file-end-hash 2 0 $BAD" \
    'expect-ack 2 verify' done expect-summary ||
    fail "a body with a wrong hash was not refused with VERIFY"
[ -e "$dst/forged" ] && fail "a body with a wrong hash landed"
[ -e "$dst/forged-small" ] && fail "a small body with a wrong hash landed"
no_temp_files "$dst"
wait_log beta 'forged: verification failed'

# The right hash lands (the same session shape: the check is real).
rp "${START[@]}" 'file 1 forged 100000 data abc' \
    'file-end-hash 1 0 of 100000 abc' 'expect-ack 1 ok' \
    'file 2 forged-small 10 data abc' 'file-end-hash 2 0 of 10 abc' \
    'expect-ack 2 ok' done expect-summary ||
    fail "a body with the right hash was refused"
[ "$(head -c 12 "$dst/forged")" = abcabcabcabc ] || fail "forged: bytes"
[ "$(stat -c %s "$dst/forged")" = 100000 ] || fail "forged: size"
[ "$(cat "$dst/forged-small")" = abcabcabca ] || fail "forged-small: bytes"
no_temp_files "$dst"

# A wrong hash does not replace what is there.
before=$(cksum <"$dst/forged")
rp "${START[@]}" 'file 1 forged 100000 data xyz' \
    "file-end-hash 1 0 $BAD" 'expect-ack 1 verify' done expect-summary ||
    fail "a replacement with a wrong hash was not refused"
[ "$(cksum <"$dst/forged")" = "$before" ] ||
    fail "a body with a wrong hash replaced the file"
no_temp_files "$dst"

# Layouts: a 12-byte FILE_END in a VERIFY session, a 28-byte one without
# VERIFY, and the flag without the feature: protocol errors.
rp "${START[@]}" 'file 1 short 10' 'file-end 1 0' 'expect-error 1' \
    expect-closed || fail "FILE_END without its hash was accepted"
rp "hello alpha features $V" 'push site' read-manifest 'file 1 long 10' \
    "file-end-hash 1 0 $BAD" 'expect-error 1' expect-closed ||
    fail "FILE_END with a hash was accepted without VERIFY"
rp 'hello alpha' 'push site flags 8' 'expect-error 1' expect-closed ||
    fail "the VERIFY flag was accepted without the feature"
[ -e "$dst/short" ] || [ -e "$dst/long" ] && fail "a malformed body landed"
no_temp_files "$dst"

daemon_alive beta || fail "zcsyncd died"
check_logs
exit 0
