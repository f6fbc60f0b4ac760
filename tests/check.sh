#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Everything `make check` runs, with one closing line summing them up:
#   1. unit tests (cmocka), plain and under ASan+UBSan
#   2. namespace tests (root): every case for every backend, with the release binary
#   3. the same namespace tests with the ASan+UBSan build of iptmon
#   4. the demo (the README's first command) runs to its end and shows pc's exact counts
set -u
cd "$(dirname "$0")/.."
out=$(mktemp)
trap 'rm -f "$out"' EXIT
rc=0
pass=0 failn=0 skip=0
tally() { # adds up "LABEL: N passed, N failed[, N skipped]" from the last line of $out
	local l
	l=$(grep -E '^[a-z-]+: [0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1)
	[ -n "$l" ] || { failn=$((failn + 1)); return; }
	pass=$((pass + $(sed -E 's/.*: ([0-9]+) passed.*/\1/' <<<"$l")))
	failn=$((failn + $(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$l")))
	if [[ $l == *skipped* ]]; then skip=$((skip + $(sed -E 's/.* ([0-9]+) skipped.*/\1/' <<<"$l"))); fi
}

echo "== unit tests"
tests/unit/run.sh build/tests/test_* build/san/test_* 2>&1 | tee "$out" | grep -E '^\[  (FAILED|PASSED)|^unit:|BROKEN|^SKIPPED' || true
[ "${PIPESTATUS[0]}" = 0 ] || rc=1
tally
echo "== namespace tests (release build)"
tests/ns/run.sh 2>&1 | tee "$out" || rc=1
tally
echo "== namespace tests (ASan+UBSan build)"
IPTMON_BIN=$PWD/build/san/iptmon tests/ns/run.sh 2>&1 | sed 's/^ns:/ns-san:/' | tee "$out"
[ "${PIPESTATUS[0]}" = 0 ] || rc=1
tally
echo "== demo"
if tests/ns/demo.sh >"$out" 2>&1 &&
	grep -Eq '^pc +02:00:00:00:88:01 +192\.168\.88\.[0-9]+,fd00:88::[0-9a-f]+ +20\.3 KiB +20 +20\.3 KiB +20$' "$out"; then
	echo "ok    demo"
	pass=$((pass + 1))
else
	echo "FAIL  demo"
	sed 's/^/      /' "$out" # all of it
	failn=$((failn + 1))
fi
[ $failn = 0 ] || rc=1
echo "check: $pass passed, $failn failed, $skip skipped"
exit $rc
