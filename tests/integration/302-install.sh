[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 302-install: `make install DESTDIR=...` from the build directory installs
# exactly the expected files: both programs, the three man pages, the
# example configs (in the documentation, never in sysconfdir), the units
# (naming the installed zcsyncd) and the sysusers.d snippet where configure
# put them, and the bash completion, which completes subcommands and
# peer/set names.  `make uninstall` then removes every file again.
. "$(dirname "$0")/lib.sh"

# ZC_TEST_TLS=1 has nothing to check here: it starts no daemon.
ZC_PLAIN_ONLY=1

MAKE=${MAKE:-make}
command -v "$MAKE" >/dev/null 2>&1 || skip "no make"
[ -f "$top_builddir/Makefile" ] || skip "no Makefile in $top_builddir"

D=$T/root

# mk ARGS...: make in the build directory, outside the make running the
# tests (its jobserver and flags are not ours).
mk()
{
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL "$MAKE" -s -C "$top_builddir" \
	    "$@"
}

# dir VAR: an installation directory as the Makefile has it.
dir()
{
	mk --no-print-directory --eval="zc-print-dir: ; @echo \$($1)" \
	    zc-print-dir | tail -n 1
}

# First: a Makefile that configure changed is remade here, not below.
mk install DESTDIR="$D" >"$T/install.log" 2>&1 ||
    fail "make install failed: $(tail -n 20 "$T/install.log")"

bindir=$(dir bindir) sbindir=$(dir sbindir) mandir=$(dir mandir)
docdir=$(dir docdir) sysconfdir=$(dir sysconfdir)
unitdir=$(dir systemdsystemunitdir) sysusersdir=$(dir sysusersdir)
compdir=$(dir bashcompletiondir)
for v in bindir sbindir mandir docdir sysconfdir unitdir sysusersdir \
    compdir; do
	[ -n "${!v}" ] || hard_error "cannot read $v from the Makefile"
	log "$v=${!v}"
done

expected=(
	"$bindir/zcsync"
	"$sbindir/zcsyncd"
	"$mandir/man1/zcsync.1"
	"$mandir/man5/zcsync.yaml.5"
	"$mandir/man8/zcsyncd.8"
	"$docdir/examples/zcsync.yaml"
	"$docdir/examples/zcsync-beta.yaml"
	"$compdir/zcsync"
)
[ "$unitdir" = no ] ||
    expected+=("$unitdir/zcsyncd.service" "$unitdir/zcsyncd@.service")
[ "$sysusersdir" = no ] || expected+=("$sysusersdir/zcsync.conf")
printf '%s\n' "${expected[@]}" | sort >"$T/expected"
(cd "$D" && find . -type f -o -type l) | sed -e 's|^\.||' | sort >"$T/got"
if ! cmp -s "$T/expected" "$T/got"; then
	diff "$T/expected" "$T/got" | sed -e 's/^/#   /'
	fail "make install: the installed files differ from the expected list (< expected, > installed)"
fi
log "installed: $(wc -l <"$T/got") files, as expected"

[ -x "$D$bindir/zcsync" ] || fail "zcsync is not executable"
[ -x "$D$sbindir/zcsyncd" ] || fail "zcsyncd is not executable"
"$D$sbindir/zcsyncd" --version | grep -q '^zcsyncd ' ||
    fail "the installed zcsyncd does not run"
if [ -n "$(ls -A "$D$sysconfdir" 2>/dev/null)" ]; then
	fail "make install put files in sysconfdir: $(ls -A "$D$sysconfdir")"
fi
"$D$bindir/zcsync" check-config -c "$D$docdir/examples/zcsync.yaml" ||
    fail "the installed example does not pass check-config"

for m in man1/zcsync.1 man5/zcsync.yaml.5 man8/zcsyncd.8; do
	grep -q '^\.TH ' "$D$mandir/$m" || fail "$m: not a man page"
	if command -v groff >/dev/null 2>&1; then
		w=$(groff -ww -z -man "$D$mandir/$m" 2>&1)
		[ -z "$w" ] || fail "$m: groff warns: $w"
	fi
done

if [ "$unitdir" != no ]; then
	for u in zcsyncd.service zcsyncd@.service; do
		exe=$(sed -n 's/^ExecStart=\([^ ]*\) .*/\1/p' "$D$unitdir/$u")
		[ "$exe" = "$sbindir/zcsyncd" ] ||
		    fail "$u: ExecStart= names '$exe', not $sbindir/zcsyncd"
	done
fi

# The completion: subcommands, and peer/set names from -c FILE.
bash -n "$D$compdir/zcsync" || fail "the bash completion has syntax errors"
cat >"$T/comp.yaml" <<'ZCEOF'
node:
  name: alpha
peers:
  - name: beta
    address: "127.0.0.1:7401"
  - name: gamma
sets:
  - name: site
    path: /srv/site
    push_to: [beta]
  - name: logs
    path: /srv/logs
    accept_from: [gamma]
ZCEOF
got=$(PATH=$D$bindir:$PATH bash -c '
	. "$1"
	c()
	{
		COMP_WORDS=("$@")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMPREPLY=()
		_zcsync
		echo "${COMPREPLY[*]}"
	}
	c zcsync pu
	c zcsync push -c "$2" /tmp ""
	c zcsync push -c "$2" /tmp beta/
	c zcsync sync -c "$2" ""
	c zcsync sync -c "$2" site g
	c zcsync check-config --sys
' _ "$D$compdir/zcsync" "$T/comp.yaml")
want=$(printf '%s\n' "push pull" "beta/ gamma/" "beta/logs beta/site" \
    "logs site" "gamma" "--systemd")
want_nopull=$(printf '%s\n' "push" "beta/ gamma/" "beta/logs beta/site" \
    "logs site" "gamma" "--systemd")
if [ "$got" != "$want" ] && [ "$got" != "$want_nopull" ]; then
	echo "# completion: got"; sed -e 's/^/#   /' <<<"$got"
	echo "# expected"; sed -e 's/^/#   /' <<<"$want"
	fail "the bash completion completes wrongly"
fi

mk uninstall DESTDIR="$D" >"$T/uninstall.log" 2>&1 ||
    fail "make uninstall failed: $(tail -n 20 "$T/uninstall.log")"
left=$(cd "$D" && find . -type f -o -type l)
[ -z "$left" ] || fail "make uninstall left: $left"
exit 0
