[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 133-fsync-fd-limit: the group commit (fsync: true) holds two descriptors
# for every file of a batch (up to 64 files) and one for every directory
# whose fsync waits.  A receiver with few descriptors (prlimit --nofile=40)
# that runs out while beginning a file commits what it holds, which gives
# them back, and goes on: a push of 600 small files in 3 directories lands
# whole, with no failure.  Before, the files begun while out of
# descriptors failed with EMFILE.
. "$(dirname "$0")/lib.sh"

command -v prlimit >/dev/null 2>&1 || skip "no prlimit(1)"
src=$T/src
dst=$T/dst
mkdir -p "$dst"
for d in a b c; do
	mkdir -p "$src/$d"
	for i in $(seq 1 200); do
		printf '%s %s\n' "$d" "$i" >"$src/$d/f$i"
	done
done

FSYNC=true recv_config "$T/beta.yaml" site:"$dst"
start_daemon_via beta "$T/beta.yaml" prlimit --nofile=40 --
grep -E '^Max open files +40 +40 ' "/proc/${DAEMON_PID[beta]}/limits" >/dev/null ||
    fail "prlimit did not set 40 descriptors: $(grep 'open files' "/proc/${DAEMON_PID[beta]}/limits")"
log "beta holds $(ls "/proc/${DAEMON_PID[beta]}/fd" | wc -l) descriptors at rest"

push_ok "$src" "$(dest beta site)"
expect_summary sent 600 failed 0
tree_equal "$src" "$dst"
no_temp_files "$dst"

stop_via beta
[ "${DAEMON_RC[beta]}" = 0 ] || fail "beta exited ${DAEMON_RC[beta]}"
finish_ok -n
