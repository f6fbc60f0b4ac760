#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs libFuzzer harnesses (build/fuzz/fuzz_NAME, built by `make fuzz`) one after the other,
# each for FUZZ_SECONDS (20) from its seed corpus tests/fuzz/corpus/NAME/. New inputs go to a
# scratch corpus under build/fuzz/ (the seeds in the tree stay as they are); a crash, a
# sanitizer report or a broken property stops that harness, its whole output is shown and its
# input kept in build/fuzz/artifacts/.
# Usage: tests/fuzz/run.sh NAME...
# Ends with "fuzz: N passed, N failed"; exit 1 if any failed.
set -u
cd "$(dirname "$0")/../.."
secs=${FUZZ_SECONDS:-20}
pass=0 failn=0
failed=()
mkdir -p build/fuzz/artifacts
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
for name in "$@"; do
	bin=build/fuzz/fuzz_$name
	seeds=tests/fuzz/corpus/$name
	work=build/fuzz/corpus/$name
	log=build/fuzz/$name.log
	[ -x "$bin" ] || { echo "fuzz: $bin missing (make fuzz-build)" >&2; exit 2; }
	[ -d "$seeds" ] || { echo "fuzz: no seed corpus $seeds" >&2; exit 2; }
	mkdir -p "$work"
	# -timeout: one input taking longer than 10 s is a hang, and fails like a crash.
	"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
		-print_final_stats=1 -artifact_prefix="build/fuzz/artifacts/$name-" \
		"$work" "$seeds" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	if [ $rc = 0 ]; then
		pass=$((pass + 1))
		echo "ok    $name (${execs:-?} executions in ${secs}s)"
	else
		failn=$((failn + 1))
		failed+=("$name")
		echo "FAIL  $name (exit $rc, after ${execs:-?} executions)"
		sed 's/^/      /' "$log"
	fi
done
[ ${#failed[@]} -eq 0 ] || echo "failed: ${failed[*]} (inputs in build/fuzz/artifacts/)"
echo "fuzz: $pass passed, $failn failed"
[ $failn = 0 ]
