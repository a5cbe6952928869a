#!/bin/bash
# run-tls.sh - encryption: zcsync push over TLS 1.3 side by side with zcsync
# plain, rsync -a over ssh to a private loopback sshd, and the raw TLS ceiling,
# all on a 2 GiB file, in one run (issue 5, "Measured").
#
# usage: bench/run-tls.sh [--smoke]
#   --smoke: a 64 MiB file, one run of each row, no profile: checks the
#   harness end to end (~1 min).
#
# Rows, round-robin in one table (push-bench.sh; "vs" ratios are taken run by
# run against the first row, rsync over ssh with aes128-gcm):
#   rsync_ssh_aes128gcm  rsync -a -e 'ssh -c aes128-gcm@openssh.com' SRC/ root@127.0.0.1:DST/
#   rsync_ssh_default    the same with ssh's default cipher (chacha20-poly1305)
#   zcsync_tls           zcsync push to the peer by name: mutual TLS 1.3 with
#                        pinned identities (zcsync keygen); no kTLS on this
#                        kernel, so the user-space fallback (read + SSL_write,
#                        SSL_read + write); an untimed `zcsync push -v` first
#                        must name the path (the sender reports it)
#   zcsync_plain         zcsync push to 127.0.0.1:PORT/SET: plain TCP,
#                        sendfile/splice (zero copy)
#   ceiling_tls_aes128   zcprobe pair -s tls -r tls -c TLS_AES_128_GCM_SHA256:
#                        one TLS 1.3 connection, read()+SSL_write() to
#                        SSL_read()+write(), 256 KiB buffers, no protocol
#   ceiling_plain_rw     zcprobe pair -s rw -r rw (the plain socket ceiling)
# Both zcsyncd receivers use fsync: false (rsync never fsyncs).  CPU: the
# client's process tree (rsync + ssh; zcsync) and the receiving side (the
# sshd tree with its rsync; zcsyncd), from push-bench.sh / benchrun; the
# probe runs both ends in one process tree, so its CPU is both sides.
# Before the table: `openssl speed -evp` AES-128-GCM and ChaCha20-Poly1305 on
# one core (16 KiB blocks, 3 x 3 s, median), as the harness's run-tls.sh.
# After it (ZCB_PROFILE=0 skips): perf (cpu-clock) of zcsyncd and of the
# zcsync client during one TLS push, and strace -c of both.
#
# The reference harness (../shared/bench, read-only) is copied to
# $ZCB_ROOT/harness and built there; zcsync is built from this checkout into
# $ZCB_ROOT/build unless ZCSYNC_BIN_DIR names a directory with zcsync and
# zcsyncd.  Run as root (loop device target, sshd); needs openssh-server.
#
# Env: ZC_SHARED (default <repo>/../shared), ZCB_ROOT (default
#      /tmp/zcbench-tls), ZCB_RESULTS (default $ZCB_ROOT/results/<date>),
#      RUNS (default 3), ZCSYNC_BIN_DIR, ZCB_TARGET (ext4img | plain | tmpfs),
#      ZCB_PROFILE=0.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
smoke=
for a in "$@"; do
	case $a in
	--smoke) smoke=1 ;;
	-h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
	*) echo "run-tls.sh: unknown argument: $a" >&2; sed -n '4,7p' "$0" >&2; exit 2 ;;
	esac
done
[ "$(id -u)" = 0 ] || { echo "run-tls.sh: run as root (loop devices, sshd)" >&2; exit 1; }
[ -x /usr/sbin/sshd ] || { echo "run-tls.sh: sshd missing: apt-get install -y openssh-server" >&2; exit 1; }
command -v rsync >/dev/null || { echo "run-tls.sh: rsync missing: apt-get install -y rsync" >&2; exit 1; }
shared=${ZC_SHARED:-$repo/../shared}/bench
[ -f "$shared/push-bench.sh" ] || { echo "run-tls.sh: no harness in $shared (set ZC_SHARED)" >&2; exit 1; }
export ZCB_ROOT=${ZCB_ROOT:-/tmp/zcbench-tls}
export RUNS=${RUNS:-3}
[ -n "$smoke" ] && RUNS=1 ZCB_PROFILE=0
export ZCB_RESULTS=${ZCB_RESULTS:-$ZCB_ROOT/results/$(date +%Y%m%d-%H%M%S)${smoke:+-smoke}}
mkdir -p "$ZCB_ROOT"

