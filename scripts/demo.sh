#!/bin/sh
# demo.sh: the README's first Quick start command.  Installs what is missing
# (Debian packages), builds zcsync, then runs the main job on the example
# configs: two daemons on loopback (alpha: etc/zcsync.yaml, beta:
# etc/zcsync-beta.yaml) and real pushes of alpha's set "site" into beta's,
# printing what happened.  Run as root on Debian 12: it writes under
# /srv/zcsync and /srv/zcsync-beta and uses ports 7400 and 7401.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
say() { printf '\n== %s\n' "$*"; }

say "installing what is missing"
sh scripts/install-deps.sh
say "building"
[ -x configure ] || autoreconf -fi >/dev/null
[ -f Makefile ] || ./configure -q
make -s -j"$(nproc)" >/dev/null
./zcsyncd --version

A=etc/zcsync.yaml B=etc/zcsync-beta.yaml
./zcsync check-config -c "$A"
./zcsync check-config -c "$B"
for p in 7400 7401; do
	if ss -Htln "sport = :$p" | grep -q .; then
		echo "demo: port $p is in use; stop what listens there first" >&2
		exit 1
	fi
done

mkdir -p /srv/zcsync/site /srv/zcsync/incoming /srv/zcsync-beta/site \
    /srv/zcsync-beta/incoming
SRC=/srv/zcsync/site DST=/srv/zcsync-beta/site
say "making a small site in $SRC"
mkdir -p "$SRC/css" "$SRC/img"
printf '<h1>hello from alpha</h1>\n' >"$SRC/index.html"
printf 'body { color: #333 }\n' >"$SRC/css/site.css"
head -c 3000000 /dev/urandom >"$SRC/img/photo.jpg"
ln -sf index.html "$SRC/home.html"

tmp=$(mktemp -d)
pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	for p in $pids; do
		i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.1; i=$((i + 1))
		done
	done
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
start() {	# NAME CONFIG
	./zcsyncd -c "$2" --ready-fd 3 3>"$tmp/$1.port" 2>"$tmp/$1.log" &
	pids="$pids $!"
	i=0
	while ! grep -q . "$tmp/$1.port" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 100 ]; then
			echo "demo: $1 did not start:" >&2
			cat "$tmp/$1.log" >&2
			exit 1
		fi
		sleep 0.1
	done
	echo "$1 is listening on port $(cat "$tmp/$1.port")"
}
say "starting two daemons"
start beta "$B"
start alpha "$A"

say "alpha pushes its set \"site\" to beta"
./zcsync push -v -c "$A" "$SRC" beta/site
diff -r "$SRC" "$DST" && echo "beta's copy equals alpha's"

say "pushing again: nothing moves"
./zcsync push -c "$A" "$SRC" beta/site

say "changing one file, removing another, pushing with --delete"
printf '<h1>hello again</h1>\n' >"$SRC/index.html"
rm "$SRC/css/site.css"
./zcsync push -v --delete -c "$A" "$SRC" beta/site
diff -r "$SRC" "$DST" && echo "beta's copy equals alpha's"

say "what beta logged"
cat "$tmp/beta.log"
say "done: stopping the daemons"
