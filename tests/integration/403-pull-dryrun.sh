[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 403-pull-dryrun: `zcsync pull --dry-run PEER/SET DIR` lists what a pull
# would do (a new file, a changed file, with --delete what only DIR has)
# in the words and counts of `zcsync push --dry-run`, and changes nothing
# in DIR (inodes, times and bytes); the counts predict the real pull; a
# missing DIR is not made; an empty set with --delete is refused as push
# refuses it.  On the wire (rawpeer): the server lists its tree, sends
# SUMMARY {0, 0, 0} and closes; PULL with LIVE is ERROR PROTOCOL.
. "$(dirname "$0")/lib.sh"

RAWPEER=$top_builddir/tests/tools/rawpeer
[ -x "$RAWPEER" ] || hard_error "tests/tools/rawpeer is not built"

srv=$T/srv
dst=$T/dst
mkdir -p "$srv/keep/sub" "$T/empty-set" "$T/closed-set"
echo same >"$srv/keep/sub/a"
echo old >"$srv/keep/changed"
echo top >"$srv/top"
ln -s keep/sub/a "$srv/link"
find "$srv" -mindepth 1 -depth -exec touch -h -d '2011-11-11 11:11:11.111111111' {} +

cat >"$T/beta.yaml" <<EOF
node:
  name: beta
  listen: "127.0.0.1:0"
peers:
  - name: alpha
  - name: gamma
sets:
  - name: site
    path: $srv
    serve_to: [alpha]
  - name: empty
    path: $T/empty-set
    serve_to: [alpha]
  - name: closed
    path: $T/closed-set
    serve_to: [gamma]
EOF
start_daemon beta "$T/beta.yaml"

# A real pull first: DIR is the set.
pull_ok "$(dest beta site)" "$dst"
tree_equal "$srv" "$dst"

# Then the server gains a file and a directory and changes a file; DIR
# gains a file and a tree the server does not have.
mkdir "$srv/newdir"
echo new >"$srv/newdir/new-file"
echo "new at the top" >"$srv/new-top"
echo "changed on the server" >"$srv/keep/changed"
touch -d '2012-02-02 02:02:02.5' "$srv/keep/changed"
echo local >"$dst/local-only"
mkdir -p "$dst/local-tree/x"
echo l >"$dst/local-tree/x/f"
tree_snapshot "$srv" "$T/srv.before"
new_bytes=$(($(stat -c %s "$srv/new-top") + $(stat -c %s "$srv/newdir/new-file") +
    $(stat -c %s "$srv/keep/changed")))

# counts FILE: the dry-run summary without its prefix and timing.
counts()
{
	grep -E '^dry run: would have: [0-9]+ files sent, ' "$1" |
	    sed -E 's/^dry run: would have: //; s/ in [0-9.]+ s .*$//'
}

# plan FILE: the listed changes, sorted.
plan()
{
	grep -E '^(send|dir|link|meta|delete) ' "$1" | sort
}

# ---- Without --delete: the new and changed files, no deletion.
tree_snapshot "$dst" "$T/dst.before"
pull_ok --dry-run "$(dest beta site)" "$dst"
tree_snapshot "$dst" "$T/dst.after"
cmp -s "$T/dst.before" "$T/dst.after" || fail "pull --dry-run changed DIR"
[ -s "$T/pull.err" ] && fail "pull --dry-run wrote to stderr"
for line in 'send new-top' 'send newdir/new-file' 'send keep/changed' \
    'dir newdir' 'dir keep'; do
	grep -qxF "$line" "$T/pull.out" || fail "dry run does not list '$line'"
done
grep -qE '^(send|dir|link|meta|delete) (keep/sub/a|keep/sub|link|top)$' \
    "$T/pull.out" && fail "dry run lists an unchanged entry"
grep -qE '^delete ' "$T/pull.out" &&
    fail "dry run without --delete lists a deletion"
want="3 files sent, 2 skipped, 0 deleted, 2 dirs, 0 links, 0 meta, 0 failed; $new_bytes bytes"
[ "$(counts "$T/pull.out")" = "$want" ] ||
    fail "counts '$(counts "$T/pull.out")', expected '$want'"
wait_log beta "peer=alpha addr=127\\.0\\.0\\.1:[0-9]+ set=site: pull done \\(dry run\\): [0-9]+ entries listed" 5

# ---- With --delete: also what only DIR has.  The list and the counts
# are exactly what `zcsync push --dry-run --delete` of the server's tree
# into DIR reports (DIR served as a set by a second daemon).
pull_ok -n --delete "$(dest beta site)" "$dst"
tree_snapshot "$dst" "$T/dst.after"
cmp -s "$T/dst.before" "$T/dst.after" || fail "pull --dry-run --delete changed DIR"
for line in 'delete local-only' 'delete local-tree' 'delete local-tree/x' \
    'delete local-tree/x/f' 'send new-top' 'send keep/changed'; do
	grep -qxF "$line" "$T/pull.out" || fail "dry run does not list '$line'"
done
plan "$T/pull.out" >"$T/pull.plan"
counts "$T/pull.out" >"$T/pull.counts"

FSYNC=false recv_config "$T/gamma.yaml" "mirror:$dst"
sed -i 's/name: beta$/name: gamma/' "$T/gamma.yaml"
start_daemon gamma "$T/gamma.yaml"
push_ok --dry-run --delete "$srv" "$(dest gamma mirror)"
plan "$T/push.out" >"$T/push.plan"
counts "$T/push.out" >"$T/push.counts"
if ! cmp -s "$T/pull.plan" "$T/push.plan"; then
	diff "$T/pull.plan" "$T/push.plan" | sed -e 's/^/#   /'
	fail "pull --dry-run (<) and push --dry-run (>) list different changes"
fi
cmp -s "$T/pull.counts" "$T/push.counts" ||
    fail "pull --dry-run counts '$(cat "$T/pull.counts")', push --dry-run '$(cat "$T/push.counts")'"
stop_daemon gamma
tree_snapshot "$dst" "$T/dst.after"
cmp -s "$T/dst.before" "$T/dst.after" || fail "DIR changed"

# ---- The prediction holds: the real pull does what the dry run said.
pull_ok --delete "$(dest beta site)" "$dst"
expect_pull_summary files 3 failed 0 bytes "$new_bytes"
tree_equal "$srv" "$dst"
pull_ok -n --delete "$(dest beta site)" "$dst"
want="0 files sent, 5 skipped, 0 deleted, 0 dirs, 0 links, 0 meta, 0 failed; 0 bytes"
[ "$(counts "$T/pull.out")" = "$want" ] ||
    fail "after the pull: counts '$(counts "$T/pull.out")', expected '$want'"

# ---- A missing DIR is compared with nothing, and not made.
pull_ok --dry-run "$(dest beta site)" "$T/not-there"
[ -e "$T/not-there" ] && fail "pull --dry-run made DIR"
nfiles=$(find "$srv" -type f -printf . | wc -c)
grep -qE "^dry run: would have: $nfiles files sent, 0 skipped" "$T/pull.out" ||
    fail "dry run into a missing DIR: $(counts "$T/pull.out")"

# ---- An empty set with --delete is refused as push refuses it.
pull -n --delete "$(dest beta empty)" "$dst"
[ "$PULL_RC" = 1 ] || fail "dry run of an empty set with --delete: exit $PULL_RC"
grep -qF 'refusing to delete all' "$T/pull.err" ||
    fail "no refusal: $(cat "$T/pull.err")"
tree_equal "$srv" "$dst"

# ---- Refusals are those of a pull.
pull -n "$(dest beta closed)" "$dst"
[ "$PULL_RC" = 1 ] || fail "dry run of a set that does not serve alpha: exit $PULL_RC"
grep -qF 'may not pull set "closed"' "$T/pull.err" ||
    fail "refusal not reported: $(cat "$T/pull.err")"

# ---- The wire, from a raw peer (plain TCP: rawpeer speaks no TLS).  The
# manifest lists every entry beneath the root.
if [ "${ZC_TEST_TLS:-0}" != 1 ]; then
	n=$(find "$srv" -mindepth 1 | wc -l)
	rp()
	{
		local desc=$1 rc=0
		shift

		timeout -k 5 60 "$RAWPEER" -v "${DAEMON_PORT[beta]}" "$@" \
		    >"$T/rp.out" 2>&1 || rc=$?
		if [ "$rc" != 0 ]; then
			tail -n 25 "$T/rp.out" | cat -v
			fail "$desc: rawpeer exited $rc"
		fi
		log "rawpeer: $desc: as expected"
	}
	rp "dry-run PULL" 'hello alpha' 'pull site flags 2' \
	    "read-manifest $n" 'expect-summary 0 0' expect-eof
	rp "dry-run PULL with DELETE" 'hello alpha' 'pull site flags 3' \
	    "read-manifest $n" 'expect-summary 0 0' expect-eof
	rp "PULL with DRY_RUN and LIVE" 'hello alpha' 'pull site flags 6' \
	    'expect-error protocol' expect-closed
	rp "PULL with LIVE" 'hello alpha' 'pull site flags 4' \
	    'expect-error protocol' expect-closed
	[ "$(log_count beta 'refused: protocol error: PULL with LIVE')" -ge 2 ] ||
	    fail "the refusals of PULL with LIVE were not logged"
	rp "dry-run PULL, not serving" 'hello alpha' 'pull closed flags 2' \
	    'expect-error denied' expect-closed
fi
tree_snapshot "$srv" "$T/srv.after"
cmp -s "$T/srv.before" "$T/srv.after" || fail "the dry runs changed the served tree"

finish_ok beta
