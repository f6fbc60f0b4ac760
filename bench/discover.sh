#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Host discovery in `iptmon daemon` (discover = on, on a LAN bridge). One row per backend:
#   latency_ms, latency_max_ms  from a device's first packet (the router learns it as its
#                     neighbour from that packet's ARP) to the first of its packets counted:
#                     a new client pings the "internet" every 2 ms (`ping -D`, 600 pings, no
#                     loss allowed); its first counted request is the (sent - counted)th, and
#                     the latency the time between that reply's timestamp and the first's.
#                     Median and maximum over REPS (default 10) clients, each a new device
#                     (MAC, address); resolution: the 2 ms ping interval
#   burst_ms          wall time from `ip -batch` adding 1000 neighbours (nud permanent, on
#                     the bridge: the kernel announces each with the RTM_NEWNEIGH of a
#                     learned one; permanent ones are not held to gc_thresh3, the machine-
#                     wide limit of 1024 learned neighbours, shared with other runs) to all
#                     1000 hosts counted (checked every 20 ms with `show --json --kernel`)
#   burst_cpu_ms      the daemon's CPU over that window (all threads' schedstat); the daemon
#                     polls once a minute (interval = 60), so nearly all of it is discovery;
#                     one poll may fall in the window
#   children_ms       its children's CPU in that window (iptables-nft-save/-restore: the
#                     iptables-nft backend works through them), in CLK_TCK ticks (+-1 tick)
#   burst_commits     transactions discovery made for the burst (its health metric)
#   idle_cpu_ms       the daemon's CPU over 2 s with 1000 neighbours known and nothing new
# Runs the real binary against real netfilter in a throwaway namespace per backend.
# Usage: bench/discover.sh [BACKEND...]   (default: nft iptables-legacy iptables-nft)
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
BIN=$PWD/iptmon
REPS=${REPS:-10}
PORT=9678
backends=("$@")
[ ${#backends[@]} -gt 0 ] || backends=(nft iptables-legacy iptables-nft)

HZ=$(getconf CLK_TCK)
child_ticks() {
	local st f
	read -r st <"/proc/$1/stat"
	read -ra f <<<"${st##*) }" # f[0] is field 3 (state); cutime, cstime are fields 16-17
	echo "$((f[13] + f[14]))"
}
now_ms() { local t=${EPOCHREALTIME/[.,]/}; echo $((t / 1000)); }
it() { ip netns exec "$r" env IPTMON_CONFIG="$d/conf" "$BIN" "$@"; }
hosts() { it show --json --kernel | jq '.hosts | length'; }

FMT='%-15s %10s %14s %9s %12s %11s %13s %11s\n'
# shellcheck disable=SC2059
printf "$FMT" backend latency_ms latency_max_ms burst_ms burst_cpu_ms children_ms burst_commits idle_cpu_ms
for be in "${backends[@]}"; do
	r="${BENCH_PFX}r"
	w="${BENCH_PFX}w"
	d="$BENCH_TMP/$be"
	mkdir -p "$d"
	bench_ns "$r"
	bench_ns "$w"
	ip netns exec "$r" sysctl -q -w net.ipv4.ip_forward=1
	[ -e /proc/sys/net/bridge/bridge-nf-call-iptables ] &&
		ip netns exec "$r" sysctl -q -w net.bridge.bridge-nf-call-iptables=0
	ip -n "$r" link add br0 address 02:99:00:00:00:01 type bridge stp_state 0 forward_delay 0
	ip -n "$r" addr add 192.168.88.1/24 dev br0
	ip -n "$r" link set br0 up
	ip link add name wr netns "$r" type veth peer name ww netns "$w"
	ip -n "$r" addr add 198.51.100.1/24 dev wr
	ip -n "$w" addr add 198.51.100.2/24 dev ww
	ip -n "$r" link set wr up
	ip -n "$w" link set ww up
	ip -n "$w" route add 192.168.0.0/16 via 198.51.100.1
	: >"$d/hosts"
	cat >"$d/conf" <<EOC
backend = $be
lease_file = $d/leases
hosts_files = $d/hosts
lock_file = $d/lock
state_dir = $d/state
run_dir = $d/run
listen = 127.0.0.1:$PORT
interval = 60
discover = on
discover_interfaces = br0
EOC
	it init
	ip netns exec "$r" env IPTMON_CONFIG="$d/conf" "$BIN" daemon 2>"$d/log" &
	dpid=$!
	BENCH_PIDS+=("$dpid")
	for ((k = 0; k < 200; k++)); do [ -s "$d/run/iptmon.live" ] && break; sleep 0.05; done

	lat=()
	for ((i = 1; i <= REPS; i++)); do
		c="${BENCH_PFX}c$i"
		bench_ns "$c"
		ip link add name "p$i" netns "$r" type veth peer name eth0 netns "$c" \
			address "$(printf '02:98:00:00:00:%02x' "$i")"
		ip -n "$r" link set "p$i" master br0 up
		ip -n "$c" addr add "192.168.88.$((100 + i))/24" dev eth0
		ip -n "$c" link set eth0 up
		ip -n "$c" route add default via 192.168.88.1
		for ((k = 0; k < 100; k++)); do
			bridge -n "$r" link show dev "p$i" | grep -q 'state forwarding' && break
			sleep 0.02
		done
		ip netns exec "$c" ping -n -D -i 0.002 -c 600 -W 1 198.51.100.2 >"$d/ping$i" 2>&1 || true
		sent=$(sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\1 \2/p' "$d/ping$i")
		[ "$sent" = "600 600" ] || { echo "bench: client $i lost pings ($sent)" >&2; continue; }
		for ((k = 0; k < 100; k++)); do
			rx=$(it show --json --kernel | jq -r --arg a "192.168.88.$((100 + i))" \
				'.hosts[] | select(.addresses | index($a)) | .ipv4.rx_packets')
			[ -n "$rx" ] && break
			sleep 0.02
		done
		[ -n "$rx" ] && [ "$rx" -gt 0 ] || { echo "bench: client $i never counted" >&2; continue; }
		first=$((600 - rx + 1))
		lat+=("$(awk -v s="$first" -F'[][]' '/icmp_seq=/ { split($3, a, "icmp_seq="); split(a[2], b, " "); q = b[1]; if (q == 1) t1 = $2; if (q == s) ts = $2 } END { printf "%.1f\n", (ts - t1) * 1000 }' "$d/ping$i")")
	done
	lat_med=$(printf '%s\n' "${lat[@]}" | median)
	lat_max=$(printf '%s\n' "${lat[@]}" | sort -n | tail -n 1)

	for ((i = 0; i < 1000; i++)); do
		printf 'neigh add 192.168.%d.%d lladdr 02:10:00:00:%02x:%02x dev br0 nud permanent\n' \
			$((90 + i / 250)) $((1 + i % 250)) $((i / 256)) $((i % 256))
	done >"$d/batch"
	before=$(hosts)
	c0=$(ip netns exec "$r" curl -s "127.0.0.1:$PORT/metrics" | awk '$1 == "iptmon_daemon_discovery_commits_total" {print $2}')
	cpu0=$(cpu_ns "$dpid")
	ch0=$(child_ticks "$dpid")
	t0=$(now_ms)
	ip -n "$r" -batch "$d/batch"
	for ((k = 0; k < 1500; k++)); do
		[ "$(hosts)" -ge $((before + 1000)) ] && break
		sleep 0.02
	done
	t1=$(now_ms)
	cpu1=$(cpu_ns "$dpid")
	ch1=$(child_ticks "$dpid")
	c1=$(ip netns exec "$r" curl -s "127.0.0.1:$PORT/metrics" | awk '$1 == "iptmon_daemon_discovery_commits_total" {print $2}')
	[ "$(hosts)" -ge $((before + 1000)) ] || echo "bench: $be: not all 1000 counted" >&2
	cpu2=$(cpu_ns "$dpid")
	sleep 2
	cpu3=$(cpu_ns "$dpid")
	# shellcheck disable=SC2059
	printf "$FMT" "$be" "$lat_med" "$lat_max" $((t1 - t0)) \
		"$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN {printf "%.1f", (b - a) / 1e6}')" \
		$(((ch1 - ch0) * 1000 / HZ)) $((c1 - c0)) \
		"$(awk -v a="$cpu2" -v b="$cpu3" 'BEGIN {printf "%.1f", (b - a) / 1e6}')"
	kill "$dpid"
	wait "$dpid" 2>/dev/null || true
	for ((i = 1; i <= REPS; i++)); do ip netns del "${BENCH_PFX}c$i" 2>/dev/null || true; done
	ip netns del "$r"
	ip netns del "$w"
	BENCH_NS=()
	BENCH_PIDS=()
done
