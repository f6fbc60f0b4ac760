#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# iptmon's footprint on a router (issue 9), nft backend, for N hosts (N static hosts counted by
# `iptmon init`), one row per binary and N:
#   kern_kib       kernel memory of iptmon's objects: SUnreclaim (/proc/meminfo) after
#                  `iptmon init` in PAR fresh namespaces at once, less before, per namespace
#   kern_left_kib  the same after `iptmon remove` in each (freed objects wait for RCU: ~0)
#   read_ms        `iptmon metrics --kernel` user+sys CPU (children's rusage over READS runs)
#                  less /bin/true's, both started the same way (ip netns exec, env)
#   floor_ms       the kernel's part of it, as a floor: bench/dumpfloor.c dumps the same
#                  element sets READS times with nothing else (no parsing, no start-up)
#   poll_ms        the daemon's CPU per poll (/proc/PID/task/*/schedstat over POLLS polls,
#                  interval = 1, no HTTP request in the window)
#   idle_anon_kib idle_hwm_kib   RssAnon and VmHWM between polls, before any HTTP request
#   http_anon_kib http_hwm_kib   the same after FETCHES fetches each of /metrics and /api/hosts
#   page_anon_kib page_hwm_kib   the same after FETCHES fetches each of /api/history and
#                  /api/days?period=0 (what the page asks for at every poll while it is open)
#   down_anon_kib down_hwm_kib   the same after InfluxDB has been down OUTAGE seconds (the
#                  daemon pushes to a closed port from its start: every push fails and waits
#                  in its queue; default OUTAGE=60, a scaled-down 10 minutes: OUTAGE=600)
#   queued_kib     iptmon_daemon_influx_queued_bytes then
#   live_kib       the live file's size between polls (run_dir, tmpfs: memory as well)
#   busy           hosts with traffic in the current period (the live file's "cur" lines)
# Then the stripped sizes of the SMALL=1 variants (make sizes), and with BASE_BIN=/path/to/
# an/older/iptmon the same rows for it and each figure's ratio new/base.
# The daemon starts from a state file holding PAST closed periods (default 12, periods_kept's
# default: a year of months) in which every one of the N hosts counted, as on a router that has
# run for that long; PAST=0 starts it from nothing.
# With TRAFFIC=1 (the default) every host sends and receives a packet (bench/pktfill, through
# the router namespace's two links) before the idle figures and again before the fetches: the
# daemon holds rates, the hour's history and the day's entries for every host, as a busy
# router's does. TRAFFIC=0: no traffic, as before.
# Usage: bench/footprint.sh   SIZES="10 1000 4000" PAR=4 READS=20 POLLS=10 FETCHES=5 OUTAGE=60 PAST=12 TRAFFIC=1
# PERF=FILE: perf record -g of the daemon's POLLS polls into FILE.N (the new binary's only; the
# poll_ms figure then includes perf's own cost: profile with it, measure without it).
# MHD_LIBDIR=DIR: the daemon loads libmicrohttpd.so.12 from DIR (e.g. one built without TLS, as
# OpenWrt's libmicrohttpd-no-ssl; bench/README.md says how), not Debian's (GnuTLS with it).
# CONF=LINES: configuration lines added to the new binary's daemon only (BASE_BIN=$BIN with,
# say, CONF="history_hour = off" measures what a key saves).
# Root; real netfilter in throwaway namespaces (bench/lib.sh), every process killed by pid.
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
BIN=${BIN:-$PWD/iptmon}
SIZES=${SIZES:-"10 1000 4000"}
PAR=${PAR:-4}
READS=${READS:-20}
POLLS=${POLLS:-10}
FETCHES=${FETCHES:-5}
OUTAGE=${OUTAGE:-60}
PAST=${PAST:-12}
TRAFFIC=${TRAFFIC:-1}
PORT=9678

sunreclaim() { awk '/^SUnreclaim:/ {print $2}' /proc/meminfo; }
status_kib() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }
# user+sys CPU in ms of a command and all its children (bash's time keyword)
cpu_of() {
	local TIMEFORMAT='%3U %3S' t
	t=$( { time "$@" >/dev/null 2>&1; } 2>&1)
	awk -v t="$t" 'BEGIN {split(t, a, " "); printf "%.3f\n", (a[1] + a[2]) * 1000}'
}

