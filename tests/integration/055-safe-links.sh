[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 055-safe-links: a set with `safe_links: true` refuses a symlink whose
# target is absolute or climbs above the set root, however it is spelled
# (SECURITY.md catalogue row 8, CVE-2024-12088: "a/../../x"), with ACK PATH
# and a log line naming the peer, while safe links in the same session
# land; a set without it stores every target verbatim (zcsync never
# follows a link either way).  Nothing outside the roots changes.
. "$(dirname "$0")/lib.sh"

[ -x "$RAWPEER" ] || hard_error "$RAWPEER: not built"

area=$T/area
safe=$area/safe
plain=$area/plain
mkdir -p "$safe/d" "$plain" "$area/outside"
echo "do not touch" >"$area/outside/sentinel"

recv_config "$T/beta.yaml" "site:$safe" "plain:$plain"
# safe_links for the first set only.
sed -i "/path: ${safe//\//\\/}\$/a\\    safe_links: true" "$T/beta.yaml"
grep -q 'safe_links: true' "$T/beta.yaml" || hard_error "config not edited"
start_daemon beta "$T/beta.yaml"
tree_snapshot "$area" "$T/outside.before" safe

unsafe=(/etc/passwd .. ../x a/../../x d/../../x "./../$area" ../../../../../../etc)
# The same unsafe targets, at the root and one level down (d/../../x is
# unsafe at the root, and d/l -> ../x is safe: it stays inside).
script=('hello alpha' 'push site' read-manifest)
seq=0
for t in "${unsafe[@]}"; do
	seq=$((seq + 1))
	script+=("symlink $seq bad$seq $t" "expect-ack $seq path")
done
seq=$((seq + 1)); script+=("symlink $seq d/bad ../../x" "expect-ack $seq path")
seq=$((seq + 1)); script+=("symlink $seq good1 x" "expect-ack $seq ok")
seq=$((seq + 1)); script+=("symlink $seq d/good2 ../x" "expect-ack $seq ok")
seq=$((seq + 1)); script+=("symlink $seq good3 d/../d/x" "expect-ack $seq ok")
rawpeer_ok beta "unsafe links to a safe_links set" "${script[@]}" done \
    "expect-summary 3 $((seq - 3))" expect-eof

for ((i = 1; i <= ${#unsafe[@]}; i++)); do
	[ ! -e "$safe/bad$i" ] && [ ! -L "$safe/bad$i" ] ||
	    fail "unsafe link bad$i (${unsafe[i - 1]}) landed"
done
[ ! -L "$safe/d/bad" ] || fail "unsafe link d/bad landed"
[ "$(readlink "$safe/good1")" = x ] || fail "good1 missing"
[ "$(readlink "$safe/d/good2")" = ../x ] || fail "d/good2 missing"
[ "$(readlink "$safe/good3")" = d/../d/x ] || fail "good3 missing"
[ "$(log_count beta 'unsafe symlink target \(safe_links\)')" -ge 8 ] ||
    fail "the refusals are not logged"
[ "$(log_count beta 'peer=alpha .*bad1: unsafe symlink target')" = 1 ] ||
    fail "the refusal does not name the peer and the link"

# Without safe_links every target is stored verbatim.
script=('hello alpha' 'push plain' read-manifest)
seq=0
for t in "${unsafe[@]}"; do
	seq=$((seq + 1))
	script+=("symlink $seq l$seq $t" "expect-ack $seq ok")
done
rawpeer_ok beta "the same links to a plain set" "${script[@]}" done \
    "expect-summary $seq 0" expect-eof
for ((i = 1; i <= ${#unsafe[@]}; i++)); do
	[ "$(readlink "$plain/l$i")" = "${unsafe[i - 1]}" ] ||
	    fail "l$i is not stored verbatim"
done

tree_snapshot "$area" "$T/outside.after" safe
# The plain set's new links are inside $area: compare what is outside both.
for f in before after; do
	tr '\0' '\n' <"$T/outside.$f" | grep -av '^plain' >"$T/out.$f"
done
snapshot_same "$T/out.before" "$T/out.after" "safe links"
no_temp_files "$area"
daemon_alive beta || fail "zcsyncd died"
check_logs
