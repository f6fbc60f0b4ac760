#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The conntrack counting mode (counting = conntrack): the daemon's CPU per poll and memory
# with N tracked flows (bench/ctfill inserts them through ctnetlink: UDP flows from the 100
# counted hosts' addresses, so every one is attributed), against the same daemon counting at
# the forward hook; the cost of one dump through libnetfilter_conntrack against src/ct.c's
# libmnl reader (bench/ctlib, when libnetfilter-conntrack-dev is installed); and the
# forwarding rate with conntrack accounting on against off (64-byte UDP, paired runs).
# Usage: bench/conntrack.sh   Env: SIZES="1000 10000 50000" POLLS=20 REPS=7 SECS=3
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
BIN=$PWD/iptmon
SIZES=${SIZES:-"1000 10000 50000"}
POLLS=${POLLS:-20}
REPS=${REPS:-7}
SECS=${SECS:-3}
HOSTS=100
LIBSRCS=$(make -pn 2>/dev/null | sed -n 's/^LIB_SRCS := //p' | head -n 1)
make -s build/page.h iptmon >/dev/null
cc -O2 -o "$BENCH_TMP/ctfill" bench/ctfill.c -lmnl
cc -O2 -D_GNU_SOURCE -Isrc -Ibuild -o "$BENCH_TMP/ctlib-mnl" bench/ctlib.c $LIBSRCS \
	$(pkg-config --libs libmnl libnftnl libip4tc libip6tc) -ldl 2>/dev/null
NFCT=0
if pkg-config --exists libnetfilter_conntrack; then
	cc -O2 -DWITH_NFCT -o "$BENCH_TMP/ctlib-nfct" bench/ctlib.c $(pkg-config --libs libnetfilter_conntrack)
	NFCT=1
fi

R=${BENCH_PFX}r
bench_ns "$R"
# conntrack runs in a namespace once a rule needs it: a NAT chain, as on any router
ip netns exec "$R" nft -f - <<'EON'
table ip ctbench {
	chain post {
		type nat hook postrouting priority srcnat
	}
}
EON
ip netns exec "$R" sysctl -q -w net.netfilter.nf_conntrack_acct=1
write_hosts "$HOSTS" "$BENCH_TMP/hosts"
cat >"$BENCH_TMP/conf" <<EOC
backend = nft
lease_file = $BENCH_TMP/none
hosts_files = $BENCH_TMP/hosts
lock_file = $BENCH_TMP/lock
state_dir = $BENCH_TMP/state
run_dir = $BENCH_TMP/run
interval = 1
listen = 127.0.0.1:9690
EOC
it() { ip netns exec "$R" env IPTMON_CONFIG="$BENCH_TMP/conf" "$BIN" "$@"; }
it init
metric() { ip netns exec "$R" curl -s 127.0.0.1:9690/metrics | awk -v m="$1" '$1 == m { print $2 }'; }
# CPU ticks (user + system) of PID
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
rss_kib() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
wait_polls() { # PID N: N more polls
	local p0 p i
	p0=$(metric iptmon_daemon_polls_total)
	for ((i = 0; i < 600; i++)); do
		p=$(metric iptmon_daemon_polls_total)
		[ -n "$p" ] && [ "${p%.*}" -ge $((${p0%.*} + $2)) ] && return 0
		sleep 0.1
	done
	echo "bench: no polls" >&2
	exit 1
}
start() { # MODE [DUMP_INTERVAL]
	ip netns exec "$R" env IPTMON_CONFIG="$BENCH_TMP/conf" "$BIN" daemon --counting="$1" \
		--conntrack-dump-interval="${2:-0}" 2>>"$BENCH_TMP/daemon.log" &
	DPID=$!
	BENCH_PIDS+=("$DPID")
	for ((i = 0; i < 100; i++)); do [ -n "$(metric iptmon_daemon_polls_total)" ] && break; sleep 0.1; done
	wait_polls "$DPID" 2
}
stop() { kill "$DPID"; wait "$DPID" || true; }
# "ms_per_poll rss_kib": CPU over POLLS polls
measure() {
	local t0 t1 hz
	hz=$(getconf CLK_TCK)
	wait_polls "$DPID" 2
	t0=$(ticks "$DPID")
	wait_polls "$DPID" "$POLLS"
	t1=$(ticks "$DPID")
	echo "$(awk -v a="$t0" -v b="$t1" -v n="$POLLS" -v hz="$hz" 'BEGIN { printf "%.1f", (b - a) * 1000 / hz / n }') $(rss_kib "$DPID")"
}

echo "### daemon, polling every second, $HOSTS hosts counted, N conntrack flows (CPU per poll: user + system from /proc/PID/stat, mean over $POLLS polls)"
printf '%-10s %7s %12s %9s %12s %14s %11s\n' mode N cpu_ms/poll rss_kib table_bytes bytes/flow poll_wall_ms
have=0
for n in 0 $SIZES; do
	[ "$n" -gt "$have" ] && ip netns exec "$R" "$BENCH_TMP/ctfill" "$have" "$n" "$HOSTS" && have=$n
	for mode in forward conntrack; do
		start "$mode"
		read -r cpu rss < <(measure)
		tb=$(metric iptmon_daemon_conntrack_memory_bytes)
		fl=$(metric iptmon_daemon_conntrack_flows)
		wall=$(metric iptmon_daemon_poll_duration_seconds)
		per="-"
		[ -n "$fl" ] && [ "${fl%.*}" -gt 0 ] && per=$(awk -v a="$tb" -v f="$fl" 'BEGIN { printf "%.0f", a / f }')
		printf '%-10s %7s %12s %9s %12s %14s %11s\n' "$mode" "$n" "$cpu" "$rss" "${tb:--}" "$per" \
			"$(awk -v w="${wall:-0}" 'BEGIN { printf "%.0f", w * 1000 }')"
		[ "$mode" = conntrack ] && [ "$n" -gt 0 ] && [ "${fl%.*}" -lt "$n" ] &&
			{ echo "bench: the daemon tracks ${fl:-0} flows of $n" >&2; exit 1; }
		stop
	done
