#!/bin/sh
# 200-ktls-vm: zero copy under encryption.  This machine's kernel has no
# kernel TLS; ../shared/ktls-vm boots a small guest that has it (qemu,
# about 30-60 s) and ktls-guest.sh runs two real daemons in it: the body
# must leave by SSL_sendfile over kTLS and arrive intact.  Skips (77) where
# the VM harness, qemu or root are not to be had.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
vm=${ZC_KTLS_VM:-$top_srcdir/../shared/ktls-vm/run-ktls-vm.sh}
if [ ! -x "$vm" ] && [ ! -f "$vm" ]; then
	echo "SKIP: no kTLS VM harness at $vm"
	exit 77
fi
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: the kTLS VM needs root"
	exit 77
fi
if ! "$top_builddir/zcsyncd" --version | grep -q '+ktls'; then
	echo "SKIP: built without kTLS support"
	exit 77
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/zcsync-200-ktls.XXXXXX")
trap 'rm -rf "$work"' EXIT
out=$work/vm.log
KTLS_VM_MIB=8 KTLS_VM_TLS12=0 KTLS_VM_OUT=$work \
    KTLS_VM_CMD="sh $top_srcdir/tests/integration/ktls-guest.sh $top_builddir $work/guest" \
    timeout 400 bash "$vm" >"$out" 2>&1
rc=$?
cat "$out"
if grep -q 'ktls-guest: PASS' "$out" && [ $rc = 0 ]; then
	echo "PASS: 200-ktls-vm"
	exit 0
fi
if grep -q 'ktls-guest: FAIL' "$out"; then
	echo "FAIL: 200-ktls-vm: the guest run failed"
	exit 1
fi
# The harness itself could not run (download, qemu, boot): not our failure.
if ! grep -q 'KTLS_VM_BOOTED' "$out"; then
	echo "SKIP: the kTLS VM did not boot here (rc $rc)"
	exit 77
fi
echo "FAIL: 200-ktls-vm: rc $rc"
exit 1
