[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 020-concurrent: one daemon, two pushes into two sets at the same time,
# and idle clients that connect and send nothing (or half a frame header):
# none of them may hold up the others.
. "$(dirname "$0")/lib.sh"

need_free_space "$T" 800

for s in one two; do
	mkdir -p "$T/src-$s" "$T/dst-$s"
	gen_file "$T/src-$s/big" $((128 * 1024 * 1024)) \
	    "$([ $s = one ] && echo 20 || echo 21)"
	for ((d = 0; d < 10; d++)); do
		mkdir "$T/src-$s/d$d"
		head -c $((100 * 2048)) /dev/urandom |
		    split -b 2048 -a 2 -d - "$T/src-$s/d$d/f" ||
		    hard_error "cannot generate files"
	done
done

FSYNC=false recv_config "$T/beta.yaml" "one:$T/dst-one" "two:$T/dst-two"
start_daemon beta "$T/beta.yaml"
port=${DAEMON_PORT[beta]}

# The idle clients: bash's /dev/tcp; kept open until the end.
exec 7<>"/dev/tcp/127.0.0.1/$port" || hard_error "cannot connect"
exec 8<>"/dev/tcp/127.0.0.1/$port" || hard_error "cannot connect"
printf '\000\000' >&8

bg_push()
{
	timeout -k 5 "$PUSH_TIMEOUT" "$ZCSYNC" push --name "$CLIENT_NAME" \
	    "$T/src-$1" "$(dest beta "$1")" >"$T/push-$1.out" \
	    2>"$T/push-$1.err" </dev/null 7>&- 8>&-
}
bg_push one &
pid_one=$!
bg_track "$pid_one"
bg_push two &
pid_two=$!
bg_track "$pid_two"
wait_for -t "$PUSH_TIMEOUT" eval '! pid_alive '"$pid_one"' && ! pid_alive '"$pid_two" ||
    fail "the pushes did not finish"
rc_one=0
rc_two=0
wait "$pid_one" || rc_one=$?
wait "$pid_two" || rc_two=$?
for s in one two; do
	sed -e "s/^/#   $s: /" "$T/push-$s.out" "$T/push-$s.err"
done
[ "$rc_one" = 0 ] || fail "push one exited $rc_one"
[ "$rc_two" = 0 ] || fail "push two exited $rc_two"
tree_equal "$T/src-one" "$T/dst-one"
tree_equal "$T/src-two" "$T/dst-two"
no_temp_files "$T/dst-one"
no_temp_files "$T/dst-two"

# Informative: did the two sessions overlap?
grep -E 'push (started|done)' "$T/beta.log" | sed -e 's/^/#   /'

daemon_alive beta || fail "zcsyncd died"
exec 7>&- 8>&-

# The daemon still serves a new push after all that.
push_ok "$T/src-one" "$(dest beta one)"
expect_summary sent 0 failed 0

finish_ok -n beta
