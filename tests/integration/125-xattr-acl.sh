[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 125-xattr-acl: extended attributes and POSIX ACLs (feature XATTR).  A
# push carries user.* and trusted.* attributes, an access ACL and a
# default ACL; getfattr and getfacl must read the same on both sides.  A
# change of attributes alone travels as META (no body); an attribute the
# source lost is removed; --no-xattrs sends none; a receiver on a file
# system without attributes warns and goes on; pull brings them; live
# mirroring carries a setfattr (IN_ATTRIB).
. "$(dirname "$0")/lib.sh"

command -v setfattr >/dev/null && command -v getfattr >/dev/null ||
    skip "no setfattr/getfattr (package attr)"
command -v setfacl >/dev/null && command -v getfacl >/dev/null ||
    skip "no setfacl/getfacl (package acl)"
[ "$(id -u)" = 0 ] || skip "trusted.* attributes need root"

src=$T/src
dst=$T/dst
dst2=$T/dst2
mkdir -p "$src" "$dst" "$dst2"
setfattr -n user.probe -v 1 "$src" 2>/dev/null ||
    skip "the file system under $T keeps no user.* attributes"
setfattr -x user.probe "$src"

mkdir -p "$src/shared/sub" "$src/plain"
echo "tagged" >"$src/tagged.txt"
echo "acl" >"$src/acl.txt"
echo "plain" >"$src/plain/file"
head -c 100000 /dev/urandom >"$src/shared/big.bin"
# Small (a named temp on the receiver, not O_TMPFILE) and without an ACL,
# landing in a directory whose default ACL arrives first: what the temp
# inherits must go, although most directories' files need no such check.
echo "no acl" >"$src/shared/small.txt"
ln -s tagged.txt "$src/link"
setfattr -n user.color -v blue "$src/tagged.txt"
setfattr -n user.empty "$src/tagged.txt"
setfattr -n user.bin -v 0x00ff00ff "$src/tagged.txt"
setfattr -n trusted.zc -v secret "$src/tagged.txt"
# security.* on a file and on a symlink itself (no LSM claims these names).
sec=
if setfattr -n security.zctest -v file "$src/tagged.txt" 2>/dev/null &&
    setfattr -h -n security.zctest -v link "$src/link" 2>/dev/null; then
	sec=security.zctest
else
	log "security.zctest cannot be set here: not checked"
fi
setfattr -n user.dir -v yes "$src/shared"
setfacl -m u:12345:rw,g:23456:r "$src/acl.txt"
setfacl -d -m u:12345:rwx,g::rx,o::- "$src/shared"
setfacl -m u:12345:rwx "$src/shared"
# Created after the default ACL: inherits it, as the receiver's temp will.
echo "inherits" >"$src/shared/inherited.txt"
touch -d '2011-11-11 11:11:11.111111111' "$src/shared/sub" "$src/shared" \
    "$src/plain"

# attrs DIR: every attribute and ACL beneath DIR, by relative name.
attrs()
{
	(cd "$1" && getfattr -R -h -d -m - -e hex . 2>/dev/null &&
	    getfacl -R -P -n . 2>/dev/null)
}

# attrs_equal A B WHAT: fail with the difference unless equal.
attrs_equal()
{
	attrs "$1" >"$T/attrs.a"
	attrs "$2" >"$T/attrs.b"
	diff -u "$T/attrs.a" "$T/attrs.b" >"$T/attrs.diff" || {
		cat "$T/attrs.diff"
		fail "attributes differ: $3"
	}
}

# The comparison must see what we set, or it proves nothing.
attrs "$src" >"$T/attrs.src"
for want in user.color user.empty user.bin trusted.zc user.dir $sec \
    system.posix_acl_access system.posix_acl_default 'user:12345:rw-' \
    'default:user:12345:rwx'; do
	grep -q -e "$want" "$T/attrs.src" || hard_error "source lacks $want"
done

recv_config "$T/beta.yaml" "site:$dst" "bare:$dst2"
echo "    serve_to: [alpha]" >>"$T/beta.yaml"	# bare: pull serves it
mkdir -p "$T/noattr"
cat >>"$T/beta.yaml" <<EOF
  - name: noattr
    path: $T/noattr
    accept_from: [alpha]
    xattrs: false
EOF
start_daemon beta "$T/beta.yaml"

push_ok "$src" "$(dest beta site)"
expect_summary sent 6 failed 0
tree_equal "$src" "$dst"
attrs_equal "$src" "$dst" "first push"
[ "$(getfattr -h --only-values -n user.color "$dst/tagged.txt")" = blue ] ||
    fail "user.color did not arrive"
getfacl -n "$dst/shared" | grep -q '^default:user:12345:rwx' ||
    fail "the default ACL did not arrive"
for f in big.bin small.txt; do
	getfattr -h -n system.posix_acl_access "$dst/shared/$f" >/dev/null \
	    2>&1 && fail "shared/$f kept the ACL it inherited on the receiver"
done
getfacl -n "$dst/shared/inherited.txt" | grep -q '^user:12345:rwx' ||
    fail "shared/inherited.txt lost its ACL"
if [ -n "$sec" ]; then
	[ "$(getfattr -h --only-values -n security.zctest "$dst/link")" = \
	    link ] || fail "the symlink's own security.zctest did not arrive"
fi
no_temp_files "$dst"

# Nothing changed: nothing is sent.
push_ok "$src" "$(dest beta site)"
expect_summary sent 0 meta 0 dirs 0 failed 0

# Only an attribute changes: META, no body.
setfattr -n user.color -v green "$src/tagged.txt"
push_ok "$src" "$(dest beta site)"
expect_summary sent 0 meta 1 failed 0 bytes 0
attrs_equal "$src" "$dst" "changed attribute"

# One removed, an ACL dropped: removed on the receiver too.
setfattr -x user.empty "$src/tagged.txt"
setfacl -b "$src/acl.txt"
push_ok "$src" "$(dest beta site)"
expect_summary sent 0 meta 2 failed 0
attrs_equal "$src" "$dst" "removed attribute and ACL"
getfattr -h -n user.empty "$dst/tagged.txt" >/dev/null 2>&1 &&
    fail "user.empty is still on the receiver"

# A directory's attribute alone: the directory goes again.
setfattr -n user.dir -v changed "$src/shared"
push_ok "$src" "$(dest beta site)"
expect_summary sent 0 failed 0
attrs_equal "$src" "$dst" "directory attribute"

# --no-xattrs: the files arrive bare.
push_ok --no-xattrs "$src" "$(dest beta bare)"
expect_summary sent 6 failed 0
getfattr -h -n user.color "$dst2/tagged.txt" >/dev/null 2>&1 &&
    fail "--no-xattrs sent user.color"
getfacl -n "$dst2/shared" | grep -q '^default:' &&
    fail "--no-xattrs sent a default ACL"
# ... and what the receiver has is left alone by a META.
setfattr -n user.keep -v 1 "$dst2/tagged.txt"
chmod 0640 "$src/tagged.txt"
push_ok --no-xattrs "$src" "$(dest beta bare)"
expect_summary sent 0 meta 1 failed 0
[ "$(stat -c %a "$dst2/tagged.txt")" = 640 ] || fail "--no-xattrs: no META"
[ "$(getfattr -h --only-values -n user.keep "$dst2/tagged.txt")" = 1 ] ||
    fail "--no-xattrs removed the receiver's user.keep"

# A receiving set with xattrs: false keeps none, and a second push does
# not send them again for nothing.
push_ok "$src" "$(dest beta noattr)"
expect_summary sent 6 failed 0
getfattr -h -n user.color "$T/noattr/tagged.txt" >/dev/null 2>&1 &&
    fail "xattrs: false on the receiver kept user.color"
push_ok "$src" "$(dest beta noattr)"
expect_summary sent 0 meta 0 dirs 0 failed 0

# A receiving file system without extended attributes (ramfs, mounted in
# the receiver's own mount namespace): the files land, one warning.
if unshare -m --propagation private true 2>/dev/null; then
	mkdir -p "$T/ram"
	recv_config -n gamma "$T/gamma.yaml" "ram:$T/ram"
	start_daemon_via gamma "$T/gamma.yaml" unshare -m \
	    --propagation private sh -c \
	    'mount -t ramfs none "$1" && shift && exec "$@"' sh "$T/ram" --
	push_ok "$src" "$(dest gamma ram)"
	expect_summary sent 6 failed 0
	cmp -s "$src/tagged.txt" "/proc/${DAEMON_PID[gamma]}/root$T/ram/tagged.txt" ||
	    fail "ramfs: tagged.txt did not land"
	push_ok "$src" "$(dest gamma ram)"
	[ "$(log_count gamma 'keeps no extended attributes')" = 1 ] ||
	    fail "gamma did not warn once (per set) about ramfs"
	stop_via gamma
else
	log "no mount namespace: the ENOTSUP case is not run"
fi

# Pull: the attributes come back the other way, and again when only
# they change on the server.
pull_ok "$(dest beta bare)" "$T/pulled"
setfattr -n user.color -v red "$dst2/tagged.txt"
setfacl -m u:777:r "$dst2/shared/big.bin"
pull_ok "$(dest beta bare)" "$T/pulled"
attrs_equal "$dst2" "$T/pulled" "pull"
[ "$(getfattr -h --only-values -n user.color "$T/pulled/tagged.txt")" = \
    red ] || fail "pull: user.color did not arrive"
pull_ok --no-xattrs "$(dest beta bare)" "$T/pulled-bare"
[ -f "$T/pulled-bare/tagged.txt" ] || fail "pull --no-xattrs: no files"
getfattr -h -n user.color "$T/pulled-bare/tagged.txt" >/dev/null 2>&1 &&
    fail "pull --no-xattrs kept user.color"

# Live: a daemon mirrors the set; a setfattr alone must arrive.
live_config "$T/alpha.yaml" "site:$src" "delete: true" "settle: 200"
start_node alpha "$T/alpha.yaml"
wait_log alpha 'peer=beta set=site: in sync; mirroring live'
attrs_equal "$src" "$dst" "live catch-up"
setfattr -n user.live -v 1 "$src/plain/file"
setfacl -m u:4242:r "$src/plain"
wait_for -t 20 eval '[ "$(getfattr -h --only-values -n user.live \
    "$dst/plain/file" 2>/dev/null)" = 1 ] &&
    getfacl -n "$dst/plain" 2>/dev/null | grep -q "^user:4242:r--"' ||
    fail "live: the setfattr or setfacl did not arrive"
attrs_equal "$src" "$dst" "live"
setfattr -x user.live "$src/plain/file"
wait_for -t 20 eval '! getfattr -h -n user.live "$dst/plain/file" \
    >/dev/null 2>&1' || fail "live: the removal did not arrive"
mirror_ok "$src" "$dst" alpha beta

finish_ok -n
