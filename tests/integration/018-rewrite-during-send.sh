[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 018-rewrite-during-send: a file rewritten in place while it is being sent
# never lands as a mix of versions.  The sender notices the change (size,
# mtime or ctime moved) and sends the file again; what lands is always one
# whole version, and after the writer stops the target converges.
. "$(dirname "$0")/lib.sh"

need_free_space "$T" 2000

src=$T/src
dst=$T/dst
ver=$T/versions
mkdir -p "$src" "$dst" "$ver"
size=$((256 * 1024 * 1024))
rewrites=3
for ((i = 0; i <= rewrites; i++)); do
	gen_file "$ver/v$i" "$size" $((180 + i))
done
cp "$ver/v0" "$src/big"

FSYNC=false recv_config "$T/beta.yaml" "site:$dst"
start_daemon beta "$T/beta.yaml"

# which_version FILE: the version FILE holds entirely, or "mix".
which_version()
{
	local i

	for ((i = 0; i <= rewrites; i++)); do
		if cmp -s "$1" "$ver/v$i"; then
			echo "v$i"
			return
		fi
	done
	echo mix
}

# The writer rewrites the whole file in place, a bounded number of times,
# while the push runs.
(
	for ((i = 1; i <= rewrites; i++)); do
		dd if="$ver/v$i" of="$src/big" bs=1M conv=notrunc status=none ||
		    exit 1
	done
) &
writer=$!
bg_track "$writer"
push "$src" "$(dest beta site)"
wait_for -t 120 eval '! pid_alive '"$writer" || fail "the writer did not finish"
wait "$writer" || hard_error "the writer failed"
[ "$(which_version "$src/big")" = "v$rewrites" ] ||
    hard_error "the source does not hold the last version"

# Did the sender notice a change and send again?  Not required: the push
# may have missed the writer entirely.
retries=$(grep -c 'aborted by sender' "$T/beta.log")
log "bodies aborted and resent during the push: $retries"

case $PUSH_RC in
0)	;;
1)	# The sender gives up on a file that changes on every try; that is
	# a loud failure, not a silent mix, and allowed here.
	grep -q 'changed during send' "$T/push.err" ||
	    fail "push exited 1 for another reason than a changing file"
	log "the file changed on every try; the push said so" ;;
*)	fail "push exited $PUSH_RC" ;;
esac

if [ -e "$dst/big" ]; then
	got=$(which_version "$dst/big")
	log "after the first push the target holds: $got"
	[ "$got" != mix ] || fail "the target is a mix of versions"
fi
no_temp_files "$dst"

# Converge: if the push raced with the last write, push once more.
if ! (tree_equal "$src" "$dst") >/dev/null 2>&1; then
	log "the first push did not see the final version; pushing again"
	push_ok "$src" "$(dest beta site)"
fi
tree_equal "$src" "$dst"
[ "$(which_version "$dst/big")" = "v$rewrites" ] ||
    fail "the target does not hold the final version"
no_temp_files "$dst"

finish_ok -n beta
