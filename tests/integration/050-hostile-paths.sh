[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 050-hostile-paths: a raw peer sends names that break the path rules
# (docs/PROTOCOL.md section 8; SECURITY.md catalogue rows 1-4 and 6) in
# every entry frame (DIR, FILE, SYMLINK, DELETE, META).  Each is refused,
# per entry with ACK PATH or by ERROR and close, nothing changes inside or
# outside the root, the daemon logs the refusal with the peer's name, and a
# normal push still works afterwards.
. "$(dirname "$0")/lib.sh"

[ -x "$RAWPEER" ] || hard_error "$RAWPEER: not built"

# $area holds the set root and its hostile neighbours, so that one listing
# of $area (without dst) shows anything written beside the root.
area=$T/area
dst=$area/dst
outside=$area/outside
evil=$area/dst-evil
src=$T/src
mkdir -p "$dst" "$outside/dir" "$evil" "$src/sub"
echo "do not touch" >"$outside/sentinel"
chmod 0640 "$outside/sentinel"
touch -d '2001-01-01 00:00:00.123456789' "$outside/sentinel"
echo "nor this" >"$outside/dir/f"
echo "evil twin" >"$evil/sentinel"
chmod 0600 "$evil/sentinel"
# Names the receiver would hit if it "cleaned" a path instead of refusing.
mkdir "$dst/a"
echo keep >"$dst/a/b"
echo keep >"$dst/x"
echo "good file" >"$src/one"
echo "another" >"$src/sub/two"

# The checks after every attack: nothing outside changed, no temporary
# file left, the daemon still running.
check_after()
{
	tree_snapshot "$area" "$T/outside.after" dst
	snapshot_same "$T/outside.before" "$T/outside.after" "$1"
	[ ! -e "$T/x" ] || fail "$1: $T/x was created"
	if [ "$etc_x" = absent ]; then
		[ ! -e /etc/x ] && [ ! -L /etc/x ] || fail "$1: /etc/x was created"
	else
		[ "$(stat -c '%i %s %Y' /etc/x)" = "$etc_x" ] ||
		    fail "$1: /etc/x changed"
	fi
	no_temp_files "$area"
	daemon_alive beta || fail "$1: zcsyncd died"
}

# An absolute name aims at /etc/x; note whether it exists now.
etc_x=absent
[ -e /etc/x ] || [ -L /etc/x ] && etc_x=$(stat -c '%i %s %Y' /etc/x)

recv_config "$T/beta.yaml" "site:$dst"
start_daemon beta "$T/beta.yaml"
tree_snapshot "$area" "$T/outside.before" dst
tree_snapshot "$dst" "$T/dst.before"

# The hostile names, as rawpeer words (C escapes: \0 is a NUL byte).
c256=$(printf 'c%.0s' $(seq 256))
c240=$(printf 'p%.0s' $(seq 240))
long4096=$c240
for i in $(seq 16); do long4096=$long4096/$c240; done
[ ${#long4096} = 4096 ] || hard_error "long4096 is ${#long4096} bytes"
deep257=d
for i in $(seq 256); do deep257=$deep257/d; done
paths=(
	'../x'
	'a/../../x'
	'..'
	'.'
	'a/..'
	"$area/abs-x"
	'/etc/x'
	"/$area/abs-y"
	'/'
	'a//b'
	'./a'
	'a/./b'
	'a/.'
	'a/'
	'ok\0/../../x'
	'a\0b'
	'x\0'
	'.zc.0123456789abcdef.zctmp'
	'a/.zc.0123456789abcdef.zctmp'
	"$c256"
	"a/$c256"
	"$deep257"
	"$long4096"
)

# One session per name and frame type: the refusal may be an ACK PATH or
# an ERROR that ends the session; either way nothing may be written.
n=0
for p in "${paths[@]}"; do
	for kind in dir file symlink delete meta; do
		case $kind in
		dir)	entry=("dir 1 $p") ;;
		file)	entry=("file 1 $p 11 data pwned\\n" "file-end 1 0") ;;
		symlink) entry=("symlink 1 $p $outside") ;;
		delete)	entry=("delete 1 $p") ;;
		meta)	entry=("meta 1 $p 04777") ;;
		esac
		rawpeer_ok beta "$kind ${p:0:40}" 'hello alpha' 'push site' read-manifest \
		    "${entry[@]}" 'expect-refused 1' done \
		    'expect-summary 0 1' expect-eof
		n=$((n + 1))
	done
	check_after "${p:0:40}"
