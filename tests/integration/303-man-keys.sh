[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 303-man-keys: zcsync.yaml(5) documents every configuration key: each row
# of the key table in common/config-keys.c has its own entry (".B KEY") in
# man/zcsync.yaml.5, so a new key without a man page entry fails here.
# The man pages format without groff warnings.
. "$(dirname "$0")/lib.sh"

# ZC_TEST_TLS=1 has nothing to check here: it starts no daemon.
ZC_PLAIN_ONLY=1

keys=$top_srcdir/common/config-keys.c
man5=$top_srcdir/man/zcsync.yaml.5
[ -f "$keys" ] || hard_error "$keys: missing"
[ -f "$man5" ] || fail "$man5: missing"

sed -n 's/^[[:space:]]*{ \.name = "\([^"]*\)",.*$/\1/p' "$keys" >"$T/keys"
n=$(wc -l <"$T/keys")
[ "$n" -ge 10 ] || hard_error "read only $n keys from $keys"
missing=
while read -r k; do
	grep -qxF -e ".B $k" "$man5" || missing="$missing $k"
done <"$T/keys"
[ -z "$missing" ] ||
    fail "zcsync.yaml(5) has no entry (\".B KEY\") for:$missing"
log "zcsync.yaml(5) documents all $n keys"

if command -v groff >/dev/null 2>&1; then
	for m in man/zcsync.1 man/zcsync.yaml.5 man/zcsyncd.8; do
		w=$(groff -ww -z -man "$top_srcdir/$m" 2>&1)
		[ -z "$w" ] || fail "$m: groff warns: $w"
	done
fi
exit 0
