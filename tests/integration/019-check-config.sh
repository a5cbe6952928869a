[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 019-check-config: the shipped example passes both checkers; broken files
# fail with FILE:LINE:COL: KEY: message; zcsyncd refuses to start on them;
# SIGHUP with a broken file changes nothing, SIGHUP with a good one applies.
. "$(dirname "$0")/lib.sh"

example=$top_srcdir/etc/zcsync.yaml

"$ZCSYNC" check-config -c "$example" >"$T/out" 2>&1 ||
    fail "zcsync check-config rejects $example: $(cat "$T/out")"
"$ZCSYNC" check-config "$example" >"$T/out" 2>&1 ||
    fail "zcsync check-config FILE rejects $example: $(cat "$T/out")"
"$ZCSYNCD" -t -c "$example" >"$T/out" 2>&1 ||
    fail "zcsyncd -t rejects $example: $(cat "$T/out")"

# expect_config_error FILE LINE COL KEY: both checkers and the daemon exit
# 1 and print FILE:LINE:COL: KEY: message.
expect_config_error()
{
	local file=$1 where="$1:$2:$3: $4: " rc

	rc=0
	"$ZCSYNC" check-config -c "$file" >"$T/out" 2>&1 || rc=$?
	[ "$rc" = 1 ] || fail "check-config $file: exit $rc, expected 1"
	grep -qF "$where" "$T/out" ||
	    fail "check-config $file: expected '$where...', got: $(cat "$T/out")"
	log "check-config: $(head -n 1 "$T/out")"

	rc=0
	"$ZCSYNCD" -t -c "$file" >"$T/out" 2>&1 || rc=$?
	[ "$rc" = 1 ] || fail "zcsyncd -t $file: exit $rc, expected 1"
	grep -qF "$where" "$T/out" ||
	    fail "zcsyncd -t $file: expected '$where...', got: $(cat "$T/out")"

	# The daemon does not start: exit 1, and no port on --ready-fd.
	rc=0
	rm -f "$T/port.broken"
	timeout -k 2 10 "$ZCSYNCD" -c "$file" --ready-fd 3 3>"$T/port.broken" \
	    </dev/null >"$T/out" 2>&1 || rc=$?
	[ "$rc" = 1 ] || fail "zcsyncd -c $file: exit $rc, expected 1"
	[ -s "$T/port.broken" ] && fail "zcsyncd -c $file reported a port"
	grep -qF "$where" "$T/out" ||
	    fail "zcsyncd -c $file: expected '$where...', got: $(cat "$T/out")"
}

cat >"$T/unknown-key.yaml" <<EOF
node:
  name: beta
  listen: "127.0.0.1:0"
  colour: blue
EOF
expect_config_error "$T/unknown-key.yaml" 4 3 node.colour

cat >"$T/relative.yaml" <<EOF
node:
  name: beta
  listen: "127.0.0.1:0"
peers:
  - name: alpha
sets:
  - name: site
    path: relative/dir
    accept_from: [alpha]
EOF
expect_config_error "$T/relative.yaml" 8 11 'sets[0].path'

cat >"$T/unknown-set-key.yaml" <<EOF
node:
  name: beta
peers:
  - name: alpha
sets:
  - name: site
    path: /srv/x
  - name: other
    path: /srv/y
    acept_from: [alpha]
EOF
expect_config_error "$T/unknown-set-key.yaml" 10 5 'sets[1].acept_from'

# A running daemon, then reloads.
mkdir -p "$T/site" "$T/later" "$T/src"
echo hello >"$T/src/f"
FSYNC=false recv_config "$T/beta.yaml" "site:$T/site"
start_daemon beta "$T/beta.yaml"

# reload: SIGHUP, then wait until the daemon logs the outcome.
reload()
{
	local before

	before=$(grep -c 'reloaded\|reload failed' "$T/beta.log")
	kill -HUP "${DAEMON_PID[beta]}"
	wait_for -t 10 eval '[ "$(grep -c "reloaded\|reload failed" "$T/beta.log")" -gt '"$before"' ]' ||
	    fail "no reload outcome logged within 10 s"
	grep 'reloaded\|reload failed' "$T/beta.log" | tail -n 1 |
	    sed -e 's/^/#   /'
}

# A broken file: the daemon says so and keeps its running config.
cp "$T/unknown-key.yaml" "$T/beta.yaml"
reload
grep 'reload failed' "$T/beta.log" | tail -n 1 | grep -qF 'node.colour' ||
    fail "the failed reload does not name the bad key"
daemon_alive beta || fail "zcsyncd died on a bad reload"
push_ok "$T/src" "$(dest beta site)"
tree_equal "$T/src" "$T/site"

# A set whose root does not exist: refused too, the old config stays.
recv_config "$T/beta.yaml" "site:$T/site" "later:$T/does-not-exist"
reload
grep -q 'reload failed' <(grep 'reload' "$T/beta.log" | tail -n 1) ||
    fail "a set with a missing root was accepted on reload"
push "$T/src" "$(dest beta later)"
[ "$PUSH_RC" = 1 ] || fail "a set from a refused reload accepts pushes"

# A good file adding a set: pushes to it work at once.
FSYNC=false recv_config "$T/beta.yaml" "site:$T/site" "later:$T/later"
reload
grep 'reload' "$T/beta.log" | tail -n 1 | grep -q 'reloaded' ||
    fail "a good config was not reloaded"
push_ok "$T/src" "$(dest beta later)"
tree_equal "$T/src" "$T/later"
push_ok "$T/src" "$(dest beta site)"
expect_summary sent 0 failed 0

EXPECTED_ERRORS='reload failed|set later: .*does-not-exist'
finish_ok beta