# A state file with PAST closed months before now, host-1..host-N in each with counts of a
# month's size (IPv6 for every other host), and (PAST > 0) the history's days: the last 30
# for every host, or as many as its 65536 host-days hold. Written as the daemon writes it
# (days at UTC midnights: the bench's machine runs in UTC).
past_state() { # N FILE
	awk -v n="$1" -v past="$PAST" -v now="$(date +%s)" 'BEGIN {
		srand(n); m = 30 * 86400; s = now - now % 86400
		print "iptmon-state 3"; print "boot -"; print "time " now
		for (p = 0; p < past; p++) {
			printf "past %.0f %.0f\n", s - (p + 1) * m, s - p * m
			for (i = 1; i <= n; i++) {
				t4 = int(rand() * 2^33); r4 = int(rand() * 2^36)
				t6 = i % 2 ? 0 : int(rand() * 2^32); r6 = i % 2 ? 0 : int(rand() * 2^35)
				printf "was host-%d %.0f %.0f %.0f %.0f %.0f %.0f %.0f %.0f\n", i, t4, int(t4 / 700),
					r4, int(r4 / 1200), t6, int(t6 / 700), r6, int(r6 / 1200)
			}
		}
		days = int(65536 / n); if (days > 30) days = 30
		for (k = days - 1; k >= 0; k--)
			for (i = 1; i <= n; i++)
				printf "day %.0f host-%d %.0f %.0f\n", s - k * 86400, i,
					int(rand() * 2^30), int(rand() * 2^27)
		print "end"
	}' >"$2"
}

# kernel memory: PAR namespaces, N hosts each; prints "init_kib left_kib" per namespace
# iptmon CMD in each of kernel_kib's PAR namespaces at once (bin, n, tag from there).
in_each() {
	local i pids=()
	for ((i = 0; i < PAR; i++)); do
		ip netns exec "${BENCH_PFX}k$tag$n$i" env IPTMON_CONFIG="$BENCH_TMP/k$tag$n.$i/conf" "$bin" "$1" &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i"; done
}
kernel_kib() { # BIN N TAG
	local bin=$1 n=$2 tag=$3 i before mid after
	for ((i = 0; i < PAR; i++)); do
		local d=$BENCH_TMP/k$tag$n.$i
		mkdir -p "$d"
		bench_ns "${BENCH_PFX}k$tag$n$i"
		write_hosts "$n" "$d/hosts"
		bench_conf "$d"
	done
	sync
	nap 1
	before=$(sunreclaim)
	in_each init
	nap 1
	mid=$(sunreclaim)
	in_each remove
	nap 2
	after=$(sunreclaim)
	awk -v a="$before" -v b="$mid" -v c="$after" -v p="$PAR" 'BEGIN {printf "%.0f %.0f\n", (b - a) / p, (c - a) / p}'
}

# iptmon metrics --kernel, READS times, less /bin/true: ms of CPU per read
# (the baseline goes through the same ip netns exec and env as the reads: env's own start-up
# was ~1.4 ms of the 10-host figure before)
reads_true() {
	local k
	for ((k = 0; k < READS; k++)); do ip netns exec "$1" env IPTMON_CONFIG=/dev/null /bin/true; done
}
reads_iptmon() {
	local k
	for ((k = 0; k < READS; k++)); do
		ip netns exec "$1" env IPTMON_CONFIG="$2/conf" "$3" metrics --kernel >/dev/null
	done
}
read_ms() { # NS DIR BIN
	local a b
	a=$(cpu_of reads_true "$1")
	b=$(cpu_of reads_iptmon "$1" "$2" "$3")
	awk -v a="$a" -v b="$b" -v r="$READS" 'BEGIN {printf "%.2f\n", (b - a) / r}'
}

FMT='%-6s %5s %8s %13s %8s %8s %8s %13s %12s %13s %12s %13s %12s %13s %12s %10s %8s %5s\n'
# shellcheck disable=SC2059
row_head() { printf "$FMT" bin N kern_kib kern_left_kib read_ms floor_ms poll_ms idle_anon_kib idle_hwm_kib http_anon_kib http_hwm_kib page_anon_kib page_hwm_kib down_anon_kib down_hwm_kib queued_kib live_kib busy; }

fetches() { # NS PATH... : each PATH FETCHES times from the daemon
	local ns=$1 k u
	shift
	for ((k = 0; k < FETCHES; k++)); do
		for u in "$@"; do
			ip netns exec "$ns" curl -sf -o /dev/null "http://127.0.0.1:$PORT$u"
		done
	done
}

