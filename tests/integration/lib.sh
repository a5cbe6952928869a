# lib.sh: helpers for the zcsync integration tests, sourced by each
# tests/integration/NNN-name.sh after it has made sure it runs under bash.
#
# Every test gets its own temporary directory $T (removed on exit unless
# KEEP=1), starts real zcsyncd processes on 127.0.0.1 port 0, learns their
# ports from --ready-fd, and stops them from an EXIT trap.  Nothing here
# sleeps to synchronise: wait_for polls a condition a bounded number of
# times.  Exit codes follow automake: 0 pass, 77 skip, 99 hard error, 1 fail.

if [ -z "${BASH_VERSION:-}" ]; then
	echo "lib.sh: needs bash" >&2
	exit 99
fi
set -u
set -o pipefail
export LC_ALL=C

# A test that sets ZC_OWN_MNTNS=1 before sourcing this file runs in a
# mount namespace of its own (as root, where unshare(1) exists), so that
# whatever it mounts goes away with it, whatever happens.
if [ "${ZC_OWN_MNTNS:-}" = 1 ] && [ -z "${ZC_MNTNS:-}" ] &&
    [ "$(id -u)" = 0 ] && command -v unshare >/dev/null 2>&1; then
	ZC_MNTNS=1 exec unshare -m --propagation private bash "$0" "$@"
fi

TEST_NAME=$(basename "$0" .sh)
top_builddir=${top_builddir:-$(pwd)}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
ZCSYNCD=$top_builddir/zcsyncd
ZCSYNC=$top_builddir/zcsync
RAWPEER=$top_builddir/tests/tools/rawpeer

# Our node name as pushers; receiving configs accept it.
CLIENT_NAME=alpha
# Upper bound on one push, in seconds (timeout(1) kills it after that).
PUSH_TIMEOUT=${PUSH_TIMEOUT:-180}
# Extended regular expression of daemon "error:" lines a test expects.
EXPECTED_ERRORS=${EXPECTED_ERRORS:-}

declare -A DAEMON_PID=()	# NAME -> pid of a running zcsyncd
declare -A DAEMON_PORT=()	# NAME -> its port
declare -A DAEMON_RC=()		# NAME -> exit status once stopped
declare -A DAEMON_CFG=()	# NAME -> its config file
BG_PIDS=()			# background helpers (pushes, writers)
PUSH_RC=
T=

log()
{
	printf '# %s\n' "$*"
}

# Print the daemons' logs into the test's log, for the person reading it.
dump_logs()
{
	local f

	for f in "$T"/*.log; do
		[ -f "$f" ] || continue
		echo "---- $(basename "$f") (last 40 lines)"
		tail -n 40 "$f" | cat -v
	done
}

fail()
{
	echo "FAIL: $TEST_NAME: $*"
	[ -n "$T" ] && dump_logs
	exit 1
}

skip()
{
	echo "SKIP: $TEST_NAME: $*"
	exit 77
}

hard_error()
{
	echo "ERROR: $TEST_NAME: $*"
	exit 99
}

cleanup()
{
	local rc=$? pid

	trap - EXIT INT TERM
	for pid in "${BG_PIDS[@]}"; do
		pid_alive "$pid" && kill -TERM "$pid" 2>/dev/null
	done
	stop_daemons
	if [ "$rc" = 0 ] && [ "${ZC_TEST_TLS:-0}" = 1 ] && [ -n "$T" ]; then
		_tls_verify || rc=1
	fi
	if [ -n "$T" ] && [ -d "$T" ]; then
		if [ "${KEEP:-0}" = 1 ]; then
			echo "# KEEP=1: leaving $T"
		else
			chmod -R u+rwX "$T" 2>/dev/null
			rm -rf "$T"
		fi
	fi
	exit $rc
}

[ -x "$ZCSYNCD" ] || hard_error "$ZCSYNCD: not built"
[ -x "$ZCSYNC" ] || hard_error "$ZCSYNC: not built"
T=$(mktemp -d "${TMPDIR:-/tmp}/zcsync-$TEST_NAME.XXXXXX") ||
    hard_error "mktemp failed"
T=$(cd "$T" && pwd -P)
trap cleanup EXIT
trap 'exit 99' INT TERM
log "test dir $T"

# wait_for [-t SECONDS] CMD...: run CMD every 0.05 s until it succeeds;
# 1 if it did not within SECONDS (default 10) or SECONDS * 20 tries,
# whichever comes first (a slow CMD cannot stretch the bound).
wait_for()
{
	local secs=10 i n end

	if [ "$1" = -t ]; then
		secs=$2
		shift 2
	fi
	n=$((secs * 20))
	end=$((EPOCHSECONDS + secs + 1))
	for ((i = 0; i < n && EPOCHSECONDS < end; i++)); do
		"$@" && return 0
		sleep 0.05
	done
	"$@"
}

# bg_track PID: a background helper that the EXIT trap stops if it is
# still running (pushes and writers started with &).
bg_track()
{
	BG_PIDS+=("$1")
}

# Is the process alive (and not a zombie waiting to be reaped)?
pid_alive()
{
	local state

	[ -r "/proc/$1/stat" ] || return 1
	state=$(sed -e 's/^.*) //' -e 's/ .*//' "/proc/$1/stat" 2>/dev/null) ||
	    return 1
	[ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

daemon_alive()
{
	[ -n "${DAEMON_PID[$1]:-}" ] && pid_alive "${DAEMON_PID[$1]}"
}

# True once FILE holds a complete line.
_port_ready()
{
	[ -s "$1" ] && [ -z "$(tail -c 1 "$1")" ]
}

# start_daemon NAME CONFIG [ZCSYNCD OPTIONS...]: start zcsyncd, wait until
# it has written its port to --ready-fd, record DAEMON_PID[NAME] and
# DAEMON_PORT[NAME].  Its stderr goes to $T/NAME.log (appended, so a
# restarted daemon keeps one log).
start_daemon()
{
	local name=$1 cfg=$2 pf pid port
	shift 2

	pf=$T/port.$name
	rm -f "$pf"
	tls_config "$cfg"
	DAEMON_CFG[$name]=$cfg
	"$ZCSYNCD" -c "$cfg" --ready-fd 3 "$@" 3>"$pf" </dev/null \
	    >>"$T/$name.log" 2>&1 &
	pid=$!
	DAEMON_PID[$name]=$pid
	wait_for -t 10 eval '_port_ready "$pf" || ! pid_alive '"$pid"
	if ! _port_ready "$pf"; then
		pid_alive "$pid" ||
		    fail "zcsyncd $name exited before it was ready"
		fail "zcsyncd $name: no port on --ready-fd within 10 s"
	fi
	port=$(head -n 1 "$pf")
	case $port in
	''|*[!0-9]*) fail "zcsyncd $name: bad ready line '$port'" ;;
	esac
	[ "$port" -gt 0 ] || fail "zcsyncd $name: port 0 on --ready-fd"
	DAEMON_PORT[$name]=$port
	_tls_register "$port" "$cfg"
	log "zcsyncd $name: pid $pid port $port"
}

# Reap a daemon that is known to be dead (or dying); records DAEMON_RC.
_reap_daemon()
{
	local name=$1 pid=${DAEMON_PID[$1]} rc=0

	wait "$pid" 2>/dev/null || rc=$?
	DAEMON_RC[$name]=$rc
	unset "DAEMON_PID[$name]"
}

# stop_daemon NAME: SIGTERM, up to 10 s to exit, then SIGKILL.  The exit
# status lands in DAEMON_RC[NAME].
stop_daemon()
{
	local name=$1 pid

	pid=${DAEMON_PID[$name]:-}
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	if ! wait_for -t 10 eval '! pid_alive '"$pid"; then
		echo "# zcsyncd $name did not exit on SIGTERM; killing it"
		kill -KILL "$pid" 2>/dev/null
		wait_for -t 5 eval '! pid_alive '"$pid"
	fi
	_reap_daemon "$name"
}

# kill_daemon NAME: SIGKILL now (a crash), and reap it.
kill_daemon()
{
	local name=$1 pid

	pid=${DAEMON_PID[$name]:-}
	[ -n "$pid" ] || return 0
	kill -KILL "$pid" 2>/dev/null
	wait_for -t 10 eval '! pid_alive '"$pid" ||
	    fail "zcsyncd $name survived SIGKILL"
	_reap_daemon "$name"
}

stop_daemons()
{
	local name

	for name in "${!DAEMON_PID[@]}"; do
		stop_daemon "$name"
	done
}

# dest NAME SET: the push destination for set SET of daemon NAME.
dest()
{
	echo "127.0.0.1:${DAEMON_PORT[$1]}/$2"
}

# push [ZCSYNC PUSH OPTIONS...] SRC DEST: run one push as node alpha,
# bounded by PUSH_TIMEOUT.  Sets PUSH_RC; stdout in $T/push.out, stderr in
# $T/push.err; both are copied into the test log.
push()
{
	PUSH_RC=0
	timeout -k 5 "$PUSH_TIMEOUT" "$ZCSYNC" push --name "$CLIENT_NAME" \
	    "$@" >"$T/push.out" 2>"$T/push.err" </dev/null || PUSH_RC=$?
	log "zcsync push $* -> exit $PUSH_RC"
	sed -e 's/^/#   out: /' "$T/push.out" | cat -v
	sed -e 's/^/#   err: /' "$T/push.err" | cat -v
	[ "$PUSH_RC" != 124 ] || fail "push did not finish in $PUSH_TIMEOUT s"
}

# push_ok ...: push, and fail the test unless it exited 0.
push_ok()
{
	push "$@"
	[ "$PUSH_RC" = 0 ] || fail "push $* exited $PUSH_RC"
}

# summary FIELD: a number from the last push's summary line; FIELD is one
# of: sent skipped deleted dirs links meta failed bytes.
summary()
{
	local line v

	line=$(grep -E '[0-9]+ files sent, ' "$T/push.out" | tail -n 1)
	[ -n "$line" ] || fail "no summary line in the push's output"
	case $1 in
	sent)	v=$(sed -E 's/^(dry run: would have: )?([0-9]+) files sent,.*$/\2/' \
		    <<<"$line") ;;
	skipped|deleted|dirs|links|meta|failed)
		v=$(sed -E "s/^.* ([0-9]+) $1[,;].*\$/\\1/" <<<"$line") ;;
	bytes)	v=$(sed -E 's/^.*; ([0-9]+) bytes in .*$/\1/' <<<"$line") ;;
	*)	hard_error "summary: unknown field $1" ;;
	esac
	case $v in
	''|*[!0-9]*) fail "summary $1: cannot parse '$line'" ;;
	esac
	echo "$v"
}