. "$repo/bench/lib.sh"
bench_harness
bench_zcsync

. "$H/lib.sh"
trap bench_exit EXIT
need_bins
P=$BIN/zcprobe
S=$ZCB_RESULTS/summary.txt

# The workload: the harness's 2 GiB file, or 64 MiB for --smoke.
WL=big
if [ -n "$smoke" ]; then
	WL=tiny
	if [ ! -f "$ZCB_SRC/.tiny.complete" ]; then
		rm -rf "$ZCB_SRC/tiny"
		mkdir -p "$ZCB_SRC/tiny"
		"$BIN/zcgen" file "$ZCB_SRC/tiny/tiny.bin" 67108864 47
		touch -d @1704067200 "$ZCB_SRC/tiny"
		: >"$ZCB_SRC/.tiny.complete"
	fi
else
	need_workload big
fi

bench_target_fresh
mkdir -p "$ZCB_DST/$WL"

log "run-tls.sh $(date -u +%Y-%m-%dT%H:%MZ): $(machine_line)"
{
	echo "target: $(target_desc); source: $(stat -f -c %T "$ZCB_SRC") on $(df --output=source "$ZCB_SRC" | tail -1)"
	echo "zcsync: $("$ZCSYNCD" --version 2>&1 | head -1), checkout $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$repo" status --porcelain 2>/dev/null | grep -q . && echo ' (with uncommitted changes)')"
	echo "$(openssl version); $(ssh -V 2>&1); $(rsync --version | head -1)"
	echo "kernel TLS: $(if [ -d /sys/module/tls ]; then echo 'tls module loaded'; elif modprobe -n tls 2>/dev/null; then echo 'tls module available, not loaded'; else echo 'no tls module'; fi)"
	echo "runs: $RUNS per row, warm cache; load before start: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee -a "$S"

# --- openssl speed, one process (one core), as the harness's run-tls.sh
log "openssl speed, one process, 16384-byte blocks"
for alg in aes-128-gcm chacha20-poly1305; do
	vals=()
	for i in 1 2 3; do
		v=$(openssl speed -elapsed -seconds "${smoke:+1}${smoke:-3}" -bytes 16384 -evp "$alg" 2>/dev/null | tail -1 |
			awk '{v=$NF; sub("k$","",v); printf "%.3f", v/1e6}')
		vals+=("$v")
	done
	sorted=($(printf '%s\n' "${vals[@]}" | sort -g))
	printf '  %-20s %s GB/s median (%s-%s)\n' "$alg" "${sorted[1]}" "${sorted[0]}" "${sorted[2]}" | tee -a "$S"
	printf 'openssl\t%s\tgbps_med=%s\tgbps_min=%s\tgbps_max=%s\n' "$alg" "${sorted[1]}" "${sorted[0]}" "${sorted[2]}" >>"$ZCB_RESULTS/results.tsv"
done

# --- identities and the two zcsyncd receivers
id=$ZCB_ROOT/id
rm -rf "$id"
mkdir -p "$id"
pin() { sed -n 's/^fingerprint: \(sha256:[0-9a-f]*\)$/\1/p' "$1"; }
"$ZCSYNC" keygen -o "$id/alpha" --name alpha >"$id/alpha.out"
"$ZCSYNC" keygen -o "$id/beta" --name beta >"$id/beta.out"
pin_a=$(pin "$id/alpha.out")
pin_b=$(pin "$id/beta.out")
[ -n "$pin_a" ] && [ -n "$pin_b" ] || { echo "run-tls.sh: zcsync keygen printed no fingerprint" >&2; exit 1; }

