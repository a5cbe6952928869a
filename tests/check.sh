#!/bin/sh
# check.sh: build if needed and run the whole test suite (`make check`:
# cmocka unit tests and integration scripts with real daemons), then the
# integration scripts again over TLS (ZC_TEST_TLS=1, see
# tests/integration/lib.sh), then the whole suite again built with ASan
# and UBSan (./configure --enable-sanitizers, in build-asan/), then each
# libFuzzer target for FUZZ_SECONDS (default 60; `make fuzz`), and print
# one line: "N passed, N failed, N skipped" over all of it.  Results are
# named "tests/...", "tls:tests/...", "asan:tests/...", "asan-tls:tests/..."
# and "fuzz:proto"; the sanitizer run includes the TLS run.
# Last, the benchmarks' quick mode (bench/run-all --smoke: "bench:NAME").
# ZC_CHECK_ASAN=no leaves out the sanitizer run, FUZZ_SECONDS=0 only
# replays the fuzzers' corpora and ZC_CHECK_BENCH=no leaves out the
# benchmarks (for quick runs by hand, not for CI).
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

# The TLS run: the integration scripts that push, pull or mirror (0[1-4]x,
# 1xx, 4xx); not the raw peers speaking plain frames on purpose (05x), the
# tests of TLS itself (06x), faults (07x), the kTLS guest (2xx) or
# installation (3xx).
tls_tests=$(sed -n 's/^INTEGRATION_TESTS += //p' tests/integration/list.am |
    grep -E '/(0[1-4][0-9]|1[0-9][0-9]|4[0-9][0-9])-' | tr '\n' ' ')
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

# The sanitizer run.  A source tree configured in place cannot also be
# built out of tree (configure refuses), so build-asan/src is this tree's
# `make distdir` (which also checks that the distribution is complete) and
# build-asan/obj is configured from it with --enable-sanitizers.  The same
# `make check`, every report fatal: abort_on_error turns a leak at exit or
# any ASan report into SIGABRT, -fno-sanitize-recover does so for UBSan,
# and lib.sh's check_logs fails a test whose daemon log holds a report.
# The kTLS guest (200) is left to the plain run: it boots qemu for minutes.
asan_env="ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1"
asan_env="$asan_env UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1"
if [ "${ZC_CHECK_ASAN:-yes}" = no ]; then
	skip=$((skip + 1))
	echo "SKIP: asan:tests: ZC_CHECK_ASAN=no"
elif ! { mkdir -p build-asan &&
    make -s distdir distdir=build-asan/src >/dev/null 2>&1; }; then
	fail=$((fail + 1))
	echo "FAIL: asan:tests: make distdir failed (is a file missing from EXTRA_DIST?)"
elif ! (mkdir -p build-asan/obj && cd build-asan/obj &&
    { [ -f Makefile ] ||
    ../src/configure -q --enable-sanitizers >configure.out 2>&1; } &&
    make -s -j"$(nproc)" >make.out 2>&1); then
	fail=$((fail + 1))
	echo "FAIL: asan:tests: the sanitizer build failed (build-asan/obj)"
	tail -n 20 build-asan/obj/configure.out build-asan/obj/make.out \
	    2>/dev/null | sed 's/^/    /'
else
	before=$fail
	cd build-asan/obj || exit 99
	find tests -name '*.trs' -delete 2>/dev/null
	asan_tests=$(printf 'zc-print-tests:\n\t@echo $(TESTS)\n' |
	    make -s -f Makefile -f - zc-print-tests | tr ' ' '\n' |
	    grep -v '/200-ktls-vm' | tr '\n' ' ')
	env $asan_env make -s -j"$(nproc)" check TESTS="$asan_tests" \
	    >/dev/null 2>&1
	status=$?
	collect "asan:"
	skip=$((skip + 1))
	echo "SKIP: asan:tests/integration/200-ktls-vm: the kTLS guest runs in the plain build only"
	if [ "$status" -ne 0 ] && [ "$fail" -eq "$before" ]; then
		echo "check: make check (ASan) failed outside the tests (exit $status)"
		fail=$((fail + 1))
	fi
	# And the TLS run, as above: most of OpenSSL's use is only there.
	if [ -n "$tls_tests" ] && ./zcsyncd --version 2>/dev/null |
	    grep -q '+tls'; then
		before=$fail
		env $asan_env ZC_TEST_TLS=1 make -s -j"$(nproc)" check \
		    TESTS="$tls_tests" >/dev/null 2>&1
		status=$?
		collect "asan-tls:"
		if [ "$status" -ne 0 ] && [ "$fail" -eq "$before" ]; then
			echo "check: make check (ASan, TLS) failed outside the tests (exit $status)"
			fail=$((fail + 1))
		fi
	fi
	cd "$top" || exit 99
fi

# The fuzzers (`make fuzz`, fuzz/run.sh), as many at once as there are
# CPUs: each runs FUZZ_SECONDS, and any crash, leak or timeout fails.
if ! grep -q '^HAVE_FUZZ = yes' Makefile; then
	skip=$((skip + 1))
	echo "SKIP: fuzz: no clang with libFuzzer (install clang and libclang-rt-14-dev, then configure again)"
else
	rm -f fuzz/work/*.trs
	make -s -j"$(nproc)" fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-60}" \
	    >fuzz-check.out 2>&1
	status=$?
	before=$fail
	for t in $(sed -n 's/^FUZZ_TARGETS = //p' Makefile); do
		r=$(sed -n 's/^:test-result: //p' "fuzz/work/$t.trs" 2>/dev/null)
		if [ "$r" = PASS ]; then
			pass=$((pass + 1))
		else
			fail=$((fail + 1))
			[ -n "$r" ] ||
			    echo "FAIL: fuzz:$t (no result: did it build? see below)"
		fi
	done
	# run.sh check prints the PASS and FAIL lines, with the crashes.
	grep -E '^(PASS|FAIL|    )' fuzz-check.out
	if [ "$status" -ne 0 ]; then
		echo "check: make fuzz failed (exit $status):"
		tail -n 20 fuzz-check.out | sed 's/^/    /'
		[ "$fail" -ne "$before" ] || fail=$((fail + 1))
	fi
	rm -f fuzz-check.out
fi
# The benchmark suite's quick mode (bench/run-all --smoke): that every
# benchmark still runs end to end, not how fast (no timing is judged).  It
# needs the reference harness in ../shared/bench; ZC_CHECK_BENCH=no leaves
# it out.
shared_bench=${ZC_SHARED:-$top/../shared}/bench
if [ "${ZC_CHECK_BENCH:-yes}" = no ]; then
	skip=$((skip + 1))
	echo "SKIP: bench: ZC_CHECK_BENCH=no"
elif [ ! -f "$shared_bench/push-bench.sh" ]; then
	skip=$((skip + 1))
	echo "SKIP: bench: no reference harness in $shared_bench"
else
	bench/run-all --smoke >bench-check.out 2>&1
	pass=$((pass + $(grep -c '^PASS: ' bench-check.out)))
	fail=$((fail + $(grep -c '^FAIL: ' bench-check.out)))
	grep -E '^(PASS|FAIL|    )' bench-check.out
	rm -f bench-check.out
fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
