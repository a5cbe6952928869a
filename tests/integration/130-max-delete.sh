[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 130-max-delete: the delete guard (sets[].max_delete, push --max-delete).
# A watched set mirrored live with delete: true and max_delete: 10%: one
# deletion replicates; emptying the set (rm -rf of its 200 files) stops
# the set after at most 10% of the entries are gone on the peer, and
# `zcsync status` (text and JSON) and the metrics say why.  `zcsync sync`
# runs the catch-up again, which the guard refuses as a whole; a reload
# with a higher limit lets the deletions through.  A one-shot push
# --delete --max-delete 5 that would delete 20 fails and deletes nothing,
# and a pull the daemon serves is held to the set's max_delete.
. "$(dirname "$0")/lib.sh"

src=$T/src
dst=$T/dst
one=$T/one
dst1=$T/dst1
gsrc=$T/gsrc
gdst=$T/gdst
mkdir -p "$src/d" "$dst" "$one" "$dst1" "$gsrc" "$gdst"
for ((i = 0; i < 200; i++)); do
	printf 'file %03d\n' "$i" >"$src/d/f$(printf %03d "$i")"
done

FSYNC=false recv_config "$T/beta.yaml" "site:$dst" "grow:$gdst"
cat >>"$T/beta.yaml" <<EOF
  - name: one
    path: $dst1
    accept_from: [alpha]
    serve_to: [alpha]
    max_delete: 5
    fsync: false
EOF
start_daemon beta "$T/beta.yaml"

alpha_config()
{
	cat >"$T/alpha.yaml" <<EOF
node:
  name: alpha
  control: $T/alpha.sock
  metrics_listen: "127.0.0.1:0"
peers:
  - name: beta
    address: "127.0.0.1:${DAEMON_PORT[beta]}"
sets:
  - name: site
    path: $src
    push_to: [beta]
    delete: true
    max_delete: $1
  - name: grow
    path: $gsrc
    push_to: [beta]
    delete: true
    max_delete: 10%
EOF
}
alpha_config 10%
start_node alpha "$T/alpha.yaml"
wait_log alpha 'peer=beta set=site: in sync; mirroring live'
mirror_ok "$src" "$dst" alpha beta

# A small deletion is within the limit (20 of the 201 entries).
rm "$src/d/f000"
wait_for -t 20 eval '[ ! -e "$dst/d/f000" ]' ||
    fail "a single deletion did not replicate"
mirror_ok "$src" "$dst" alpha beta

# A set that was empty at its catch-up and grew live: 10% is of what it
# holds now (counted again before refusing), not of the 0 entries then.
wait_log alpha 'peer=beta set=grow: in sync; mirroring live'
for ((i = 0; i < 50; i++)); do
	echo "grown $i" >"$gsrc/g$i"
done
wait_tree_equal "$gsrc" "$gdst" 20
rm "$gsrc/g1" "$gsrc/g2"
wait_tree_equal "$gsrc" "$gdst" 20
[ "$(log_count alpha 'set grow: stopped')" = 0 ] ||
    fail "two deletions of 50 entries stopped the set grow"

# Empty the set: the guard stops it after 20 deletions in a minute.
rm -rf "${src:?}"/d/*
wait_log alpha 'set site: stopped: max_delete: ' 30
daemon_alive alpha || fail "alpha died"
# Give stray frames a chance: a marker set would be cleaner, but nothing
# more may be sent for site at all, so the count must not move.
left=$(find "$dst/d" -type f | wc -l)
log "beta keeps $left of 199 files"
[ "$left" -ge 179 ] || fail "beta keeps only $left files: the guard let " \
    "more than 20 deletions through"
grep -E 'set site: stopped: max_delete: 21 deletions within 60 s, more than the limit 20 \(10% of 201\)' \
    "$T/alpha.log" >/dev/null || fail "the stop line lacks the numbers"

# Status says why, in text and JSON; the metrics count it.
ctl_ok status -c "$T/alpha.yaml"
grep -E '^set site .*STOPPED: max_delete: ' "$T/ctl.out" >/dev/null ||
    fail "status does not say why site stopped: $(cat "$T/ctl.out")"
ctl_ok status --json -c "$T/alpha.yaml"
[ "$(json_get "$T/ctl.out" '[x for x in d["sets"] if x["name"] == "site"][0]["state"]')" = stopped ] ||
    fail "status --json: site is not stopped"
json_get "$T/ctl.out" '[x for x in d["sets"] if x["name"] == "site"][0]["reason"]' | grep -q '^max_delete: ' ||
    fail "status --json: no max_delete reason"
http_get "http://127.0.0.1:$(metrics_port alpha)/metrics" >"$T/metrics" ||
    fail "no metrics"
grep -qx 'zcsync_delete_guard_stops_total 1' "$T/metrics" ||
    fail "metrics: $(grep delete_guard "$T/metrics")"
grep -qx 'zcsync_set_stopped{set="site"} 1' "$T/metrics" ||
    fail "metrics: site is not stopped"

# Stopped: nothing more is sent for it (checked below, after the
# refused catch-up has come and gone).
echo "after the stop" >"$src/late"

# zcsync sync starts it again: the catch-up would delete 179 of 181
# entries at once; the guard refuses the pass before any entry goes out.
ctl_ok sync -c "$T/alpha.yaml" site
wait_log alpha 'set site: stopped: max_delete: this pass would delete [0-9]+ of [0-9]+ entries, more than the limit [0-9]+' 20
[ "$(find "$dst/d" -type f | wc -l)" = "$left" ] ||
    fail "the refused catch-up deleted files"
[ ! -e "$dst/late" ] || fail "the refused catch-up sent a file"

# The operator means it: a reload with a higher limit lets it through.
alpha_config 100%
kill -HUP "${DAEMON_PID[alpha]}"
wait_tree_equal "$src" "$dst" 30
daemon_alive alpha || fail "alpha died on reload"

# One-shot push: --max-delete 5 refuses a push that deletes 20.
for ((i = 0; i < 30; i++)); do
	echo "one $i" >"$one/g$i"
done
push_ok "$one" "$(dest beta one)"
for ((i = 0; i < 20; i++)); do
	rm "$one/g$i"
done
push --delete --max-delete 5 "$one" "$(dest beta one)"
[ "$PUSH_RC" = 1 ] || fail "push --max-delete 5 exited $PUSH_RC"
grep -q 'max_delete: this pass would delete 20 of 30 entries, more than the limit 5' \
    "$T/push.err" || fail "push --max-delete: no clear message"
[ "$(find "$dst1" -type f | wc -l)" = 30 ] ||
    fail "the refused push deleted files"
push --delete --max-delete 50% "$one" "$(dest beta one)"
[ "$PUSH_RC" = 1 ] || fail "push --max-delete 50% exited $PUSH_RC"
push --max-delete x "$one" "$(dest beta one)"
[ "$PUSH_RC" = 2 ] || fail "push --max-delete x exited $PUSH_RC"
push_ok --delete --max-delete 20 "$one" "$(dest beta one)"
expect_summary deleted 20
tree_equal "$one" "$dst1"

# A pull beta serves applies beta's max_delete (5) to what it would delete
# in the puller's directory, and says why.
pulled=$T/pulled
mkdir "$pulled"
for ((i = 0; i < 8; i++)); do
	echo "extra $i" >"$pulled/x$i"
done
pull --delete "$(dest beta one)" "$pulled"
[ "$PULL_RC" = 1 ] || fail "a pull deleting 8 with max_delete 5 exited $PULL_RC"
grep -q 'max_delete: this pass would delete 8 of 8 entries, more than the limit 5' \
    "$T/pull.err" || fail "the pull does not say why it was refused"
[ "$(ls "$pulled" | wc -l)" = 8 ] || fail "the refused pull changed $pulled"
rm "$pulled/x0" "$pulled/x1" "$pulled/x2"
pull_ok --delete "$(dest beta one)" "$pulled"
tree_equal "$one" "$pulled"

EXPECTED_ERRORS='set site: stopped: max_delete: '
finish_ok -n alpha beta
