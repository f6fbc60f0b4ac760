#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Forwarding throughput with N hosts counted, as a ratio to the same router with no
# accounting at all, measured in the same run. Small UDP packets (64-byte payload) from a
# client through a router namespace to a server namespace, iperf3 -u -b 0: what a linear
# chain of rules costs per packet shows most with small packets. Runs on veth are noisy, so
# every sample pairs a run without accounting with one with it, back to back, and the
# figure is the median of REPS such ratios.
# Usage: bench/forward.sh [BACKEND...]   (default: nft iptables-legacy iptables-nft)
# Env: SIZES="10 250 1000 4000", SECS=3, REPS=3
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
BIN=$PWD/iptmon
SIZES=${SIZES:-"10 250 1000 4000"}
SECS=${SECS:-3}
REPS=${REPS:-7}
backends=("$@")
# iptables-legacy last: its mangle table stays registered in the namespace once loaded.
[ ${#backends[@]} -gt 0 ] || backends=(nft iptables-nft iptables-legacy)
command -v iperf3 >/dev/null || { echo "bench: needs iperf3" >&2; exit 1; }

C=${BENCH_PFX}c R=${BENCH_PFX}r S=${BENCH_PFX}s
for ns in $C $R $S; do bench_ns $ns; done
ip link add ${BENCH_PFX}a netns $C type veth peer name ${BENCH_PFX}b netns $R
ip link add ${BENCH_PFX}d netns $R type veth peer name ${BENCH_PFX}e netns $S
ip -n $C addr add 192.168.77.2/24 dev ${BENCH_PFX}a
ip -n $R addr add 192.168.77.1/24 dev ${BENCH_PFX}b
ip -n $R addr add 198.51.100.1/24 dev ${BENCH_PFX}d
ip -n $S addr add 198.51.100.2/24 dev ${BENCH_PFX}e
for l in "$C ${BENCH_PFX}a" "$R ${BENCH_PFX}b" "$R ${BENCH_PFX}d" "$S ${BENCH_PFX}e"; do
	set -- $l; ip -n "$1" link set "$2" up
done
ip -n $C route add default via 192.168.77.1
ip -n $S route add default via 198.51.100.1
ip netns exec $R sysctl -q -w net.ipv4.ip_forward=1
ip netns exec $S taskset -c 0 iperf3 -s -D -I "$BENCH_TMP/iperf.pid" >/dev/null
for i in $(seq 1 50); do [ -s "$BENCH_TMP/iperf.pid" ] && break; sleep 0.05; done
BENCH_PIDS+=("$(cat "$BENCH_TMP/iperf.pid")")
sleep 0.2

# Packets per second that reach the server in one run.
# The sender is pinned to CPU 1 and the server to CPU 0: a veth hands each packet on within
# the sender's own softirq, so the router's per-packet work lands on CPU 1 with the sender's.
measure() {
	ip netns exec $C taskset -c 1 iperf3 -c 198.51.100.2 -u -l 64 -b 0 -t "$SECS" -J 2>/dev/null |
		jq '.end.sum.packets - .end.sum.lost_packets | . / '"$SECS"' | floor'
}

conf() { # BACKEND N
	write_hosts "$2" "$BENCH_TMP/hosts"
	cat >"$BENCH_TMP/conf" <<EOC
backend = $1
lease_file = $BENCH_TMP/none
hosts_files = $BENCH_TMP/hosts
lock_file = $BENCH_TMP/lock
EOC
}
it() { ip netns exec $R env IPTMON_CONFIG="$BENCH_TMP/conf" "$BIN" "$@"; }

printf '%-16s %6s %12s %12s %8s  %s\n' backend N pps_without pps_with ratio "ratio range (REPS pairs)"
for be in "${backends[@]}"; do
	for n in $SIZES; do
		conf "$be" "$n"
		: >"$BENCH_TMP/ratios" ; : >"$BENCH_TMP/with" ; : >"$BENCH_TMP/without"
		for ((r = 0; r < REPS; r++)); do
			it remove
			base=$(measure)
			it init
			# The client is counted too, after the N others (the worst case for a chain).
			it add 02:00:00:00:77:02 192.168.77.2 client
			pps=$(measure)
			echo "$base" >>"$BENCH_TMP/without"
			echo "$pps" >>"$BENCH_TMP/with"
			awk -v a="$pps" -v b="$base" 'BEGIN {printf "%.3f\n", a/b}' >>"$BENCH_TMP/ratios"
		done
		counted=$(it show --json | jq '[.hosts[] | select(.name == "client") | .ipv4.rx_packets] | .[0]')
		[ "$counted" -gt 0 ] || { echo "bench: client's packets were not counted" >&2; exit 1; }
		printf '%-16s %6s %12s %12s %8.2f  %s\n' "$be" "$n" "$(median <"$BENCH_TMP/without")" \
			"$(median <"$BENCH_TMP/with")" "$(median <"$BENCH_TMP/ratios")" \
			"$(sort -n "$BENCH_TMP/ratios" | awk 'NR == 1 {lo = $1} {hi = $1} END {printf "%.2f-%.2f", lo, hi}')"
		it remove
	done
done