# expect_summary FIELD VALUE...: fail unless each FIELD has VALUE.
expect_summary()
{
	local got

	while [ $# -ge 2 ]; do
		got=$(summary "$1")
		[ "$got" = "$2" ] ||
		    fail "summary: expected $2 $1, got $got: $(tail -n 1 "$T/push.out")"
		shift 2
	done
}

# _tree_list DIR OUT: one NUL-terminated record per entry of DIR (DIR
# itself included as "."): name, type, mode, owner, size (not for
# directories, whose size is the file system's business), mtime with
# nanoseconds, symlink target.  Sorted bytewise.
_tree_list()
{
	(
		cd "$1" || exit 1
		find . -mindepth 1 -type d \
		    -printf '%P\t%y %m %U:%G %T@\0'
		find . -mindepth 1 ! -type d \
		    -printf '%P\t%y %m %U:%G %s %T@ %l\0'
	) | sort -z >"$2"
}

# tree_equal SRC DST: same entries, types, modes, owners, sizes, mtimes to
# the nanosecond (directories too), symlink targets, and the same bytes in
# every file.  The roots themselves are not compared: the receiver's set
# root is its own.
tree_equal()
{
	local src=$1 dst=$2 a=$T/.tree.a b=$T/.tree.b

	[ -d "$src" ] || fail "tree_equal: $src is not a directory"
	[ -d "$dst" ] || fail "tree_equal: $dst is not a directory"
	_tree_list "$src" "$a" || fail "tree_equal: cannot list $src"
	_tree_list "$dst" "$b" || fail "tree_equal: cannot list $dst"
	if ! cmp -s "$a" "$b"; then
		echo "# tree_equal: metadata differs (< $src, > $dst):"
		diff <(tr '\0' '\n' <"$a" | cat -v) \
		    <(tr '\0' '\n' <"$b" | cat -v) | head -n 40
		rm -f "$a" "$b"
		fail "tree_equal: $src and $dst differ in entries or metadata"
	fi
	rm -f "$a" "$b"
	if ! diff -r --no-dereference -q "$src" "$dst" >"$T/.tree.diff" 2>&1; then
		head -n 20 "$T/.tree.diff" | cat -v
		fail "tree_equal: $src and $dst differ in content"
	fi
	log "tree_equal $src $dst: equal"
}

# tree_snapshot DIR OUT [PRUNE]: metadata and a checksum of every entry
# of DIR (but the subtree ./PRUNE), to show later that it did not change at
# all (inode numbers and link counts included).
tree_snapshot()
{
	local prune=()

	[ -z "${3:-}" ] || prune=(-path "./$3" -prune -o)
	(
		cd "$1" || exit 1
		find . "${prune[@]}" \
		    -printf '%P\t%y %i %n %m %U:%G %s %T@ %C@ %l\0' | sort -z
		find . "${prune[@]}" -type f -print0 | sort -z |
		    xargs -0r md5sum
	) >"$2" || fail "tree_snapshot: cannot read $1"
}

# snapshot_same BEFORE AFTER DESC: fail, showing the difference, unless
# the two snapshots are equal.
snapshot_same()
{
	cmp -s "$1" "$2" && return 0
	diff <(tr '\0' '\n' <"$1" | cat -v) <(tr '\0' '\n' <"$2" | cat -v) |
	    head -n 20
	fail "$3: something outside the set root changed"
}

# rawpeer_ok NODE DESC WORD...: run tests/tools/rawpeer against NODE's
# port with the script WORD...; fail unless every expectation in it held.
rawpeer_ok()
{
	local node=$1 desc=$2 rc=0

	shift 2
	timeout -k 5 120 "$RAWPEER" -v \
	    "${DAEMON_PORT[$node]}" "$@" >"$T/rp.out" 2>&1 || rc=$?
	if [ "$rc" != 0 ]; then
		tail -n 25 "$T/rp.out" | cat -v
		fail "$desc: rawpeer exited $rc"
	fi
}

# no_temp_files DIR: fail if a receiver's temporary name is left in DIR.
no_temp_files()
{
	local left

	left=$(find "$1" -name '.zc.*.zctmp' -print | head -n 5)
	[ -z "$left" ] || fail "temporary files left in $1: $left"
}

# check_logs: fail on "error:" lines in the daemons' logs other than those
# matching EXPECTED_ERRORS, and on sanitizer reports.
check_logs()
{
	local f bad

	for f in "$T"/*.log; do
		[ -f "$f" ] || continue
		bad=$(grep -E 'zcsyncd\[[0-9]+\] error: |AddressSanitizer|runtime error:|LeakSanitizer' "$f")
		if [ -n "$EXPECTED_ERRORS" ] && [ -n "$bad" ]; then
			bad=$(grep -Ev -e "$EXPECTED_ERRORS" <<<"$bad")
		fi
		[ -z "$bad" ] ||
		    fail "unexpected errors in $(basename "$f"): $(head -n 5 <<<"$bad")"
	done
}

# finish_ok [-n] [NAME...]: the end of a test that passed: stop each
# daemon NAME (all of them if none is named; a wrapper of start_daemon_via
# is reaped too), fail unless each exited 0 (-n: not checked), check the
# logs (check_logs, so EXPECTED_ERRORS is set before), and exit 0.
finish_ok()
{
	local rc=1 name

	if [ "${1:-}" = -n ]; then
		rc=0
		shift
	fi
	[ $# -gt 0 ] || set -- "${!DAEMON_PID[@]}"
	for name in "$@"; do
		stop_daemon "$name"
		_wrap_reap "$name"
	done
	if [ "$rc" = 1 ]; then
		for name in "$@"; do
			[ "${DAEMON_RC[$name]}" = 0 ] ||
			    fail "zcsyncd $name exited ${DAEMON_RC[$name]}, expected 0"
		done
	fi
	check_logs
	exit 0
}

# gen_file PATH BYTES [SEED]: real (not sparse), incompressible data that
# the seed determines; fast (AES-CTR over zeros) where openssl is present.
gen_file()
{
	local key

	key=$(printf '%032x' "${3:-1}")
	if command -v openssl >/dev/null 2>&1; then
		head -c "$2" /dev/zero | openssl enc -aes-128-ctr -nosalt \
		    -K "$key" -iv 00000000000000000000000000000001 \
		    -out "$1" || fail "gen_file: openssl failed"
	else
		head -c "$2" /dev/urandom >"$1" || fail "gen_file: head failed"
	fi
	[ "$(stat -c %s "$1")" = "$2" ] || fail "gen_file: $1 has the wrong size"
}

# need_free_space DIR MIB: skip the test if DIR's file system lacks MIB.
need_free_space()
{
	local avail

	avail=$(df -Pk "$1" | awk 'NR == 2 { print int($4 / 1024) }')
	[ -n "$avail" ] && [ "$avail" -ge "$2" ] ||
	    skip "needs $2 MiB free in $1, has ${avail:-?} MiB"
}

# recv_config [-n NODE] FILE SET:PATH...: a receiving node (NODE, default
# "beta") on 127.0.0.1:0 that accepts pushes from alpha into each SET at
# PATH.  FSYNC (true or false, default true) applies to every set.
recv_config()
{
	local node=beta file s

	if [ "$1" = -n ]; then
		node=$2
		shift 2
	fi
	file=$1
	shift
	{
		cat <<EOF
node:
  name: $node
  listen: "127.0.0.1:0"
peers:
  - name: alpha
sets:
EOF
		for s in "$@"; do
			cat <<EOF
  - name: ${s%%:*}
    path: ${s#*:}
    accept_from: [alpha]
    fsync: ${FSYNC:-true}
EOF
		done
	} >"$file"
}

# ---- Live mirroring helpers ----

# live_config [-p PEER] FILE SET:PATH [LINE...]: a node "alpha" that
# mirrors SET from PATH live to the peer PEER (default beta; at
# 127.0.0.1:${BETA_PORT:-its DAEMON_PORT}).  Each LINE ("delete: true") is
# added to the set; NODE_EXTRA and PEER_EXTRA, if set, are lines added to
# the node and to the peer.
live_config()
{
	local peer=beta file set path line

	if [ "$1" = -p ]; then
		peer=$2
		shift 2
	fi
	file=$1 set=${2%%:*} path=${2#*:}
	shift 2
	{
		echo "node:"
		echo "  name: alpha"
		[ -z "${NODE_EXTRA:-}" ] || echo "  $NODE_EXTRA"
		echo "peers:"
		echo "  - name: $peer"
		echo "    address: \"127.0.0.1:${BETA_PORT:-${DAEMON_PORT[$peer]}}\""
		[ -z "${PEER_EXTRA:-}" ] || echo "    $PEER_EXTRA"
		echo "sets:"
		echo "  - name: $set"
		echo "    path: $path"
		echo "    push_to: [$peer]"
		for line in "$@"; do
			echo "    $line"
		done
	} >"$file"
}

# start_node NAME CONFIG [ZCSYNCD OPTIONS...]: like start_daemon, for a
# node that may not listen (a sender only dials): it reports port 0 on
# --ready-fd once its mirrors have started.  DAEMON_PORT[NAME] is then 0.
start_node()
{
	local name=$1 cfg=$2 pf pid port
	shift 2

	pf=$T/port.$name
	rm -f "$pf"
	tls_config "$cfg"
	DAEMON_CFG[$name]=$cfg
	"$ZCSYNCD" -c "$cfg" --ready-fd 3 "$@" 3>"$pf" </dev/null \
	    >>"$T/$name.log" 2>&1 &
	pid=$!
	DAEMON_PID[$name]=$pid
	wait_for -t 10 eval '_port_ready "$pf" || ! pid_alive '"$pid"
	if ! _port_ready "$pf"; then
		pid_alive "$pid" ||
		    fail "zcsyncd $name exited before it was ready"
		fail "zcsyncd $name: no ready line on --ready-fd within 10 s"
	fi
	port=$(head -n 1 "$pf")
	case $port in
	''|*[!0-9]*) fail "zcsyncd $name: bad ready line '$port'" ;;
	esac
	DAEMON_PORT[$name]=$port
	_tls_register "$port" "$cfg"
	log "zcsyncd $name: pid $pid port $port"
}

# trees_same SRC DST: tree_equal's comparison, quietly: 0 if equal.
trees_same()
{
	local a=$T/.same.a b=$T/.same.b rc=0

	_tree_list "$1" "$a" 2>/dev/null || return 1
	_tree_list "$2" "$b" 2>/dev/null || return 1
	cmp -s "$a" "$b" || rc=1
	rm -f "$a" "$b"
	[ "$rc" = 0 ] || return 1
	diff -r --no-dereference -q "$1" "$2" >/dev/null 2>&1
}

# wait_tree_equal SRC DST [SECONDS]: poll (bounded, default 20 s) until
# DST mirrors SRC, then check it with tree_equal (which fails the test
# with the difference if the time ran out).  The polls start 0.05 s apart
# and back off to 0.5 s, so that comparing a large tree does not compete
# with the transfer it waits for.
wait_tree_equal()
{
	local secs=${3:-20} i end nap=0.05

	end=$((EPOCHSECONDS + secs))
	for ((i = 0; i < secs * 20 && EPOCHSECONDS <= end; i++)); do
		trees_same "$1" "$2" && break
		sleep "$nap"
		case $nap in
		0.05)	nap=0.1 ;;
		0.1)	nap=0.2 ;;
		*)	nap=0.5 ;;
		esac
	done
	tree_equal "$1" "$2"
}

# wait_log NAME ERE [SECONDS]: wait (bounded, default 10 s) for a line
# matching ERE in daemon NAME's log; fail if none came.
wait_log()
{
	wait_for -t "${3:-10}" grep -qE -e "$2" "$T/$1.log" ||
	    fail "no line matching '$2' in $1.log within ${3:-10} s"
}

# log_count NAME ERE: how many lines of NAME's log match ERE.
log_count()
{
	grep -cE -e "$2" "$T/$1.log" 2>/dev/null || true
}

# mirror_ok SRC DST NAME...: DST mirrors SRC (bytes and metadata, now),
# no temporary names are left in DST, and each named daemon is alive.
mirror_ok()
{
	local src=$1 dst=$2 name
	shift 2

	tree_equal "$src" "$dst"
	no_temp_files "$dst"
	for name in "$@"; do
		daemon_alive "$name" || fail "zcsyncd $name died"
	done
}

# inode_list DIR OUT: "inode path" of every regular file beneath DIR,
# sorted by path: a file renamed on a receiver keeps its inode; one sent
# again lands as a new inode.
inode_list()
{
	(cd "$1" && find . -type f -printf '%P %i\n') | sort >"$2" ||
	    fail "inode_list: cannot read $1"
}

# ---- TLS mode (ZC_TEST_TLS=1) ----
#
# With ZC_TEST_TLS=1 in the environment, the same tests run over TLS 1.3
# with pinned identities, unchanged:
# - Each config that start_daemon or start_node is given is rewritten in
#   place (once; marked by a comment at its end): node.identity points at
#   an identity made for node.name with `zcsync keygen` (one per name, per
#   test, in $T/tls/id/NAME), and each peer "- name: X" gets X's pin.
#   A test that starts zcsyncd by itself calls tls_config FILE first; a
#   `kill -HUP` of a daemon rewrites its config the same way before the
#   signal, so that a reload keeps the identity.  Configs that already
#   have an identity (tests of TLS itself) are left alone.
# - $ZCSYNC is a wrapper: `push ... 127.0.0.1:PORT/SET` becomes a push by
#   peer name, `push -c CLIENT.yaml ... NAME/SET`, where CLIENT.yaml is
#   node --name (CLIENT_NAME) with its identity and the daemon as its one
#   peer, with address and pin: a peer name with a pin is what makes
#   zcsync speak TLS.  The same for pull.  A push as a name the daemon
#   does not know as a peer (a test of who may push) stays plain, as
#   written: TLS would refuse it in the handshake, before the refusal the
#   test looks for.  A command with -c of its own is left alone.
# - At exit, a test that passed must show, in the daemons' own logs, that
#   a receiver accepted TLS sessions ("TLS 1.3, certificate sha256:...")
#   and that no live link went plain.  A test with nothing to show sets
#   ZC_PLAIN_ONLY=1 and says why in a comment.

TLS_DIR=
TLS_MARK='# zc-test-tls:'

_tls_name_ok()
{
	[[ ${1:-} =~ ^[A-Za-z0-9._-]{1,64}$ ]]
}

# _tls_identity NAME: make NAME's identity unless it exists (under a lock:
# pushes may run at the same time); 0 once $TLS_DIR/id/NAME/pin holds it.
_tls_identity()
{
	local d=$TLS_DIR/id/$1

	[ -s "$d/pin" ] && return 0
	(
		flock 9 || exit 1
		[ -s "$d/pin" ] && exit 0
		"$ZCSYNC_REAL" keygen -o "$d" --name "$1" \
		    >"$TLS_DIR/id/$1.keygen" 2>&1 || exit 1
		"$ZCSYNC_REAL" fingerprint "$d/cert.pem" >"$d/pin.new" &&
		    mv "$d/pin.new" "$d/pin"
	) 9>"$TLS_DIR/lock"
	[ -s "$d/pin" ]
}

# _tls_node_name FILE: node.name in a block-style config, or nothing.
_tls_node_name()
{
	awk '/^node:[ \t]*$/ { n = 1; next }
	    /^[^ \t#]/ { n = 0 }
	    n && /^  name:/ { v = $2; gsub(/["\047]/, "", v); print v; exit }' \
	    "$1" 2>/dev/null
}

# _tls_peer_names FILE: the names of the peers in a block-style config.
_tls_peer_names()
{
	awk '/^peers:[ \t]*$/ { p = 1; next }
	    /^[^ \t#]/ { p = 0 }
	    p && /^  - name:/ { v = $3; gsub(/["\047]/, "", v); print v }' \
	    "$1" 2>/dev/null
}

# tls_config FILE: in TLS mode, give the config in FILE an identity and
# its peers pins (see above); nothing otherwise.  A file this cannot read
# as a block-style config with a node.name (a broken one, on purpose) is
# left as it is.
tls_config()
{
	local f=$1 node n

	[ -n "$TLS_DIR" ] || return 0
	[ -f "$f" ] || return 0
	grep -qF -e "$TLS_MARK" "$f" && return 0
	grep -qE '^[[:space:]]+identity:' "$f" && return 0
	node=$(_tls_node_name "$f")
	_tls_name_ok "$node" || return 0
	_tls_identity "$node" || hard_error "tls: keygen for $node failed"
	for n in $(_tls_peer_names "$f"); do
		_tls_name_ok "$n" || continue
		_tls_identity "$n" || hard_error "tls: keygen for $n failed"
	done
	awk -v dir="$TLS_DIR/id" -v node="$node" '
	function pin(n,  l) {
		l = ""
		getline l <(dir "/" n "/pin")
		close(dir "/" n "/pin")
		return l
	}
	/^[^ \t#]/ { sec = $1 }
	{ print }
	/^node:[ \t]*$/ {
		print "  identity:"
		print "    cert: " dir "/" node "/cert.pem"
		print "    key: " dir "/" node "/key.pem"
	}
	sec == "peers:" && /^  - name:/ {
		n = $3
		gsub(/["\047]/, "", n)
		if (n ~ /^[A-Za-z0-9._-]+$/)
			print "    fingerprint: " pin(n)
	}' "$f" >"$f.tls" || hard_error "tls: cannot rewrite $f"
	echo "$TLS_MARK node.identity and peer pins added by lib.sh" >>"$f.tls"
	cat "$f.tls" >"$f" && rm -f "$f.tls" || hard_error "tls: cannot write $f"
}

# _tls_register PORT CONFIG: the daemon listening on 127.0.0.1:PORT, for
# the push wrapper: a copy of the config it runs ($TLS_DIR/port.PORT).
# The copy, not the file, since a test may leave a broken file behind
# that a reload refused.
_tls_register()
{
	[ -n "$TLS_DIR" ] && [ "$1" != 0 ] || return 0
	cp "$2" "$TLS_DIR/port.$1" || hard_error "tls: cannot copy $2"
}

# _tls_zcsync ARGS...: the body of the zcsync wrapper (see above), for
# push (... DIR 127.0.0.1:PORT/SET) and pull (... 127.0.0.1:PORT/SET DIR).
# It runs in its own process, so it uses nothing else from lib.sh.
_tls_zcsync()
{
	local -a args=("$@")
	local i n=$# di= name= cfg dest port set rnode ccfg

	case ${1:-} in
	push|pull)	;;
	*)		exec "$ZCSYNC_REAL" "$@" ;;
	esac
	for ((i = 1; i < n; i++)); do
		case ${args[i]} in
		--name)		name=${args[i + 1]:-} ;;
		--name=*)	name=${args[i]#--name=} ;;
		-c*|--config*)	exec "$ZCSYNC_REAL" "$@" ;;
		esac
		if [ -z "$di" ] &&
		    [[ ${args[i]} =~ ^127\.0\.0\.1:([0-9]+)/([^/]+)$ ]]; then
			di=$i
			port=${BASH_REMATCH[1]}
			set=${BASH_REMATCH[2]}
		fi
	done
	[ -n "$di" ] || exec "$ZCSYNC_REAL" "$@"
	dest=${args[di]}
	# plain WHY: run as written, and say so.
	plain()
	{
		echo "plain $1 $name -> $dest: $2" >>"$TLS_DIR/pushes"
		exec "$ZCSYNC_REAL" "${args[@]}"
	}
	cfg=$TLS_DIR/port.$port
	[ -s "$cfg" ] || plain "$1" "no daemon known on port $port"
	rnode=$(_tls_node_name "$cfg")
	_tls_name_ok "$name" || plain "$1" "no --name"
	_tls_name_ok "$rnode" || plain "$1" "the daemon's node.name is unknown"
	[ "$name" != "$rnode" ] || plain "$1" "as the daemon's own name"
	grep -qF -e "$TLS_MARK" "$cfg" ||
	    plain "$1" "the daemon's identity is not one lib.sh made"
	_tls_peer_names "$cfg" | grep -qxF -e "$name" ||
	    plain "$1" "$name is not a peer of $rnode"
	_tls_identity "$name" && _tls_identity "$rnode" ||
	    plain "$1" "keygen failed"
	ccfg=$(mktemp "$TLS_DIR/client.XXXXXX") || plain "$1" "mktemp failed"
	cat >"$ccfg" <<EOF
node:
  name: $name
  identity:
    cert: $TLS_DIR/id/$name/cert.pem
    key: $TLS_DIR/id/$name/key.pem
peers:
  - name: $rnode
    address: "127.0.0.1:$port"
    fingerprint: $(cat "$TLS_DIR/id/$rnode/pin")
EOF
	echo "tls $1 $name -> $rnode/$set ($dest)" >>"$TLS_DIR/pushes"
	args[di]=$rnode/$set
	exec "$ZCSYNC_REAL" "$1" -c "$ccfg" "${args[@]:1}"
}

# _tls_verify: at exit (see cleanup), in TLS mode: the daemons' logs show
# that TLS was used.  Prints the failure and returns 1 if not.
_tls_verify()
{
	local f sessions=0 plain_links=0 tls_pushes=0 plain_pushes=0 c

	[ -n "$TLS_DIR" ] || return 0
	if [ "${ZC_PLAIN_ONLY:-0}" != 0 ]; then
		log "tls: ZC_PLAIN_ONLY=$ZC_PLAIN_ONLY: TLS use not checked"
		return 0
	fi
	for f in "$T"/*.log; do
		[ -f "$f" ] || continue
		c=$(grep -cE 'TLS 1\.3, certificate sha256:[0-9a-f]{64}$' "$f")
		sessions=$((sessions + c))
		c=$(grep -c 'connected (plain TCP' "$f")
		plain_links=$((plain_links + c))
	done
	if [ -f "$TLS_DIR/pushes" ]; then
		tls_pushes=$(grep -c '^tls ' "$TLS_DIR/pushes")
		plain_pushes=$(grep -c '^plain ' "$TLS_DIR/pushes")
		grep '^plain ' "$TLS_DIR/pushes" | sort | uniq -c |
		    sed -e 's/^ */# tls:   /'
	fi
	log "tls: $sessions TLS sessions accepted; pushes and pulls: $tls_pushes over TLS, $plain_pushes plain; live links plain: $plain_links"
	cat "$T"/*.log 2>/dev/null | grep -oE 'TLS 1\.3 up; .*' | sort -u |
	    sed -e 's/^/# tls: data path: /'
	if [ "$sessions" = 0 ]; then
		echo "FAIL: $TEST_NAME: ZC_TEST_TLS=1, but no daemon logged a TLS session (\"TLS 1.3, certificate sha256:\"); a test that cannot use TLS sets ZC_PLAIN_ONLY=1"
		dump_logs
		return 1
	fi
	if [ "$plain_links" != 0 ]; then
		echo "FAIL: $TEST_NAME: ZC_TEST_TLS=1, but $plain_links live links went plain: $(grep -h 'connected (plain TCP' "$T"/*.log | head -n 3)"
		dump_logs
		return 1
	fi
	return 0
}

if [ "${ZC_TEST_TLS:-0}" = 1 ]; then
	"$ZCSYNCD" --version 2>/dev/null | grep -q '+tls' ||
	    skip "ZC_TEST_TLS=1, but zcsyncd is built without TLS: $("$ZCSYNCD" --version 2>&1)"
	TLS_DIR=$T/tls
	mkdir -p "$TLS_DIR/id" || hard_error "cannot make $TLS_DIR"
	ZCSYNC_REAL=$ZCSYNC
	ZCSYNC=$TLS_DIR/zcsync
	{
		echo '#!/bin/bash'
		echo '# zcsync for ZC_TEST_TLS=1: see tests/integration/lib.sh.'
		echo 'set -u'
		declare -p TLS_DIR TLS_MARK ZCSYNC_REAL
		declare -f _tls_name_ok _tls_identity _tls_node_name \
		    _tls_peer_names _tls_zcsync
		echo '_tls_zcsync "$@"'
	} >"$ZCSYNC" && chmod +x "$ZCSYNC" ||
	    hard_error "cannot write $ZCSYNC"
	_tls_identity "$CLIENT_NAME" || hard_error "tls: keygen failed"

	# kill -HUP of a daemon (a reload): its config, as the test has just
	# rewritten it, gets the identity and pins first.
	kill()
	{
		local a n

		case ${1:-} in
		-HUP|-SIGHUP|-1|-s)
			if [ "$1" != -s ] || [ "${2:-}" = HUP ]; then
				for a in "$@"; do
					for n in "${!DAEMON_PID[@]}"; do
						[ "${DAEMON_PID[$n]}" = "$a" ] &&
						    [ -n "${DAEMON_CFG[$n]:-}" ] ||
						    continue
						tls_config "${DAEMON_CFG[$n]}"
						# What the reload will run.
						"$ZCSYNCD" -t -c "${DAEMON_CFG[$n]}" \
						    >/dev/null 2>&1 &&
						    _tls_register \
						    "${DAEMON_PORT[$n]:-0}" \
						    "${DAEMON_CFG[$n]}"
					done
				done
			fi ;;
		esac
		builtin kill "$@"
	}
	log "ZC_TEST_TLS=1: daemons get identities and pins; pushes go by peer name over TLS"
fi

# ---- Operations: pull, the control socket, metrics ----

PULL_RC=
CTL_RC=

# pull [ZCSYNC PULL OPTIONS...] SRC DIR: one pull as node alpha (SRC as
# dest prints it: 127.0.0.1:PORT/SET), bounded by PUSH_TIMEOUT.  Sets
# PULL_RC; stdout in $T/pull.out, stderr in $T/pull.err; both are copied
# into the test log.  In TLS mode the wrapper makes it a pull over TLS.
pull()
{
	PULL_RC=0
	timeout -k 5 "$PUSH_TIMEOUT" "$ZCSYNC" pull --name "$CLIENT_NAME" \
	    "$@" >"$T/pull.out" 2>"$T/pull.err" </dev/null || PULL_RC=$?
	log "zcsync pull $* -> exit $PULL_RC"
	sed -e 's/^/#   out: /' "$T/pull.out" | cat -v
	sed -e 's/^/#   err: /' "$T/pull.err" | cat -v
	[ "$PULL_RC" != 124 ] || fail "pull did not finish in $PUSH_TIMEOUT s"
}

# pull_ok ...: pull, and fail the test unless it exited 0.
pull_ok()
{
	pull "$@"
	[ "$PULL_RC" = 0 ] || fail "pull $* exited $PULL_RC"
}

# pull_summary FIELD: a number from the last pull's summary line ("N files
# received, N entries applied, N failed; B bytes in S s (R MiB/s)"); FIELD
# is one of: files entries failed bytes.
pull_summary()
{
	local line v

	line=$(grep -E '^[0-9]+ files received, ' "$T/pull.out" | tail -n 1)
	[ -n "$line" ] || fail "no summary line in the pull's output"
	case $1 in
	files)	v=$(sed -E 's/^([0-9]+) files received,.*$/\1/' <<<"$line") ;;
	entries) v=$(sed -E 's/^.* ([0-9]+) entries applied,.*$/\1/' \
		    <<<"$line") ;;
	failed)	v=$(sed -E 's/^.* ([0-9]+) failed;.*$/\1/' <<<"$line") ;;
	bytes)	v=$(sed -E 's/^.*; ([0-9]+) bytes in .*$/\1/' <<<"$line") ;;
	*)	hard_error "pull_summary: unknown field $1" ;;
	esac
	case $v in
	''|*[!0-9]*) fail "pull_summary $1: cannot parse '$line'" ;;
	esac
	echo "$v"
}

# expect_pull_summary FIELD VALUE...: fail unless each FIELD has VALUE.
expect_pull_summary()
{
	local got

	while [ $# -ge 2 ]; do
		got=$(pull_summary "$1")
		[ "$got" = "$2" ] ||
		    fail "pull summary: expected $2 $1, got $got: $(tail -n 1 "$T/pull.out")"
		shift 2
	done
}

# ctl ARGS...: run `zcsync ARGS` (status, sync, metrics with -c or
# --socket), bounded.  Sets CTL_RC; stdout in $T/ctl.out, stderr in
# $T/ctl.err.  Quiet: the caller logs what it needs.
ctl()
{
	CTL_RC=0
	timeout -k 5 30 "$ZCSYNC" "$@" >"$T/ctl.out" 2>"$T/ctl.err" \
	    </dev/null || CTL_RC=$?
	[ "$CTL_RC" != 124 ] || fail "zcsync $* did not finish in 30 s"
}

# ctl_ok ARGS...: ctl, and fail the test unless it exited 0.
ctl_ok()
{
	ctl "$@"
	[ "$CTL_RC" = 0 ] ||
	    fail "zcsync $* exited $CTL_RC: $(head -c 500 "$T/ctl.err")"
}

# ctl_raw SOCKET: send standard input as it is to the Unix stream socket
# SOCKET, half-close, and print the reply up to the daemon's close.  A
# reset after (part of) the request is normal when the daemon stops
# reading early (an oversized request): whatever reply came is printed.
# Exit 0 with a reply, 1 without one (or if it took more than 10 s).
ctl_raw()
{
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
s.connect(sys.argv[1])
try:
    s.sendall(sys.stdin.buffer.read())
    s.shutdown(socket.SHUT_WR)
except OSError:
    pass
reply = b""
while True:
    try:
        b = s.recv(65536)
    except OSError:
        break
    if not b:
        break
    reply += b
sys.stdout.buffer.write(reply)
sys.exit(0 if reply else 1)
' "$1"
}

# http_get URL: the body of a GET (headers too with -i first), curl if
# present, else python3; exit 1 if it could not be fetched.
http_get()
{
	local head=0

	if [ "$1" = -i ]; then
		head=1
		shift
	fi
	if command -v curl >/dev/null 2>&1; then
		if [ "$head" = 1 ]; then
			curl -sS -i --max-time 10 "$1"
		else
			curl -sS --max-time 10 "$1"
		fi
		return
	fi
	python3 -c '
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=10) as r:
    if sys.argv[2] == "1":
        sys.stdout.write("HTTP/1.0 %d %s\r\n" % (r.status, r.reason))
        for k, v in r.getheaders():
            sys.stdout.write("%s: %s\r\n" % (k, v))
        sys.stdout.write("\r\n")
    sys.stdout.flush()
    sys.stdout.buffer.write(r.read())
' "$1" "$head"
}

# json_get FILE EXPR: print the Python expression EXPR over the JSON in
# FILE, bound to d (e.g. 'd["sets"][0]["name"]'); exit 1 if FILE is not
# valid JSON or EXPR fails.
json_get()
{
	python3 -c '
import json, sys
with open(sys.argv[1]) as f:
    d = json.load(f)
v = eval(sys.argv[2], {"d": d})
print(json.dumps(v) if isinstance(v, (dict, list, bool)) or v is None else v)
' "$1" "$2"
}

# metrics_port NAME: the port of daemon NAME's metrics endpoint, from its
# log line "metrics on http://ADDR/metrics (port N)".
metrics_port()
{
	local p

	p=$(grep -oE 'metrics on http://[^ ]+ \(port [0-9]+\)' "$T/$1.log" |
	    tail -n 1 | sed -E 's/^.*\(port ([0-9]+)\)$/\1/')
	[ -n "$p" ] && [ "$p" -gt 0 ] ||
	    fail "no 'metrics on http://... (port N)' line in $1.log"
	echo "$p"
}

# prom_check FILE: FILE is well-formed Prometheus text (format 0.0.4):
# "# HELP"/"# TYPE" comments, samples "name{labels} value", each sample's
# family declared by a TYPE line before it, and a final newline.
prom_check()
{
	[ -s "$1" ] || fail "prom_check: $1 is empty"
	[ -z "$(tail -c 1 "$1")" ] ||
	    fail "prom_check: $1 does not end with a newline"
	awk '
	/^# TYPE / {
		if ($4 !~ /^(counter|gauge|histogram|summary|untyped)$/) {
			print "bad TYPE: " $0; bad = 1
		}
		typed[$3] = 1; next
	}
	/^# HELP / { next }
	/^#/ { print "bad comment: " $0; bad = 1; next }
	/^$/ { next }
	{
		if ($0 !~ /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? -?[0-9.eE+]+$/) {
			print "bad sample: " $0; bad = 1; next
		}
		name = $0
		sub(/[{ ].*$/, "", name)
		if (!(name in typed)) {
			print "no TYPE before: " $0; bad = 1
		}
	}
	END { exit bad }' "$1" >"$T/.prom" ||
	    fail "prom_check: $1: $(head -n 3 "$T/.prom")"
}

# ---- Faults and load (tests 07x and 08x) ----
#
# Network namespaces that a test makes itself (addresses exist only in
# them; nothing outside them or 127.0.0.0/8 is ever used), daemons run
# under a wrapper (ip netns exec, strace, prlimit), and what /proc tells
# about a daemon: descriptors, CPU time, memory, a body being received.

FAULT_NETNS=()			# namespaces made by netns_add
FAULT_MOUNTS=()			# file systems mounted by fault_mount
declare -A WRAP_PID=()		# NAME -> pid of the wrapper of zcsyncd NAME

# _fault_exit: the EXIT trap of fault_trap: stop helpers and daemons (a
# live process keeps its namespace alive), reap wrappers, delete the
# namespaces, unmount what fault_mount mounted, then the usual cleanup
# with the test's exit status.
_fault_exit()
{
	local rc=$? name pid ns i

	trap - EXIT INT TERM
	for pid in "${BG_PIDS[@]}"; do
		pid_alive "$pid" && kill -TERM "$pid" 2>/dev/null
	done
	stop_daemons
	for name in "${!WRAP_PID[@]}"; do
		_wrap_reap "$name"
	done
	for ns in "${FAULT_NETNS[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	for ((i = ${#FAULT_MOUNTS[@]} - 1; i >= 0; i--)); do
		umount -l "${FAULT_MOUNTS[i]}" 2>/dev/null
	done
	(exit "$rc")
	cleanup
}

# fault_trap: use _fault_exit as the EXIT trap (tests that make
# namespaces or wrap daemons).
fault_trap()
{
	trap _fault_exit EXIT
}

# fault_mount [MOUNT OPTIONS...] DIR: mount(8), and unmount DIR in the
# trap of fault_trap (before $T is removed).  1 if mount failed.
fault_mount()
{
	mount "$@" || return 1
	FAULT_MOUNTS+=("${!#}")
}

# need_root_netns: skip unless we are root and can make namespaces.
need_root_netns()
{
	[ "$(id -u)" = 0 ] || skip "needs root (network namespaces)"
	command -v ip >/dev/null 2>&1 || skip "no ip(8) (iproute2)"
}

# netns_pair: two namespaces of this test, A (198.18.0.1, the sender's)
# and B (198.18.0.2, the receiver's), joined by a veth pair; P is their
# prefix; HAVE_NFT=1 if nft(8) is there.
netns_pair()
{
	P=zcf$$
	A=$P-a
	B=$P-b
	netns_add "$A" "$B"
	netns_veth "$A" "$P-ea" 198.18.0.1/24 "$B" "$P-eb" 198.18.0.2/24
	HAVE_NFT=0
	if command -v nft >/dev/null 2>&1; then
		HAVE_NFT=1
	fi
}

# netns_add NS...: make network namespaces (loopback up), deleted by the
# trap of fault_trap.
netns_add()
{
	local ns

	for ns in "$@"; do
		ip netns add "$ns" || fail "ip netns add $ns failed"
		FAULT_NETNS+=("$ns")
		ip -n "$ns" link set lo up || fail "$ns: lo will not come up"
	done
}

# netns_veth NS1 IF1 ADDR1 NS2 IF2 ADDR2: a veth pair between two
# namespaces, with ADDR (CIDR) on each end, both ends up.
netns_veth()
{
	ip link add "$2" netns "$1" type veth peer name "$5" netns "$4" ||
	    fail "cannot make veth $2/$5"
	ip -n "$1" addr add "$3" dev "$2" &&
	    ip -n "$4" addr add "$6" dev "$5" &&
	    ip -n "$1" link set "$2" up &&
	    ip -n "$4" link set "$5" up || fail "cannot set up veth $2/$5"
}

# _zcsyncd_pid PID: PID if it is zcsyncd, else its zcsyncd descendant
# (a wrapper such as strace runs it as a child); 1 if none.
_zcsyncd_pid()
{
	local -a todo=("$1")
	local p c i

	for ((i = 0; i < 64 && ${#todo[@]} > 0; i++)); do
		p=${todo[0]}
		todo=("${todo[@]:1}")
		if [ "$(cat "/proc/$p/comm" 2>/dev/null)" = zcsyncd ]; then
			echo "$p"
			return 0
		fi
		for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do
			todo+=("$c")
		done
	done
	return 1
}

# start_daemon_via NAME CONFIG WRAPPER... -- [ZCSYNCD OPTIONS...]: like
# start_node (a daemon that listens or only dials; DAEMON_PORT[NAME] is 0
# for the latter), with zcsyncd run under WRAPPER: a command that execs it
# (ip netns exec NS, prlimit) or runs it as a child (strace -f).
# DAEMON_PID[NAME] is zcsyncd's own pid, for kill and /proc; the wrapper,
# if it is another process, is WRAP_PID[NAME] (stop_via reaps it).
start_daemon_via()
{
	local name=$1 cfg=$2 pf pid port zpid
	local -a wrap=()

	shift 2
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		wrap+=("$1")
		shift
	done
	[ $# -gt 0 ] && shift
	pf=$T/port.$name
	rm -f "$pf"
	tls_config "$cfg"
	DAEMON_CFG[$name]=$cfg
	"${wrap[@]}" "$ZCSYNCD" -c "$cfg" --ready-fd 3 "$@" 3>"$pf" \
	    </dev/null >>"$T/$name.log" 2>&1 &
	pid=$!
	DAEMON_PID[$name]=$pid
	wait_for -t 20 eval '_port_ready "$pf" || ! pid_alive '"$pid"
	if ! _port_ready "$pf"; then
		pid_alive "$pid" ||
		    fail "zcsyncd $name (under ${wrap[*]}) exited before it was ready"
		fail "zcsyncd $name: no ready line on --ready-fd within 20 s"
	fi
	port=$(head -n 1 "$pf")
	case $port in
	''|*[!0-9]*) fail "zcsyncd $name: bad ready line '$port'" ;;
	esac
	DAEMON_PORT[$name]=$port
	zpid=$(_zcsyncd_pid "$pid") || fail "no zcsyncd process under $pid"
	if [ "$zpid" != "$pid" ]; then
		WRAP_PID[$name]=$pid
		DAEMON_PID[$name]=$zpid
	fi
	_tls_register "$port" "$cfg"
	log "zcsyncd $name: pid $zpid port $port (under ${wrap[*]})"
}

# _wrap_reap NAME: wait (bounded) for the wrapper of NAME to end, and take
# its exit status (strace passes on its tracee's) as DAEMON_RC[NAME].
_wrap_reap()
{
	local name=$1 pid=${WRAP_PID[$1]:-} rc=0

	[ -n "$pid" ] || return 0
	if ! wait_for -t 10 eval '! pid_alive '"$pid"; then
		builtin kill -KILL "$pid" 2>/dev/null
		wait_for -t 5 eval '! pid_alive '"$pid"
	fi
	wait "$pid" 2>/dev/null || rc=$?
	DAEMON_RC[$name]=$rc
	unset "WRAP_PID[$name]"
}

# stop_via NAME / kill_via NAME: stop_daemon / kill_daemon for a daemon
# started with start_daemon_via; DAEMON_RC[NAME] is then its real status.
stop_via()
{
	stop_daemon "$1"
	_wrap_reap "$1"
}

kill_via()
{
	kill_daemon "$1"
	_wrap_reap "$1"
}

# push_via WRAPPER... -- [ZCSYNC PUSH OPTIONS...] SRC DEST: push, with
# zcsync run under WRAPPER (e.g. ip netns exec NS); as push otherwise.
push_via()
{
	local -a wrap=()

	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		wrap+=("$1")
		shift
	done
	[ $# -gt 0 ] && shift
	PUSH_RC=0
	timeout -k 5 "$PUSH_TIMEOUT" "${wrap[@]}" "$ZCSYNC" push \
	    --name "$CLIENT_NAME" "$@" >"$T/push.out" 2>"$T/push.err" \
	    </dev/null || PUSH_RC=$?
	log "${wrap[*]} zcsync push $* -> exit $PUSH_RC"
	sed -e 's/^/#   out: /' "$T/push.out" | cat -v
	sed -e 's/^/#   err: /' "$T/push.err" | cat -v
	[ "$PUSH_RC" != 124 ] || fail "push did not finish in $PUSH_TIMEOUT s"
}

# fd_count PID: how many descriptors PID holds.
fd_count()
{
	ls "/proc/$1/fd" 2>/dev/null | wc -l
}

# cpu_ticks PID: user + system CPU time of PID, in clock ticks
# (getconf CLK_TCK a second).
cpu_ticks()
{
	sed -e 's/^.*) //' "/proc/$1/stat" 2>/dev/null |
	    awk '{ print $12 + $13 }'
}

# rss_kb PID: resident memory of PID in kB.
rss_kb()
{
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null
}

# body_pos PID DIR: bytes written so far to the unnamed (O_TMPFILE) body
# that PID is receiving in directory DIR (its descriptor's offset), or 1
# if there is none now.  In /proc/PID/fd it is "DIR/#12345 (deleted)".
body_pos()
{
	local f l

	for f in /proc/"$1"/fd/*; do
		l=$(readlink "$f" 2>/dev/null) || continue
		case $l in
		"$2/#"*" (deleted)")
			awk '/^pos:/ { print $2; exit }' \
			    "/proc/$1/fdinfo/${f##*/}" 2>/dev/null &&
			    return 0 ;;
		esac
	done
	return 1
}

