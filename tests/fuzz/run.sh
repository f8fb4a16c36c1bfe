#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Run each libFuzzer harness given for FUZZ_RUNS inputs from its seed corpus; summary at the end.
# Usage: tests/fuzz/run.sh build/fuzz/fuzz_NAME ...   (FUZZ_RUNS, default 1000000)
# A harness's "// fuzz-corpus: DIR" lines name seed directories, "// fuzz-flags: -opt=v" lines
# extra libFuzzer options.
runs=${FUZZ_RUNS:-1000000}
build=$(dirname "$1")
total=0
crashed=0
failed_names=""
mkdir -p "$build/crashes"

for bin in "$@"; do
	name=$(basename "$bin")
	src="tests/fuzz/$name.c"
	work="$build/corpus/$name"
	log="$build/$name.log"
	mkdir -p "$work"
	# Seeds are read, never written: new inputs go to the work directory under build/.
	seeds=$(sed -n 's|^// fuzz-corpus:||p' "$src" 2>/dev/null)
	flags=$(sed -n 's|^// fuzz-flags:||p' "$src" 2>/dev/null)
	t0=$(date +%s.%N)
	"$bin" -runs="$runs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$build/crashes/$name-" $flags "$work" $seeds >"$log" 2>&1
	rc=$?
	secs=$(echo "$(date +%s.%N) $t0" | awk '{ printf "%.1f", $1 - $2 }')
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	corpus=$(ls "$work" | wc -l)
	total=$((total + 1))
	if [ "$rc" -ne 0 ]; then
		crashed=$((crashed + 1))
		failed_names="$failed_names $name"
		echo "fuzz $name: FAILED after ${execs:-?} execs (exit $rc), see $log"
		grep -m1 -E "ERROR: (AddressSanitizer|libFuzzer|UndefinedBehavior)|runtime error" "$log"
		grep -m1 "Test unit written to" "$log"
	else
		echo "fuzz $name: ${execs:-?} execs in ${secs}s, corpus $corpus inputs"
	fi
done

echo "fuzz: $total harnesses, $((total - crashed)) clean, $crashed crashed${failed_names:+ (}${failed_names# }${failed_names:+)}"
[ "$crashed" -eq 0 ]
