[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 011-odd-names: names are bytes.  Spaces, control characters, backslashes,
# leading dashes, invalid UTF-8, 255-byte components, deep nesting and
# non-ASCII text all arrive exactly as they are.
. "$(dirname "$0")/lib.sh"

src=$T/src
dst=$T/dst
mkdir -p "$src" "$dst"

names=(
	"with space"
	"  leading and trailing spaces  "
	$'new\nline'
	$'tab\there'
	'back\slash'
	'-leading-dash'
	'--'
	$'\xff\xfe'
	$'latin1-\xe9t\xe9'
	$'\x01\x02\x1f\x7f'
	'quote"s and '"'"'apostrophes'"'"
	'*?[glob]{chars}$HOME`x`'
	'.hidden'
	'..dots'
	'...'
	'ünïcödé-名前-🙂'
	"$(printf 'L%.0s' {1..255})"
	"$(printf '%.0s\xc3\xa9' {1..127})x"
	'.zc.notatemp'
)
i=0
for n in "${names[@]}"; do
	i=$((i + 1))
	printf 'file %d\n' "$i" >"$src/$n" || hard_error "cannot create a name"
	mkdir "$src/dir-$i-$n" 2>/dev/null ||
	    mkdir "$src/d$i" || hard_error "cannot create dir $i"
	printf 'inside %d\n' "$i" >"$src/d$i-x" 2>/dev/null
done
# Names inside a directory with an odd name, and a link with odd target.
mkdir -p "$src/"$'sub\ndir'/$'\xff'
echo inner >"$src/"$'sub\ndir'/$'\xff'/$'x\ty'
ln -s $'target\nwith newline\xff' "$src/"$'odd\nlink'

# 40 levels of nesting, with a file at the bottom and one on the way.
deep=$src/deep
for ((i = 0; i < 40; i++)); do
	deep=$deep/level-$i
done
mkdir -p "$deep"
echo bottom >"$deep/bottom"
echo middle >"$src/deep/level-0/level-1/level-2/middle"

# Fix every mtime so that directory times are part of the comparison.
find "$src" -mindepth 1 -depth -exec touch -h -d '2015-05-05 05:05:05.505050505' {} +

FSYNC=false recv_config "$T/beta.yaml" "odd:$dst"
start_daemon beta "$T/beta.yaml"

push_ok "$src" "$(dest beta odd)"
expect_summary failed 0
tree_equal "$src" "$dst"
no_temp_files "$dst"
[ -f "$dst/.zc.notatemp" ] || fail "a name starting with .zc. was lost"
[ "$(cat "$dst/"$'\xff\xfe')" = "file 8" ] || fail "non-UTF-8 name content"

# A second push has nothing to do.
push_ok "$src" "$(dest beta odd)"
expect_summary sent 0 dirs 0 links 0 meta 0 failed 0

finish_ok -n beta
