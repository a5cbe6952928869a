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
