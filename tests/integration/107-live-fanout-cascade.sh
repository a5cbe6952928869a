[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 107-live-fanout-cascade: alpha mirrors set s to beta and to gamma (fan
# out), and beta mirrors what it receives on to delta (a cascade: beta's
# set s accepts from alpha and pushes to delta).  Every change made on
# alpha reaches beta, gamma and delta, metadata and all.
. "$(dirname "$0")/lib.sh"

a=$T/alpha
b=$T/beta
g=$T/gamma
d=$T/delta
mkdir -p "$a/x/y" "$b" "$g" "$d"
echo "before" >"$a/x/y/old"
head -c 300000 /dev/urandom >"$a/x/blob"
touch -d '2001-01-01 00:00:00.1' "$a/x/y"

# leaf_config NAME PATH: a node that only receives set s from FROM.
leaf_config()
{
	cat >"$T/$1.yaml" <<EOF
node:
  name: $1
  listen: "127.0.0.1:0"
peers:
  - name: $3
sets:
  - name: s
    path: $2
    accept_from: [$3]
    fsync: false
EOF
}

leaf_config delta "$d" beta
start_daemon delta "$T/delta.yaml"
leaf_config gamma "$g" alpha
start_daemon gamma "$T/gamma.yaml"
cat >"$T/beta.yaml" <<EOF
node:
  name: beta
  listen: "127.0.0.1:0"
peers:
  - name: alpha
  - name: delta
    address: "127.0.0.1:${DAEMON_PORT[delta]}"
sets:
  - name: s
    path: $b
    accept_from: [alpha]
    push_to: [delta]
    delete: true
    fsync: false
EOF
start_daemon beta "$T/beta.yaml"
cat >"$T/alpha.yaml" <<EOF
node:
  name: alpha
peers:
  - name: beta
    address: "127.0.0.1:${DAEMON_PORT[beta]}"
  - name: gamma
    address: "127.0.0.1:${DAEMON_PORT[gamma]}"
sets:
  - name: s
    path: $a
    push_to: [beta, gamma]
    delete: true
EOF
start_node alpha "$T/alpha.yaml"

# all_equal STEP: every node mirrors alpha.
all_equal()
{
	log "step: $1"
	wait_tree_equal "$a" "$b" 20
	wait_tree_equal "$a" "$g" 20
	wait_tree_equal "$a" "$d" 20
	no_temp_files "$b"
	no_temp_files "$g"
	no_temp_files "$d"
	for n in alpha beta gamma delta; do
		daemon_alive "$n" || fail "$n died ($1)"
	done
}

wait_log alpha 'peer=beta set=s: in sync; mirroring live'
wait_log alpha 'peer=gamma set=s: in sync; mirroring live'
wait_log beta 'peer=delta set=s: in sync; mirroring live'
all_equal catch-up

echo "new" >"$a/new"
mkdir -p "$a/p/q/r" && echo "deep" >"$a/p/q/r/f"
echo "more" >>"$a/x/y/old"
ln -s x/blob "$a/link"
all_equal "create and append"

chmod 0600 "$a/new"
touch -d '2020-02-02 02:02:02.202020202' "$a/x/blob" "$a/p/q"
all_equal "chmod and touch"

mv "$a/x" "$a/x2"
mv "$a/new" "$a/p/new"
all_equal "renames"

rm -r "$a/p/q"
rm "$a/link"
all_equal "deletes"

for ((i = 0; i < 200; i++)); do
	echo "burst $i" >"$a/burst-$i"
done
all_equal "200 files"

# A body lands on beta, then a marker written on beta itself follows it.
# beta must forward the body as soon as it lands: a rename into place is
# IN_MOVED_TO, complete.  A bare linkat of an O_TMPFILE would show as
# IN_CREATE alone (never a close, under IN_EXCL_UNLINK): beta would wait
# its settle time (1 s) while the marker, closed after writing, overtook
# it.  The marker is beta's own, so it goes again before the next check.
for size in 300000 4000; do
	head -c $size /dev/urandom >"$a/body-$size"
	wait_for -t 20 cmp -s "$a/body-$size" "$b/body-$size" ||
	    fail "beta did not get body-$size"
	echo "after $size" >"$b/marker-$size"
	wait_for -t 20 test -f "$d/marker-$size" ||
	    fail "delta did not get marker-$size"
	cmp -s "$a/body-$size" "$d/body-$size" ||
	    fail "delta got marker-$size before body-$size: beta held the body back"
	rm "$b/marker-$size"
	wait_for -t 20 test ! -e "$d/marker-$size" ||
	    fail "delta kept marker-$size"
done
all_equal "bodies before markers"

finish_ok alpha beta gamma delta