# final_watch_start SRC DST: in the background (until final_watch_stop,
# at most 600 s), check every file that appears or changes under its final
# name in DST against the same name in SRC, which must not change
# meanwhile: a file that differs was visible half-written (or wrong).
# Names of the receiver's temporary files are not final names.  Files
# already in DST when it starts are its baseline: only their changes are
# checked.
final_watch_start()
{
	rm -f "$T/final.stop" "$T/final.bad" "$T/final.ready"
	(
		declare -A seen=()
		local i rec key rel
		for ((i = 0; i < 3000; i++)); do
			[ -e "$T/final.stop" ] && break
			while IFS= read -r -d '' rec; do
				key=${rec%%/*}
				rel=${rec#*/}
				[ "${seen[$rel]:-}" = "$key" ] && continue
				seen[$rel]=$key
				[ "$i" = 0 ] && continue
				cmp -s "$2/$rel" "$1/$rel" && continue
				# Replaced meanwhile (by a complete newer one)?
				[ "$(find "$2/$rel" -maxdepth 0 \
				    -printf '%i %s %T@ %C@ ' 2>/dev/null)" = \
				    "$key" ] || continue
				echo "$rel ($key)" >>"$T/final.bad"
			done < <(find "$2" -type f ! -name '.zc.*.zctmp' \
			    -printf '%i %s %T@ %C@ /%P\0' 2>/dev/null)
			[ "$i" = 0 ] && touch "$T/final.ready"
			sleep 0.2
		done
	) &
	FINAL_WATCH_PID=$!
	bg_track "$FINAL_WATCH_PID"
	# Its first look is the baseline: DST as it is now.
	wait_for -t 30 test -e "$T/final.ready" ||
	    fail "final_watch_start: no first scan of $2 in 30 s"
}

# final_watch_stop: stop the watch; fail if it saw a wrong final file.
final_watch_stop()
{
	touch "$T/final.stop"
	wait_for -t 15 eval '! pid_alive '"$FINAL_WATCH_PID" ||
	    builtin kill -TERM "$FINAL_WATCH_PID" 2>/dev/null
	wait "$FINAL_WATCH_PID" 2>/dev/null
	[ -s "$T/final.bad" ] &&
	    fail "a file was visible under its final name with other bytes than the source's: $(head -n 3 "$T/final.bad")"
	return 0
}
