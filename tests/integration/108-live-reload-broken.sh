[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 108-live-reload-broken: SIGHUP with a broken config file, on the sender
# and on the receiver.  Each logs the error (file and line), keeps running
# on the config it had, and the mirror goes on: later changes still
# arrive.  A reload with a good (unchanged) config does not disturb the
# mirror either.
. "$(dirname "$0")/lib.sh"

EXPECTED_ERRORS='reload failed, keeping the running config'

src=$T/src
dst=$T/dst
mkdir -p "$src" "$dst"
echo "one" >"$src/one"

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
start_node alpha "$T/alpha.yaml"
wait_log alpha 'peer=beta set=site: in sync; mirroring live'
mirror_ok "$src" "$dst" alpha beta

# break NAME: append an unknown key to NAME's config, and SIGHUP it.
break_and_hup()
{
	cp "$T/$1.yaml" "$T/$1.yaml.good"
	printf 'bogus_key: 1\n' >>"$T/$1.yaml"
	"$ZCSYNCD" -t -c "$T/$1.yaml" >/dev/null 2>&1 &&
	    hard_error "the broken config passes zcsyncd -t"
	kill -HUP "${DAEMON_PID[$1]}"
	wait_log "$1" "reload failed, keeping the running config: .*$1\\.yaml:[0-9]+:[0-9]+: .*bogus_key"
	daemon_alive "$1" || fail "$1 died on SIGHUP with a broken config"
}

break_and_hup alpha
echo "after alpha's bad reload" >"$src/two"
rm "$src/one"
wait_tree_equal "$src" "$dst" 10
mirror_ok "$src" "$dst" alpha beta

break_and_hup beta
echo "after beta's bad reload" >"$src/three"
mkdir "$src/dir" && echo x >"$src/dir/x"
wait_tree_equal "$src" "$dst" 10
mirror_ok "$src" "$dst" alpha beta

# A file not YAML at all, on both.
for n in alpha beta; do
	printf 'node: [unclosed\n' >"$T/$n.yaml"
	kill -HUP "${DAEMON_PID[$n]}"
	wait_for -t 10 eval '[ "$(log_count '"$n"' "reload failed")" -ge 2 ]' ||
	    fail "$n did not log its second failed reload"
done
echo "after garbage" >"$src/four"
wait_tree_equal "$src" "$dst" 10
mirror_ok "$src" "$dst" alpha beta

# The good configs back, and reloaded: the mirror goes on.
for n in alpha beta; do
	cp "$T/$n.yaml.good" "$T/$n.yaml"
	kill -HUP "${DAEMON_PID[$n]}"
	wait_log "$n" 'reloaded .*: 1 peers, 1 sets'
done
echo "after the good reload" >"$src/five"
mv "$src/dir" "$src/dir2"
wait_tree_equal "$src" "$dst" 10
mirror_ok "$src" "$dst" alpha beta

finish_ok alpha beta
