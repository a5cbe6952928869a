#!/bin/sh
# check.sh: build if needed and run the whole test suite (`make check`:
# cmocka unit tests and integration scripts with real daemons), then the
# integration scripts again over TLS (ZC_TEST_TLS=1, see
# tests/integration/lib.sh), and print one line: "N passed, N failed,
# N skipped" over both runs.  The TLS run's results are named
# "tls:tests/integration/NNN-name".
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 99
if [ ! -f Makefile ]; then
	{ [ -x configure ] || autoreconf -fi; } && ./configure -q || exit 99
fi
make -s -j"$(nproc)" >/dev/null || { echo "check: build failed" >&2; exit 99; }

pass=0 fail=0 skip=0

# collect PREFIX: count and print the results in tests/**/*.trs, then
# remove them, so that the next run's results are its own.  A failure's
# log is shown here, before the next run overwrites it.
collect()
{
	for t in $(find tests -name '*.trs' | sort); do
		r=$(sed -n 's/^:test-result: //p' "$t" | head -n 1)
		name=${t%.trs}
		case $r in
		PASS|XFAIL) pass=$((pass + 1)); echo "PASS: $1$name" ;;
		SKIP) skip=$((skip + 1)); echo "SKIP: $1$name: $(grep -m1 -i 'skip' "$name.log" 2>/dev/null)" ;;
		*) fail=$((fail + 1)); echo "FAIL: $1$name ($r)"; tail -n 30 "$name.log" 2>/dev/null | sed 's/^/    /' ;;
		esac
		rm -f "$t"
	done
}

find tests -name '*.trs' -delete 2>/dev/null
make -s -j"$(nproc)" check >/dev/null 2>&1
status=$?
collect ""
if [ "$status" -ne 0 ] && [ "$fail" -eq 0 ]; then
	echo "check: make check failed outside the tests (exit $status)"
	fail=$((fail + 1))
fi

# The TLS run: every integration script that pushes or mirrors, except
# those that speak plain frames on purpose (05x, raw peers), those that
# test TLS already (06x) and the kTLS guest test (200).
tls_tests=$(sed -n 's/^INTEGRATION_TESTS += //p' tests/integration/list.am |
    grep -v -e '/05[0-9]-' -e '/06[0-9]-' -e '/200-' | tr '\n' ' ')
if ! ./zcsyncd --version 2>/dev/null | grep -q '+tls'; then
	skip=$((skip + 1))
	echo "SKIP: tls:tests/integration: zcsyncd is built without TLS"
elif [ -n "$tls_tests" ]; then
	before=$fail
	ZC_TEST_TLS=1 make -s -j"$(nproc)" check TESTS="$tls_tests" \
	    >/dev/null 2>&1
	status=$?
	collect "tls:"
	if [ "$status" -ne 0 ] && [ "$fail" -eq "$before" ]; then
		echo "check: make check (TLS) failed outside the tests (exit $status)"
		fail=$((fail + 1))
	fi
fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
