[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 300-systemd-units: the units make generates (systemd/zcsyncd.service and
# zcsyncd@.service, from their .in files with the installed path of
# zcsyncd) pass `systemd-analyze verify`, and `systemd-analyze security
# --offline=true` rates them at most EXPOSURE_MAX (1.2 on systemd 252,
# Debian 12; SECURITY.md records 1.4 for the first hardened unit).  The
# drop-in that `zcsync check-config --systemd` prints for a config is
# checked too: what it lists, its quoting (verify parses it), and that the
# unit with it stays under the limit.  The sysusers.d snippet makes the
# user zcsync in an empty root.
. "$(dirname "$0")/lib.sh"

# ZC_TEST_TLS=1 has nothing to check here: it starts no daemon.
ZC_PLAIN_ONLY=1

EXPOSURE_MAX=1.4

command -v systemd-analyze >/dev/null 2>&1 || skip "no systemd-analyze"

for u in zcsyncd.service zcsyncd@.service; do
	f=$top_builddir/systemd/$u
	[ -f "$f" ] || fail "$f was not generated (make builds it)"
	! grep -n '@[a-z_]*@' "$f" || fail "$u: unsubstituted @var@"
	exe=$(sed -n 's/^ExecStart=\([^ ]*\) .*/\1/p' "$f")
	case $exe in
	/*/zcsyncd) ;;
	*) fail "$u: ExecStart= names '$exe', not an absolute path to zcsyncd" ;;
	esac
	grep -qx 'Type=notify' "$f" || fail "$u: not Type=notify"
	grep -qx "ExecStartPre=$exe -t -c /etc/zcsync/.*\\.yaml" "$f" ||
	    fail "$u: no ExecStartPre= config check"
	grep -qxF 'ExecReload=/bin/kill -HUP $MAINPID' "$f" ||
	    fail "$u: no ExecReload= sending SIGHUP"
	grep -qx 'User=zcsync' "$f" || fail "$u: not User=zcsync"
	# verify wants the executables to exist: a copy names the built one.
	sed -e "s|$exe|$top_builddir/zcsyncd|g" "$f" >"$T/$u"
done
cp "$T/zcsyncd@.service" "$T/zcsyncd@test.service"

# verify UNITFILE...: exit 0 and not a word about our units (messages
# about other units of this host are not ours to judge).
verify()
{
	local out rc=0

	out=$(cd "$T" && systemd-analyze verify --man=no "$@" 2>&1) || rc=$?
	out=$(grep -F -e zcsyncd <<<"$out")
	log "systemd-analyze verify $* -> $rc${out:+: $out}"
	[ "$rc" = 0 ] && [ -z "$out" ]
}

# exposure UNITFILE: its overall exposure level, e.g. 1.2.
exposure()
{
	(cd "$T" && systemd-analyze security --offline=true "$1" 2>&1) |
	    sed -n 's/^.*Overall exposure level for .*: \([0-9.]*\) .*$/\1/p'
}

# exposure_ok UNITFILE: fail, listing what is exposed, if it is above
# EXPOSURE_MAX.
exposure_ok()
{
	local e

	e=$(exposure "$1")
	[ -n "$e" ] || fail "no exposure level for $1: $(cd "$T" &&
	    systemd-analyze security --offline=true "$1" 2>&1 | tail -n 3)"
	log "$1: exposure $e (at most $EXPOSURE_MAX)"
	if ! awk -v e="$e" -v m="$EXPOSURE_MAX" 'BEGIN { exit !(e <= m) }'; then
		(cd "$T" && systemd-analyze security --offline=true "$1" |
		    grep -v '✓')
		fail "$1: exposure $e is above $EXPOSURE_MAX"
	fi
}

for u in zcsyncd.service zcsyncd@.service zcsyncd@test.service; do
	verify "./$u" || fail "systemd-analyze verify $u failed"
done

# A broken unit must fail verify, or the checks above prove nothing.
mkdir -p "$T/broken"
sed -e 's/^Type=notify$/Type=notifyy/' "$T/zcsyncd.service" \
    >"$T/broken/zcsyncd.service"
verify ./broken/zcsyncd.service &&
    hard_error "systemd-analyze verify accepts Type=notifyy"

security=1
(cd "$T" && systemd-analyze security --offline=true ./zcsyncd.service) \
    >/dev/null 2>&1 || security=0
if [ "$security" = 1 ]; then
	exposure_ok ./zcsyncd.service
	exposure_ok ./zcsyncd@test.service
else
	log "not checked: systemd-analyze security --offline=true unsupported"
fi

# The drop-in check-config --systemd prints for a config.
mkdir -p "$T/recv" "$T/send" "$T/sp ace%" "$T/ctl"
cat >"$T/zc.yaml" <<ZCEOF
node:
  name: alpha
  listen: "127.0.0.1:0"
  control: $T/ctl/zcsync.sock
peers:
  - name: beta
    address: "127.0.0.1:7401"
sets:
  - name: out
    path: $T/send
    push_to: [beta]
  - name: in
    path: $T/recv
    accept_from: [beta]
  - name: odd
    path: $T/sp ace%
    accept_from: [beta]
  - name: home
    path: /home/zcsync-test-nonexistent/in
    accept_from: [beta]
ZCEOF
"$ZCSYNC" check-config --systemd -c "$T/zc.yaml" >"$T/dropin.conf" ||
    fail "check-config --systemd exited $?"
sed -e 's/^/#   /' "$T/dropin.conf"
drop_has()
{
	grep -qxF -e "$1" "$T/dropin.conf"
}
drop_has '[Service]' || fail "drop-in: no [Service]"
drop_has "ReadWritePaths=-$T/recv" ||
    fail "drop-in: no ReadWritePaths= for the receiving set"
drop_has "ReadWritePaths=\"-$T/sp ace%%\"" ||
    fail "drop-in: the path with a space and a % is not quoted as a unit file needs"
drop_has "ReadWritePaths=-$T/ctl" ||
    fail "drop-in: no ReadWritePaths= for the control socket's directory"
if grep -E '^[A-Za-z]+=' "$T/dropin.conf" | grep -qF -e "$T/send"; then
	fail "drop-in: the set it only sends is made writable"
fi
drop_has 'BindPaths=-/home/zcsync-test-nonexistent/in' ||
    fail "drop-in: no BindPaths= for the set under /home"
drop_has 'ProtectHome=tmpfs' ||
    fail "drop-in: no ProtectHome=tmpfs for the set under /home"
case $T in
/tmp/*|/var/tmp/*)
	drop_has 'PrivateTmp=no' ||
	    fail "drop-in: no PrivateTmp=no for sets under $T" ;;
esac
mkdir -p "$T/withdropin"
cat "$T/zcsyncd.service" "$T/dropin.conf" >"$T/withdropin/zcsyncd.service"
verify ./withdropin/zcsyncd.service ||
    fail "the unit with the drop-in fails systemd-analyze verify"
[ "$security" = 0 ] || exposure_ok ./withdropin/zcsyncd.service
"$ZCSYNC" check-config -c "$T/zc.yaml" | grep -q ': ok (node alpha' ||
    fail "check-config without --systemd does not say ok"

# sysusers.d: the snippet makes the user zcsync (in an empty root).
if command -v systemd-sysusers >/dev/null 2>&1; then
	mkdir -p "$T/sysroot/etc"
	systemd-sysusers --root="$T/sysroot" \
	    "$top_srcdir/systemd/zcsync.conf" >/dev/null 2>&1 ||
	    fail "systemd-sysusers rejects systemd/zcsync.conf"
	grep -q '^zcsync:x:[0-9]*:[0-9]*:.*:/var/lib/zcsync:' \
	    "$T/sysroot/etc/passwd" ||
	    fail "systemd-sysusers made no user zcsync: $(cat "$T/sysroot/etc/passwd")"
fi
exit 0
