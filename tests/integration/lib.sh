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

TEST_NAME=$(basename "$0" .sh)
top_builddir=${top_builddir:-$(pwd)}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
ZCSYNCD=$top_builddir/zcsyncd
ZCSYNC=$top_builddir/zcsync

# Our node name as pushers; receiving configs accept it.
CLIENT_NAME=alpha
# Upper bound on one push, in seconds (timeout(1) kills it after that).
PUSH_TIMEOUT=${PUSH_TIMEOUT:-180}
# Extended regular expression of daemon "error:" lines a test expects.
EXPECTED_ERRORS=${EXPECTED_ERRORS:-}

declare -A DAEMON_PID=()	# NAME -> pid of a running zcsyncd
declare -A DAEMON_PORT=()	# NAME -> its port
declare -A DAEMON_RC=()		# NAME -> exit status once stopped
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

# tree_snapshot DIR OUT: metadata and a checksum of every entry, to show
# later that DIR did not change at all (inode numbers included).
tree_snapshot()
{
	(
		cd "$1" || exit 1
		find . -printf '%P\t%y %i %m %U:%G %s %T@ %C@ %l\0' |
		    sort -z
		find . -type f -print0 | sort -z | xargs -0r md5sum
	) >"$2" || fail "tree_snapshot: cannot read $1"
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

# recv_config FILE SET:PATH...: a receiving node "beta" on 127.0.0.1:0
# that accepts pushes from alpha into each SET at PATH.  FSYNC (true or
# false, default true) applies to every set.
recv_config()
{
	local file=$1 s
	shift

	{
		cat <<EOF
node:
  name: beta
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

# start_node NAME CONFIG [ZCSYNCD OPTIONS...]: like start_daemon, for a
# node that may not listen (a sender only dials): it reports port 0 on
# --ready-fd once its mirrors have started.  DAEMON_PORT[NAME] is then 0.
start_node()
{
	local name=$1 cfg=$2 pf pid port
	shift 2

	pf=$T/port.$name
	rm -f "$pf"
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
