[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 127-sparse: SPARSE.  A 1 GiB file with 1 MiB of data in three places
# arrives byte for byte, with its holes: about 1 MiB on the wire (the push
# summary's bytes) and about 1 MiB of disk on the receiver (du).  A dense
# file and an empty one still arrive whole; --no-zero-copy takes the same
# segments; a pull and a live mirror land a sparse file with its holes too.
. "$(dirname "$0")/lib.sh"

MiB=$((1024 * 1024))
GiB=$((1024 * MiB))

# A file system that keeps holes (tmpfs, ext4, xfs, btrfs do).
truncate -s $GiB "$T/probe" || skip "cannot make a 1 GiB sparse file"
[ "$(du -k "$T/probe" | cut -f1)" -lt 1024 ] ||
    skip "$T does not keep holes"
rm -f "$T/probe"
need_free_space "$T" 64

# make_sparse PATH SEED: 1 GiB, data at 0 (256 KiB), at 300 MiB (512 KiB)
# and the last 256 KiB; holes everywhere else.
make_sparse()
{
	truncate -s $GiB "$1"
	gen_file "$T/chunk" $((512 * 1024)) "$2"
	dd if="$T/chunk" of="$1" bs=256K count=1 conv=notrunc status=none
	dd if="$T/chunk" of="$1" bs=512K seek=600 count=1 conv=notrunc \
	    status=none
	dd if="$T/chunk" of="$1" bs=256K seek=4095 count=1 conv=notrunc \
	    status=none
	rm -f "$T/chunk"
	[ "$(stat -c %s "$1")" = $GiB ] || fail "make_sparse: $1 not 1 GiB"
}

# disk_kib PATH: the blocks a file uses, in KiB.
disk_kib()
{
	du -k "$1" | cut -f1
}

src=$T/src
mkdir -p "$src/sub" "$T/dst1" "$T/dst2" "$T/dst3"
make_sparse "$src/sparse.img" 127
gen_file "$src/sub/dense.bin" $((3 * MiB + 17)) 3
: >"$src/sub/empty"
touch -d '2020-01-02 03:04:05.123456789' "$src/sparse.img"
log "source sparse.img uses $(disk_kib "$src/sparse.img") KiB"

FSYNC=false recv_config "$T/beta.yaml" "one:$T/dst1" "two:$T/dst2"
start_daemon beta "$T/beta.yaml"

check_sparse()
{
	local dst=$1 used

	cmp "$src/sparse.img" "$dst/sparse.img" || fail "sparse.img differs ($dst)"
	used=$(disk_kib "$dst/sparse.img")
	log "receiver's sparse.img uses $used KiB"
	[ "$used" -lt 4096 ] ||
	    fail "sparse.img uses $used KiB on the receiver, not about 1 MiB"
	[ "$(stat -c %s "$dst/sparse.img")" = $GiB ] ||
	    fail "sparse.img has the wrong size on the receiver"
	tree_equal "$src" "$dst"
	no_temp_files "$dst"
}

# Zero copy: data segments by sendfile, holes not sent.
push_ok "$src" "$(dest beta one)"
expect_summary sent 3 failed 0
bytes=$(summary bytes)
want=$((MiB + 3 * MiB + 17))
log "push moved $bytes body bytes (data: $want)"
[ "$bytes" = "$want" ] ||
    fail "push moved $bytes body bytes, not the $want bytes of data"
check_sparse "$T/dst1"

# Re-push: nothing to send.
push_ok "$src" "$(dest beta one)"
expect_summary sent 0 bytes 0 skipped 3

# The read/write path takes the same segments.
push_ok --no-zero-copy "$src" "$(dest beta two)"
expect_summary sent 3 failed 0 bytes $want
check_sparse "$T/dst2"

# Pull: the served copy comes back with its holes, the data on the wire.
cat >>"$T/beta.yaml" <<EOF
    serve_to: [alpha]
EOF
stop_daemon beta
start_daemon beta "$T/beta.yaml"
pull_ok "$(dest beta two)" "$T/pulled"
[ "$(pull_summary bytes)" = "$want" ] ||
    fail "pull moved $(pull_summary bytes) body bytes, not $want"
check_sparse "$T/pulled"

# Live: a sparse file made while mirroring lands with its holes.
FSYNC=false recv_config -n gamma "$T/gamma.yaml" "site:$T/dst3"
start_daemon gamma "$T/gamma.yaml"
mkdir -p "$T/live"
NODE_EXTRA="control: $T/alpha.sock" live_config -p gamma "$T/alpha.yaml" \
    "site:$T/live" "settle: 200"
start_node alpha "$T/alpha.yaml"
wait_log alpha 'peer=gamma set=site: in sync; mirroring live'
make_sparse "$T/building" 128
mv "$T/building" "$T/live/sparse.img"
wait_tree_equal "$T/live" "$T/dst3" 60
cmp "$T/live/sparse.img" "$T/dst3/sparse.img" || fail "live sparse.img differs"
used=$(disk_kib "$T/dst3/sparse.img")
log "live: receiver's sparse.img uses $used KiB"
[ "$used" -lt 4096 ] || fail "live: sparse.img uses $used KiB on gamma"
ctl_ok metrics -c "$T/alpha.yaml"
sent=$(awk '/^zcsync_sent_bytes_total\{/ { s += $2 } END { print s + 0 }' \
    "$T/ctl.out")
log "live: alpha sent $sent body bytes"
[ "$sent" -gt 0 ] && [ "$sent" -lt $((4 * MiB)) ] ||
    fail "live: alpha sent $sent body bytes for 1 MiB of data"

finish_ok -n
