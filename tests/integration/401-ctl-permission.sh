[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 401-ctl-permission: the control socket is mode 0660, and the daemon
# answers root and its own uid only (SO_PEERCRED): another uid that the
# file mode lets connect gets "error: permission denied (uid N)", exit 1.
# Run twice: a daemon as root, then a daemon as nobody (its own uid is
# then allowed, root too, and another uid is refused).
. "$(dirname "$0")/lib.sh"

# No data moves here: there is no TLS session to show.
ZC_PLAIN_ONLY=1

[ "$(id -u)" = 0 ] || skip "needs root (to run clients and a daemon as other uids)"
command -v python3 >/dev/null 2>&1 || skip "needs python3 (socket client)"

# Bugs are collected and reported at the end, so that one finding does
# not hide the checks after it.
BUGS=()
bug()
{
	echo "# BUG: $*"
	BUGS+=("$*")
}

NOBODY=65534
OTHER=23456	# a uid with no account: setpriv needs none
# as UID GID CMD...: run CMD as UID:GID with no supplementary groups.
if setpriv --reuid="$NOBODY" --regid="$NOBODY" --clear-groups true \
    2>/dev/null; then
	as()
	{
		local uid=$1 gid=$2
		shift 2
		setpriv --reuid="$uid" --regid="$gid" --clear-groups "$@"
	}
	have_other=1
elif [ "$(id -u nobody 2>/dev/null)" = "$NOBODY" ] &&
    runuser -u nobody -- true 2>/dev/null; then
	# runuser knows accounts only: uid 65534 (nobody) and nothing else.
	as()
	{
		[ "$1" = "$NOBODY" ] || hard_error "as: runuser cannot be uid $1"
		shift 2
		runuser -u nobody -- "$@"
	}
	have_other=0
else
	skip "neither setpriv nor runuser can run a command as uid $NOBODY"
fi

# Other uids must reach the sockets: the test dir is 0700 from mktemp.
chmod 0711 "$T" || hard_error "chmod $T"
mkdir -m 0755 "$T/run" || hard_error "mkdir $T/run"
mkdir -m 0755 "$T/set"

# ---- A daemon running as root.
cat >"$T/root.yaml" <<EOF
node:
  name: beta
  listen: "127.0.0.1:0"
  control: $T/run/root.sock
peers:
  - name: alpha
sets:
  - name: site
    path: $T/set
    accept_from: [alpha]
$TLS_MARK left plain: nothing is sent here
EOF
start_daemon root "$T/root.yaml"
sock=$T/run/root.sock
[ -S "$sock" ] || fail "no control socket at $sock"
mode=$(stat -c '%a %u' "$sock")
[ "$mode" = "660 0" ] || fail "control socket mode/owner '$mode', expected '660 0'"

ctl_ok status --socket "$sock"
grep -q '^node beta: ' "$T/ctl.out" || fail "root: status: $(cat "$T/ctl.out")"

# nobody: the file mode keeps it out (root:root 0660); exit 1, a message.
as "$NOBODY" "$NOBODY" "$ZCSYNC" status --socket "$sock" >"$T/n.out" \
    2>"$T/n.err" && fail "nobody: status through a root:root 0660 socket worked"
rc=$?
log "nobody, socket root:root 0660: exit $rc: $(cat "$T/n.err")"
[ "$rc" = 1 ] || fail "nobody: exit $rc, expected 1"
grep -qF 'Permission denied' "$T/n.err" || fail "nobody: '$(cat "$T/n.err")'"
[ -s "$T/n.out" ] && fail "nobody got output: $(cat "$T/n.out")"

# Group nogroup on the socket: the kernel lets nobody connect, the daemon
# refuses it by uid (SO_PEERCRED), for every request.  The daemon answers
# a refused caller at once, without reading its request: the client must
# still show the refusal (not die of SIGPIPE writing its request, exit
# 141), so each request is tried several times.
chgrp "$NOBODY" "$sock" || hard_error "chgrp $sock"
# refused UID GID REQUEST...: the refusal of uid UID, each time.
refused()
{
	local uid=$1 gid=$2 i rc
	shift 2

	for ((i = 0; i < 8; i++)); do
		rc=0
		as "$uid" "$gid" "$ZCSYNC" "$@" >"$T/n.out" 2>"$T/n.err" || rc=$?
		[ "$rc" = 0 ] && fail "uid $uid: '$*' through the control socket worked"
		[ -s "$T/n.out" ] && fail "uid $uid: $*: output: $(head -c 300 "$T/n.out")"
		if [ "$rc" != 1 ] ||
		    ! grep -qxF "error: permission denied (uid $uid)" "$T/n.err"; then
			bug "uid $uid: zcsync $*: exit $rc, stderr '$(cat "$T/n.err")' (try $((i + 1))); expected exit 1 and 'error: permission denied (uid $uid)'"
			return
		fi
	done
	log "uid $uid, $*: refused 8 times: $(cat "$T/n.err")"
}
for req in "status" "status --json" "metrics" "sync site"; do
	# shellcheck disable=SC2086
	refused "$NOBODY" "$NOBODY" $req --socket "$sock"
done
# A raw request as nobody: the same refusal, nothing else.
printf 'status json\n' | as "$NOBODY" "$NOBODY" bash -c "$(declare -f ctl_raw); ctl_raw \"\$1\"" _ "$sock" \
    >"$T/n.out" || fail "nobody, raw: no reply"
[ "$(cat "$T/n.out")" = "error: permission denied (uid $NOBODY)" ] ||
    fail "nobody, raw: '$(head -c 300 "$T/n.out" | cat -v)'"
wait_log root "control: uid $NOBODY refused" 5
daemon_alive root || fail "the daemon died refusing nobody"
ctl_ok status --socket "$sock"
stop_daemon root
[ "${DAEMON_RC[root]}" = 0 ] || fail "the root daemon exited ${DAEMON_RC[root]}"
[ ! -e "$sock" ] || fail "the control socket was left behind"

# ---- A daemon running as nobody: its own uid may ask, and root.
mkdir -m 0755 "$T/run2" && chown "$NOBODY:$NOBODY" "$T/run2" ||
    hard_error "mkdir $T/run2"
cat >"$T/nobody.yaml" <<EOF
node:
  name: gamma
  listen: "127.0.0.1:0"
  control: $T/run2/nobody.sock
$TLS_MARK left plain: a daemon as nobody could not read the identity
EOF
chmod 0644 "$T/nobody.yaml"
real_zcsyncd=$ZCSYNCD
cat >"$T/zcsyncd-nobody" <<EOF
#!/bin/bash
exec setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups "$real_zcsyncd" "\$@"
EOF
[ "$have_other" = 0 ] && cat >"$T/zcsyncd-nobody" <<EOF
#!/bin/bash
exec runuser -u nobody -- "$real_zcsyncd" "\$@"
EOF
chmod 0755 "$T/zcsyncd-nobody"
ZCSYNCD=$T/zcsyncd-nobody
start_daemon nobody "$T/nobody.yaml"
ZCSYNCD=$real_zcsyncd
sock=$T/run2/nobody.sock
[ "$(stat -c %u "/proc/${DAEMON_PID[nobody]}")" = "$NOBODY" ] ||
    hard_error "the daemon does not run as uid $NOBODY"
mode=$(stat -c '%a %u %g' "$sock")
[ "$mode" = "660 $NOBODY $NOBODY" ] ||
    fail "control socket mode/owner '$mode', expected '660 $NOBODY $NOBODY'"
as "$NOBODY" "$NOBODY" "$ZCSYNC" status --socket "$sock" >"$T/n.out" \
    2>"$T/n.err" || fail "nobody, its own daemon: exit $?: $(cat "$T/n.err")"
grep -q '^node gamma: ' "$T/n.out" || fail "nobody, own daemon: $(cat "$T/n.out")"
ctl_ok status --json --socket "$sock"
json_get "$T/ctl.out" 'd["node"]' >/dev/null || fail "root: status --json"
if [ "$have_other" = 1 ]; then
	# Another uid in the socket's group: connects, and is refused.
	refused "$OTHER" "$NOBODY" status --socket "$sock"
	wait_log nobody "control: uid $OTHER refused" 5
	# Outside the group: the file mode keeps it out.
	as "$OTHER" "$OTHER" "$ZCSYNC" status --socket "$sock" \
	    >"$T/n.out" 2>"$T/n.err" &&
	    fail "uid $OTHER:$OTHER: status worked"
	grep -qF 'Permission denied' "$T/n.err" ||
	    fail "uid $OTHER:$OTHER: '$(cat "$T/n.err")'"
else
	log "runuser only: no check of a third uid"
fi
daemon_alive nobody || fail "the nobody daemon died"
if [ "${#BUGS[@]}" -gt 0 ]; then
	fail "${#BUGS[@]} finding(s): $(printf '%s; ' "${BUGS[@]}")"
fi
finish_ok nobody
