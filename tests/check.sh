#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Everything `make check` runs, with one closing line summing them up:
#   1. unit tests (cmocka), plain and under ASan+UBSan
#   2. namespace tests (root): every case for every backend, with the release binary
#   3. the same namespace tests with the ASan+UBSan build of iptmon
#   4. the demo (the README's first command) runs to its end and shows pc's exact counts
#   (between 1 and 2: packages, cross builds and musl, block below)
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
# ---- packages, cross builds, musl (issue 10) ------------------------------------------
# Each step one line with its time. The .deb built here (its unit tests run by
# dpkg-buildpackage, then lintian) is the one the namespace case `deb` installs. Measured
# on a 2-core VM: deb 35 s, musl 5 s, cross-check 25 s per ARCH (sysroot included).
echo "== packages, cross builds, musl"
pkg_step() { # NAME COMMAND...: ok/FAIL NAME (time), output shown on failure
	local name=$1 t0=$EPOCHREALTIME secs
	shift
	if "$@" >"$out" 2>&1; then
		secs=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.0f", b-a}')
		echo "ok    $name (${secs}s)"
		pass=$((pass + 1))
	else
		secs=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.0f", b-a}')
		echo "FAIL  $name (${secs}s)"
		tail -n 40 "$out" | sed 's/^/      /'
		failn=$((failn + 1))
		rc=1
	fi
}
pkg_step "deb (dpkg-buildpackage -b, lintian)" make --no-print-directory deb
pkg_step "musl-check" make --no-print-directory musl-check
pkg_step "cross-check ARCH=s390x" make --no-print-directory cross-check ARCH=s390x
pkg_step "cross-check ARCH=armhf" make --no-print-directory cross-check ARCH=armhf
pkg_step "variants (BACKENDS=nft, BACKENDS=iptables)" make --no-print-directory WERROR=1 variants
pkg_step "variant-check (WITH_IPTABLES=0, WITH_NFT=0, SMALL=1: WERROR=1, unit tests)" make --no-print-directory variant-check
# ---- end of packages block --------------------------------------------------------------
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
