#!/bin/sh
# fuzz/run.sh: run one libFuzzer target, or report on those run (`make fuzz`).
#
#   run.sh run TARGET SECONDS SRCDIR
#	Run fuzz/fuzz-TARGET for SECONDS (0: only replay the corpora) on
#	fuzz/work/TARGET/corpus, where the inputs it finds are kept between
#	runs, and the seeds in SRCDIR/fuzz/corpus/TARGET, which it only
#	reads.  The log goes to fuzz/work/TARGET.log, the result to
#	fuzz/work/TARGET.trs (":test-result: PASS" or FAIL, as automake's),
#	and a crashing input to fuzz/work/TARGET/crash-*.  Exits 0 whatever
#	the fuzzer found, so that make runs every target.
#   run.sh check TARGET...
#	Print one line per target, "PASS: fuzz:proto (...)" or "FAIL: ...",
#	with the end of the log of a failure; exit 1 if any did not pass.
set -u

run()
{
	t=$1 secs=$2 srcdir=$3
	w=fuzz/work/$t
	bin=fuzz/fuzz-$t
	rm -f "$w.trs" "$w.log"
	rm -rf "$w/tmp"
	mkdir -p "$w/corpus" "$w/tmp" || exit 99
	set -- -max_len=8192 -timeout=25 -rss_limit_mb=2048 \
	    -print_final_stats=1 -artifact_prefix="$w/"
	if [ -f "$srcdir/fuzz/$t.dict" ]; then
		set -- "$@" -dict="$srcdir/fuzz/$t.dict"
	fi
	if [ "$secs" -gt 0 ]; then
		set -- "$@" -max_total_time="$secs"
	else
		set -- "$@" -runs=0
	fi
	# The fixtures the targets make go to $TMPDIR; a hang that
	# -timeout misses is ended by timeout(1).
	start=$(date +%s)
	TMPDIR=$PWD/$w/tmp UBSAN_OPTIONS=print_stacktrace=1 \
	    timeout -k 10 $((secs + 300)) "$bin" "$@" "$w/corpus" \
	    "$srcdir/fuzz/corpus/$t" >"$w.log" 2>&1
	rc=$?
	end=$(date +%s)
	rm -rf "$w/tmp"
	runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$w.log" | tail -n 1)
	if [ "$rc" -eq 0 ] && [ -n "$runs" ]; then
		res=PASS
	else
		res=FAIL
	fi
	{
		echo ":test-result: $res"
		echo ":exit-status: $rc"
		echo ":runs: ${runs:-0}"
		echo ":seconds: $((end - start))"
		echo ":corpus: $(ls "$w/corpus" | wc -l)"
	} >"$w.trs"
}

check()
{
	bad=0
	for t in "$@"; do
		w=fuzz/work/$t
		r=$(sed -n 's/^:test-result: //p' "$w.trs" 2>/dev/null)
		info="$(sed -n 's/^:runs: //p' "$w.trs" 2>/dev/null) runs in"
		info="$info $(sed -n 's/^:seconds: //p' "$w.trs" 2>/dev/null) s,"
		info="$info corpus $(sed -n 's/^:corpus: //p' "$w.trs" 2>/dev/null)"
		if [ "$r" = PASS ]; then
			echo "PASS: fuzz:$t ($info)"
			continue
		fi
		bad=1
		echo "FAIL: fuzz:$t (exit $(sed -n 's/^:exit-status: //p' \
		    "$w.trs" 2>/dev/null); see $w.log)"
		for c in "$w"/crash-* "$w"/leak-* "$w"/timeout-* "$w"/oom-*; do
			[ -f "$c" ] && echo "    input: $c"
		done
		grep -E -A 12 'ERROR: |runtime error|fuzz-[a-z]+: ' "$w.log" \
		    2>/dev/null | head -n 40 | sed 's/^/    /'
	done
	return $bad
}

case ${1:-} in
run)	shift; run "$@" ;;
check)	shift; check "$@" ;;
*)	echo "usage: $0 run TARGET SECONDS SRCDIR | check TARGET..." >&2
	exit 2 ;;
esac
