[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 400-status-metrics: `zcsync status [--json]`, `zcsync metrics`, the
# HTTP metrics endpoint and `zcsync sync`, against two daemons doing a real
# live mirror (alpha -> beta), each with its own control socket.  The
# numbers they show must be the files and bytes this test made; a killed
# receiver must show as backing-off with a retry time and the last error;
# malformed, oversized and silent control clients get an error (or the
# timeout) and the daemon serves the next one.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null 2>&1 || skip "needs python3 (JSON, socket client)"

src=$T/src
dst=$T/dst
stage=$T/stage
mkdir -p "$src/d" "$dst" "$stage"

# Bugs are collected and reported at the end, so that one finding does
# not hide the checks after it.
BUGS=()
bug()
{
	echo "# BUG: $*"
	BUGS+=("$*")
}

# Three files before the daemons start (the first catch-up sends them).
echo "top file" >"$src/top.txt"
gen_file "$src/d/random.bin" 100000 4
: >"$src/d/empty"

cat >"$T/beta.yaml" <<EOF
node:
  name: beta
  listen: "127.0.0.1:0"
  control: $T/run-beta/beta.sock
peers:
  - name: alpha
sets:
  - name: site
    path: $dst
    accept_from: [alpha]
    fsync: false
EOF
# The control socket's directory does not exist: the daemon makes it
# (0750), as it makes /run/zcsync outside systemd.
[ ! -e "$T/run-beta" ] || hard_error "$T/run-beta exists"
start_daemon beta "$T/beta.yaml"
[ -S "$T/run-beta/beta.sock" ] || fail "no control socket in the directory the daemon was to make"
[ "$(stat -c %a "$T/run-beta")" = 750 ] || fail "the control directory is not 0750"

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
EOF
start_node alpha "$T/alpha.yaml"
wait_log alpha 'peer=beta set=site: in sync; mirroring live' 10

# Changes while live.  Each file is written outside the tree and renamed
# in, so that each is one event and is sent exactly once.
mkdir "$src/new"
for i in 1 2 3 4 5; do
	gen_file "$stage/f$i" $((i * 1000 + 7)) "$((10 + i))"
	mv "$stage/f$i" "$src/d/f$i"
done
printf 'in a new directory\n' >"$stage/g"
mv "$stage/g" "$src/new/g"
wait_tree_equal "$src" "$dst" 15

files=$(find "$src" -type f -printf . | wc -c)
bytes=$(find "$src" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
log "made $files files, $bytes bytes"
[ "$files" = 9 ] || hard_error "expected 9 files in $src, found $files"

# ---- alpha: status --json (the counts can trail the landing a little).
status_json()
{
	ctl status --json -c "$T/alpha.yaml" && [ "$CTL_RC" = 0 ] &&
	    cp "$T/ctl.out" "$T/alpha.json"
}
sent_files()
{
	status_json &&
	    [ "$(json_get "$T/alpha.json" 'd["sets"][0]["peers"][0]["files_sent"]')" = "$files" ]
}
wait_for -t 10 sent_files ||
    fail "status --json: files_sent is not $files: $(cat "$T/alpha.json" "$T/ctl.err")"
json_get "$T/alpha.json" 'd' >/dev/null ||
    fail "status --json is not valid JSON: $(head -c 500 "$T/alpha.json")"
j()
{
	json_get "$T/alpha.json" "$1" || fail "status --json: no $1"
}
[ "$(j 'd["node"]')" = alpha ] || fail "status --json: node is not alpha"
[ "$(j 'len(d["sets"])')" = 1 ] || fail "status --json: not one set"
[ "$(j 'd["sets"][0]["name"]')" = site ] || fail "status --json: set name"
[ "$(j 'd["sets"][0]["path"]')" = "$src" ] || fail "status --json: set path"
[ "$(j 'd["sets"][0]["state"]')" = mirroring ] ||
    fail "status --json: set state $(j 'd["sets"][0]["state"]')"
[ "$(j 'd["sets"][0]["watched_dirs"]')" = 3 ] ||
    fail "status --json: watched_dirs $(j 'd["sets"][0]["watched_dirs"]'), expected 3"
[ "$(j 'len(d["sets"][0]["peers"])')" = 1 ] || fail "status --json: not one peer"
[ "$(j 'd["sets"][0]["peers"][0]["peer"]')" = beta ] ||
    fail "status --json: peer name"
[ "$(j 'd["sets"][0]["peers"][0]["state"]')" = live ] ||
    fail "status --json: state $(j 'd["sets"][0]["peers"][0]["state"]'), expected live"
[ "$(j 'd["sets"][0]["peers"][0]["bytes_sent"]')" = "$bytes" ] ||
    fail "status --json: bytes_sent $(j 'd["sets"][0]["peers"][0]["bytes_sent"]'), expected $bytes"
[ "$(j 'd["sets"][0]["peers"][0]["failures"]')" = 0 ] ||
    fail "status --json: failures"
[ "$(j 'd["sets"][0]["peers"][0]["queued"]')" = 0 ] ||
    fail "status --json: queued"
[ "$(j 'd["sets"][0]["peers"][0]["last_sync"] > 0')" = true ] ||
    fail "status --json: no last_sync"
datapath=$(j 'd["sets"][0]["peers"][0]["data_path"]')
log "data path: $datapath"
if [ "${ZC_TEST_TLS:-0}" = 1 ]; then
	[[ $datapath == *TLS* ]] || fail "status: data path '$datapath' over TLS"
else
	[[ $datapath == "plain TCP"* ]] ||
	    fail "status: data path '$datapath', expected plain TCP"
fi

# ---- alpha: status (text), the same numbers.
ctl_ok status -c "$T/alpha.yaml"
sed -e 's/^/#   status: /' "$T/ctl.out"
grep -qE "^set site +$src +mirroring\$" "$T/ctl.out" ||
    fail "status: no line 'set site $src mirroring'"
grep -qE '^ +PEER +STATE +QUEUED +FILES +BYTES +FAILED ' "$T/ctl.out" ||
    fail "status: no table header"
line=$(grep -E '^ +beta ' "$T/ctl.out")
[ -n "$line" ] || fail "status: no line for peer beta"
read -r p state queued nfiles nbytes nfailed rest <<<"$line"
[ "$state" = live ] || fail "status: beta is '$state', expected live"
[ "$queued" = 0 ] || fail "status: queued $queued"
[ "$nfiles" = "$files" ] || fail "status: $nfiles files sent, expected $files"
[ "$nbytes" = "$bytes" ] || fail "status: $nbytes bytes sent, expected $bytes"
[ "$nfailed" = 0 ] || fail "status: $nfailed failed"
[[ $line == *"$datapath"* ]] || fail "status: data path '$datapath' not shown"
# The same, through --socket.
ctl_ok status --socket "$T/alpha.sock"
grep -qE "^ +beta +live +0 +$files +$bytes +0 " "$T/ctl.out" ||
    fail "status --socket: not the same line: $(grep beta "$T/ctl.out")"

# ---- alpha: metrics, from the control socket and over HTTP.
ctl_ok metrics -c "$T/alpha.yaml"
cp "$T/ctl.out" "$T/alpha.prom"
prom_check "$T/alpha.prom"
expect_sample()
{
	grep -qxF -e "$2" "$1" ||
	    fail "$(basename "$1"): no line '$2': $(grep -F -e "${2%% *}" "$1" | head -n 3)"
}
expect_sample "$T/alpha.prom" "zcsync_sent_files_total{set=\"site\",peer=\"beta\"} $files"
expect_sample "$T/alpha.prom" "zcsync_sent_bytes_total{set=\"site\",peer=\"beta\"} $bytes"
expect_sample "$T/alpha.prom" "zcsync_send_errors_total{set=\"site\",peer=\"beta\"} 0"
expect_sample "$T/alpha.prom" "zcsync_link_state{set=\"site\",peer=\"beta\",state=\"live\"} 1"
expect_sample "$T/alpha.prom" "zcsync_inotify_watches{set=\"site\"} 3"

mport=$(metrics_port alpha)
log "metrics endpoint on port $mport"
http_get -i "http://127.0.0.1:$mport/metrics" >"$T/http.out" ||
    fail "GET /metrics failed"
head -n 1 "$T/http.out" | grep -qE '^HTTP/1\.[01] 200' ||
    fail "GET /metrics: $(head -n 1 "$T/http.out")"
grep -qiE '^content-type: text/plain; version=0\.0\.4' "$T/http.out" ||
    fail "GET /metrics: no text/plain; version=0.0.4 content type"
sed -e '1,/^\r\{0,1\}$/d' "$T/http.out" >"$T/http.prom"
prom_check "$T/http.prom"
expect_sample "$T/http.prom" "zcsync_sent_files_total{set=\"site\",peer=\"beta\"} $files"
expect_sample "$T/http.prom" "zcsync_sent_bytes_total{set=\"site\",peer=\"beta\"} $bytes"
if command -v curl >/dev/null 2>&1; then
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 \
	    "http://127.0.0.1:$mport/nothing-here" || true)
	[ "$code" = 404 ] || fail "GET /nothing-here: $code, expected 404"
fi

# ---- beta (the receiver): what it received.  While the live session
# runs, the text status shows it as "now receiving".
ctl_ok status -c "$T/beta.yaml"
sed -e 's/^/#   beta status: /' "$T/ctl.out"
grep -qE "now receiving: set site from alpha \(127\.0\.0\.1:[0-9]+\): $files files, $bytes bytes so far" \
    "$T/ctl.out" ||
    fail "beta status: no 'now receiving: set site from alpha (...): $files files, $bytes bytes so far'"
# The JSON status and the metrics of a receiver must count the live
# session too: a live session may last for months, and a receiver's
# scrape that shows nothing until the session ends is no use.
ctl_ok status --json -c "$T/beta.yaml"
cp "$T/ctl.out" "$T/beta.json"
json_get "$T/beta.json" d >/dev/null || fail "beta status --json is not JSON"
got=$(json_get "$T/beta.json" 'sum(r["files"] for r in d["received"] if r["set"] == "site" and r["peer"] == "alpha")')
[ "$got" = "$files" ] ||
    bug "receiver: status --json counts $got files received during the live session, expected $files (the 'received' list holds finished sessions only)"
ctl_ok metrics -c "$T/beta.yaml"
cp "$T/ctl.out" "$T/beta.prom"
prom_check "$T/beta.prom"
grep -qxF "zcsync_received_files_total{set=\"site\",peer=\"alpha\"} $files" "$T/beta.prom" ||
    bug "receiver: metrics have no 'zcsync_received_files_total{set=\"site\",peer=\"alpha\"} $files' during the live session (got: $(grep '^zcsync_received_files_total' "$T/beta.prom" | tr '\n' ' '))"

# ---- zcsync sync: the link catches up again; unknown sets are errors.
ctl_ok sync -c "$T/alpha.yaml" site
grep -qxF 'ok: 1 link catching up again' "$T/ctl.out" ||
    fail "sync site: '$(cat "$T/ctl.out")'"
wait_for -t 10 eval '[ "$(log_count alpha "peer=beta set=site: in sync; mirroring live")" -ge 2 ]' ||
    fail "alpha did not catch up again after zcsync sync"
ctl_ok sync --socket "$T/alpha.sock" site beta
grep -qxF 'ok: 1 link catching up again' "$T/ctl.out" ||
    fail "sync site beta: '$(cat "$T/ctl.out")'"
wait_for -t 10 eval '[ "$(log_count alpha "peer=beta set=site: in sync; mirroring live")" -ge 3 ]' ||
    fail "alpha did not catch up again after zcsync sync site beta"
ctl metrics -c "$T/alpha.yaml"
expect_sample "$T/ctl.out" "zcsync_link_resyncs_total{set=\"site\",peer=\"beta\"} 2"
# Nothing was sent again: the catch-ups found beta in sync.
expect_sample "$T/ctl.out" "zcsync_sent_files_total{set=\"site\",peer=\"beta\"} $files"
ctl sync -c "$T/alpha.yaml" nosuch
[ "$CTL_RC" = 1 ] || fail "sync nosuch: exit $CTL_RC, expected 1"
grep -qF 'error: no running mirror of set nosuch' "$T/ctl.err" ||
    fail "sync nosuch: '$(cat "$T/ctl.err")'"
ctl sync -c "$T/alpha.yaml" site gamma
[ "$CTL_RC" = 1 ] || fail "sync site gamma: exit $CTL_RC, expected 1"
grep -qF 'error: no running mirror of set site to peer gamma' "$T/ctl.err" ||
    fail "sync site gamma: '$(cat "$T/ctl.err")'"
ctl sync -c "$T/alpha.yaml"
[ "$CTL_RC" = 2 ] || fail "sync without a set: exit $CTL_RC, expected 2"

# The sessions that the two syncs ended are counted on beta now: the
# first one's files, and nothing more.
recv_files()
{
	ctl status --json -c "$T/beta.yaml" && cp "$T/ctl.out" "$T/beta.json" &&
	    [ "$(json_get "$T/beta.json" 'sum(r["files"] for r in d["received"] if r["set"] == "site" and r["peer"] == "alpha")')" = "$files" ]
}
wait_for -t 10 recv_files ||
    fail "beta status --json: received files not $files after the sessions ended: $(cat "$T/beta.json")"
[ "$(json_get "$T/beta.json" 'sum(r["bytes"] for r in d["received"] if r["set"] == "site")')" = "$bytes" ] ||
    fail "beta status --json: received bytes not $bytes: $(cat "$T/beta.json")"
ctl_ok metrics -c "$T/beta.yaml"
cp "$T/ctl.out" "$T/beta.prom"
prom_check "$T/beta.prom"
expect_sample "$T/beta.prom" "zcsync_received_files_total{set=\"site\",peer=\"alpha\"} $files"
expect_sample "$T/beta.prom" "zcsync_received_bytes_total{set=\"site\",peer=\"alpha\"} $bytes"
# An operator's `zcsync sync` ending a session is not an entry that failed.
rerr=$(json_get "$T/beta.json" 'sum(r["failures"] for r in d["received"] if r["set"] == "site")')
[ "$rerr" = 0 ] ||
    bug "receiver: $rerr receive failures counted after two 'zcsync sync' on the sender, though every entry landed ($(grep '^zcsync_receive_errors_total' "$T/beta.prom"); its HELP says 'Entries refused or failed here')"

# ---- Malformed, oversized and silent control clients.
printf 'bogus\n' | ctl_raw "$T/alpha.sock" >"$T/raw.out" ||
    fail "no reply to a bogus request"
grep -q '^error: unknown request' "$T/raw.out" ||
    fail "bogus request: '$(cat -v "$T/raw.out")'"
printf '\n' | ctl_raw "$T/alpha.sock" >"$T/raw.out" ||
    fail "no reply to an empty request"
grep -q '^error: ' "$T/raw.out" || fail "empty request: '$(cat -v "$T/raw.out")'"
printf '\0\377\376 status\n' | ctl_raw "$T/alpha.sock" >"$T/raw.out" ||
    fail "no reply to a binary request"
grep -q '^error: ' "$T/raw.out" || fail "binary request: '$(cat -v "$T/raw.out")'"
printf 'help\n' | ctl_raw "$T/alpha.sock" >"$T/raw.out" || fail "no help"
grep -q '^status' "$T/raw.out" || fail "help: '$(cat -v "$T/raw.out")'"
head -c 8192 /dev/zero | tr '\0' x | ctl_raw "$T/alpha.sock" >"$T/raw.out" ||
    fail "no reply to an oversized request"
grep -q '^error: request longer than' "$T/raw.out" ||
    fail "oversized request: '$(cat -v "$T/raw.out" | head -c 200)'"
daemon_alive alpha || fail "alpha died on malformed control requests"
# A client that connects and says nothing does not hold up the next one.
silent_client()
{
	rm -f "$T/silent.up"
	python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
open(sys.argv[2], "w").close()
time.sleep(20)
' "$T/alpha.sock" "$T/silent.up" &
	bg_track $!
	wait_for -t 10 test -e "$T/silent.up" ||
	    fail "a silent control client could not connect"
}
silent_client
ctl_ok status -c "$T/alpha.yaml"
grep -qE "^ +beta +live " "$T/ctl.out" || fail "status after bad requests"

# ---- The receiver dies: alpha backs off, and says why and when.
kill_daemon beta
backing_off()
{
	status_json &&
	    [ "$(json_get "$T/alpha.json" 'd["sets"][0]["peers"][0]["state"]')" = backing-off ] &&
	    [ "$(json_get "$T/alpha.json" 'd["sets"][0]["peers"][0]["retry_in_ms"] > 0')" = true ] &&
	    [ -n "$(json_get "$T/alpha.json" 'd["sets"][0]["peers"][0]["last_error"]')" ]
}
wait_for -t 10 backing_off ||
    fail "alpha's status does not show beta backing off: $(cat "$T/alpha.json")"
log "backing off: $(json_get "$T/alpha.json" 'd["sets"][0]["peers"][0]["last_error"]'), retry in $(json_get "$T/alpha.json" 'd["sets"][0]["peers"][0]["retry_in_ms"]') ms"
[ "$(json_get "$T/alpha.json" 'd["sets"][0]["peers"][0]["files_sent"]')" = "$files" ] ||
    fail "files_sent changed when beta died"
text_backing_off()
{
	ctl status -c "$T/alpha.yaml" &&
	    grep -qE "^ +beta +backing-off +[0-9]+ +$files +$bytes +0 .*; retry in [0-9]+ ms: .+" \
	    "$T/ctl.out"
}
wait_for -t 10 text_backing_off ||
    fail "status: no 'beta backing-off ... retry in N ms: ERROR' line: $(grep beta "$T/ctl.out")"
sed -e 's/^/#   status: /' "$T/ctl.out"
ctl_ok metrics -c "$T/alpha.yaml"
expect_sample "$T/ctl.out" "zcsync_link_state{set=\"site\",peer=\"beta\",state=\"backing_off\"} 1"
expect_sample "$T/ctl.out" "zcsync_link_state{set=\"site\",peer=\"beta\",state=\"live\"} 0"
# Asking for a catch-up with the peer down is accepted; the next dial does it.
ctl_ok sync -c "$T/alpha.yaml" site
grep -qxF 'ok: 1 link catching up again' "$T/ctl.out" ||
    fail "sync site with beta down: '$(cat "$T/ctl.out")'"

daemon_alive alpha || fail "alpha died"
# SIGTERM closes connections, control clients included: an idle one
# does not hold up the exit until its own 5 s timeout.
silent_client
t0=$EPOCHREALTIME
stop_daemon alpha
t1=$EPOCHREALTIME
ms=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%d", (b - a) * 1000 }')
log "alpha stopped in $ms ms with an idle control client connected"
[ "$ms" -lt 2000 ] ||
    bug "zcsyncd took $ms ms to exit on SIGTERM while an idle control client was connected (it waits for the client's 5 s timeout)"
[ "${DAEMON_RC[alpha]}" = 0 ] || fail "alpha exited ${DAEMON_RC[alpha]}"
[ ! -e "$T/alpha.sock" ] || fail "alpha left its control socket behind"
ctl status -c "$T/alpha.yaml"
[ "$CTL_RC" = 1 ] || fail "status without a daemon: exit $CTL_RC, expected 1"
check_logs
if [ "${#BUGS[@]}" -gt 0 ]; then
	fail "${#BUGS[@]} finding(s): $(printf '%s; ' "${BUGS[@]}")"
fi
exit 0