declare -A zpid zport
zcsyncd_start() { # name config
	bench_daemon "$ZCB_ROOT/zcsyncd-$1" "$ZCSYNCD" -c "$2"
	zpid[$1]=$bench_pid zport[$1]=$bench_port
	zcb_track "${zpid[$1]}"
}
mkdir -p "$ZCB_ROOT/zcsyncd-tls" "$ZCB_ROOT/zcsyncd-plain"
: >"$ZCB_ROOT/zcsyncd-tls/zcsyncd.log"
: >"$ZCB_ROOT/zcsyncd-plain/zcsyncd.log"
cat >"$ZCB_ROOT/zcsyncd-tls/zcsyncd.yaml" <<EOF
node:
  name: beta
  listen: "127.0.0.1:0"
  identity: {cert: "$id/beta/cert.pem", key: "$id/beta/key.pem"}
peers:
  - {name: alpha, fingerprint: "$pin_a"}
sets:
  - {name: $WL, path: "$ZCB_DST/$WL", accept_from: [alpha], fsync: false}
EOF
cat >"$ZCB_ROOT/zcsyncd-plain/zcsyncd.yaml" <<EOF
node: {name: beta, listen: "127.0.0.1:0"}
peers: [{name: alpha}]
sets:
  - {name: $WL, path: "$ZCB_DST/$WL", accept_from: [alpha], fsync: false}
EOF
zcsyncd_start tls "$ZCB_ROOT/zcsyncd-tls/zcsyncd.yaml"
zcsyncd_start plain "$ZCB_ROOT/zcsyncd-plain/zcsyncd.yaml"
cat >"$ZCB_ROOT/client-tls.yaml" <<EOF
node:
  name: alpha
  identity: {cert: "$id/alpha/cert.pem", key: "$id/alpha/key.pem"}
peers:
  - {name: beta, address: "127.0.0.1:${zport[tls]}", fingerprint: "$pin_b"}
EOF

# One push over TLS, untimed, to see which path is live.
rm -rf "${ZCB_DST:?}/$WL" && mkdir -p "$ZCB_DST/$WL"
"$ZCSYNC" push -v -c "$ZCB_ROOT/client-tls.yaml" "$ZCB_SRC/$WL" "beta/$WL" >"$ZCB_ROOT/check-push.out" 2>&1 ||
	{ echo "run-tls.sh: the TLS push failed:" >&2; tail -5 "$ZCB_ROOT/check-push.out" >&2; exit 1; }
# The client (the sending side) reports the path with -v; the receiving
# daemon logs the handshake.
tlsline=$(grep -h -m1 -E 'user-space TLS|kTLS' "$ZCB_ROOT/check-push.out" || true)
[ -n "$tlsline" ] || { echo "run-tls.sh: the push named no TLS path:" >&2; tail -5 "$ZCB_ROOT/check-push.out" >&2; exit 1; }
{
	echo "zcsync push -v (sender): ${tlsline#\# }"
	echo "zcsyncd (receiver): $(grep -h -m1 'TLS 1.3, certificate' "$ZCB_ROOT/zcsyncd-tls/zcsyncd.log" | sed 's/^.* info: //')"
} | tee -a "$S"
tls_path=user-space
echo "$tlsline" | grep -q 'user-space TLS' || tls_path=kTLS

