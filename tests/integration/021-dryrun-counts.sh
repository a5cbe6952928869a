[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 021-dryrun-counts: a dry run's summary predicts the real push's summary
# from the same state, and its list names what the real push (-v) does.
. "$(dirname "$0")/lib.sh"

src=$T/src
dst=$T/dst
mkdir -p "$src/keep/sub" "$dst"
echo a >"$src/keep/sub/a"
echo b >"$src/keep/b"
echo c >"$src/was-dir"
ln -s keep "$src/link"

# The receiver has a nested tree the sender lacks, a directory where the
# sender has a file, and a file changed on the sender.
FSYNC=false recv_config "$T/beta.yaml" "site:$dst"
start_daemon beta "$T/beta.yaml"
push_ok "$src" "$(dest beta site)"
rm "$src/was-dir"
mkdir -p "$dst/extra/x/y" "$src/was-dir"
echo e >"$dst/extra/x/y/e"
echo f >"$dst/extra/x/f"
echo c >"$src/was-dir/c"
echo changed >"$src/keep/b"

counts()
{
	grep -E '[0-9]+ files sent, ' "$T/push.out" |
	    sed -E 's/^dry run: would have: //; s/ in [0-9.]+ s .*$//'
}

push_ok --dry-run --delete "$src" "$(dest beta site)"
predicted=$(counts)
grep -E '^(send|dir|link|meta|delete) ' "$T/push.out" | sort >"$T/plan"
push_ok -v --delete "$src" "$(dest beta site)"
actual=$(counts)
grep -E '^(send|dir|link|meta|delete) ' "$T/push.out" | sort >"$T/done"
tree_equal "$src" "$dst"
log "predicted: $predicted"
log "actual:    $actual"
if ! cmp -s "$T/plan" "$T/done"; then
	echo "# entries: dry run (<) and real push (>) differ:"
	diff "$T/plan" "$T/done" | sed -e 's/^/#   /'
fi
[ "$predicted" = "$actual" ] ||
    fail "the dry run predicted '$predicted' but the push did '$actual'"

finish_ok -n beta
