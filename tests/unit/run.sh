#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Runs cmocka unit test binaries and sums their results.
# Usage: tests/unit/run.sh BIN...
#
# A cmocka binary exits with the number of failed tests. A binary is "broken" when it ends
# without cmocka's summary (crash, sanitizer abort) or when its exit status does not match the
# failures it reported (e.g. LeakSanitizer after the summary); its unfinished tests count as
# failed (at least one). Skipped tests (a missing time zone file, say) are listed by name.
# The last line is "unit: N passed, N failed, N skipped"; the exit status is 1 when anything
# failed or broke.

set -u

if [ $# -eq 0 ]; then
	echo "usage: $0 BIN..." >&2
	exit 2
fi

# The standard "[  PASSED  ]" format, whatever the caller's environment says.
export CMOCKA_MESSAGE_OUTPUT=stdout
unset CMOCKA_XML_FILE
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

total_pass=0
total_fail=0
total_skip=0
skipped=()
broken=()
failed_bins=()

for bin in "$@"; do
	echo "=== $bin"
	if [ ! -x "$bin" ]; then
		echo "run.sh: $bin: not an executable" >&2
		broken+=("$bin (missing)")
		total_fail=$((total_fail + 1))
		continue
	fi
	out=$("$bin" 2>&1)
	rc=$?
	printf '%s\n' "$out"

	pass=0
	fail=0
	summary=0
	runs=0
	oks=0
	while IFS= read -r line; do
		if [[ $line =~ ^\[\ \ PASSED\ \ \]\ ([0-9]+)\ test ]]; then
			pass=$((pass + BASH_REMATCH[1]))
			summary=1
		elif [[ $line =~ ^\[\ \ FAILED\ \ \]\ ([0-9]+)\ test ]]; then
			fail=$((fail + BASH_REMATCH[1]))
		elif [[ $line =~ ^\[\ \ SKIPPED\ \]\ ([0-9]+)\ test ]]; then
			total_skip=$((total_skip + BASH_REMATCH[1]))
		elif [[ $line =~ ^\[\ \ SKIPPED\ \]\ ([A-Za-z_0-9]+)$ ]] && [ "$runs" -gt "$oks" ]; then
			skipped+=("$bin ${BASH_REMATCH[1]}")
			oks=$((oks + 1)) # a skipped test ended normally
		elif [[ $line =~ ^\[\ RUN\ \ \ \ \ \ \] ]]; then
			runs=$((runs + 1))
		elif [[ $line =~ ^\[\ \ \ \ \ \ \ OK\ \] ]]; then
			oks=$((oks + 1))
		fi
	done <<<"$out"

	if [ "$summary" -eq 0 ]; then
		# No summary: the binary died mid-run. Tests that started but never passed failed.
		lost=$((runs - oks))
		[ "$lost" -lt 1 ] && lost=1
		pass=$oks
		fail=$lost
		broken+=("$bin (exit status $rc, no cmocka summary)")
	elif [ "$rc" -ne "$fail" ]; then
		# cmocka finished, but something (e.g. a sanitizer at exit) changed the status.
		broken+=("$bin (exit status $rc, but cmocka reported $fail failed)")
		if [ "$fail" -eq 0 ]; then
			fail=1
		fi
	fi
	if [ "$fail" -gt 0 ]; then
		failed_bins+=("$bin")
	fi
	total_pass=$((total_pass + pass))
	total_fail=$((total_fail + fail))
done

echo
for b in "${failed_bins[@]+"${failed_bins[@]}"}"; do
	echo "FAILED: $b"
done
for b in "${broken[@]+"${broken[@]}"}"; do
	echo "BROKEN: $b"
done
for b in "${skipped[@]+"${skipped[@]}"}"; do
	echo "SKIPPED: $b"
done
echo "unit: $total_pass passed, $total_fail failed, $total_skip skipped"

if [ "$total_fail" -gt 0 ] || [ "${#broken[@]}" -gt 0 ]; then
	exit 1
fi
exit 0