# --- the private sshd, as the harness's run-tls.sh starts it
s=$ZCB_ROOT/ssh
mkdir -p "$s" /run/sshd
chmod 700 "$s"
[ -f "$s/host_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -f "$s/host_ed25519"
[ -f "$s/client_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -f "$s/client_ed25519"
cp "$s/client_ed25519.pub" "$s/authorized_keys"
sport=$(free_port)
cat >"$s/sshd_config" <<CONF
Port $sport
ListenAddress 127.0.0.1
HostKey $s/host_ed25519
PidFile $s/sshd.pid
AuthorizedKeysFile $s/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PrintMotd no
UseDNS no
CONF
/usr/sbin/sshd -D -e -f "$s/sshd_config" 2>"$s/sshd.log" &
spid=$!
zcb_track "$spid"
wait_port "$sport"
SSH="ssh -p $sport -i $s/client_ed25519 -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR"
$SSH root@127.0.0.1 true || { echo "run-tls.sh: ssh login failed; see $s/sshd.log" >&2; exit 1; }
echo "ssh: sshd on 127.0.0.1:<port>, default cipher: $($SSH -G root@127.0.0.1 | awk '/^ciphers/ {print $2}' | cut -d, -f1)" | tee -a "$S"

# --- the table
tlscert=$ZCB_ROOT/tls
mkdir -p "$tlscert"
[ -f "$tlscert/cert.pem" ] || openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-keyout "$tlscert/key.pem" -out "$tlscert/cert.pem" -days 30 -subj /CN=zcbench >/dev/null 2>&1
q_zc=$(printf %q "$ZCSYNC")
q_p=$(printf %q "$P")
c_rs_aes="rsync_ssh_aes128gcm=rsync -a -e '$SSH -c aes128-gcm@openssh.com' \"\$SRC_W/\" root@127.0.0.1:\"\$DST_W/\""
c_rs_def="rsync_ssh_default=rsync -a -e '$SSH' \"\$SRC_W/\" root@127.0.0.1:\"\$DST_W/\""
c_zc_tls='zcsync_tls='$q_zc' push -q -c '$(printf %q "$ZCB_ROOT/client-tls.yaml")' "$SRC_W" beta/"$WL"'
c_zc_plain='zcsync_plain='$q_zc' push -q --name alpha "$SRC_W" 127.0.0.1:'${zport[plain]}'/"$WL"'
c_ceil_tls='ceiling_tls_aes128='$q_p' pair -s tls -r tls -C '$tlscert'/cert.pem -K '$tlscert'/key.pem -c TLS_AES_128_GCM_SHA256 "$SRC_W" "$DST_W"'
c_ceil_rw='ceiling_plain_rw='$q_p' pair -s rw -r rw "$SRC_W" "$DST_W"'
echo "daemons: sshd (per-connection children reaped: its CPU is the receiving ssh + rsync), zcsyncd TLS, zcsyncd plain; srv cpu = their sum" | tee -a "$S"
"$H/push-bench.sh" -n "$RUNS" -p "$spid" -p "${zpid[tls]}" -p "${zpid[plain]}" -T "tls $WL" "$WL" \
	"$c_rs_aes" "$c_rs_def" "$c_zc_tls" "$c_zc_plain" "$c_ceil_tls" "$c_ceil_rw"

# --- where zcsync's TLS time goes
profile() {
	local out=$ZCB_RESULTS/profile pp cp
	mkdir -p "$out"
	export SRC_W=$ZCB_SRC/$WL DST_W=$ZCB_DST/$WL
	clear_dst() { rm -rf "$DST_W" && mkdir -p "$DST_W" && sync; }
	if command -v perf >/dev/null && perf stat -e task-clock true >/dev/null 2>&1; then
		clear_dst
		perf record -q -e cpu-clock -F 999 -g -p "${zpid[tls]}" -o "$out/perf-zcsyncd.data" >/dev/null 2>&1 &
		pp=$!
		sleep 0.5
		perf record -q -e cpu-clock -F 999 -g -o "$out/perf-client.data" -- \
			"$ZCSYNC" push -q -c "$ZCB_ROOT/client-tls.yaml" "$SRC_W" "beta/$WL" >/dev/null 2>&1 || true
		kill -INT "$pp" 2>/dev/null || true
		wait "$pp" 2>/dev/null || true
		for side in zcsyncd client; do
			perf report -i "$out/perf-$side.data" --stdio --no-children --sort dso 2>/dev/null |
				grep -E '^ +[0-9.]+%' | head -6 >"$out/perf-$side-dso.txt" || true
			perf report -i "$out/perf-$side.data" --stdio --no-children --sort sym 2>/dev/null |
				grep -E '^ +[0-9.]+%' | head -15 >"$out/perf-$side-sym.txt" || true
			{
				echo "  perf (cpu-clock) of $side during one TLS push, self time by object:"
				sed 's/^/    /' "$out/perf-$side-dso.txt"
				echo "  top symbols:"
				sed 's/^/    /' "$out/perf-$side-sym.txt"
			} | tee -a "$S"
		done
	fi
	if command -v strace >/dev/null; then
		clear_dst
		strace -c -f -S calls -o "$out/strace-zcsyncd.txt" -p "${zpid[tls]}" 2>/dev/null &
		pp=$!
		sleep 0.5
		strace -c -f -S calls -o "$out/strace-client.txt" \
			"$ZCSYNC" push -q -c "$ZCB_ROOT/client-tls.yaml" "$SRC_W" "beta/$WL" >/dev/null 2>&1 || true
		kill -INT "$pp" 2>/dev/null || true
		wait "$pp" 2>/dev/null || true
		for side in zcsyncd client; do
			{
				echo "  strace -c -f, $side, one TLS push (top 8 by calls):"
				sed -n '1,10p' "$out/strace-$side.txt" | sed 's/^/    /'
			} | tee -a "$S"
		done
	fi
}
[ "${ZCB_PROFILE:-1}" = 0 ] || profile

# --- the targets, from this run's lines in results.tsv
tsv=$ZCB_RESULTS/results.tsv
{
	echo
	echo "targets (zcsync TLS path in this run: $tls_path):"
	awk -F'\t' -v tag="tls $WL" '$1 == tag {
		for (i = 3; i <= NF; i++) { split($i, kv, "="); v[$2, kv[1]] = kv[2] }
	} END {
		z = "zcsync_tls"; r = "rsync_ssh_aes128gcm"; c = "ceiling_tls_aes128"
		sp = v[r, "wall_med"] / v[z, "wall_med"]
		printf "  %-58s %s (%.2fx: %.3f s vs %.3f s)\n", "zcsync_tls >= 2x faster than rsync over ssh (aes128-gcm):", (sp >= 2 ? "met" : "NOT met"), sp, v[z, "wall_med"], v[r, "wall_med"]
		gap = v[z, "wall_med"] / v[c, "wall_med"] - 1
		printf "  %-58s %s (%+.0f%%: %.3f s vs %.3f s)\n", "zcsync_tls within 15% of the raw TLS ceiling:", (gap <= 0.15 ? "met" : "NOT met"), gap * 100, v[z, "wall_med"], v[c, "wall_med"]
		printf "  %-58s %s (%.2f vs %.2f CPU s)\n", "less CPU than rsync + ssh, sending side:", (v[z, "cpu_med"] < v[r, "cpu_med"] ? "met" : "NOT met"), v[z, "cpu_med"], v[r, "cpu_med"]
		printf "  %-58s %s (%.2f vs %.2f CPU s)\n", "less CPU than rsync + ssh, receiving side:", (v[z, "srv_cpu_med"] < v[r, "srv_cpu_med"] ? "met" : "NOT met"), v[z, "srv_cpu_med"], v[r, "srv_cpu_med"]
		printf "  %-58s %.2f s (TLS costs %.2fx the plain push)\n", "zcsync plain, for reference:", v["zcsync_plain", "wall_med"], v[z, "wall_med"] / v["zcsync_plain", "wall_med"]
	}' "$tsv"
} | tee -a "$S"
echo
echo "run-tls.sh: done; summary in $S, per-run log lines in $ZCB_RESULTS/results.tsv"
