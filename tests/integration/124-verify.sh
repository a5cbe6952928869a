[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 124-verify: VERIFY (docs/PROTOCOL.md).  `zcsync push --verify` and
# `zcsync pull --verify` land equal bytes (bodies by sendfile, buffered
# small ones, empty ones, and with --no-zero-copy), and so does a live
# link of a set with verify: true.  The check can fail: a raw sender whose
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
    fsync: false
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
expect_summary sent 5 failed 0
tree_equal "$src" "$dst"
no_temp_files "$dst"
push_ok --verify --no-zero-copy "$src" "$(dest beta rw)"
expect_summary sent 5 failed 0
tree_equal "$src" "$T/dst-rw"
pull_ok --verify "$(dest beta site)" "$T/pulled"
expect_pull_summary files 5 failed 0
tree_equal "$src" "$T/pulled"
pull_ok --verify --no-zero-copy "$(dest beta site)" "$T/pulled-rw"
tree_equal "$src" "$T/pulled-rw"
no_temp_files "$T/pulled"

# ---- A live link with sets[].verify.
cat >"$T/alpha.yaml" <<EOF
node:
  name: alpha
peers:
  - name: beta
    address: "127.0.0.1:${DAEMON_PORT[beta]}"
sets:
  - name: live
    path: $T/live
    push_to: [beta]
    verify: true
EOF
start_node alpha "$T/alpha.yaml"
wait_log alpha 'peer=beta set=live: in sync; mirroring live'
mirror_ok "$T/live" "$T/live-dst" alpha beta
gen_file "$T/live/b" 1000000 45
echo more >"$T/live/c"
wait_tree_equal "$T/live" "$T/live-dst"
mirror_ok "$T/live" "$T/live-dst" alpha beta
stop_daemon alpha

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
