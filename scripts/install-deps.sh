#!/bin/sh
# install-deps.sh: install what zcsync needs to build, test and benchmark,
# from Debian's packages (Debian 12).  Installs only what is missing.
set -eu
# clang and libclang-rt-14-dev (libFuzzer and clang's sanitizer runtimes,
# only recommended by clang-14) build the fuzzers of `make fuzz`; gcc's
# own ASan and UBSan runtimes, for --enable-sanitizers, come with gcc.
# lsyncd and openssh-server are contenders in bench/ (run-live.sh,
# run-tls.sh), whose quick mode tests/check.sh runs.
pkgs="build-essential autoconf automake pkg-config libuv1-dev libyaml-dev
libcmocka-dev libssl-dev libsystemd-dev libxxhash-dev rsync iproute2
procps psmisc attr acl clang libclang-rt-14-dev nftables strace python3 openssl
curl systemd util-linux lsyncd openssh-server"
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing:$missing (run as root to install them)" >&2
	exit 1
fi
echo "install-deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
