#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs every namespace case for every backend (needs root).
# Usage: tests/ns/run.sh [-b BACKEND]... [CASE]...
# Ends with "ns: N passed, N failed, N skipped". Exit 1 if any failed.
set -u
cd "$(dirname "$0")/../.."
backends=()
cases=()
while [ $# -gt 0 ]; do
	case $1 in
	-b) backends+=("$2"); shift 2 ;;
	-h|--help) sed -n '3,5p' "$0" | sed 's/^# //'; exit 0 ;;
	*) cases+=("$1"); shift ;;
	esac
done
[ ${#backends[@]} -gt 0 ] || backends=(nft iptables-legacy iptables-nft)
[ ${#cases[@]} -gt 0 ] || mapfile -t cases < <(sed -n 's/^case_\([a-z_0-9]*\)() {$/\1/p' tests/ns/cases.sh tests/ns/cases.d/*.sh 2>/dev/null)

if [ "$(id -u)" != 0 ]; then
	echo "tests/ns: must run as root (network namespaces, netfilter)" >&2
	exit 1
fi
[ -x "${IPTMON_BIN:-./iptmon}" ] || { echo "tests/ns: build ./iptmon first (make)" >&2; exit 1; }

backend_usable() {
	local ns="itprobe$$" ok=1
	ip netns add "$ns" || return 1
	case $1 in
	iptables-legacy) ip netns exec "$ns" iptables-legacy -t mangle -S >/dev/null 2>&1 || ok=0 ;;
	iptables-nft) ip netns exec "$ns" iptables-nft -t mangle -S >/dev/null 2>&1 || ok=0 ;;
	nft) ip netns exec "$ns" nft list tables >/dev/null 2>&1 || ok=0 ;;
	esac
	ip netns del "$ns"
	[ $ok = 1 ]
}

pass=0 failn=0 skip=0
failed=()
logdir=$(mktemp -d /tmp/iptmon-ns.XXXXXX)
for be in "${backends[@]}"; do
	if ! backend_usable "$be"; then
		echo "skip  $be (not usable on this kernel)"
		skip=$((skip + ${#cases[@]}))
		continue
	fi
	for c in "${cases[@]}"; do
		start=$EPOCHREALTIME
		timeout 120 env IPTMON_BIN="${IPTMON_BIN:-$PWD/iptmon}" bash tests/ns/cases.sh "$be" "$c" >"$logdir/$be-$c.log" 2>&1
		rc=$?
		secs=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.1f", b-a}')
		if [ $rc = 0 ]; then
			pass=$((pass + 1)); echo "ok    $be/$c (${secs}s)"
		elif [ $rc = 77 ]; then
			skip=$((skip + 1)); echo "skip  $be/$c: $(grep '^skip' "$logdir/$be-$c.log" | head -1)"
		else
			failn=$((failn + 1)); failed+=("$be/$c"); echo "FAIL  $be/$c (${secs}s, exit $rc)"
			sed 's/^/      /' "$logdir/$be-$c.log" # all of it: the cause is rarely in the tail
		fi
	done
done
rm -rf "$logdir"
[ ${#failed[@]} -eq 0 ] || echo "failed: ${failed[*]}"
echo "ns: $pass passed, $failn failed, $skip skipped"
[ $failn = 0 ]
