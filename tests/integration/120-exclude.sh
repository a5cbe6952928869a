[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 120-exclude: exclude and include rules, checked against rsync.  The same
# patterns go to `rsync -a --include=... --exclude=...` and to `zcsync
# push --include ... --exclude ...` on the same tree (nested directories,
# dot files, names with spaces and glob characters); the two copies must
# hold the same entries.  Then .zcsyncignore files (against rsync's
# dir-merge), receiver entries that are excluded surviving --delete (as
# rsync protects them), --exclude-from, a configured set's own lists, and
# a pull, where the serving daemon's set rules apply.
. "$(dirname "$0")/lib.sh"

command -v rsync >/dev/null 2>&1 || skip "rsync is not installed"

src=$T/src
mkdir -p "$src"

# ---- The tree.
mk()
{
	mkdir -p "$(dirname "$src/$1")"
	printf '%s\n' "$1" >"$src/$1"
}
for f in top.txt top.c .hidden .dotdir/conf .dotdir/sub/x.c \
    a/b a/x.o a/b.c/inner.txt a/b.c/deep/a/b \
    src/m.c src/m.o src/m.h src/gen/g.c src/x/gen/g2.c src/x/y/gen/g3.c \
    src/sub/m.c src/sub/build/out.o build/out.o build/keep.c \
    lib/build 'name with space.txt' 'dir with space/inner file.c' \
    'dir with space/more space/.x.o' 1.h a.h ab.h 7days.log \
    logs/a.log logs/deep/b.log logs/deep/c.txt \
    deep/1/x deep/2/x deep/2/y deep/3/4/x 'glob[1].txt' 'star*.txt' \
    q/b1/f q/b22/f qa/bz/f; do
	mk "$f"
done
mkdir -p "$src/empty-dir" "$src/build2/empty" "$src/src/gen-not/x"
ln -s top.txt "$src/link-to-top"
ln -s nowhere "$src/src/dangling.o"
ln -s src "$src/srclink"
nsrc=$(find "$src" -mindepth 1 | wc -l)
log "source tree: $nsrc entries"

# The patterns: one case per line, "+PAT" an include, "-PAT" an exclude,
# separated by "|".
cases=(
	'-*.o'
	'-build/|-.*'
	'+*.c|+*/|-*'
	'-/top.txt|-a/b'
	'-src/**/gen|-**.log'
	'-name with space*|-[0-9]*|-?.h'
	'+/src/|+/src/**|-*'
	'-deep/*/x|-/q/b?/'
	'-*/'
	'-a*/b?/|-glob\[1\].txt|-star\*.txt'
	'-**/gen/|-/src/m.?|-build'
	'+build/keep.c|-build/*|-dir with space/more space/'
	'-*link*|-*.txt|+logs/***|-logs'
)

sets=()
for i in "${!cases[@]}"; do
	mkdir -p "$T/zc$i"
	sets+=("c$i:$T/zc$i")
done
mkdir -p "$T/zcign" "$T/zcdel" "$T/zcfrom" "$T/zccfg"
FSYNC=false recv_config "$T/beta.yaml" "${sets[@]}" ign:"$T/zcign" \
    del:"$T/zcdel" from:"$T/zcfrom" cfg:"$T/zccfg"
# A set served to pulls through its own rules.
cat >>"$T/beta.yaml" <<EOF
  - name: served
    path: $src
    serve_to: [alpha]
    exclude: ["*.o", "logs/", "/src/gen"]
    include: ["m.o"]
EOF
start_daemon beta "$T/beta.yaml"

# list DIR OUT: "type path" of every entry beneath DIR, sorted.
list()
{
	(cd "$1" && find . -mindepth 1 -printf '%y %P\n') | sort >"$2" ||
	    fail "cannot list $1"
}

# same_lists A B WHAT: the entry lists of two trees are equal.
same_lists()
{
	list "$1" "$T/list.a"
	list "$2" "$T/list.b"
	if ! cmp -s "$T/list.a" "$T/list.b"; then
		diff "$T/list.a" "$T/list.b" | head -n 30 | sed 's/^/# /'
		fail "$3: rsync (<) and zcsync (>) differ"
	fi
}

for i in "${!cases[@]}"; do
	# rsync takes the first match in its order: includes go first,
	# as zcsync checks them; zcsync gets them in the case's order.
	rsi=() rse=() zc=()
	IFS='|' read -r -a pats <<<"${cases[$i]}"
	for p in "${pats[@]}"; do
		if [ "${p:0:1}" = + ]; then
			rsi+=("--include=${p:1}")
			zc+=(--include "${p:1}")
		else
			rse+=("--exclude=${p:1}")
			zc+=(--exclude "${p:1}")
		fi
	done
	rs=("${rsi[@]}" "${rse[@]}")
	log "case $i: ${cases[$i]}"
	rsync -a "${rs[@]}" "$src/" "$T/rs$i/" ||
	    hard_error "rsync failed on case $i"
	push_ok "${zc[@]}" "$src" "$(dest beta "c$i")"
	same_lists "$T/rs$i" "$T/zc$i" "case $i (${cases[$i]})"
	n=$(wc -l <"$T/list.b")
	[ "$n" -lt "$nsrc" ] || [ "$i" = 6 ] ||
	    fail "case $i excluded nothing ($n of $nsrc entries)"
	# What was sent is whole: the same bytes as rsync's copy.
	diff -r --no-dereference -q "$T/rs$i" "$T/zc$i" >/dev/null ||
	    fail "case $i: contents differ from rsync's copy"
done
# Include-only case 6 keeps src/ alone.
[ -f "$T/zc6/src/m.c" ] && [ ! -e "$T/zc6/top.txt" ] ||
    fail "case 6: not just src/"

# ---- .zcsyncignore files: rsync's dir-merge of the same name, checked
# before the command line's rules, closest directory first.
ign=$T/isrc
cp -a "$src" "$ign"
printf '# top rules\n- *.log\n+ keep.o\n- /top.c\n\n- dir with space/\n' \
    >"$ign/.zcsyncignore"
printf -- '- /gen\n+ *.log\n- sub/\n' >"$ign/src/.zcsyncignore"
printf -- '- x\n' >"$ign/deep/2/.zcsyncignore"
printf -- '+ a.log\n- *\n' >"$ign/logs/.zcsyncignore"
touch "$ign/keep.o" "$ign/src/ok.log" "$ign/src/x/gen/g.log"
rsync -a --filter=': .zcsyncignore' --exclude='*.o' "$ign/" "$T/rsign/" ||
    hard_error "rsync failed on the .zcsyncignore case"
push_ok --exclude '*.o' "$ign" "$(dest beta ign)"
same_lists "$T/rsign" "$T/zcign" ".zcsyncignore"
[ -f "$T/zcign/.zcsyncignore" ] && [ -f "$T/zcign/keep.o" ] &&
    [ ! -e "$T/zcign/src/gen" ] && [ -d "$T/zcign/src/x/gen" ] &&
    [ -f "$T/zcign/src/ok.log" ] && [ ! -e "$T/zcign/deep/2/x" ] &&
    [ -f "$T/zcign/logs/a.log" ] && [ ! -e "$T/zcign/logs/deep" ] ||
    fail ".zcsyncignore: not the entries expected"

# ---- --delete keeps what is excluded (rsync's protect filter): compare
# with rsync --delete on a copy of the same receiver tree.
del=$T/zcdel
push_ok "$src" "$(dest beta del)"
mkdir -p "$del/gone/sub" "$del/cache" "$del/src/gone"
for f in extra.txt extra.o gone/a.o gone/b.txt gone/sub/c.txt cache/blob \
    src/gone/x.o src/gone/y.c src/m.extra; do
	echo "receiver only" >"$del/$f"
done
cp -a "$del" "$T/rsdel"
rsync -a --delete --exclude='*.o' --exclude='cache/' "$src/" "$T/rsdel/" \
    2>"$T/rsync.err" || true	# "cannot delete non-empty directory"
push_ok --delete --exclude '*.o' --exclude 'cache/' "$src" \
    "$(dest beta del)"
same_lists "$T/rsdel" "$del" "--delete with excludes"
for f in extra.o gone/a.o cache/blob src/gone/x.o src/m.o; do
	[ -e "$del/$f" ] || fail "--delete removed excluded $f"
done
for f in extra.txt gone/b.txt gone/sub src/gone/y.c src/m.extra; do
	[ -e "$del/$f" ] && fail "--delete kept $f, which is not excluded"
done
[ "$(summary deleted)" -ge 5 ] || fail "--delete: deleted $(summary deleted)"

# ---- --exclude-from FILE (blank and comment lines skipped).
printf '# comment\n\n*.o\n; also a comment\nlogs/\n/top.txt\n' >"$T/ex.list"
rsync -a --exclude-from="$T/ex.list" "$src/" "$T/rsfrom/" ||
    hard_error "rsync --exclude-from failed"
push_ok --exclude-from "$T/ex.list" "$src" "$(dest beta from)"
same_lists "$T/rsfrom" "$T/zcfrom" "--exclude-from"
push --exclude '' "$src" "$(dest beta from)"
[ "$PUSH_RC" = 2 ] || fail "an empty pattern: exit $PUSH_RC, not 2"
grep -q 'empty pattern' "$T/push.err" || fail "no reason for the empty pattern"

# ---- A set of the config whose path is DIR adds its own lists (plain
# TCP to loopback; the TLS wrapper leaves a push with -c alone).
if [ "${ZC_TEST_TLS:-0}" != 1 ]; then
	cat >"$T/client.yaml" <<EOF
node:
  name: $CLIENT_NAME
sets:
  - name: mine
    path: $src
    exclude: ["*.c", "logs/"]
    include: ["m.c"]
EOF
	push_ok -c "$T/client.yaml" --exclude '*.h' "$src/." "$(dest beta cfg)"
	rsync -a --include=m.c --exclude='*.c' --exclude=logs/ --exclude='*.h' \
	    "$src/" "$T/rscfg/" || hard_error "rsync failed (config case)"
	same_lists "$T/rscfg" "$T/zccfg" "the set's own lists"
fi

# ---- A pull: the serving set's rules decide what leaves.
pull_ok "$(dest beta served)" "$T/pulled"
rsync -a --include=m.o --exclude='*.o' --exclude=logs/ --exclude=/src/gen \
    "$src/" "$T/rspull/" || hard_error "rsync failed (pull case)"
same_lists "$T/rspull" "$T/pulled" "pull of a set with rules"
# With --delete, local entries the server's rules exclude stay.
echo local >"$T/pulled/local.o"
echo local >"$T/pulled/local.txt"
pull_ok --delete "$(dest beta served)" "$T/pulled"
[ -f "$T/pulled/local.o" ] || fail "pull --delete removed an excluded entry"
[ -e "$T/pulled/local.txt" ] && fail "pull --delete kept local.txt"

check_logs
