#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The daemon's CPU per poll for two binaries in alternating rounds (A, B, A, B, ...), nft
# backend, N static hosts, no traffic: on this shared VM one run's poll figure moves by 30 %,
# and only rounds taken side by side show a change of 10 %. Each round: `init` in one
# namespace, the daemon as footprint.sh runs it (interval = 1, HTTP on, InfluxDB at a closed
# port), POLLS polls after 3, CPU from /proc/PID/task/*/schedstat, then `remove`.
# Prints each round's ms per poll for both, the paired ratios A/B and their median.
# Usage: bench/abpoll.sh A B     N=4000 ROUNDS=5 POLLS=40
# Root; real netfilter in a throwaway namespace (bench/lib.sh), every process killed by pid.
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
[ $# = 2 ] || { echo "usage: bench/abpoll.sh BIN_A BIN_B" >&2; exit 2; }
N=${N:-4000}
ROUNDS=${ROUNDS:-5}
POLLS=${POLLS:-40}
PORT=9676
ns="${BENCH_PFX}ab"
d="$BENCH_TMP/ab"
mkdir -p "$d"
bench_ns "$ns"
write_hosts "$N" "$d/hosts"
bench_conf "$d"
bench_daemon_conf "$d" "$PORT"

poll_ms() { # BIN -> ms of CPU per poll
	local c0 c1
	rm -rf "$d/state" "$d/run"
	mkdir -p "$d/state"
	ip netns exec "$ns" env IPTMON_CONFIG="$d/conf" "$1" init
	bench_daemon "$ns" "$d/conf" "$1" "$d" 3
	c0=$(cpu_ns "$pid")
	for ((k = 0; k < POLLS; k++)); do wait_poll "$live"; done
	c1=$(cpu_ns "$pid")
	kill "$pid"
	wait "$pid" || true
	ip netns exec "$ns" env IPTMON_CONFIG="$d/conf" "$1" remove
	awk -v a="$c0" -v b="$c1" -v p="$POLLS" 'BEGIN {printf "%.2f", (b - a) / 1e6 / p}'
}

echo "abpoll: nft, N=$N ROUNDS=$ROUNDS POLLS=$POLLS; A=$1 B=$2 (ms of CPU per poll)"
printf "%-6s %8s %8s %7s\n" round A B A/B
ratios=()
for ((r = 1; r <= ROUNDS; r++)); do
	a=$(poll_ms "$1")
	b=$(poll_ms "$2")
	q=$(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.3f", a / b}')
	ratios+=("$q")
	printf "%-6s %8s %8s %7s\n" "$r" "$a" "$b" "$q"
done
echo "median A/B: $(printf '%s\n' "${ratios[@]}" | median)"
