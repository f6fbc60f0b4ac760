# SPDX-License-Identifier: GPL-2.0-or-later
# Shared helpers for the benchmarks: a per-run prefix, clean-up on exit, medians.
BENCH_PFX="ib$$"
BENCH_NS=()
BENCH_PIDS=()
# An inner shell (events.sh) passes its parent's BENCH_TMP: it must not make (and leak) its own.
BENCH_TMP=${BENCH_INNER_TMP:-$(mktemp -d /tmp/iptmon-bench.XXXXXX)}

bench_cleanup() {
	local p ns
	for p in "${BENCH_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	# namespaces made in subshells (a pipeline, a process substitution) too: they are listed in
	# a file of this script's ($$ is the same in its subshells, another in an inner script)
	[ -f "$BENCH_TMP/.ns.$$" ] && mapfile -t -O "${#BENCH_NS[@]}" BENCH_NS <"$BENCH_TMP/.ns.$$"
	for ns in "${BENCH_NS[@]}"; do
		[ -e "/run/netns/$ns" ] || continue
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
		ip netns del "$ns" 2>/dev/null || true
	done
	rm -rf "$BENCH_TMP"
	return 0
}
trap bench_cleanup EXIT

bench_ns() {
	ip netns add "$1" || return 1
	BENCH_NS+=("$1")
	echo "$1" >>"$BENCH_TMP/.ns.$$"
	ip -n "$1" link set lo up
}

# median of numbers on stdin
median() {
	sort -n | awk '{a[NR]=$1} END {if (NR==0) {print "nan"; exit} if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'
}

# N static hosts in a hosts file: 10.A.B.C host-N (never the addresses the bench uses)
write_hosts() {
	local n=$1 f=$2 i
	: >"$f"
	for ((i = 1; i <= n; i++)); do
		printf '10.%d.%d.%d host-%d\n' $((i / 65536 % 256)) $((i / 256 % 256)) $((i % 256)) "$i" >>"$f"
	done
}

exec {NAP}<> <(:) # read -t on it: a sleep without starting a process (close it in children: {NAP}<&-)
nap() { read -r -t "$1" -u "$NAP" _ || true; }

# On-CPU nanoseconds of every thread of PID.
cpu_ns() {
	local f s n=0
	for f in /proc/"$1"/task/*/schedstat; do
		read -r s _ <"$f"
		n=$((n + s))
	done
	echo "$n"
}

# Waits for the daemon's next poll: every poll replaces run_dir/iptmon.live (write + rename),
# so it waits for the name to stop naming the file it has open. Builtins only (no process
# competes with the daemon for the cores while it waits).
wait_poll() {
	local live=$1 fd k
	exec {fd}<"$live"
	for ((k = 0; k < 1000; k++)); do
		if ! [ "$live" -ef "/dev/fd/$fd" ]; then
			exec {fd}<&-
			return 0
		fi
		nap 0.005
	done
	exec {fd}<&-
	echo "bench: no poll in 5 s" >&2
	return 1
}

# Starts `BIN daemon` in NS with CONF (log in DIR/log), sets pid and live, and waits for
# WARMUP polls. ip netns exec and env exec the daemon: $! is its pid.
bench_daemon() { # NS CONF BIN DIR WARMUP
	local k
	ip netns exec "$1" env IPTMON_CONFIG="$2" "$3" daemon 2>"$4/log" {NAP}<&- &
	pid=$!
	BENCH_PIDS+=("$pid")
	live=$4/run/iptmon.live
	for ((k = 0; k < 500; k++)); do [ -e "$live" ] && break; nap 0.01; done
	[ -e "$live" ] || { echo "bench: the daemon does not poll: $(cat "$4/log")" >&2; exit 1; }
	for ((k = 0; k < $5; k++)); do wait_poll "$live"; done
}

# Traffic for the counted hosts (footprint.sh, instr.sh): NS's router forwards between a
# client namespace NSc's two links, and bench/pktfill (built into $BENCH_TMP/pktfill) sends a
# packet each way for each of N hosts (10.0.0.0/8, write_hosts's addresses). TRAFFIC=0: none.
# The links: the router namespace NS forwards between lan (192.168.99.1, the hosts'
# 10.0.0.0/8 behind 192.168.99.2) and wan (198.51.100.1), whose other ends are in NSc, where
# pktfill writes its frames. Static neighbours: no ARP for 4000 hosts.
traffic_links() { # NS
	local r=$1 c=${1}c l
	bench_ns "$c"
	ip link add plan netns "$c" type veth peer name lan netns "$r"
	ip link add pwan netns "$c" type veth peer name wan netns "$r"
	ip -n "$r" addr add 192.168.99.1/24 dev lan
	ip -n "$r" addr add 198.51.100.1/24 dev wan
	for l in "$c plan" "$c pwan" "$r lan" "$r wan"; do
		set -- $l
		ip -n "$1" link set "$2" up
	done
	ip -n "$r" neigh add 192.168.99.2 lladdr 02:00:00:00:77:02 dev lan nud permanent
	ip -n "$r" neigh add 198.51.100.2 lladdr 02:00:00:00:77:03 dev wan nud permanent
	ip -n "$r" route add 10.0.0.0/8 via 192.168.99.2
	ip netns exec "$r" sysctl -q -w net.ipv4.ip_forward=1
}
traffic() { # NS N: a packet each way for each host
	[ "${TRAFFIC:-1}" = 1 ] || return 0
	ip netns exec "${1}c" "$BENCH_TMP/pktfill" plan pwan \
		"$(ip netns exec "$1" cat /sys/class/net/lan/address)" \
		"$(ip netns exec "$1" cat /sys/class/net/wan/address)" "$2"
}

# DIR/conf for the nft backend with every file in DIR (write_hosts's hosts file: DIR/hosts).
bench_conf() { # DIR
	cat >"$1/conf" <<EOC
backend = nft
lease_file = $1/leases
hosts_files = $1/hosts
lock_file = $1/lock
state_dir = $1/state
run_dir = $1/run
EOC
}

# The daemon's lines (footprint.sh, instr.sh): HTTP on PORT, a poll a second, the state file
# once an hour, and InfluxDB at a closed port (every push fails and waits in the queue).
bench_daemon_conf() { # DIR PORT
	cat >>"$1/conf" <<EOC
listen = 127.0.0.1:$2
interval = 1
commit_interval = 3600
influx_url = http://127.0.0.1:1/write?db=iptmon
EOC
}
