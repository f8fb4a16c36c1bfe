#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Runs the test suites (unit binaries, then end-to-end scripts) and adds up their closing lines.
#   tests/run.sh [all|unit|e2e]    (default all)
set -u
cd "$(dirname "$0")/.."

which=${1:-all}
case $which in
all | unit | e2e) ;;
*)
	echo "usage: tests/run.sh [all|unit|e2e]" >&2
	exit 2
	;;
esac

passed=0 failed=0 skipped=0
summaries=()

# Each suite prints "name: N passed, N failed[, N skipped]" as its last such line.
tally() {
	local name=$1 out=$2 rc=$3 line p f s
	line=$(grep -E '^[A-Za-z0-9_.-]+: [0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1)
	if [ -z "$line" ]; then
		echo "!! $name printed no result line (exit $rc): counted as one failure"
		failed=$((failed + 1))
		summaries+=("$name: no result (exit $rc)")
		return
	fi
	p=$(sed -E 's/.* ([0-9]+) passed.*/\1/' <<<"$line")
	f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
	s=0
	grep -q skipped <<<"$line" && s=$(sed -E 's/.* ([0-9]+) skipped.*/\1/' <<<"$line")
	# A suite that crashed after its last check must not pass silently.
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "!! $name exited $rc with no failed check: counted as one failure"
		f=1
	fi
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	summaries+=("$line")
}

run_suite() {
	local name=$1
	shift
	local out
	out=$(mktemp)
	echo "== $name"
	"$@" >"$out" 2>&1
	local rc=$?
	cat "$out"
	tally "$name" "$out" "$rc"
	rm -f "$out"
}

if [ "$which" != e2e ]; then
	for t in build/tests/test_*; do
		[ -x "$t" ] || continue
		case $t in *.d) continue ;; esac
		run_suite "$(basename "$t")" "$t"
	done
fi

if [ "$which" != unit ]; then
	for t in tests/e2e/test_*.py; do
		[ -f "$t" ] || continue
		run_suite "$(basename "$t" .py)" /usr/bin/python3 "$t"
	done
fi

echo
echo "== summary"
printf '%s\n' "${summaries[@]}"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
