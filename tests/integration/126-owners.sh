[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 126-owners: owners travel by name (feature IDMAP).  The sender and the
# receiver each run in their own mount namespace with their own
# /etc/passwd and /etc/group, in which the same names have other numbers:
# a file of zcalice:zcteam (40001:40002 on the sender) must land as
# 50001:50002; an id with no name, or a name the receiver lacks, keeps its
# number; a second push sends nothing (owners compared by name both
# ways), ACL entries as well; --numeric-ids and a receiving set's
# numeric_ids keep numbers; a receiver without CAP_CHOWN keeps its own
# owner and warns once; live mirroring maps a chown too.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root (chown, mount namespaces)"
command -v setfacl >/dev/null && command -v getfacl >/dev/null ||
    skip "no setfacl/getfacl (package acl)"
unshare -m --propagation private true 2>/dev/null ||
    skip "cannot make a mount namespace (unshare -m)"

src=$T/src
dst=$T/dst
num=$T/num
rnum=$T/rnum
mkdir -p "$src/d" "$dst" "$num" "$rnum"

# Two views of the same names.
cat >"$T/a.passwd" <<EOF
root:x:0:0:root:/root:/bin/sh
zcalice:x:40001:40002::/nonexistent:/usr/sbin/nologin
zcbob:x:40004:40002::/nonexistent:/usr/sbin/nologin
zccarol:x:40005:40002::/nonexistent:/usr/sbin/nologin
EOF
cat >"$T/a.group" <<EOF
root:x:0:
zcteam:x:40002:
EOF
cat >"$T/b.passwd" <<EOF
root:x:0:0:root:/root:/bin/sh
zcalice:x:50001:50002::/nonexistent:/usr/sbin/nologin
zccarol:x:50005:50002::/nonexistent:/usr/sbin/nologin
EOF
cat >"$T/b.group" <<EOF
root:x:0:
zcteam:x:50002:
EOF
# The two nodes' views: WRAP_A and WRAP_B run what follows with them.
WRAP_A=(unshare -m --propagation private sh -c
    'mount --bind "$1" /etc/passwd && mount --bind "$2" /etc/group &&
    shift 2 && exec "$@"' sh "$T/a.passwd" "$T/a.group")
WRAP_B=(unshare -m --propagation private sh -c
    'mount --bind "$1" /etc/passwd && mount --bind "$2" /etc/group &&
    shift 2 && exec "$@"' sh "$T/b.passwd" "$T/b.group")
[ "$("${WRAP_B[@]}" id -u zcalice)" = 50001 ] ||
    hard_error "the receiver's view of /etc/passwd does not hold"

echo alice >"$src/alice"
echo anon >"$src/anon"
echo bob >"$src/bob"
echo later >"$src/d/later"
chown 40001:40002 "$src/alice" "$src/d"
chown 40003:40003 "$src/anon"		# no name anywhere
chown 40004:40002 "$src/bob"		# zcbob: the sender's only
chown -h 40001:40002 "$src/d/later"
# ACL entries name users and groups by number too: mapped the same way.
setfacl -m u:40001:rw,u:40003:r,g:40002:r "$src/anon"

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
  - name: num
    path: $num
    accept_from: [alpha]
  - name: rnum
    path: $rnum
    accept_from: [alpha]
    numeric_ids: true
EOF
start_daemon_via beta "$T/beta.yaml" "${WRAP_B[@]}" --

# owner_is PATH UID:GID
owner_is()
{
	local got

	got=$(stat -c %u:%g "$1") || fail "$1: missing"
	[ "$got" = "$2" ] || fail "$1: owner $got, expected $2"
}

push_via "${WRAP_A[@]}" -- "$src" "$(dest beta site)"
[ "$PUSH_RC" = 0 ] || fail "push exited $PUSH_RC"
expect_summary sent 4 failed 0
owner_is "$dst/alice" 50001:50002
owner_is "$dst/d" 50001:50002
owner_is "$dst/d/later" 50001:50002
owner_is "$dst/anon" 40003:40003
owner_is "$dst/bob" 40004:50002
getfacl -n "$dst/anon" >"$T/acl.dst"
for e in user:50001:rw- user:40003:r-- group:50002:r--; do
	grep -qx -e "$e" "$T/acl.dst" ||
	    fail "the ACL of anon lacks $e: $(tr '\n' ' ' <"$T/acl.dst")"
done

# Compared by name both ways: nothing to do.
push_via "${WRAP_A[@]}" -- "$src" "$(dest beta site)"
[ "$PUSH_RC" = 0 ] || fail "second push exited $PUSH_RC"
expect_summary sent 0 meta 0 dirs 0 failed 0

# An owner change alone is a META, mapped too.
chown 40005 "$src/anon"
push_via "${WRAP_A[@]}" -- "$src" "$(dest beta site)"
expect_summary sent 0 meta 1 failed 0
owner_is "$dst/anon" 50005:40003

# --numeric-ids: numbers as they are.
push_via "${WRAP_A[@]}" -- --numeric-ids "$src" "$(dest beta num)"
[ "$PUSH_RC" = 0 ] || fail "--numeric-ids push exited $PUSH_RC"
expect_summary sent 4 failed 0
owner_is "$num/alice" 40001:40002
owner_is "$num/bob" 40004:40002
getfacl -n "$num/anon" | grep -qx -e user:40001:rw- ||
    fail "--numeric-ids: the ACL's user entry was mapped"
# ... and compared as numbers: a changed owner goes as a number.
chown 40005 "$src/alice"
push_via "${WRAP_A[@]}" -- --numeric-ids "$src" "$(dest beta num)"
expect_summary sent 0 meta 1 failed 0
owner_is "$num/alice" 40005:40002
chown 40001 "$src/alice"

# Pull, the other way: beta's 50001 is zcalice, 40001 in alpha's view.
pull_a()
{
	PULL_RC=0
	timeout -k 5 "$PUSH_TIMEOUT" "${WRAP_A[@]}" "$ZCSYNC" pull \
	    --name "$CLIENT_NAME" "$@" >"$T/pull.out" 2>"$T/pull.err" \
	    </dev/null || PULL_RC=$?
	log "zcsync pull $* -> exit $PULL_RC"
	sed -e 's/^/#   err: /' "$T/pull.err"
	[ "$PULL_RC" = 0 ] || fail "pull $* exited $PULL_RC"
}
pull_a "$(dest beta site)" "$T/pulled"
owner_is "$T/pulled/alice" 40001:40002
owner_is "$T/pulled/anon" 40005:40003
getfacl -n "$T/pulled/anon" | grep -qx -e user:40001:rw- ||
    fail "pull: the ACL's user entry was not mapped back"
pull_a --numeric-ids "$(dest beta site)" "$T/pulled-num"
owner_is "$T/pulled-num/alice" 50001:50002

# The receiving set's numeric_ids: the same, whatever the sender says.
push_via "${WRAP_A[@]}" -- "$src" "$(dest beta rnum)"
expect_summary sent 4 failed 0
owner_is "$rnum/alice" 40001:40002

# A receiver that may not chown (not root, no CAP_CHOWN): what lands is
# its own, and it says so once.  Not under TLS: the identity files are
# root's.
if [ -z "${TLS_DIR:-}" ]; then
	mkdir -p "$T/nobody"
	chown 65534:65534 "$T/nobody"
	chmod o+x "$T"
	recv_config -n gamma "$T/gamma.yaml" "site:$T/nobody"
	chmod 0644 "$T/gamma.yaml"
	start_daemon_via gamma "$T/gamma.yaml" setpriv --reuid=65534 \
	    --regid=65534 --clear-groups --
	push_via "${WRAP_A[@]}" -- "$src" "$(dest gamma site)"
	[ "$PUSH_RC" = 0 ] || fail "push to a non-root receiver exited $PUSH_RC"
	expect_summary sent 4 failed 0
	owner_is "$T/nobody/alice" 65534:65534
	[ "$(log_count gamma 'owners are not kept')" = 1 ] ||
	    fail "gamma did not warn exactly once that owners are not kept"
	stop_via gamma
else
	log "non-root receiver: not under TLS"
fi

# Live: a daemon in the sender's view mirrors site; a chown arrives mapped.
live_config "$T/alpha.yaml" "site:$src" "settle: 200"
start_daemon_via alpha "$T/alpha.yaml" "${WRAP_A[@]}" --
wait_log alpha 'peer=beta set=site: in sync; mirroring live'
chown 40005:40002 "$src/bob"
wait_for -t 20 eval '[ "$(stat -c %u:%g "$dst/bob")" = 50005:50002 ]' ||
    fail "live: the chown did not arrive mapped ($(stat -c %u:%g "$dst/bob"))"
echo new >"$src/d/new"
chown 40001:40002 "$src/d/new"
wait_for -t 20 eval '[ "$(stat -c %u:%g "$dst/d/new" 2>/dev/null)" = \
    50001:50002 ]' || fail "live: a new file did not land as zcalice"

finish_ok -n alpha beta
