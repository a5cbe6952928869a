[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 105-live-watch-limit: the sender runs out of inotify watches.  It runs
# in a user namespace of its own (unshare -U -r) whose inotify watch limit
# (/proc/sys/user/max_inotify_watches) is 20, on a tree of 40 directories.
# It must say so once, naming fs.inotify.max_user_watches and the set, and
# keep mirroring: changes in watched directories arrive live, the others
# with the periodic full resync (every 30 s).
. "$(dirname "$0")/lib.sh"

command -v unshare >/dev/null 2>&1 || skip "no unshare(1)"
unshare -U -r sh -c 'echo 20 >/proc/sys/user/max_inotify_watches' \
    2>"$T/unshare.err" ||
    skip "cannot lower max_inotify_watches in a user namespace: $(head -n 1 "$T/unshare.err")"

src=$T/src
dst=$T/dst
mkdir -p "$src" "$dst"
for ((i = 0; i < 40; i++)); do
	mkdir -p "$src/dir$i"
	echo "file in dir$i" >"$src/dir$i/f"
done
echo "top" >"$src/top"

FSYNC=false recv_config "$T/beta.yaml" "site:$dst"
start_daemon beta "$T/beta.yaml"
cat >"$T/alpha.yaml" <<EOF
node:
  name: alpha
peers:
  - name: beta
    address: "127.0.0.1:${DAEMON_PORT[beta]}"
sets:
  - name: site
    path: $src
    push_to: [beta]
    delete: true
EOF

# zcsyncd in a new user namespace with 20 watches; unshare and sh exec,
# so the pid start_node records is zcsyncd's.
cat >"$T/userns-zcsyncd" <<EOF
#!/bin/sh
exec unshare -U -r sh -c 'echo 20 >/proc/sys/user/max_inotify_watches &&
    exec "\$0" "\$@"' "$ZCSYNCD" "\$@"
EOF
chmod +x "$T/userns-zcsyncd"
ZCSYNCD=$T/userns-zcsyncd start_node alpha "$T/alpha.yaml"
if ! daemon_alive alpha; then
	skip "zcsyncd cannot run in a user namespace here: $(tail -n 1 "$T/alpha.log")"
fi
[ "$(readlink "/proc/${DAEMON_PID[alpha]}/exe")" = "$(readlink -f "$ZCSYNCD")" ] ||
    fail "the pid recorded for alpha is not zcsyncd's"
started=$EPOCHSECONDS

EXPECTED_ERRORS='set site: out of inotify watches'
wait_log alpha 'set site: out of inotify watches.*fs\.inotify\.max_user_watches'
wait_log alpha 'peer=beta set=site: in sync; mirroring live'
mirror_ok "$src" "$dst" alpha beta

# The root is watched first: a change there arrives live, long before a
# periodic resync.
echo "live" >"$src/top"
wait_for -t 10 cmp -s "$src/top" "$dst/top" ||
    fail "a change in a watched directory did not arrive live"
((EPOCHSECONDS - started < 25)) ||
    log "(slow machine: the periodic resync may have carried it)"

# Changes everywhere, most of them in directories without a watch.
for ((i = 0; i < 40; i++)); do
	echo "changed $i" >"$src/dir$i/f"
done
echo "new" >"$src/dir39/new"
rm "$src/dir38/f"
mkdir "$src/dir40"
echo "in a new directory" >"$src/dir40/g"
wait_tree_equal "$src" "$dst" 45
mirror_ok "$src" "$dst" alpha beta
log "all changes arrived $((EPOCHSECONDS - started)) s after alpha started"

[ "$(log_count alpha 'out of inotify watches')" = 1 ] ||
    fail "the lack of watches was logged $(log_count alpha 'out of inotify watches') times, not once"

finish_ok alpha beta
