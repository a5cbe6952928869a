[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 016-denied-noset: a set that does not accept us, and a set that does not
# exist, are refused with exit 1 and a reason; nothing is written, and the
# daemon goes on serving a permitted push.
. "$(dirname "$0")/lib.sh"

src=$T/src
mkdir -p "$src/d" "$T/open" "$T/closed" "$T/other"
echo data >"$src/d/f"
echo top >"$src/g"

cat >"$T/beta.yaml" <<EOF
node:
  name: beta
  listen: "127.0.0.1:0"
peers:
  - name: alpha
  - name: gamma
sets:
  # alpha may push here.
  - name: open
    path: $T/open
    accept_from: [alpha]
    fsync: false
  # Only gamma may push here.
  - name: closed
    path: $T/closed
    accept_from: [gamma]
    fsync: false
  # Nobody may push here: beta only sends it.
  - name: outgoing
    path: $T/other
    push_to: [gamma]
EOF
start_daemon beta "$T/beta.yaml"
tree_snapshot "$T/closed" "$T/closed.before"
tree_snapshot "$T/other" "$T/other.before"

push "$src" "$(dest beta closed)"
[ "$PUSH_RC" = 1 ] || fail "push to a set that refuses us: exit $PUSH_RC, expected 1"
grep -q denied "$T/push.err" || fail "the refusal does not say 'denied'"
tree_snapshot "$T/closed" "$T/closed.after"
cmp -s "$T/closed.before" "$T/closed.after" || fail "the refused set changed"
[ -z "$(ls -A "$T/closed")" ] || fail "something was written in the refused set"

push "$src" "$(dest beta outgoing)"
[ "$PUSH_RC" = 1 ] || fail "push to a send-only set: exit $PUSH_RC, expected 1"
grep -q denied "$T/push.err" || fail "the refusal does not say 'denied'"
tree_snapshot "$T/other" "$T/other.after"
cmp -s "$T/other.before" "$T/other.after" || fail "the send-only set changed"

push "$src" "$(dest beta nosuchset)"
[ "$PUSH_RC" = 1 ] || fail "push to an unknown set: exit $PUSH_RC, expected 1"
grep -q 'no set\|no such set' "$T/push.err" ||
    fail "the refusal does not say 'no set'"

# A name that is not a configured peer at all.
CLIENT_NAME=mallory push "$src" "$(dest beta open)"
[ "$PUSH_RC" = 1 ] || fail "push by an unknown node: exit $PUSH_RC, expected 1"
grep -q denied "$T/push.err" || fail "the refusal does not say 'denied'"
[ -z "$(ls -A "$T/open")" ] || fail "an unknown node wrote into the set"

daemon_alive beta || fail "zcsyncd died after refusing pushes"
push_ok "$src" "$(dest beta open)"
expect_summary sent 2 failed 0
tree_equal "$src" "$T/open"
[ -z "$(ls -A "$T/closed")" ] || fail "something was written in the refused set"

finish_ok -n beta