run_one() { # TAG BIN N -> one row
	local tag=$1 bin=$2 n=$3 ns d pid live k c0 c1 p0 p1 q
	read -r kern left < <(kernel_kib "$bin" "$n" "$tag")
	ns="${BENCH_PFX}d$tag$n"
	d="$BENCH_TMP/d$tag$n"
	mkdir -p "$d"
	bench_ns "$ns"
	write_hosts "$n" "$d/hosts"
	bench_conf "$d"
	ip netns exec "$ns" env IPTMON_CONFIG="$d/conf" "$bin" init
	local rms fms
	rms=$(read_ms "$ns" "$d" "$bin")
	fms=-
	[ "$tag" = base ] || # (an older binary's table has other sets)
		fms=$(ip netns exec "$ns" "$BENCH_TMP/dumpfloor" iptmon "$READS" tx4 rx4 tx6 rx6 carry)
	bench_daemon_conf "$d" "$PORT"
	if [ "$tag" = new ] && [ -n "${CONF:-}" ]; then printf '%s\n' "$CONF" >>"$d/conf"; fi
	mkdir -p "$d/state"
	[ "$PAST" = 0 ] || past_state "$n" "$d/state/iptmon.state"
	if [ "$TRAFFIC" = 1 ]; then traffic_links "$ns"; fi
	LD_LIBRARY_PATH=${MHD_LIBDIR:-} bench_daemon "$ns" "$d/conf" "$bin" "$d" 3
	traffic "$ns" "$n"
	wait_poll "$live"
	wait_poll "$live"
	nap 0.3
	local ia ih ha hh pa ph da dh busy lk
	# hosts the daemon saw traffic of: a "cur" line each in the live file
	busy=$(grep -c '^cur ' "$live" || true)
	# the live file, rewritten every poll, on tmpfs: memory too
	lk=$(( ($(stat -c %s "$live") + 1023) / 1024 ))
	ia=$(status_kib "$pid" RssAnon)
	ih=$(status_kib "$pid" VmHWM)
	wait_poll "$live"
	nap 0.3
	local perfpid=
	if [ -n "${PERF:-}" ] && [ "$tag" = new ]; then
		perf record -q -g -o "$PERF.$n" -p "$pid" 2>/dev/null {NAP}<&- &
		perfpid=$!
		nap 0.5
	fi
	c0=$(cpu_ns "$pid")
	for ((k = 0; k < POLLS; k++)); do wait_poll "$live"; done
	nap 0.3
	c1=$(cpu_ns "$pid")
	if [ -n "$perfpid" ]; then
		kill -INT "$perfpid"
		wait "$perfpid" || true
	fi
	local pms
	pms=$(awk -v a="$c0" -v b="$c1" -v p="$POLLS" 'BEGIN {printf "%.2f", (b - a) / 1e6 / p}')
	traffic "$ns" "$n"
	wait_poll "$live"
	fetches "$ns" /metrics /api/hosts
	ha=$(status_kib "$pid" RssAnon)
	hh=$(status_kib "$pid" VmHWM)
	fetches "$ns" /api/history "/api/days?period=0"
	pa=$(status_kib "$pid" RssAnon)
	ph=$(status_kib "$pid" VmHWM)
	nap "$OUTAGE"
	da=$(status_kib "$pid" RssAnon)
	dh=$(status_kib "$pid" VmHWM)
	q=$(ip netns exec "$ns" curl -sf "http://127.0.0.1:$PORT/metrics" |
		awk '$1 == "iptmon_daemon_influx_queued_bytes" {printf "%.0f", $2 / 1024}')
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	ip netns exec "$ns" env IPTMON_CONFIG="$d/conf" "$bin" remove
	# shellcheck disable=SC2059
	printf "$FMT" "$tag" "$n" "$kern" "$left" "$rms" "$fms" "$pms" "$ia" "$ih" "$ha" "$hh" "$pa" "$ph" "$da" "$dh" "${q:-0}" "$lk" "$busy"
}

cc -O2 -o "$BENCH_TMP/dumpfloor" bench/dumpfloor.c -lmnl
cc -O2 -o "$BENCH_TMP/pktfill" bench/pktfill.c
echo "footprint: nft, SIZES=\"$SIZES\" PAR=$PAR READS=$READS POLLS=$POLLS FETCHES=$FETCHES OUTAGE=${OUTAGE}s PAST=$PAST TRAFFIC=$TRAFFIC${MHD_LIBDIR:+ MHD_LIBDIR=$MHD_LIBDIR}${CONF:+ CONF=\"$CONF\"}"
row_head
: >"$BENCH_TMP/rows"
for n in $SIZES; do
	run_one new "$BIN" "$n" | tee -a "$BENCH_TMP/rows"
	if [ -n "${BASE_BIN:-}" ]; then
		run_one base "$BASE_BIN" "$n" | tee -a "$BENCH_TMP/rows"
	fi
done
if [ -n "${BASE_BIN:-}" ]; then
	echo "ratios new/base:"
	awk '$1 == "base" {for (i = 3; i <= NF; i++) b[$2, i] = $i}
	     $1 == "new" {for (i = 3; i <= NF; i++) v[$2, i] = $i; ns[++k] = $2}
	     END {for (j = 1; j <= k; j++) {n = ns[j]; printf "ratio  %5s", n;
	          for (i = 3; i <= 17; i++) printf " %8s", (b[n, i] > 0 ? sprintf("%.2f", v[n, i] / b[n, i]) : "-");
	          printf "\n"}}' "$BENCH_TMP/rows"
fi
echo "binary sizes (stripped, x86_64):"
make --no-print-directory -s sizes 2>&1 | grep -v '^  '
if [ -n "${BASE_BIN:-}" ]; then
	strip -s -R .comment -R .note.gnu.build-id -o "$BENCH_TMP/base.stripped" "$BASE_BIN"
	echo "BASE_BIN as built: $(stat -c %s "$BENCH_TMP/base.stripped") bytes stripped"
fi
