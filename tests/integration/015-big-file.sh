[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 015-big-file: a 1 GiB file arrives byte for byte, with the zero-copy path
# and again with --no-zero-copy on both ends.
. "$(dirname "$0")/lib.sh"

need_free_space "$T" 3300

src=$T/src
mkdir -p "$src" "$T/dst1" "$T/dst2"
gen_file "$src/big.bin" $((1024 * 1024 * 1024)) 15
touch -d '2021-02-03 04:05:06.789012345' "$src/big.bin"

FSYNC=false recv_config "$T/beta.yaml" "one:$T/dst1"
start_daemon beta "$T/beta.yaml"
FSYNC=false recv_config "$T/gamma.yaml" "two:$T/dst2"
start_daemon gamma "$T/gamma.yaml" --no-zero-copy

push_ok "$src" "$(dest beta one)"
expect_summary sent 1 failed 0 bytes $((1024 * 1024 * 1024))
cmp "$src/big.bin" "$T/dst1/big.bin" || fail "1 GiB file differs (zero copy)"
tree_equal "$src" "$T/dst1"
no_temp_files "$T/dst1"

push_ok --no-zero-copy "$src" "$(dest gamma two)"
expect_summary sent 1 failed 0 bytes $((1024 * 1024 * 1024))
cmp "$src/big.bin" "$T/dst2/big.bin" ||
    fail "1 GiB file differs (--no-zero-copy)"
tree_equal "$src" "$T/dst2"
no_temp_files "$T/dst2"

grep -q 'read/write (zero copy off)' "$T/gamma.log" ||
    fail "gamma does not say zero copy is off"
finish_ok -n
