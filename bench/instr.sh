#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# User-space instructions (valgrind's callgrind: an instruction count, the same from run to run
# to a few in ten thousand on this shared VM, where CPU times move by 30 %) of the daemon's poll
# and of `iptmon metrics --kernel`, nft backend, N static hosts counted by `iptmon init`:
#   poll_mi   millions of instructions in one poll (poll_once and all it calls: the read, the
#             totals, the live file, the InfluxDB batch with gzip), the median of POLLS polls
#             after 3 warm-up polls; the daemon as footprint.sh runs it (interval = 1, HTTP on,
#             influx_url to a closed port), no past state; with TRAFFIC=1 (the default) every
#             host sends and receives a packet between any two polls (bench/pktfill in a loop,
#             as footprint.sh's traffic), so that each poll has every host's period counts,
#             rates and hour to keep; TRAFFIC=0: none (a poll then skips those)
#   read_mi   millions of instructions of a whole `iptmon metrics --kernel` (start-up, dynamic
#             linking, the read and the output; not the kernel's side of the dumps)
# With BASE_BIN=/path/to/an/older/iptmon the same for it, and new/base ratios.
# The kernel's work (the dumps: bench/dumpfloor.c, footprint.sh's floor_ms) is not counted:
# callgrind counts the process's own instructions only. Instructions are not time (a cache
# miss costs more than an add), but they move with the code alone.
# Usage: bench/instr.sh   SIZES="10 1000 4000" POLLS=5 TRAFFIC=1
# KEEP=DIR: a counted poll's and the read's callgrind files kept in DIR (poll.TAG.N.cg,
# read.TAG.N.cg), for callgrind_annotate --inclusive=yes.
# Root; valgrind; real netfilter in throwaway namespaces (bench/lib.sh), every process killed
# by pid.
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
BIN=${BIN:-$PWD/iptmon}
SIZES=${SIZES:-"10 1000 4000"}
POLLS=${POLLS:-5}
TRAFFIC=${TRAFFIC:-1}
PORT=9677

command -v valgrind >/dev/null || { echo "instr: needs valgrind (apt-get install valgrind)" >&2; exit 1; }

# the Ir total of a callgrind output file, in millions
mi() { awk '/^(summary|totals):/ {printf "%.2f", $2 / 1e6; exit}' "$1"; }

# DIR's per-poll dump files by their number (poll.cg.1, .2, ... .10), names only
polls_in() { find "$1" -maxdepth 1 -name 'poll.cg.*' -printf '%f\n' | sort -t. -k3 -n; }

run_one() { # TAG BIN N -> "read_mi poll_mi"
	local tag=$1 bin=$2 n=$3 ns d k f rmi pmi tpid
	ns="${BENCH_PFX}i$tag$n"
	d="$BENCH_TMP/i$tag$n"
	mkdir -p "$d/state"
	bench_ns "$ns"
	write_hosts "$n" "$d/hosts"
	bench_conf "$d"
	ip netns exec "$ns" env IPTMON_CONFIG="$d/conf" "$bin" init
	ip netns exec "$ns" env IPTMON_CONFIG="$d/conf" valgrind -q --tool=callgrind \
		--callgrind-out-file="$d/read.cg" "$bin" metrics --kernel >/dev/null
	rmi=$(mi "$d/read.cg")
	bench_daemon_conf "$d" "$PORT"
	if [ "$TRAFFIC" = 1 ]; then
		traffic_links "$ns"
		# a packet each way for every host, again and again: in every poll's window
		(while traffic "$ns" "$n" >/dev/null; do :; done) {NAP}<&- &
		BENCH_PIDS+=("$!")
		tpid=$!
	fi
	# only poll_once counted, one output file after each poll
	ip netns exec "$ns" env IPTMON_CONFIG="$d/conf" valgrind -q --tool=callgrind \
		--toggle-collect=poll_once --dump-after=poll_once --callgrind-out-file="$d/poll.cg" \
		"$bin" daemon 2>"$d/log" {NAP}<&- &
	pid=$!
	BENCH_PIDS+=("$pid")
	for ((k = 0; k < 6000; k++)); do
		[ "$(find "$d" -maxdepth 1 -name 'poll.cg.*' | wc -l)" -ge $((POLLS + 3)) ] && break
		kill -0 "$pid" 2>/dev/null || { echo "instr: the daemon stopped: $(cat "$d/log")" >&2; exit 1; }
		nap 0.1
	done
	kill "$pid"
	wait "$pid" || true
	if [ "$TRAFFIC" = 1 ]; then
		kill "$tpid"
		wait "$tpid" || true
	fi
	pmi=$(for f in $(polls_in "$d" | sed -n "4,$((POLLS + 3))p"); do
		mi "$d/$f"; echo; done | median)
	[ -n "$pmi" ] || { echo "instr: no poll counted: $(cat "$d/log")" >&2; exit 1; }
	if [ -n "${KEEP:-}" ]; then # one counted poll's and the read's files, for callgrind_annotate
		cp "$d/$(polls_in "$d" | sed -n 4p)" "$KEEP/poll.$tag.$n.cg"
		cp "$d/read.cg" "$KEEP/read.$tag.$n.cg"
	fi
	ip netns exec "$ns" env IPTMON_CONFIG="$d/conf" "$bin" remove
	echo "$rmi $pmi"
}

[ "$TRAFFIC" = 1 ] && cc -O2 -o "$BENCH_TMP/pktfill" bench/pktfill.c
FMT="%-5s %6s %9s %9s\n"
echo "instr: nft, SIZES=\"$SIZES\" POLLS=$POLLS TRAFFIC=$TRAFFIC (millions of user-space instructions, callgrind)"
printf "$FMT" bin N read_mi poll_mi
declare -A R
for n in $SIZES; do
	R[new$n]=$(run_one new "$BIN" "$n")
	printf "$FMT" new "$n" ${R[new$n]}
	if [ -n "${BASE_BIN:-}" ]; then
		R[base$n]=$(run_one base "$BASE_BIN" "$n")
		printf "$FMT" base "$n" ${R[base$n]}
	fi
done
if [ -n "${BASE_BIN:-}" ]; then
	echo "ratios new/base:"
	for n in $SIZES; do
		read -r a b <<<"${R[new$n]}"
		read -r c e <<<"${R[base$n]}"
		awk -v n="$n" -v a="$a" -v b="$b" -v c="$c" -v e="$e" \
			'BEGIN {printf "N=%s read %.3f poll %.3f\n", n, a / c, b / e}'
	done
fi
