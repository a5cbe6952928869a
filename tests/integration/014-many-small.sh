[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 014-many-small: 20,000 files of 4 KiB in 100 directories arrive intact,
# and pushing them again moves nothing.
. "$(dirname "$0")/lib.sh"

src=$T/src
dst=$T/dst
mkdir -p "$src" "$dst"
ndirs=100
per_dir=200
need_free_space "$T" 400

# split(1) cuts 800 KiB of random data into 200 files per directory: one
# process per directory instead of one per file.
for ((d = 0; d < ndirs; d++)); do
	mkdir "$src/dir$d"
	head -c $((per_dir * 4096)) /dev/urandom |
	    split -b 4096 -a 3 -d - "$src/dir$d/f" ||
	    hard_error "cannot generate dir$d"
done
n=$(find "$src" -type f | wc -l)
[ "$n" = $((ndirs * per_dir)) ] || hard_error "generated $n files"

FSYNC=false recv_config "$T/beta.yaml" "many:$dst"
start_daemon beta "$T/beta.yaml"

SECONDS=0
push_ok "$src" "$(dest beta many)"
log "first push: ${SECONDS} s"
expect_summary sent "$n" skipped 0 dirs "$ndirs" failed 0 \
    bytes $((n * 4096))
tree_equal "$src" "$dst"
no_temp_files "$dst"

push_ok "$src" "$(dest beta many)"
expect_summary sent 0 skipped "$n" dirs 0 meta 0 failed 0 bytes 0
tree_equal "$src" "$dst"

finish_ok -n beta
