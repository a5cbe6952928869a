#!/bin/sh
# demo.sh: the README's first Quick start command.  Installs what is missing
# (Debian packages), builds zcsync, then runs the main job on the example
# configs: two daemons on loopback (alpha: etc/zcsync.yaml, beta:
# etc/zcsync-beta.yaml) that mirror each other's sets live, and a one-shot
# `zcsync push`, printing what happens.  Run as root on Debian 12: it
# writes under /srv/zcsync and /srv/zcsync-beta and uses ports 7400/7401.
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

SRC=/srv/zcsync/site DST=/srv/zcsync-beta/site
DIRS="$SRC /srv/zcsync/incoming $DST /srv/zcsync-beta/incoming"
# The demo starts from empty sets.  It empties them only if an earlier run
# of the demo made them (its marker beside them, outside every set root);
# anything else there is someone's data, left alone.
if [ -f /srv/zcsync/.zcsync-demo ]; then
	for d in $DIRS; do
		rm -rf "$d"
	done
else
	for d in $DIRS; do
		if [ -d "$d" ] && [ -n "$(ls -A "$d")" ]; then
			echo "demo: $d is not empty and not the demo's: move it away first" >&2
			exit 1
		fi
	done
fi
mkdir -p $DIRS
: >/srv/zcsync/.zcsync-demo
say "alpha's set \"site\" ($SRC) before the daemons start"
mkdir -p "$SRC/css" "$SRC/img"
printf '<h1>hello from alpha</h1>\n' >"$SRC/index.html"
printf 'body { color: #333 }\n' >"$SRC/css/site.css"
head -c 3000000 /dev/urandom >"$SRC/img/photo.jpg"
ln -sf index.html "$SRC/home.html"
ls -lR "$SRC" | sed 's/^/    /'

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
	echo "$1 is up (listening on port $(cat "$tmp/$1.port"))"
}
# Wait (at most 10 s) until beta's copy equals alpha's.
converge() {
	i=0
	while ! diff -r "$SRC" "$DST" >/dev/null 2>&1; do
		i=$((i + 1))
		if [ $i -gt 200 ]; then
			echo "demo: beta's copy did not converge:" >&2
			diff -r "$SRC" "$DST" >&2 || true
			exit 1
		fi
		sleep 0.05
	done
	echo "beta's copy equals alpha's ($1)"
}

say "starting beta, then alpha: alpha catches beta up, then mirrors live"
start beta "$B"
start alpha "$A"
converge "after the catch-up"

say "changing files on alpha while the daemons run"
printf '<h1>hello again</h1>\n' >"$SRC/index.html"
mkdir -p "$SRC/blog/2026" && printf 'first post\n' >"$SRC/blog/2026/first.html"
mv "$SRC/img" "$SRC/images"
chmod 600 "$SRC/css/site.css"
converge "within moments, with the move kept as a move"
ls -lR "$DST" | sed 's/^/    /'

say "a one-shot push (beta's \"incoming\" set lives on alpha): zcsync push"
mkdir -p "$tmp/report"
printf 'quarterly numbers\n' >"$tmp/report/q3.txt"
./zcsync push -v -c "$B" "$tmp/report" alpha/incoming
ls -l /srv/zcsync/incoming | sed 's/^/    /'

say "what the daemons logged"
cat "$tmp/alpha.log" "$tmp/beta.log"
say "done: stopping the daemons"
