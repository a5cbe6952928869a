#!/bin/sh
# check.sh: build if needed and run the whole test suite (`make check`:
# cmocka unit tests and integration scripts with real daemons), then print
# one line: "N passed, N failed, N skipped".
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 99
if [ ! -f Makefile ]; then
	{ [ -x configure ] || autoreconf -fi; } && ./configure -q || exit 99
fi
make -s -j"$(nproc)" >/dev/null || { echo "check: build failed" >&2; exit 99; }
find tests -name '*.trs' -delete 2>/dev/null
make -s -j"$(nproc)" check >/dev/null 2>&1
status=$?
pass=0 fail=0 skip=0
for t in $(find tests -name '*.trs' | sort); do
	r=$(sed -n 's/^:test-result: //p' "$t" | head -n 1)
	name=${t%.trs}
	case $r in
	PASS|XFAIL) pass=$((pass + 1)); echo "PASS: $name" ;;
	SKIP) skip=$((skip + 1)); echo "SKIP: $name: $(grep -m1 -i 'skip' "$name.log" 2>/dev/null)" ;;
	*) fail=$((fail + 1)); echo "FAIL: $name ($r)"; tail -n 30 "$name.log" 2>/dev/null | sed 's/^/    /' ;;
	esac
done
if [ "$status" -ne 0 ] && [ "$fail" -eq 0 ]; then
	echo "check: make check failed outside the tests (exit $status)"
	fail=$((fail + 1))
fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