done
log "$n hostile entries refused"

# The same names in one session: a refusal is per entry (ACK PATH) and the
# session goes on, so a valid entry after them still lands.  Only the
# 4096-byte path is left out: the frame decoder may reject it outright.
script=('hello alpha' 'push site' read-manifest)
seq=0
for p in "${paths[@]}"; do
	[ "$p" = "$long4096" ] && continue
	script+=("dir $((seq + 1)) $p" "expect-ack $((seq + 1)) path")
	script+=("file $((seq + 2)) $p 5" "file-end $((seq + 2)) 0"
	    "expect-ack $((seq + 2)) path")
	script+=("symlink $((seq + 3)) $p ../../x"
	    "expect-ack $((seq + 3)) path")
	script+=("delete $((seq + 4)) $p" "expect-ack $((seq + 4)) path")
	script+=("meta $((seq + 5)) $p 0777" "expect-ack $((seq + 5)) path")
	seq=$((seq + 5))
done
script+=("dir $((seq + 1)) newdir" "expect-ack $((seq + 1)) ok" done
    "expect-summary 1 $seq" expect-eof)
rawpeer_ok beta "one session of refusals" "${script[@]}"
check_after "batch"
[ -d "$dst/newdir" ] || fail "the valid DIR after the refusals did not land"
rmdir "$dst/newdir"

# Nothing in the root changed either (newdir aside, removed above): a
# refused "a//b" or "./a" was not silently cleaned into "a/b" or "a".
tree_snapshot "$dst" "$T/dst.after"
if ! cmp -s <(tr '\0' '\n' <"$T/dst.before" | grep -v '^	d ') \
    <(tr '\0' '\n' <"$T/dst.after" | grep -v '^	d '); then
	diff <(tr '\0' '\n' <"$T/dst.before" | cat -v) \
	    <(tr '\0' '\n' <"$T/dst.after" | cat -v) | head -n 20
	fail "the set root changed"
fi
[ "$(cat "$dst/a/b")" = keep ] && [ "$(cat "$dst/x")" = keep ] ||
    fail "a file in the root was overwritten"

# Boundaries that are legal: a 4095-byte path of 240-byte components and a
# 255-byte component land (rows 4 and 23: the limit itself is allowed).
c255=${c256:1}
long4095=${long4096%p}
script=('hello alpha' 'push site' read-manifest)
prefix=
seq=0
IFS=/ read -r -a comps <<<"$long4095"
for ((i = 0; i < ${#comps[@]} - 1; i++)); do
	prefix=${prefix:+$prefix/}${comps[$i]}
	seq=$((seq + 1))
	script+=("dir $seq $prefix" "expect-ack $seq ok")
done
script+=("file $((seq + 1)) $long4095 3" "file-end $((seq + 1)) 0"
    "expect-ack $((seq + 1)) ok" "file $((seq + 2)) $c255 3"
    "file-end $((seq + 2)) 0" "expect-ack $((seq + 2)) ok" done
    "expect-summary $((seq + 2)) 0" expect-eof)
rawpeer_ok beta "paths at the limits" "${script[@]}"
# (Relative to the root: "$dst/$long4095" itself is over PATH_MAX.)
[ "$(cd "$dst" && cat "$long4095")" = xxx ] ||
    fail "the 4095-byte path did not land"
[ -f "$dst/$c255" ] || fail "the 255-byte name did not land"
check_after "limits"

# The refusals are in the log, with the peer's name; the hostile bytes are
# escaped there (no NUL or other control byte in the log).
refusals=$(grep -cE 'peer=alpha .*(invalid path|refused: )' "$T/beta.log")
[ "$refusals" -ge "$n" ] ||
    fail "only $refusals refusals naming peer=alpha logged for $n attacks"
if LC_ALL=C grep -qaP '[\x00-\x08\x0b-\x1f\x7f]' "$T/beta.log"; then
	fail "control bytes from a hostile name reached the log"
fi

# A well-behaved push still works, and --delete cleans up the root.
push_ok --delete "$src" "$(dest beta site)"
tree_equal "$src" "$dst"
check_after "good push"

finish_ok beta
