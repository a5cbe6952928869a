# bench/lib.sh: what the bench/run-*.sh scripts share, sourced after they
# have set `repo` (the checkout), `shared` (../shared/bench) and ZCB_ROOT.
# bench_me is the script's name, for messages.
bench_me=$(basename "$0")

# bench_harness: a private, writable copy of the shared harness in
# $ZCB_ROOT/harness, built (make writes bin/ beside the sources); sets H.
bench_harness()
{
	H=$ZCB_ROOT/harness
	rm -rf "$H"
	mkdir -p "$H"
	cp -R "$shared/." "$H/"
	chmod -R u+w "$H"
	rm -rf "$H/bin"
	make -s -C "$H" >&2 || {
		echo "$bench_me: building the harness failed (gcc, make, libssl-dev)" >&2
		exit 1
	}
}

# bench_zcsync: zcsync and zcsyncd built from this checkout in
# $ZCB_ROOT/build, unless ZCSYNC_BIN_DIR names a directory that has them;
# sets ZCSYNC and ZCSYNCD.  An in-tree configured checkout refuses a VPATH
# build, so it is built from an export of the sources (tracked and
# untracked files, minus what .gitignore names).
bench_zcsync()
{
	local b=$ZCB_ROOT/build s=$repo

	if [ -z "${ZCSYNC_BIN_DIR:-}" ]; then
		if [ -f "$repo/config.status" ] || [ ! -x "$repo/configure" ]; then
			s=$ZCB_ROOT/zcsync-src
			rm -rf "$s"
			mkdir -p "$s"
			if git -C "$repo" rev-parse --git-dir >/dev/null 2>&1; then
				(cd "$repo" && git ls-files -co --exclude-standard -z) |
				    (cd "$repo" && tar --null -T - -cf -) | tar -C "$s" -xf -
			else
				(cd "$repo" && tar --exclude='*.o' --exclude='*.a' \
				    --exclude=config.status --exclude=Makefile \
				    --exclude=zcbuild.h -cf - .) | tar -C "$s" -xf -
			fi
			(cd "$s" && autoreconf -fi >/dev/null 2>&1) || {
				echo "$bench_me: autoreconf failed" >&2
				exit 1
			}
		fi
		rm -rf "$b"
		mkdir -p "$b"
		(cd "$b" && "$s/configure" -q >/dev/null &&
		    make -s -j"$(nproc)" zcsync zcsyncd >/dev/null 2>&1) || {
			echo "$bench_me: building zcsync failed (see $b/config.log)" >&2
			exit 1
		}
		ZCSYNC_BIN_DIR=$b
	fi
	ZCSYNC=$ZCSYNC_BIN_DIR/zcsync
	ZCSYNCD=$ZCSYNC_BIN_DIR/zcsyncd
	[ -x "$ZCSYNC" ] && [ -x "$ZCSYNCD" ] || {
		echo "$bench_me: no zcsync/zcsyncd in $ZCSYNC_BIN_DIR" >&2
		exit 1
	}
}

# ---- After the harness's lib.sh ($H/lib.sh) is sourced ----

# bench_exit: the EXIT trap of a script on the harness's lib.sh.  Its own
# trap runs under set -e, so its first kill of a daemon that has already
# died would end it before the target is unmounted: this runs without -e.
# The rsync or sshd per-connection processes may outlive their daemon for
# a moment, with their working directory on the target: wait for them.
bench_exit()
{
	set +e
	zcb_cleanup
	for _ in $(seq 100); do
		mountpoint -q "$ZCB_DST" || break
		[ -z "$(fuser -m "$ZCB_DST" 2>/dev/null)" ] && break
		sleep 0.1
	done
	target_down
}

# bench_target_fresh: the harness's target_up on a fresh file system: an
# ext4 image left mounted by an earlier run that was killed is ours, so it
# is taken down first.
bench_target_fresh()
{
	if [ "$ZCB_TARGET" = ext4img ] && mountpoint -q "$ZCB_DST" &&
	    losetup -j "$ZCB_ROOT/target.img" | grep -q .; then
		umount "$ZCB_DST" && losetup -j "$ZCB_ROOT/target.img" |
		    cut -d: -f1 | xargs -r -n1 losetup -d
	fi
	target_up
}

# bench_rsyncd: an rsync daemon on 127.0.0.1 (a free port) with the
# module zcb at $ZCB_DST, as the harness's run-rsync.sh starts it; its
# files in $ZCB_ROOT/rsyncd.  Sets rport and rpid (tracked).
bench_rsyncd()
{
	local rd=$ZCB_ROOT/rsyncd

	mkdir -p "$rd"
	rport=$(free_port)
	cat >"$rd/rsyncd.conf" <<CONF
pid file = $rd/rsyncd.pid
use chroot = no
max connections = 8
[zcb]
    path = $ZCB_DST
    read only = false
    uid = root
    gid = root
CONF
	rm -f "$rd/rsyncd.pid"
	rsync --daemon --no-detach --config="$rd/rsyncd.conf" \
	    --address=127.0.0.1 --port="$rport" --log-file="$rd/rsyncd.log" &
	rpid=$!
	zcb_track "$rpid"
	wait_port "$rport"
}

# ---- Without the harness's lib.sh too ----

# bench_recv_config FILE FSYNC SET:PATH...: a receiving node beta on
# 127.0.0.1:0 that accepts pushes from alpha into each SET at PATH, with
# fsync: FSYNC.
bench_recv_config()
{
	local file=$1 fsync=$2 s
	shift 2

	{
		echo 'node: {name: beta, listen: "127.0.0.1:0"}'
		echo 'peers: [{name: alpha}]'
		echo 'sets:'
		for s in "$@"; do
			echo "  - {name: ${s%%:*}, path: \"${s#*:}\", accept_from: [alpha], fsync: $fsync}"
		done
	} >"$file"
}

# bench_daemon DIR CMD...: run CMD (zcsyncd and its options, perhaps
# behind a wrapper such as strace) with --ready-fd, its stderr appended to
# DIR/zcsyncd.log, and wait (at most 20 s) until it has written its port
# to DIR/port.  Sets bench_pid (CMD's pid) and bench_port; exits the
# script if the daemon died or never became ready.
bench_daemon()
{
	local d=$1 i
	shift

	mkdir -p "$d"
	rm -f "$d/port"
	"$@" --ready-fd 3 3>"$d/port" 2>>"$d/zcsyncd.log" &
	bench_pid=$!
	for ((i = 0; i < 200; i++)); do
		grep -qx '[0-9]\+' "$d/port" 2>/dev/null && break
		kill -0 "$bench_pid" 2>/dev/null || {
			echo "$bench_me: zcsyncd died:" >&2
			tail -5 "$d/zcsyncd.log" >&2
			exit 1
		}
		sleep 0.1
	done
	bench_port=$(cat "$d/port" 2>/dev/null || true)
	[ -n "$bench_port" ] || {
		echo "$bench_me: zcsyncd never became ready ($d)" >&2
		exit 1
	}
}
