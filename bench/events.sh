#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Latency of one dnsmasq event (add/old/del) and of init, with N hosts already counted
# (N static hosts, counted by init). Medians of REPS events each; add_vs_N0 is the ratio to
# the same backend with no host counted, measured in the same run; true_ms is what starting
# /bin/true costs in the same loop (the floor: dnsmasq starts iptmon for every event).
# Runs the real binary against real netfilter in a throwaway namespace.
# Usage: bench/events.sh [BACKEND...]   (default: nft iptables-legacy iptables-nft)
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
BIN=$PWD/iptmon
SIZES=${SIZES:-"0 100 1000 4000"}
REPS=${REPS:-30}
backends=("$@")
[ ${#backends[@]} -gt 0 ] || backends=(nft iptables-legacy iptables-nft)

# Runs inside the namespace: prints "init_ms add_ms old_ms del_ms" (medians).
inner() {
	local conf=$1 reps=$2 i t0 t1
	export IPTMON_CONFIG=$conf
	t0=$EPOCHREALTIME
	"$BIN" init
	t1=$EPOCHREALTIME
	local init_ms
	init_ms=$(echo "$t0 $t1" | awk '{printf "%.2f", ($2-$1)*1000}')
	: >"$BENCH_TMP/add" ; : >"$BENCH_TMP/old" ; : >"$BENCH_TMP/del"
	for ((i = 0; i < reps; i++)); do
		local ip="192.168.77.$((i % 200 + 10))" mac
		mac=$(printf '02:00:00:00:%02x:%02x' $((i / 256)) $((i % 256)))
		t0=$EPOCHREALTIME; "$BIN" add "$mac" "$ip" "bench$i"; t1=$EPOCHREALTIME
		echo "$t0 $t1" | awk '{printf "%.3f\n", ($2-$1)*1000}' >>"$BENCH_TMP/add"
		t0=$EPOCHREALTIME; "$BIN" old "$mac" "$ip" "bench$i"; t1=$EPOCHREALTIME
		echo "$t0 $t1" | awk '{printf "%.3f\n", ($2-$1)*1000}' >>"$BENCH_TMP/old"
		t0=$EPOCHREALTIME; "$BIN" del "$mac" "$ip" "bench$i"; t1=$EPOCHREALTIME
		echo "$t0 $t1" | awk '{printf "%.3f\n", ($2-$1)*1000}' >>"$BENCH_TMP/del"
	done
	# What starting any program costs here (the floor under every event: dnsmasq forks us).
	: >"$BENCH_TMP/true"
	for ((i = 0; i < reps; i++)); do
		t0=$EPOCHREALTIME; /bin/true; t1=$EPOCHREALTIME
		echo "$t0 $t1" | awk '{printf "%.3f\n", ($2-$1)*1000}' >>"$BENCH_TMP/true"
	done
	echo "$init_ms $(median <"$BENCH_TMP/add") $(median <"$BENCH_TMP/old") $(median <"$BENCH_TMP/del") $(median <"$BENCH_TMP/true")"
}

if [ "${1:-}" = "--inner" ]; then
	shift
	inner "$@"
	exit
fi

printf '%-16s %6s %10s %9s %9s %9s %12s %9s\n' backend N init_ms add_ms old_ms del_ms add_vs_N0 true_ms
for be in "${backends[@]}"; do
	base=""
	for n in $SIZES; do
		ns="${BENCH_PFX}e$n"
		bench_ns "$ns"
		conf="$BENCH_TMP/conf-$be-$n"
		write_hosts "$n" "$BENCH_TMP/hosts-$n"
		cat >"$conf" <<EOC
backend = $be
lease_file = $BENCH_TMP/none
hosts_files = $BENCH_TMP/hosts-$n
lock_file = $BENCH_TMP/lock
EOC
		read -r init add old del tru < <(ip netns exec "$ns" env BENCH_INNER_TMP="$BENCH_TMP" BIN="$BIN" \
			bash -c ". bench/lib.sh; trap - EXIT; $(declare -f inner median); inner '$conf' $REPS")
		counted=$(ip netns exec "$ns" env IPTMON_CONFIG="$conf" "$BIN" show --json | jq '.hosts|length')
		[ "$counted" = "$n" ] || { echo "bench: expected $n hosts counted, got $counted" >&2; exit 1; }
		[ -n "$base" ] || base=$add
		ratio=$(awk -v a="$add" -v b="$base" 'BEGIN {printf "%.2fx", a/b}')
		printf '%-16s %6s %10s %9s %9s %9s %12s %9s\n' "$be" "$n" "$init" "$add" "$old" "$del" "$ratio" "$tru"
		ip netns del "$ns"
	done
done