done
for di in 5 10; do
	start conntrack "$di"
	read -r cpu rss < <(measure)
	printf '%-10s %7s %12s %9s   (conntrack_dump_interval = %s)\n' conntrack "$have" "$cpu" "$rss" "$di"
	stop
done

echo
echo "### one dump of $have flows: CPU (user + system, ms, median of 5 runs of 10 dumps) and RSS"
printf '%-34s %10s %9s\n' reader cpu_ms rss_kib
for r in mnl nfct; do
	[ "$r" = nfct ] && [ "$NFCT" = 0 ] && { echo "libnetfilter_conntrack: not installed (libnetfilter-conntrack-dev)"; continue; }
	: >"$BENCH_TMP/cpu"
	for i in 1 2 3 4 5; do ip netns exec "$R" "$BENCH_TMP/ctlib-$r" 10 "$HOSTS" >>"$BENCH_TMP/cpu"; done
	printf '%-34s %10s %9s\n' "$([ "$r" = mnl ] && echo "src/ct.c (libmnl, flow table)" || echo "libnetfilter_conntrack (parse only)")" \
		"$(awk '{ print $1 }' "$BENCH_TMP/cpu" | median)" "$(awk '{ print $2 }' "$BENCH_TMP/cpu" | median)"
done
: >"$BENCH_TMP/cpu"
command -v conntrack >/dev/null && for i in 1 2 3; do
	ip netns exec "$R" bash -c 'TIMEFORMAT="%U %S"; { time conntrack -L >/dev/null 2>&1; } 2>&1' |
		awk '{ printf "%.1f\n", ($1 + $2) * 1000 }' >>"$BENCH_TMP/cpu"
done
[ -s "$BENCH_TMP/cpu" ] && printf '%-34s %10s\n' "conntrack -L (conntrack-tools)" "$(median <"$BENCH_TMP/cpu")"
ip netns exec "$R" conntrack -F >/dev/null 2>&1 || true

echo
echo "### forwarding, 64-byte UDP through a NAT router, conntrack accounting on against off"
command -v iperf3 >/dev/null || { echo "bench: needs iperf3" >&2; exit 1; }
C=${BENCH_PFX}c S=${BENCH_PFX}s
bench_ns "$C"
bench_ns "$S"
ip link add ${BENCH_PFX}a netns "$C" type veth peer name ${BENCH_PFX}b netns "$R"
ip link add ${BENCH_PFX}d netns "$R" type veth peer name ${BENCH_PFX}e netns "$S"
ip -n "$C" addr add 192.168.77.2/24 dev ${BENCH_PFX}a
ip -n "$R" addr add 192.168.77.1/24 dev ${BENCH_PFX}b
ip -n "$R" addr add 198.51.100.1/24 dev ${BENCH_PFX}d
ip -n "$S" addr add 198.51.100.2/24 dev ${BENCH_PFX}e
for l in "$C ${BENCH_PFX}a" "$R ${BENCH_PFX}b" "$R ${BENCH_PFX}d" "$S ${BENCH_PFX}e"; do
	set -- $l
	ip -n "$1" link set "$2" up
done
ip -n "$C" route add default via 192.168.77.1
ip -n "$S" route add default via 198.51.100.1
ip netns exec "$R" sysctl -q -w net.ipv4.ip_forward=1
ip netns exec "$R" nft add rule ip ctbench post oifname ${BENCH_PFX}d masquerade
ip netns exec "$S" taskset -c 0 iperf3 -s -D -I "$BENCH_TMP/iperf.pid" >/dev/null
for i in $(seq 1 50); do [ -s "$BENCH_TMP/iperf.pid" ] && break; sleep 0.05; done
BENCH_PIDS+=("$(cat "$BENCH_TMP/iperf.pid")")
sleep 0.2
pps() {
	ip netns exec "$C" taskset -c 1 iperf3 -c 198.51.100.2 -u -l 64 -b 0 -t "$SECS" -J 2>/dev/null |
		jq '.end.sum.packets - .end.sum.lost_packets | . / '"$SECS"' | floor'
}
: >"$BENCH_TMP/ratios"; : >"$BENCH_TMP/on"; : >"$BENCH_TMP/off"
for ((r = 0; r < REPS; r++)); do
	ip netns exec "$R" sysctl -q -w net.netfilter.nf_conntrack_acct=0
	off=$(pps)
	ip netns exec "$R" sysctl -q -w net.netfilter.nf_conntrack_acct=1
	on=$(pps)
	echo "$off" >>"$BENCH_TMP/off"
	echo "$on" >>"$BENCH_TMP/on"
	awk -v a="$on" -v b="$off" 'BEGIN { printf "%.3f\n", a / b }' >>"$BENCH_TMP/ratios"
done
printf '%12s %12s %8s  %s\n' pps_acct_off pps_acct_on ratio "ratio range ($REPS pairs)"
printf '%12s %12s %8.2f  %s\n' "$(median <"$BENCH_TMP/off")" "$(median <"$BENCH_TMP/on")" \
	"$(median <"$BENCH_TMP/ratios")" "$(sort -n "$BENCH_TMP/ratios" | sed -n '1p;$p' | paste -sd-)"
