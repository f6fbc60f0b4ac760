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
