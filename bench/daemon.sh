#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `iptmon daemon` with N hosts counted (N static hosts, counted by init), polling every second
# (interval = 1, commit_interval = COMMIT, default 1: the state file is written every poll).
# One row per backend and N (ratios: to the first of SIZES, N = 10, same backend, same run):
#   rss_kib hwm_kib      VmRSS, VmHWM (/proc/PID/status) at the end, after the HTTP fetches
#   rss_vs_N10           rss_kib / rss_kib at N = 10
#   cpu_ms_per_poll      CPU time per poll over POLLS polls: the daemon's (sum of
#                        /proc/PID/task/*/schedstat, ns) plus its children's (cutime+cstime of
#                        /proc/PID/stat, in ticks, +-1 tick over the window: iptables-nft-save,
#                        run twice a poll by iptables-nft). No HTTP request falls in the
#                        window: it opens and closes half a second after a poll (the daemon
#                        idle); /metrics is fetched (polls_total) just before it opens and just
#                        after it closes
#   tick_ms_per_poll     the same from utime+stime+cutime+cstime alone (CLK_TCK ticks: coarse)
#   children_ms_per_poll the children's part (cutime+cstime)
#   cpu_vs_N10           cpu_ms_per_poll / cpu_ms_per_poll at N = 10
#   poll_ms              the daemon's iptmon_daemon_poll_duration_seconds (wall time of its last
#                        poll, 1 ms resolution): median over the COLD+2 polls /metrics was rendered for
#   metrics_bytes        size of the /metrics body
#   metrics_cold_ms      curl time_total of the first /metrics request after a poll (it renders
#                        the body), median over COLD polls
#   metrics_warm_ms, metrics_warm_p90_ms  median and p90 of REPS requests after those (the body
#                        rendered once per poll and shared)
#   busybox_static_ms, busybox_p90_ms  busybox httpd (it forks per request) serving a copy of
#                        the /metrics body in the same namespace, REPS requests: a static server
#   api_hosts_bytes, api_hosts_cold_ms, api_hosts_warm_ms  the same for /api/hosts (its cold
#                        request comes right after /metrics' one, in the same poll)
#   state_bytes, state_bytes_per_host  state_dir/iptmon.state as TERM left it, and per host
# EXTRA: configuration lines added to each run's file, e.g. EXTRA="max_hosts = 1024".
# Each size gets a new namespace, config, N static hosts counted by `iptmon init`, a daemon
# (stopped by TERM to its pid) and, briefly, busybox httpd (killed by pid).
# Runs the real binary against real netfilter in a throwaway namespace per backend and N.
# Usage: bench/daemon.sh [BACKEND...]   (default: nft iptables-legacy iptables-nft)
#        SIZES="10 1000 4000" POLLS=20 REPS=30 COLD=5 COMMIT=1 to change the defaults.
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
BIN=$PWD/iptmon
SIZES=${SIZES:-"10 1000 4000"}
POLLS=${POLLS:-20}
REPS=${REPS:-30}
COLD=${COLD:-5}
COMMIT=${COMMIT:-1}
WARMUP=3
HZ=$(getconf CLK_TCK)
PORT=9678
SPORT=9679
backends=("$@")
[ ${#backends[@]} -gt 0 ] || backends=(nft iptables-legacy iptables-nft)
read -r BASE_N _ <<<"$SIZES"
if [ "$COLD" -lt 1 ] || [ "$POLLS" -lt 1 ]; then
	echo "bench: COLD and POLLS must be 1 or more" >&2
	exit 1
fi

# utime+stime and cutime+cstime (the children it waited for: iptables-nft-save) in ticks
cpu_ticks() {
	local st f
	read -r st <"/proc/$1/stat"
	read -ra f <<<"${st##*) }" # f[0] is field 3 (state); utime..cstime are fields 14-17
	echo "$((f[11] + f[12])) $((f[13] + f[14]))"
}

# Drops a pid the bench has waited for from the ones bench_cleanup kills (never a reused pid).
forget_pid() {
	local p keep=()
	for p in "${BENCH_PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
	BENCH_PIDS=("${keep[@]}")
}

# curl's time_total in ms for http://127.0.0.1:$1 in the namespace; the body to $2 or /dev/null.
fetch_ms() {
	ip netns exec "$ns" curl -sf -o "${2:-/dev/null}" -w '%{time_total}\n' "http://127.0.0.1:$1" |
		awk '{printf "%.3f\n", $1 * 1000}'
}
metric() { awk -v m="$1" '$1 == m {print $2}' "$2"; }
p90() { sort -n | awk '{a[NR]=$1} END {if (!NR) {print "nan"; exit} i=int(NR*0.9+0.999); print a[(i > NR ? NR : i)]}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}'; }

FMT='%-15s %5s %7s %7s %10s %15s %16s %19s %10s %7s %13s %15s %15s %19s %17s %14s %15s %17s %17s %11s %20s\n'
# shellcheck disable=SC2059
printf "$FMT" backend N rss_kib hwm_kib "rss_vs_N$BASE_N" cpu_ms_per_poll tick_ms_per_poll \
	children_ms_per_poll "cpu_vs_N$BASE_N" poll_ms metrics_bytes metrics_cold_ms metrics_warm_ms metrics_warm_p90_ms \
	busybox_static_ms busybox_p90_ms api_hosts_bytes api_hosts_cold_ms api_hosts_warm_ms \
	state_bytes state_bytes_per_host
per=$(((REPS + COLD - 1) / COLD))
for be in "${backends[@]}"; do
	base_cpu=""
	base_rss=""
	for n in $SIZES; do
		ns="${BENCH_PFX}d$n"
		d="$BENCH_TMP/$be-$n"
		mkdir -p "$d/www"
		bench_ns "$ns"
		write_hosts "$n" "$d/hosts"
		cat >"$d/conf" <<EOC
backend = $be
lease_file = $d/leases
hosts_files = $d/hosts
lock_file = $d/lock
state_dir = $d/state
run_dir = $d/run
listen = 127.0.0.1:$PORT
interval = 1
commit_interval = $COMMIT
${EXTRA:-}
EOC
		ip netns exec "$ns" env IPTMON_CONFIG="$d/conf" "$BIN" init
		counted=$(ip netns exec "$ns" env IPTMON_CONFIG="$d/conf" "$BIN" show --json | jq '.hosts|length')
		[ "$counted" = "$n" ] || { echo "bench: expected $n hosts counted, got $counted" >&2; exit 1; }
		bench_daemon "$ns" "$d/conf" "$BIN" "$d" "$WARMUP"

		# CPU per poll: POLLS whole poll cycles, from idle to idle, no HTTP inside
		wait_poll "$live"
		nap 0.5
		fetch_ms $PORT/metrics "$d/m0" >/dev/null
		nap 0.05
		c0=$(cpu_ns "$pid")
		read -r t0 k0 < <(cpu_ticks "$pid")
		for ((k = 0; k < POLLS; k++)); do wait_poll "$live"; done
		nap 0.5
		c1=$(cpu_ns "$pid")
		read -r t1 k1 < <(cpu_ticks "$pid")
		fetch_ms $PORT/metrics "$d/m1" >/dev/null
		p0=$(metric iptmon_daemon_polls_total "$d/m0")
		p1=$(metric iptmon_daemon_polls_total "$d/m1")
		[ $((p1 - p0)) = "$POLLS" ] || echo "bench: $be N=$n: $((p1 - p0)) polls in the window, not $POLLS" >&2
		# ms per poll: own (schedstat ns) + children (ticks); all in ticks; children alone
		read -r cpu tick kids < <(awk -v a="$c0" -v b="$c1" -v t="$((t1 - t0))" -v k="$((k1 - k0))" \
			-v p="$((p1 - p0))" -v hz="$HZ" 'BEGIN {printf "%.3f %.2f %.2f\n",
			((b - a) / 1e6 + k * 1000 / hz) / p, (t + k) * 1000 / hz / p, k * 1000 / hz / p}')
		{ metric iptmon_daemon_poll_duration_seconds "$d/m0"; metric iptmon_daemon_poll_duration_seconds "$d/m1"; } >"$d/poll"

		# /metrics and /api/hosts: the first request after a poll renders, the next share it
		: >"$d/m_cold"; : >"$d/m_warm"; : >"$d/a_cold"; : >"$d/a_warm"
		last=$p1
		for ((c = 0; c < COLD; c++)); do
			wait_poll "$live"
			nap 0.3 # the poll's state file write is over: the request waits for no poll
			# timed to /dev/null: a file as curl's output costs it ms (ext4 re-writes)
			fetch_ms $PORT/metrics >>"$d/m_cold"
			fetch_ms $PORT/api/hosts >>"$d/a_cold"
			# the bodies just rendered (shared until the next poll): sizes, polls_total
			fetch_ms $PORT/metrics "$d/www/metrics" >/dev/null
			fetch_ms $PORT/api/hosts "$d/api" >/dev/null
			p=$(metric iptmon_daemon_polls_total "$d/www/metrics")
			[ "$p" = $((last + 1)) ] || echo "bench: $be N=$n: polls_total $last, then $p: a poll between requests?" >&2
			last=$p
			metric iptmon_daemon_poll_duration_seconds "$d/www/metrics" >>"$d/poll"
			for ((r = 0; r < per; r++)); do
				fetch_ms $PORT/metrics >>"$d/m_warm"
				fetch_ms $PORT/api/hosts >>"$d/a_warm"
			done
		done
		rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
		hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")
		msize=$(stat -c %s "$d/www/metrics")
		asize=$(stat -c %s "$d/api")

		# busybox httpd serving a file of /metrics' size (a copy of the body)
		ip netns exec "$ns" busybox httpd -f -p 127.0.0.1:$SPORT -h "$d/www" {NAP}<&- &
		hpid=$!
		BENCH_PIDS+=("$hpid")
		for ((k = 0; k < 200; k++)); do
			ip netns exec "$ns" curl -sf -o /dev/null "http://127.0.0.1:$SPORT/metrics" && break
			nap 0.01
		done
		: >"$d/static"
		for ((r = 0; r < REPS; r++)); do fetch_ms $SPORT/metrics >>"$d/static"; done
		kill "$hpid"
		wait "$hpid" 2>/dev/null || true
		forget_pid "$hpid"

		kill -TERM "$pid"
		rc=0
		wait "$pid" || rc=$?
		forget_pid "$pid"
		[ "$rc" = 0 ] || echo "bench: daemon exit status $rc: $(tail -n 2 "$d/log")" >&2
		state=$(stat -c %s "$d/state/iptmon.state") # TERM: a last poll and a state write
		ip netns del "$ns"

		[ -n "$base_cpu" ] || { base_cpu=$cpu; base_rss=$rss; }
		# shellcheck disable=SC2059
		printf "$FMT" "$be" "$n" "$rss" "$hwm" "$(ratio "$rss" "$base_rss")" \
			"$cpu" "$tick" "$kids" "$(ratio "$cpu" "$base_cpu")" \
			"$(median <"$d/poll" | awk '{printf "%.0f", $1 * 1000}')" "$msize" \
			"$(median <"$d/m_cold")" "$(median <"$d/m_warm")" "$(p90 <"$d/m_warm")" \
			"$(median <"$d/static")" "$(p90 <"$d/static")" \
			"$asize" "$(median <"$d/a_cold")" "$(median <"$d/a_warm")" \
			"$state" "$(awk -v s="$state" -v n="$n" 'BEGIN {printf "%.0f", n ? s / n : 0}')"
	done
done
