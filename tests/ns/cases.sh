#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Namespace test cases: the real iptmon binary against real netfilter, real dnsmasq, real
# DHCP clients and real traffic. One case per process: tests/ns/cases.sh BACKEND CASE.
# The backend is a parameter; every case runs for every backend (tests/ns/run.sh).
set -eu
cd "$(dirname "$0")/../.."
TOP=$PWD
BACKEND=$1
CASE=$2
BIN=${IPTMON_BIN:-$TOP/iptmon}
NS_PFX=${NS_PFX:-it$$}
NS_PFX=${NS_PFX:0:9}
. tests/ns/lib.sh
. tests/ns/services.sh

fail() {
	echo "FAIL [$BACKEND/$CASE]: $*" >&2
	if [ -n "${R:-}" ]; then
		echo "---- rules" >&2
		dump_rules >&2 || true
		echo "---- iptmon show" >&2
		it show -x >&2 || true
		[ -s "${NS_DNSMASQ_LOG:-/nonexistent}" ] && { echo "---- dnsmasq log (tail)" >&2; tail -n 30 "$NS_DNSMASQ_LOG" >&2; }
	fi
	exit 1
}

expect_eq() { # ACTUAL EXPECTED WHAT
	[ "$1" = "$2" ] || fail "$3: expected '$2', got '$1'"
}

# wait_for FUNC [ARG]...: calls the shell function FUNC every 50 ms until it succeeds, for up
# to 10 s. FUNC must be a shell function, which computes its condition afresh on every try:
# `wait_for test "$(cmd)" = x` would run cmd once, before the first try, and never wait. A
# command that is not a function (test, [, grep, ...) fails the case at once, loudly. ARGs are
# constants; anything that changes belongs inside FUNC.
wait_for() {
	local i
	if ! declare -F -- "${1:-}" >/dev/null; then
		echo "BROKEN TEST [$BACKEND/$CASE]: wait_for '${1:-}': not a shell function (wrap the condition in one)" >&2
		exit 2
	fi
	for ((i = 0; i < 200; i++)); do
		if "$@" >/dev/null 2>&1; then return 0; fi
		sleep 0.05
	done
	return 1
}
# Conditions for wait_for.
is_socket() { [ -S "$1" ]; }
file_has() { grep -q -- "$1" "$2"; } # FIXED-STRING-OR-BRE FILE
log_has() { file_has "$1" "$T/daemon.log"; }
# The daemon wrote its live totals and its pid.
daemon_ready() { [ -s "$T/run/iptmon.live" ] && [ -n "$(cat "$T/run/iptmon.pid" 2>/dev/null)" ]; }

# iptmon inside the router namespace with this run's configuration.
it() { ip netns exec "$R" env IPTMON_CONFIG="$T/iptmon.conf" "$BIN" "$@"; }
json() { it show --json --kernel; } # the kernel's counters, even while a daemon runs
# host_field NAME JQ-PATH: e.g. host_field pc '.ipv4.tx_bytes'
host_field() { json | jq -r --arg n "$1" ".hosts[] | select(.name == \$n) | $2"; }
host_names() { json | jq -r '.hosts[].name' | sort | tr '\n' ' ' | sed 's/ $//'; }
has_host() { [ -n "$(json | jq -r --arg n "$1" '.hosts[] | select(.name == $n) | .name')" ]; }
no_host() { ! has_host "$1"; }
has_addr() { json | jq -e --arg n "$1" --arg a "$2" '.hosts[] | select(.name == $n) | .addresses | index($a)' >/dev/null; }

# The daemon, in the router namespace, logging to $T/daemon.log; DPID its pid.
start_daemon() {
	ip netns exec "$R" env IPTMON_CONFIG="$T/iptmon.conf" "$BIN" daemon 2>>"$T/daemon.log" &
	DPID=$!
	ns_on_cleanup "kill $DPID 2>/dev/null || true"
	wait_for daemon_ready || true
}
stop_daemon() {
	kill -TERM "$DPID"
	wait "$DPID" || fail "daemon exit status after TERM: $? ($(tail -n 3 "$T/daemon.log"))"
	rm -f "$T/run/iptmon.live"
}
# st_field NAME N: field N of NAME's host line in the state file (4: IPv4 tx bytes).
st_field() { awk -v n="$1" -v f="$2" '$1 == "host" && $2 == n { print $f }' "$T/state/iptmon.state" 2>/dev/null; }
st_is() { [ "$(st_field "$1" "$2")" = "$3" ]; }
total_is() { st_is pc 4 "$1"; }
# live_is BYTES: pc's IPv4 tx total as the running daemon's show gives it
live_is() { [ "$(it show --json | jq -r '.hosts[] | select(.name == "pc") | .ipv4.tx_bytes')" = "$1" ]; }
metric() { ns_rexec curl -s 127.0.0.1:9678/metrics | awk -v m="$1" '$1 == m { print $2 }'; }
metric_ge() { local v; v=$(metric "$1"); [ -n "$v" ] && [ "${v%.*}" -ge "$2" ]; }

is_nft() { [ "$BACKEND" = nft ]; }
save4() {
	case $BACKEND in
	iptables-legacy) ip netns exec "$R" iptables-legacy-save -c -t mangle ;;
	iptables-nft) ip netns exec "$R" iptables-nft-save -c -t mangle ;;
	esac
}
save6() {
	case $BACKEND in
	iptables-legacy) ip netns exec "$R" ip6tables-legacy-save -c -t mangle ;;
	iptables-nft) ip netns exec "$R" ip6tables-nft-save -c -t mangle ;;
	esac
}
ipt4() {
	case $BACKEND in
	iptables-legacy) ip netns exec "$R" iptables-legacy "$@" ;;
	*) ip netns exec "$R" iptables-nft "$@" ;;
	esac
}
ipt6() {
	case $BACKEND in
	iptables-legacy) ip netns exec "$R" ip6tables-legacy "$@" ;;
	*) ip netns exec "$R" ip6tables-nft "$@" ;;
	esac
}
nftj() { ip netns exec "$R" nft -j list table inet iptmon 2>/dev/null || echo '{"nftables": []}'; }
# nft: "SET ADDRESS SET_NAME" per counter element (SET_NAME: its comment, ':' written '/').
nft_elems() { nftj | jq -r '.nftables[] | select(.set) | select(.set.name | test("^[tr]x[46]$")) | .set as $s | ($s.elem // [])[] | (if type == "object" then .elem else {val: .} end) as $e | "\($s.name) \($e.val) \($s.name)_\(($e.comment // "") | gsub(":"; "/"))"' | sort; }
nft_rules() { nftj | jq '[.nftables[] | select(.rule)] | length'; }
dump_rules() {
	if is_nft; then ip netns exec "$R" nft list ruleset; else save4 | grep -v '^#'; save6 | grep -v '^#'; fi
}
# iptmon's own state without counters, one line per rule (iptables) or map element (nft).
our_rules() {
	if is_nft; then
		nft_elems
		echo "rules $(nft_rules)"
	else
		{ save4; save6; } | grep -E -- '-A (iptmon_|FORWARD -j iptmon)' | sed 's/^\[[0-9:]*\] //' | sort
	fi
}
# rule_count tx_NAME: the rules (iptables) or map elements (nft) counting NAME that way.
rule_count() {
	if is_nft; then
		local dir=${1%%_*} name=${1#*_}
		nft_elems | awk -v d="$dir" -v n="$name" '$3 == d "4_" n || $3 == d "6_" n' | wc -l
	else
		our_rules | grep -c -- "--comment \"\?$1\"\? " || true
	fi
}
# Everything in the router's netfilter that is not iptmon's, without counters.
foreign() {
	if is_nft; then
		ip netns exec "$R" nft -j list ruleset | jq -c '.nftables[] | select(.metainfo | not) | select(((.table.name // (.[] | .table)) == "iptmon" and (.[] | .family) == "inet") | not)' |
			sed 's/"packets":[0-9]*,"bytes":[0-9]*//g; s/"handle":[0-9]*//g'
	else
		dump_rules | grep -v iptmon | grep -v '^#' | sed 's/\[[0-9]*:[0-9]*\]//g'
	fi
}
# Base objects: one jump to each chain per family (iptables); the four rules (nft).
base_ok() {
	if is_nft; then
		[ "$(nft_rules)" = 4 ]
	else
		[ "$(our_rules | grep -c -- '-A FORWARD -j iptmon_tx')" = 2 ] &&
			[ "$(our_rules | grep -c -- '-A FORWARD -j iptmon_rx')" = 2 ]
	fi
}

# A router with dnsmasq calling iptmon directly as its --dhcp-script.
it_setup() {
	ns_setup
	: >"$T/hosts"
	cat >"$T/iptmon.conf" <<EOC
# written by tests/ns/cases.sh
backend = $BACKEND
lease_file = $NS_LEASES
hosts_files = $T/hosts
lock_file = $T/iptmon.lock
state_dir = $T/state
run_dir = $T/run
listen = off
EOC
	export IPTMON_CONFIG=$T/iptmon.conf
}

it_start_dnsmasq() {
	it init
	ns_start_dnsmasq "${BIN_HOOK:-$BIN}"
}

MAC1=02:00:00:00:88:01
MAC2=02:00:00:00:88:02
MAC3=02:00:00:00:88:03

# pc alone, counted after its DHCPv4 lease (IP1).
one_client() {
	ns_add_client 1 $MAC1
	it_start_dnsmasq
	IP1=$(ns_dhcp4 1 pc)
	wait_for has_host pc || fail "pc not counted"
}

three_clients() {
	ns_add_client 1 $MAC1
	ns_add_client 2 $MAC2
	ns_add_client 3 $MAC3
	it_start_dnsmasq
	IP1=$(ns_dhcp4 1 pc)
	IP2=$(ns_dhcp4 2 phone)
	IP3=$(ns_dhcp4 3 laptop)
	wait_for has_host pc || fail "pc not counted after its lease"
	wait_for has_host phone || fail "phone not counted after its lease"
	wait_for has_host laptop || fail "laptop not counted after its lease"
}

# ---- cases -------------------------------------------------------------------------------

# Leases from real dnsmasq become rules with the right names, addresses and MACs.
case_leases() {
	it_setup
	three_clients
	expect_eq "$(host_names)" "laptop pc phone" "counted hosts"
	expect_eq "$(host_field pc '.addresses | join(",")')" "$IP1" "pc's address"
	expect_eq "$(host_field phone '.mac')" "$MAC2" "phone's MAC"
	expect_eq "$(rule_count tx_pc)" 1 "tx_pc rules"
	expect_eq "$(rule_count rx_pc)" 1 "rx_pc rules"
	if is_nft; then
		our_rules | grep -qx -- "tx4 $IP1 tx4_pc" || fail "no tx4 element for pc"
		our_rules | grep -qx -- "rx4 $IP1 rx4_pc" || fail "no rx4 element for pc"
	else
		our_rules | grep -qx -- "-A iptmon_tx -d $IP1/32 -m comment --comment tx_pc -j RETURN" ||
			fail "no exact tx rule for pc"
		our_rules | grep -qx -- "-A iptmon_rx -s $IP1/32 -m comment --comment rx_pc -j RETURN" ||
			fail "no exact rx rule for pc"
	fi
	base_ok || fail "base objects (jumps / rules)"
	[ "$(json | jq -r .backend)" = "$BACKEND" ] || fail "show --json names backend $(json | jq -r .backend)"
}

# Exact byte counts for known traffic, each direction, IPv4 and IPv6.
case_traffic() {
	it_setup
	three_clients
	ns_ping 1 "$NS_W4" 10 1000 || fail "ping v4"
	ns_ping 2 "$NS_W4" 5 500 || fail "ping v4 (phone)"
	expect_eq "$(host_field pc '.ipv4.tx_bytes')" 10280 "pc ipv4 tx_bytes"
	expect_eq "$(host_field pc '.ipv4.rx_bytes')" 10280 "pc ipv4 rx_bytes"
	expect_eq "$(host_field pc '.ipv4.tx_packets')" 10 "pc ipv4 tx_packets"
	expect_eq "$(host_field pc '.ipv4.rx_packets')" 10 "pc ipv4 rx_packets"
	expect_eq "$(host_field phone '.ipv4.tx_bytes')" 2640 "phone ipv4 tx_bytes (5 x 528)"
	expect_eq "$(host_field laptop '.ipv4.tx_bytes')" 0 "laptop ipv4 tx_bytes"
	# One-way traffic: W sends to the phone only (UDP, no answer needed to count).
	IP6=$(ns_dhcp6 1)
	wait_for has_addr pc "$IP6" || fail "pc's IPv6 lease ($IP6) not counted under pc"
	expect_eq "$(host_field pc '.ipv6.rx_bytes')" 0 "pc ipv6 rx_bytes before ping"
	ns_ping 1 "$NS_W6" 10 1000 || fail "ping v6"
	expect_eq "$(host_field pc '.ipv6.tx_bytes')" 10480 "pc ipv6 tx_bytes"
	expect_eq "$(host_field pc '.ipv6.rx_bytes')" 10480 "pc ipv6 rx_bytes"
	expect_eq "$(host_field pc '.ipv6.rx_packets')" 10 "pc ipv6 rx_packets"
	expect_eq "$(host_field pc '.ipv4.tx_bytes')" 10280 "pc ipv4 tx_bytes after v6 traffic"
	it show | grep -E "^pc +$MAC1 +$IP1,$IP6 +20.3 KiB +20 +20.3 KiB +20\$" >/dev/null ||
		fail "show table row for pc: $(it show | grep '^pc ')"
}

# A released lease removes the host's rules; the others stay.
case_release() {
	it_setup
	ns_add_client 1 $MAC1
	ns_add_client 2 $MAC2
	it_start_dnsmasq
	IP1=$(ns_dhcp4_hold 1 pc)
	IP2=$(ns_dhcp4 2 phone)
	wait_for has_host pc || fail "pc not counted"
	wait_for has_host phone || fail "phone not counted"
	ns_dhcp4_release 1
	wait_for no_host pc || fail "pc still counted after release"
	expect_eq "$(rule_count tx_pc)" 0 "tx_pc rules after release"
	expect_eq "$(host_names)" "phone" "hosts after release"
}

# A hostname change for the same MAC renames the host, leaving no rule under the old name.
case_rename() {
	it_setup
	one_client
	IP6=$(ns_dhcp6 1)
	wait_for has_addr pc "$IP6" || fail "pc's v6 not counted"
	ns_ping 1 "$NS_W4" 10 1000 || fail "ping"
	ns_ping 1 "$NS_W6" 10 1000 || fail "ping6"
	IP1b=$(ns_dhcp4 1 workstation)
	expect_eq "$IP1b" "$IP1" "address kept across rename"
	wait_for has_host workstation || fail "workstation not counted after rename"
	wait_for no_host pc || fail "old name pc still counted after rename"
	expect_eq "$(host_names)" "workstation" "hosts after rename"
	expect_eq "$(host_field workstation '.ipv4.tx_bytes')" 10280 "counts kept across the rename"
	# ip6tables-nft(-restore) 1.8.9 ignores the counters it is given: IPv6 starts over there.
	[ "$BACKEND" = iptables-nft ] ||
		expect_eq "$(host_field workstation ".ipv6.rx_bytes")" 10480 "IPv6 counts kept across the rename"
	expect_eq "$(host_field workstation '.addresses | join(",")')" "$IP1,$IP6" "both families renamed"
	expect_eq "$(rule_count tx_workstation)" 2 "tx rules after rename (IPv4 and IPv6)"
	expect_eq "$(rule_count tx_pc)" 0 "tx rules of the old name after rename"
}

# dnsmasq restarts replay every lease as old: no duplicates, counts unchanged.
case_restart() {
	it_setup
	# A logging wrapper around iptmon, to know when dnsmasq's replays have run.
	printf '#!/bin/sh\necho "$1" >>"%s"\nexec "%s" "$@"\n' "$T/calls" "$BIN" >"$T/hook"
	chmod +x "$T/hook"
	BIN_HOOK=$T/hook
	three_clients
	IP6=$(ns_dhcp6 1)
	wait_for has_addr pc "$IP6" || fail "pc's v6 not counted"
	ns_ping 1 "$NS_W4" 10 1000 || fail "ping"
	local before
	before=$(our_rules)
	local olds
	for i in 1 2; do
		olds=$(grep -c '^old$' "$T/calls" || true)
		ns_restart_dnsmasq
		ns_wait_script_calls $((olds + 3)) "$T/calls" '^old$' || fail "dnsmasq did not replay its leases"
		ns_wait_script_idle 300 "$T/calls"
	done
	expect_eq "$(our_rules)" "$before" "rules after two dnsmasq restarts"
	expect_eq "$(host_field pc '.ipv4.tx_bytes')" 10280 "pc tx_bytes after restarts"
	expect_eq "$(host_names)" "laptop pc phone" "hosts after restarts"
	# Replays straight from the command line, as dnsmasq sends them (DATA_MISSING, twice).
	DNSMASQ_DATA_MISSING=1 it old $MAC1 "$IP1" pc
	DNSMASQ_DATA_MISSING=1 it old $MAC1 "$IP1" pc
	expect_eq "$(our_rules)" "$before" "rules after replayed old events"
	expect_eq "$(host_field pc '.ipv4.tx_bytes')" 10280 "pc tx_bytes after replays"
}

# A host's new address replaces the old one, keeping its counts; exact name matching.
case_address_change() {
	it_setup
	one_client
	it add 02:00:00:00:99:01 192.168.88.140 pc-laptop
	ns_ping 1 "$NS_W4" 10 1000 || fail "ping"
	it old $MAC1 192.168.88.141 pc
	expect_eq "$(host_field pc '.addresses | join(",")')" 192.168.88.141 "pc's new address"
	expect_eq "$(host_field pc '.ipv4.tx_bytes')" 10280 "pc's counts kept across the address change"
	expect_eq "$(host_field pc-laptop '.addresses | join(",")')" 192.168.88.140 "pc-laptop untouched"
	it del $MAC1 192.168.88.141 pc
	expect_eq "$(host_names)" "pc-laptop" "del pc leaves pc-laptop"
	# An address given to another device moves to it.
	it add 02:00:00:00:99:02 192.168.88.140 tv
	expect_eq "$(host_names)" "tv" "address moved to tv"
	expect_eq "$(rule_count tx_tv)" 1 "one tx rule for the moved address"
	expect_eq "$(rule_count tx_pc-laptop)" 0 "no rule left for the address's old host"
}

# Static hosts from hosts files; loopback, link-local, multicast and the ULA prefix skipped.
case_static() {
	it_setup
	cat >"$T/hosts" <<'EOH'
# comment line
127.0.0.1	localhost
::1		localhost ip6-localhost
ff02::1		ip6-allnodes
fe80::1		linklocal
192.168.88.5	nas nas.lan
fd00:88::5	nas
192.168.88.6	printer   # trailing comment
fd12:3456::9	ula-host
EOH
	mkdir "$T/hosts.d"
	echo "192.168.88.7 tv" >"$T/hosts.d/a"
	echo "192.168.88.8 fridge" >"$T/hosts.d/b"
	sed -i "s|^hosts_files = .*|hosts_files = $T/hosts $T/hosts.d/*|" "$T/iptmon.conf"
	echo "ula_prefix = fd12:3456::/48" >>"$T/iptmon.conf"
	out=$(it init)
	expect_eq "$out" "" "init's stdout"
	expect_eq "$(host_names)" "fridge nas printer tv" "static hosts"
	expect_eq "$(host_field nas '.addresses | join(",")')" "192.168.88.5,fd00:88::5" "nas addresses"
	# Edit the files and reload.
	sed -i 's/^192.168.88.6\tprinter.*/192.168.88.16 printer/' "$T/hosts"
	rm "$T/hosts.d/b"
	echo "192.168.88.9 camera" >>"$T/hosts"
	# Without a lease file it cannot tell a vanished static host from a DHCP one: keeps both.
	it reload-hosts 2>"$T/err"
	grep -q "warning: no lease file" "$T/err" || fail "no warning without a lease file: $(cat "$T/err")"
	expect_eq "$(host_names)" "camera fridge nas printer tv" "hosts after reload-hosts without leases"
	: >"$NS_LEASES"
	it reload-hosts
	expect_eq "$(host_names)" "camera nas printer tv" "hosts after reload-hosts"
	expect_eq "$(host_field printer '.addresses | join(",")')" 192.168.88.16 "printer's new address"
	expect_eq "$(rule_count tx_printer)" 1 "one tx rule for printer"
	# init again: nothing doubles.
	local before
	before=$(our_rules)
	it init
	expect_eq "$(our_rules)" "$before" "rules after a second init"
}

# init/flush/remove touch only iptmon's own chains and jumps.
case_foreign() {
	it_setup
	ipt4 -t mangle -A FORWARD -j MARK --set-mark 7
	ipt4 -t mangle -A PREROUTING -i lo -j RETURN
	ipt4 -t mangle -N other_chain
	ipt4 -t mangle -A other_chain -d 192.168.88.101 -j RETURN -m comment --comment tx_pc
	ipt6 -t mangle -A FORWARD -j MARK --set-mark 8
	# An fw4-like table of someone else's, with forward chains and a map of its own.
	ip netns exec "$R" nft -f - <<'EON'
table inet fw4 {
	map tx4 { type ipv4_addr : verdict; }
	chain forward { type filter hook forward priority filter; policy accept; ip daddr 192.168.88.101 counter accept; }
	chain mangle_forward { type filter hook forward priority mangle; policy accept; }
}
EON
	local f0
	f0=$(foreign)
	it init
	it init
	base_ok || fail "base objects after two inits"
	it add $MAC1 192.168.88.101 pc
	it add $MAC2 fd00:88::22 phone
	expect_eq "$(foreign)" "$f0" "foreign rules after init+add"
	expect_eq "$(host_names)" "pc phone" "hosts (a foreign rule commented tx_pc is not ours)"
	it flush
	expect_eq "$(host_names)" "" "hosts after flush"
	expect_eq "$(foreign)" "$f0" "foreign rules after flush"
	base_ok || fail "base objects kept by flush"
	it remove
	expect_eq "$(foreign)" "$f0" "foreign rules after remove"
	if is_nft; then
		ip netns exec "$R" nft list tables | grep -q iptmon && fail "table left after remove"
	else
		expect_eq "$(dump_rules | grep -c iptmon || true)" 0 "iptmon lines left after remove"
	fi
	it remove
}

# Concurrent invocations take turns: every host once, no duplicate rule.
case_concurrent() {
	it_setup
	it init
	local pids=() i
	for i in $(seq 1 20); do
		it add "02:00:00:00:77:$(printf %02x "$i")" "192.168.88.$((i + 50))" "host$i" &
		pids+=($!)
		it old "02:00:00:00:77:ff" "192.168.88.99" "same" &
		pids+=($!)
	done
	it init &
	pids+=($!)
	for i in "${pids[@]}"; do wait "$i" || fail "a concurrent invocation failed"; done
	expect_eq "$(json | jq '.hosts | length')" 21 "hosts after concurrent adds"
	if is_nft; then
		expect_eq "$(nft_elems | grep -c '^tx4 ')" 21 "tx4 elements"
		expect_eq "$(nft_rules)" 4 "rules"
	else
		expect_eq "$(our_rules | grep -c -- '-A iptmon_tx')" 21 "tx rules"
		expect_eq "$(save4 | grep -E -- '-A (iptmon_|FORWARD)' | sed 's/^\[[0-9:]*\] //' | sort | uniq -d | wc -l)" 0 "duplicate IPv4 rules"
		expect_eq "$(save6 | grep -E -- '-A (iptmon_|FORWARD)' | sed 's/^\[[0-9:]*\] //' | sort | uniq -d | wc -l)" 0 "duplicate IPv6 rules"
	fi
}

# Hostile names end as safe, distinct names; nothing is executed.
case_hostile() {
	it_setup
	it init
	local names=(
		'$(touch '"$T"'/pwned1)' '`touch '"$T"'/pwned2`' 'a;touch '"$T"'/pwned3' 'x|id' '&&reboot'
		"it's" 'say "hi"' '%n%n%n%s%s' $'line1\nline2' "$(printf 'x%.0s' {1..300})"
		'Jürgen’s iPhone' '😀' '' '*' 'pc' 'PC' 'pc-laptop' 'pc laptop' 'pc_laptop' '--backend=foo'
		'-h' 'a b' 'a_b' 'a	b' '../../etc/passwd' 'tx_x -j ACCEPT' '"quoted"' '\\x41'
	)
	local i=0 n
	for n in "${names[@]}"; do
		i=$((i + 1))
		it add "02:00:00:00:66:$(printf %02x "$i")" "192.168.88.$((i + 100))" "$n" ||
			fail "add with hostile name #$i failed"
	done
	ls "$T"/pwned* >/dev/null 2>&1 && fail "a hostile name was executed"
	local got
	got=$(json | jq -r '.hosts[].name')
	expect_eq "$(echo "$got" | wc -l)" "${#names[@]}" "one host per hostile name"
	expect_eq "$(echo "$got" | sort | uniq -d | wc -l)" 0 "duplicate names"
	echo "$got" | grep -qvE '^[A-Za-z0-9._:-]{1,63}$' && fail "unsafe name: $(echo "$got" | grep -vE '^[A-Za-z0-9._:-]{1,63}$')"
	for n in pc PC pc-laptop pc_laptop a_b; do has_host "$n" || fail "clean name $n changed"; done
	# Empty and '*' fall back to the address.
	has_host 192.168.88.113 || fail "empty name: not counted under its address"
	has_host 192.168.88.114 || fail "'*' name: not counted under its address"
	# Every rule is well-formed: one comment per rule, matching its chain.
	if is_nft; then
		nft_elems | grep -vE '^(tx|rx)[46] [0-9a-f.:]+ (tx|rx)[46]_[A-Za-z0-9._/-]{1,63}$' && fail "malformed element (above)"
		expect_eq "$(nft_elems | wc -l)" $((4 * 0 + 2 * ${#names[@]})) "map elements (tx4 + rx4 per host)"
	else
		our_rules | grep -- "-A iptmon_" | grep -vE -- '^-A iptmon_(tx -d|rx -s) [0-9a-f.:]+/(32|128) -m comment --comment "?(tx|rx)_[A-Za-z0-9._:-]+"? -j RETURN$' &&
			fail "malformed rule (above)"
	fi
	# Hostile names in the lease file reach arp events sanitised too.
	printf '0 02:00:00:00:55:01 192.168.88.150 %s *\n' '$(touch '"$T"'/pwned4)' >>"$NS_LEASES"
	it arp-add 02:00:00:00:55:01 192.168.88.150
	ls "$T"/pwned* >/dev/null 2>&1 && fail "a hostile lease name was executed"
	json | jq -e '.hosts[] | select(.addresses == ["192.168.88.150"]) | .name | test("^_touch_")' >/dev/null ||
		fail "hostile lease name not sanitised"
}

# Neighbour events: named from the lease file, else not counted; link-local never.
case_arp() {
	it_setup
	it init
	printf '0 02:00:00:00:44:01 192.168.88.120 tablet *\n0 02:00:00:00:44:02 192.168.88.121 * *\n' >"$NS_LEASES"
	it arp-add 02:00:00:00:44:01 fd00:88::44
	it arp-add 02:00:00:00:44:03 192.168.88.122
	it arp-add 02:00:00:00:44:02 192.168.88.121
	it arp-add 02:00:00:00:44:01 fe80::44
	expect_eq "$(host_names)" "tablet" "hosts after arp-add"
	expect_eq "$(host_field tablet '.addresses | join(",")')" "fd00:88::44" "tablet's address from arp"
	it arp-old 02:00:00:00:44:01 fd00:88::45
	expect_eq "$(host_field tablet '.addresses | join(",")')" "fd00:88::45" "arp-old updates"
	it add 02:00:00:00:44:01 192.168.88.120 tablet
	it arp-del 02:00:00:00:44:01 192.168.88.120
	has_addr tablet 192.168.88.120 || fail "arp-del removed an address that still has a lease"
	it arp-del 02:00:00:00:44:01 fd00:88::45
	expect_eq "$(host_field tablet '.addresses | join(",")')" "192.168.88.120" "arp-del of the SLAAC address"
}

# Names are not up for grabs: static hosts' names, and names held through the other family.
case_clash() {
	it_setup
	printf '192.168.88.5 printer\n' >"$T/hosts"
	it init
	# Another device asks for the static host's name: it is counted, under another name.
	it add 02:00:00:00:33:01 192.168.88.120 printer
	expect_eq "$(host_field printer '.addresses | join(",")')" 192.168.88.5 "static printer kept"
	expect_eq "$(json | jq '.hosts | length')" 2 "hosts"
	json | jq -e '.hosts[] | select(.addresses == ["192.168.88.120"]) | .name | test("^printer_[0-9a-f]{8}$")' >/dev/null ||
		fail "the impostor's name: $(host_names)"
	# A neighbour-table timeout does not stop counting a static host.
	it arp-del 02:00:00:00:33:09 192.168.88.5
	has_host printer || fail "arp-del dropped a static host"
	# A device counted as pc through IPv6 only; another MAC asks for pc over IPv4.
	printf '0 02:00:00:00:33:02 192.168.88.130 pc *\n' >"$NS_LEASES"
	DNSMASQ_MAC=02:00:00:00:33:02 it add 00:03:00:01:02:00:00:00:33:02 fd00:88::130 pc
	printf '0 02:00:00:00:33:03 192.168.88.131 pc *\nduid 00:01:00:01:aa:bb:cc:dd:02:88:00:00:00:01\n0 13057 fd00:88::130 pc 00:03:00:01:02:00:00:00:33:02\n' >"$NS_LEASES"
	it add 02:00:00:00:33:03 192.168.88.131 pc
	expect_eq "$(host_field pc '.addresses | join(",")')" "fd00:88::130" "pc keeps its IPv6 address only"
	json | jq -e '.hosts[] | select(.addresses == ["192.168.88.131"]) | .name | test("^pc_[0-9a-f]{8}$")' >/dev/null ||
		fail "the second pc's name: $(host_names)"
	# The first device's own IPv4 lease joins its host.
	it add 02:00:00:00:33:02 192.168.88.130 pc
	expect_eq "$(host_field pc '.addresses | join(",")')" "192.168.88.130,fd00:88::130" "pc's two families"
}

# A firewall reload (fw4 deletes and recreates its own table) leaves iptmon's counts alone;
# counts read while traffic flows never go down.
case_fw_reload() {
	it_setup
	fw4() {
		ip netns exec "$R" nft -f - <<'EON'
table inet fw4 {
	chain forward { type filter hook forward priority filter; policy accept; ct state established,related accept; }
	chain mangle_forward { type filter hook forward priority mangle; policy accept; }
}
EON
	}
	fw4
	three_clients
	ns_ping 1 "$NS_W4" 10 1000 || fail "ping"
	ip netns exec "$R" nft delete table inet fw4
	fw4
	expect_eq "$(host_field pc '.ipv4.tx_bytes')" 10280 "pc's count after the fw4 reload"
	ns_ping 1 "$NS_W4" 10 1000 || fail "ping after the reload"
	expect_eq "$(host_field pc '.ipv4.tx_bytes')" 20560 "pc keeps counting after the fw4 reload"
	# Monotonic while traffic flows (a ping flood in the background, 30 reads).
	ns_cexec 1 ping -q -f -c 20000 -s 200 "$NS_W4" >/dev/null 2>&1 &
	local pid=$! prev=0 cur i
	for i in $(seq 1 30); do
		cur=$(host_field pc '.ipv4.tx_bytes')
		[ "$cur" -ge "$prev" ] || fail "count went down while traffic flowed: $prev -> $cur"
		prev=$cur
	done
	wait $pid || true
	[ "$prev" -gt 20560 ] || fail "no traffic counted during the flood ($prev)"
}

# nft only: the kernel refusing a transaction leaves the previous state whole and says why.
case_nft_refused() {
	is_nft || { echo "skip: nft backend only"; exit 77; }
	it_setup
	echo "max_hosts = 2" >>"$T/iptmon.conf"
	it init
	it add $MAC1 192.168.88.101 pc
	it add $MAC2 192.168.88.102 phone
	local before rc=0
	before=$(json)
	# max_hosts: the sets have no size (no preallocated buckets); iptmon holds the bound
	# when it reads every host (here reload-hosts, whose hosts file names a third).
	echo "192.168.88.103 laptop" >"$T/hosts"
	it reload-hosts 2>"$T/err" || rc=$?
	expect_eq "$rc" 2 "exit code past max_hosts"
	grep -q "more than max_hosts = 2 hosts" "$T/err" || fail "error line past max_hosts: $(cat "$T/err")"
	expect_eq "$(json)" "$before" "state after a refused change"
	: >"$T/hosts"
	it old $MAC1 192.168.88.101 pc || fail "a known host's renewal at max_hosts"
	it old $MAC2 192.168.88.102 handy || fail "a rename at max_hosts"
	# The kernel refuses: an element of tx4 planted by hand for laptop's address.
	sed -i 's/^max_hosts = 2$/max_hosts = 10/' "$T/iptmon.conf"
	ip netns exec "$R" nft add element inet iptmon tx4 '{ 192.168.88.103 }'
	before=$(json)
	rc=0
	it add $MAC3 192.168.88.103 laptop 2>"$T/err" || rc=$?
	expect_eq "$rc" 2 "exit code when the kernel refuses"
	grep -q "iptmon: cannot add host 'laptop' (192.168.88.103): kernel refused adding addresses of set tx4: " "$T/err" ||
		fail "error line: $(cat "$T/err")"
	expect_eq "$(wc -l <"$T/err")" 1 "lines on stderr"
	expect_eq "$(json)" "$before" "state after a refused transaction"
	ip netns exec "$R" nft list map inet iptmon host4 | grep -q 192.168.88.103 && fail "half a change: laptop's host map element exists"
	true
}

# Offloaded flows are not counted, and init/show say so, whatever the backend.
case_flowtable() {
	it_setup
	it init 2>"$T/err"
	expect_eq "$(cat "$T/err")" "" "init's stderr without a flowtable"
	if ! ip netns exec "$R" nft -f - 2>"$T/nfterr" <<EON
table inet fw4 {
	flowtable ft { hook ingress priority filter; devices = { $NS_WAN_IF }; }
	chain forward { type filter hook forward priority filter; policy accept; meta l4proto tcp flow add @ft; }
}
EON
	then
		echo "skip: this kernel cannot create a flowtable ($(head -n 1 "$T/nfterr"))"
		exit 77
	fi
	it init 2>"$T/err"
	grep -q "warning: flowtable ft in table inet fw4 is active: packets it offloads skip the forward hook and are not counted" "$T/err" ||
		fail "init's flowtable warning: $(cat "$T/err")"
	it show >/dev/null 2>"$T/err"
	grep -q "warning: flowtable ft" "$T/err" || fail "show's flowtable warning: $(cat "$T/err")"
}

# nft only: the counting objects sit in iptmon's own table at mangle priority; auto picks
# nft; switching backends leaves nothing behind.
case_nft_misc() {
	is_nft || { echo "skip: nft backend only"; exit 77; }
	it_setup
	it init
	ip netns exec "$R" nft list chain inet iptmon forward | grep -q "hook forward priority mangle" ||
		fail "chain hook/priority: $(ip netns exec "$R" nft list chain inet iptmon forward)"
	it add $MAC1 192.168.88.101 pc
	expect_eq "$(ip netns exec "$R" env IPTMON_CONFIG="$T/iptmon.conf" "$BIN" --backend=auto show --json | jq -r .backend)" nft "auto's choice"
	# Switch to iptables-legacy and back: no residue on either side.
	it remove
	ip netns exec "$R" nft list tables | grep -q iptmon && fail "nft table left after remove"
	it --backend=iptables-legacy init
	it --backend=iptables-legacy add $MAC1 192.168.88.101 pc
	expect_eq "$(it --backend=iptables-legacy show --json | jq -r '.hosts[].name')" pc "hosts on iptables-legacy"
	it --backend=iptables-legacy remove
	ip netns exec "$R" iptables-legacy-save -t mangle | grep -q iptmon && fail "legacy chains left after remove"
	it init
	expect_eq "$(host_names)" "" "hosts after switching back"
	true
}

# iptmon metrics: the same counters in every format; Prometheus' promtool accepts the
# exposition, and real collectd takes the PUTVAL lines through its unixsock plugin.
case_metrics() {
	it_setup
	echo "hostname = router" >>"$T/iptmon.conf"
	three_clients
	IP6=$(ns_dhcp6 1)
	wait_for has_addr pc "$IP6" || fail "pc's v6 not counted"
	ns_ping 1 "$NS_W4" 10 1000 || fail "ping"
	ns_ping 1 "$NS_W6" 10 1000 || fail "ping6"
	it metrics >"$T/prom"
	grep -qx "iptmon_host_bytes_total{host=\"pc\",mac=\"$MAC1\",family=\"ipv4\",direction=\"tx\"} 10280" "$T/prom" ||
		fail "prometheus tx bytes: $(grep 'host="pc"' "$T/prom")"
	grep -qx "iptmon_host_packets_total{host=\"pc\",mac=\"$MAC1\",family=\"ipv6\",direction=\"rx\"} 10" "$T/prom" ||
		fail "prometheus v6 rx packets"
	grep -qx "iptmon_hosts 3" "$T/prom" || fail "iptmon_hosts"
	command -v promtool >/dev/null || fail "promtool missing (tests/deps.sh installs prometheus)"
	promtool check metrics <"$T/prom" >"$T/promtool" 2>&1 || fail "promtool: $(cat "$T/promtool")"
	it metrics --format influx >"$T/influx"
	grep -q "^iptmon,host=pc,mac=$MAC1,family=ipv6,direction=tx bytes=10480i,packets=10i [0-9]\{19\}$" "$T/influx" ||
		fail "influx line: $(grep host=pc "$T/influx")"
	expect_eq "$(it metrics --format=json | jq '.hosts[] | select(.name == "pc") | .ipv4.rx_bytes')" 10280 "json rx_bytes"
	it metrics --format collectd >"$T/putval"
	grep -q '^PUTVAL "router/iptables-mangle-iptmon_tx/ipt_bytes-tx_pc" [0-9]*:10280$' "$T/putval" ||
		fail "PUTVAL line: $(grep tx_pc "$T/putval")"
	# Real collectd: unixsock in, csv out, the identifiers of its own iptables plugin.
	mkdir -p "$T/cd/csv"
	cat >"$T/cd/collectd.conf" <<EOC
Hostname "router"
FQDNLookup false
BaseDir "$T/cd"
PIDFile "$T/cd/collectd.pid"
TypesDB "/usr/share/collectd/types.db"
Interval 1
LoadPlugin unixsock
LoadPlugin csv
<Plugin unixsock>
	SocketFile "$T/cd/sock"
	SocketGroup "root"
</Plugin>
<Plugin csv>
	DataDir "$T/cd/csv"
	StoreRates false
</Plugin>
EOC
	collectd -f -C "$T/cd/collectd.conf" >"$T/cd/out" 2>&1 &
	local cpid=$!
	ns_on_cleanup "kill $cpid 2>/dev/null; wait $cpid 2>/dev/null || true"
	wait_for is_socket "$T/cd/sock" || fail "collectd's unixsock did not appear: $(cat "$T/cd/out")"
	it metrics --format collectd | socat -t 2 - "UNIX-CONNECT:$T/cd/sock" >"$T/cd/replies"
	grep -v '^0 Success' "$T/cd/replies" && fail "collectd refused PUTVALs (above)"
	local d="$T/cd/csv/router"
	last() { tail -n 1 "$1"-* 2>/dev/null | cut -d, -f2 | sed 's/\.0*$//;s/e+0*/e/'; }
	have() { [ "$(last "$1")" = "$2" ]; }
	wait_for have "$d/iptables-mangle-iptmon_tx/ipt_bytes-tx_pc" 10280 ||
		fail "collectd csv tx_pc: '$(last "$d/iptables-mangle-iptmon_tx/ipt_bytes-tx_pc")' ($(ls -R "$T/cd/csv" | head))"
	wait_for have "$d/ip6tables-mangle-iptmon_rx/ipt_packets-rx_pc" 10 || fail "collectd csv ip6 rx packets"
}

# iptmon daemon: totals that never go down (a flush recreates the kernel's counters), survive
# a restart and kill -9 (the state file is written whole or not at all), and a damaged state
# file is set aside with a log line.
case_daemon() {
	it_setup
	cat >>"$T/iptmon.conf" <<EOC
interval = 1
commit_interval = 1
EOC
	one_client
	local st="$T/state/iptmon.state"
	start_daemon
	ns_ping 1 "$NS_W4" 10 1000 || fail "ping"
	wait_for total_is 10280 || fail "state after 10 pings: $(grep '^host pc' "$st")"
	# The kernel's counters start over; the totals do not.
	it flush
	DNSMASQ_DATA_MISSING=1 it old $MAC1 "$IP1" pc
	expect_eq "$(host_field pc '.ipv4.tx_bytes')" 0 "kernel count after flush + replay"
	# A poll sees the counter at zero (the last kernel value in the state goes to 0) ...
	wait_for st_is pc 12 0 || fail "no poll after the flush: $(grep '^host pc' "$st")"
	expect_eq "$(st_field pc 4)" 10280 "total right after the flush"
	ns_ping 1 "$NS_W4" 10 1000 || fail "ping"
	wait_for total_is 20560 || fail "total after a counter reset: $(grep '^host pc' "$st")"
	# show and metrics read the daemon's totals while it runs, and say so
	wait_for live_is 20560 || fail "show --json while the daemon runs: $(it show --json)"
	expect_eq "$(it show --json | jq -r .source)" daemon "show's source"
	it show | head -n 1 | grep -q "totals kept by the iptmon daemon" || fail "show's header: $(it show | head -n 1)"
	it metrics | grep -qx "iptmon_host_bytes_total{host=\"pc\",mac=\"$MAC1\",family=\"ipv4\",direction=\"tx\"} 20560" ||
		fail "metrics from the daemon: $(it metrics | grep 'host="pc"')"
	# A second daemon on the same run_dir refuses to start
	local rc=0
	it daemon 2>"$T/err2" || rc=$?
	expect_eq "$rc" 3 "exit code of a second daemon"
	grep -q "another iptmon daemon runs" "$T/err2" || fail "second daemon's message: $(cat "$T/err2")"
	stop_daemon
	# Without the daemon, show reads the kernel again
	expect_eq "$(it show --json | jq -r .source)" kernel "show's source without a daemon"
	# Restarted: it carries on from the state file.
	start_daemon
	ns_ping 1 "$NS_W4" 10 1000 || fail "ping"
	wait_for total_is 30840 || fail "total after a restart: $(grep '^host pc' "$st")"
	kill -9 $DPID
	wait $DPID 2>/dev/null || true
	tail -n 1 "$st" | grep -qx end || fail "state file torn by kill -9"
	start_daemon
	sleep 1.5
	total_is 30840 || fail "total after kill -9: $(grep '^host pc' "$st")"
	grep -q damaged "$T/daemon.log" && fail "a good state file was called damaged"
	stop_daemon
	# A truncated state file is set aside, not used, not overwritten.
	head -c 40 "$st" >"$st.new" && mv "$st.new" "$st"
	start_daemon
	wait_for log_has "is damaged (line" || fail "no log line for a damaged state file"
	ls "$T/state" | grep -q 'iptmon.state.bad-' || fail "damaged state not set aside"
	stop_daemon
	expect_eq "$(grep -c 'is damaged' "$T/daemon.log")" 1 "log lines for one damaged file"
	# Garbage (binary, no magic) too; the daemon counts on from zero and saves anew.
	head -c 3000 /dev/urandom >"$st"
	start_daemon
	damaged_lines_are() { [ "$(grep -c 'is damaged' "$T/daemon.log")" = "$1" ]; }
	wait_for damaged_lines_are 2 || fail "no log line for a garbage state file"
	stop_daemon
	expect_eq "$(ls "$T/state" | grep -c 'iptmon.state.bad-')" 2 "damaged files set aside"
	head -n 1 "$st" | grep -qx "iptmon-state 3" || fail "no fresh state file after garbage"
}

# Accounting periods: a state file whose period ended long ago closes it when the daemon
# starts; show --period previous gives its counts, current only what came after. The daemon
# keeps the older closed periods on the state file, not in memory: /api/days reads them from
# there, the live file carries the previous one only, and the state file keeps them byte for
# byte across restarts. The same for the days of history before the newest: /api/history
# reads them from the file, and a file written over loses them with one log line.
case_period() {
	it_setup
	cat >>"$T/iptmon.conf" <<EOC
interval = 1
periods_kept = 3
EOC
	one_client
	local rc=0
	it show --period current 2>"$T/err" || rc=$?
	expect_eq "$rc" 3 "show --period before any daemon ran"
	grep -q "no accounting periods yet" "$T/err" || fail "message: $(cat "$T/err")"
	mkdir -p "$T/state"
	# a period of 1000 s in 1970, when pc counted 5000 bytes (and 3 older periods)
	cat >"$T/state/iptmon.state" <<EOS
iptmon-state 2
boot -
period 1000 2000
host pc $MAC1 7000 7 0 0 0 0 0 0 0 0 0 0 0 0 0 0
host gone - 100 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0
cur pc 5000 5 0 0 0 0 0 0
past 0 1000
was pc 2000 2 0 0 0 0 0 0
was gone 100 1 0 0 0 0 0 0
past 0 0
end
EOS
	start_daemon
	wait_for log_has "accounting period closed" || fail "no period closed: $(cat "$T/daemon.log")"
	ns_ping 1 "$NS_W4" 10 1000 || fail "ping"
	wait_for live_is 17280 || fail "all-time total: $(it show --json)"
	local prev cur
	prev=$(it show --period previous --json)
	expect_eq "$(jq -r .source <<<"$prev")" daemon "source"
	expect_eq "$(jq -c .period <<<"$prev")" '{"name":"previous","start":1000,"end":2000}' "previous period"
	expect_eq "$(jq -r '.hosts[] | select(.name == "pc") | .ipv4.tx_bytes' <<<"$prev")" 5000 "pc in the previous period"
	expect_eq "$(jq -r '[.hosts[].name] | join(",")' <<<"$prev")" pc "hosts in the previous period"
	cur=$(it show --period current --json)
	expect_eq "$(jq -r '.hosts[] | select(.name == "pc") | .ipv4.tx_bytes' <<<"$cur")" 10280 "pc in the current period"
	expect_eq "$(jq -r '.period.end > now' <<<"$cur")" true "the current period ends in the future"
	it show --period previous | grep -q "^period: previous, 1970-01-01" || fail "table's period line: $(it show --period previous | head -n 2)"
	expect_eq "$(it show --period=bogus 2>&1 >/dev/null)" "iptmon: show: --period takes current or previous, not 'bogus'" "bad --period"
	expect_eq "$(grep -c '^past ' "$T/run/iptmon.live")" 1 "periods in the live file"
	stop_daemon
	# saved: kept periods (3: the one that closed, the 0-1000 one, the empty one), newest first
	expect_eq "$(grep -c '^past ' "$T/state/iptmon.state")" 3 "periods kept"
	expect_eq "$(grep '^past ' "$T/state/iptmon.state" | head -n 1)" "past 1000 2000" "newest past period"
	expect_eq "$(sed -n '/^past 0 1000$/,/^past 0 0$/p' "$T/state/iptmon.state" | tr '\n' '|')" \
		"past 0 1000|was pc 2000 2 0 0 0 0 0 0|was gone 100 1 0 0 0 0 0 0|past 0 0|" "older periods, from the file"
	local older
	older=$(grep -E '^(past|was) ' "$T/state/iptmon.state")
	# two older days of history (1970-01-02 and -03), before today's, which the daemon keeps
	# only on the file
	awk 'BEGIN {d = "day 86400 gone 5 6\nday 86400 pc 111 222\nday 172800 pc 333 444"}
	     !done && (/^day / || /^end$/) {print d; done = 1} {print}' "$T/state/iptmon.state" >"$T/state.new"
	mv "$T/state.new" "$T/state/iptmon.state"
	older=$(grep -E '^(past|was) ' "$T/state/iptmon.state")
	# without the daemon, periods come from the state file
	expect_eq "$(it show --period previous --json | jq -r .source)" state "source without a daemon"
	expect_eq "$(it show --period current --json | jq -r '.hosts[] | select(.name == "pc") | .ipv4.tx_bytes')" 10280 "current period from the state file"
	# the HTTP read-out serves the same periods
	echo "listen = 127.0.0.1:9678" >>"$T/iptmon.conf"
	start_daemon
	wait_for ns_rexec curl -sf 127.0.0.1:9678/metrics || fail "no /metrics: $(cat "$T/daemon.log")"
	expect_eq "$(ns_rexec curl -s '127.0.0.1:9678/api/hosts?period=previous' | jq -r '.hosts[] | select(.name == "pc") | .ipv4.tx_bytes')" 5000 "/api/hosts?period=previous"
	ns_rexec curl -s 127.0.0.1:9678/metrics | grep -qx 'iptmon_period_start_seconds [0-9]\{10\}' || fail "iptmon_period_start_seconds"
	expect_eq "$(ns_rexec curl -s -o /dev/null -w '%{http_code}' '127.0.0.1:9678/api/hosts?period=x')" 400 "bad period over HTTP"
	# an older period, read from the state file: its hosts by volume
	expect_eq "$(ns_rexec curl -s '127.0.0.1:9678/api/days?period=2' | jq -c '[.period, [.hosts[] | [.name, .tx_bytes, .rx_bytes]]]')" \
		'[{"index":2,"start":0,"end":1000},[["pc",2000,0],["gone",100,0]]]' "/api/days?period=2"
	expect_eq "$(ns_rexec curl -s '127.0.0.1:9678/api/days?period=3' | jq -c '[.period.index, .hosts]')" '[3,[]]' "/api/days?period=3"
	expect_eq "$(for f in /proc/"$DPID"/fd/*; do readlink "$f"; done | grep -c "^$T/state/iptmon.state\$")" 1 "the state file held open"
	# the older days, read from the file: pc's, in order, today's last
	expect_eq "$(ns_rexec curl -s '127.0.0.1:9678/api/history?host=pc' | jq -c '[.host.days[] | [.start, .tx_bytes, .rx_bytes]] | .[:2]')" \
		'[[86400,111,222],[172800,333,444]]' "/api/history?host=pc: its days from the file"
	expect_eq "$(ns_rexec curl -s '127.0.0.1:9678/api/history?host=gone' | jq -c '[.host.days[] | [.start, .tx_bytes, .rx_bytes]]')" \
		'[[86400,5,6]]' "/api/history?host=gone"
	stop_daemon
	expect_eq "$(grep -E '^(past|was) ' "$T/state/iptmon.state")" "$older" "closed periods after a restart"
	expect_eq "$(grep -E '^day (86400|172800) ' "$T/state/iptmon.state" | tr '\n' '|')" \
		"day 86400 gone 5 6|day 86400 pc 111 222|day 172800 pc 333 444|" "older days after a restart"
	# written over in place by another program while the daemon runs: the older periods,
	# only there, are lost with one log line; the rest is saved
	start_daemon
	wait_for ns_rexec curl -sf 127.0.0.1:9678/metrics || fail "no /metrics: $(cat "$T/daemon.log")"
	printf 'iptmon-state 3\nend\n' >"$T/state/iptmon.state"
	stop_daemon
	expect_eq "$(grep -c 'written over by another program or cannot be read: 2 closed periods before the previous one were kept only there and are lost' "$T/daemon.log")" 1 "log line for the lost periods"
	expect_eq "$(grep -c 'written over by another program or cannot be read: 2 days of history before today were kept only there and are lost' "$T/daemon.log")" 1 "log line for the lost days"
	expect_eq "$(grep -cE '^day (86400|172800) ' "$T/state/iptmon.state")" 0 "older days left"
	expect_eq "$(grep '^past ' "$T/state/iptmon.state" | tr '\n' '|')" "past 1000 2000|" "periods left"
	expect_eq "$(it show --period previous --json | jq -r '.hosts[] | select(.name == "pc") | .ipv4.tx_bytes')" 5000 "the previous period, kept"
}

# 100 HTTP clients connect and send nothing: polling goes on, /metrics is still served, and
# the idle connections are closed after the timeout.
case_idle_clients() {
	# The HTTP server is the same whatever counts; one backend keeps the suite short.
	is_nft || { echo "skip: the HTTP server does not depend on the backend (runs on nft)"; exit 77; }
	it_setup
	cat >>"$T/iptmon.conf" <<EOC
interval = 1
listen = 127.0.0.1:9678
EOC
	one_client
	start_daemon
	wait_for ns_rexec curl -sf 127.0.0.1:9678/metrics || fail "no /metrics: $(cat "$T/daemon.log")"
	# 100 connections held open by one shell inside the namespace, sending nothing
	ns_rexec bash -c 'for i in $(seq 100); do exec {fd}<>/dev/tcp/127.0.0.1/9678 || exit 1; done; echo ready; sleep 30' >"$T/idle.out" 2>&1 &
	local ipid=$!
	ns_on_cleanup "kill $ipid 2>/dev/null || true"
	wait_for file_has ready "$T/idle.out" || fail "could not open 100 connections: $(cat "$T/idle.out")"
	wait_for metric_ge iptmon_daemon_http_connections 100 || fail "connections: $(metric iptmon_daemon_http_connections)"
	local polls
	polls=$(metric iptmon_daemon_polls_total)
	ns_ping 1 "$NS_W4" 10 1000 || fail "ping"
	wait_for metric_ge iptmon_daemon_polls_total $((polls + 3)) || fail "polls stalled at $(metric iptmon_daemon_polls_total)"
	wait_for live_is 10280 || fail "traffic not counted while clients idle"
	# the idle ones are dropped after 10 s; the shell is still alive holding them
	kill -0 $ipid || fail "the idle clients' shell ended early"
	for ((i = 0; i < 30; i++)); do
		[ "$(metric iptmon_daemon_http_connections)" -le 1 ] && break
		sleep 0.5
	done
	[ "$(metric iptmon_daemon_http_connections)" -le 1 ] || fail "idle connections not closed: $(metric iptmon_daemon_http_connections)"
	stop_daemon
}

# dnsmasq's contract at the edges.
case_contract() {
	it_setup
	# dnsmasq starts iptmon per event: the daemon's libraries are never loaded at start-up
	ldd "$BIN" | grep -E 'libcurl|libmicrohttpd' && fail "iptmon links the daemon's libraries (src/dl.h)"
	out=$(it init)
	expect_eq "$out" "" "init stdout"
	expect_eq "$(it --help | tail -n 1)" "Backend in use here: $BACKEND (backend = $BACKEND)" "--help's backend line"
	it tftp 1234 192.168.88.101 /file || fail "tftp action must exit 0"
	it relay-snoop x y z || fail "relay-snoop must exit 0"
	local rc=0
	it add $MAC1 not-an-address pc 2>"$T/err" || rc=$?
	expect_eq "$rc" 1 "exit code for a bad address"
	grep -q "bad address 'not-an-address'" "$T/err" || fail "error line: $(cat "$T/err")"
	it add $MAC1 fe80::1 ll
	it add $MAC1 127.0.0.5 lo
	expect_eq "$(host_names)" "" "link-local/loopback never counted"
	# A nameless old with DNSMASQ_OLD_HOSTNAME is a rename in progress: nothing changes.
	it add $MAC1 192.168.88.101 pc
	DNSMASQ_OLD_HOSTNAME=pc it old $MAC1 192.168.88.101
	expect_eq "$(host_names)" "pc" "hosts during a rename"
	# IPv6 lease: argv[2] is a DUID, the MAC in DNSMASQ_MAC; nameless -> lease-file name by MAC.
	printf '0 %s 192.168.88.101 pc *\n' $MAC1 >"$NS_LEASES"
	DNSMASQ_MAC=$MAC1 it add 00:01:00:01:2c:00:00:01:02:00:00:00:88:09 fd00:88::101
	expect_eq "$(host_field pc '.addresses | join(",")')" "192.168.88.101,fd00:88::101" "v6 lease named by MAC"
	# ... and a replay without DNSMASQ_MAC takes the MAC from a DUID-LLT.
	it del 00:01:00:01:2c:00:00:01:02:00:00:00:88:09 fd00:88::101
	it old 00:01:00:01:2c:00:00:01:02:00:00:00:88:01 fd00:88::102
	expect_eq "$(host_field pc '.addresses | join(",")')" "192.168.88.101,fd00:88::102" "v6 replay named via DUID"
	# Bad configuration names the line.
	echo "bogus = 1" >>"$T/iptmon.conf"
	rc=0
	it show 2>"$T/err" || rc=$?
	expect_eq "$rc" 1 "exit code for a bad config key"
	grep -q "iptmon.conf:9: unknown key 'bogus'" "$T/err" || fail "config error: $(cat "$T/err")"
	sed -i '$d' "$T/iptmon.conf"
	rc=0
	it show --config=/nonexistent 2>"$T/err" || rc=$?
	expect_eq "$rc" 1 "exit code for --config after the command"
	rc=0
	ip netns exec "$R" "$BIN" --config=/nonexistent show 2>"$T/err" || rc=$?
	expect_eq "$rc" 3 "exit code for a missing --config file"
	# the example configuration in contrib/ is one iptmon accepts
	ip netns exec "$R" "$BIN" --config="$TOP/contrib/iptmon.conf" --run_dir="$T/run" show --json >/dev/null 2>"$T/err" ||
		fail "contrib/iptmon.conf: $(cat "$T/err")"
}

# collectd's iptables plugin reads the legacy rules: iptables-mangle-iptmon_tx/ipt_bytes-tx_pc.
case_collectd() {
	[ "$BACKEND" = iptables-legacy ] || { echo "skip: collectd's iptables plugin reads iptables-legacy rules only"; exit 77; }
	it_setup
	three_clients
	ns_ping 1 "$NS_W4" 10 1000 || fail "ping"
	IP6=$(ns_dhcp6 1)
	wait_for has_addr pc "$IP6" || fail "pc's v6 not counted"
	ns_ping 1 "$NS_W6" 10 1000 || fail "ping6"
	mkdir -p "$T/collectd/csv"
	cat >"$T/collectd/collectd.conf" <<EOC
Hostname "router"
FQDNLookup false
BaseDir "$T/collectd"
PIDFile "$T/collectd/collectd.pid"
TypesDB "/usr/share/collectd/types.db"
Interval 1
LoadPlugin iptables
LoadPlugin csv
<Plugin iptables>
	Chain mangle iptmon_tx
	Chain mangle iptmon_rx
	Chain6 mangle iptmon_tx
	Chain6 mangle iptmon_rx
</Plugin>
<Plugin csv>
	DataDir "$T/collectd/csv"
	StoreRates false
</Plugin>
EOC
	ip netns exec "$R" collectd -f -C "$T/collectd/collectd.conf" >"$T/collectd/out" 2>&1 &
	local cpid=$!
	ns_on_cleanup "kill $cpid 2>/dev/null; wait $cpid 2>/dev/null || true"
	local d="$T/collectd/csv/router"
	last() { tail -n 1 "$1"-* 2>/dev/null | cut -d, -f2 | sed 's/\.0*$//;s/e+0*/e/'; }
	have() { [ "$(last "$1")" = "$2" ]; }
	wait_for have "$d/iptables-mangle-iptmon_tx/ipt_bytes-tx_pc" 10280 ||
		fail "collectd tx_pc bytes: '$(last "$d/iptables-mangle-iptmon_tx/ipt_bytes-tx_pc")' ($(ls -R "$T/collectd/csv" | head -20))"
	wait_for have "$d/iptables-mangle-iptmon_rx/ipt_bytes-rx_pc" 10280 || fail "collectd rx_pc bytes"
	wait_for have "$d/iptables-mangle-iptmon_tx/ipt_packets-tx_pc" 10 || fail "collectd tx_pc packets"
	wait_for have "$d/ip6tables-mangle-iptmon_tx/ipt_bytes-tx_pc" 10480 || fail "collectd ip6 tx_pc bytes"
	wait_for have "$d/iptables-mangle-iptmon_tx/ipt_bytes-tx_phone" 0 || fail "collectd tx_phone bytes"
}

# The daemon's read-out into real services, all started here: Prometheus scrapes /metrics,
# InfluxDB 1.x takes the pushes, collectd takes PUTVALs through its unixsock and forwards
# them with its network plugin to InfluxDB's collectd listener (measurement iptables_value,
# the shell tool's identifiers). Then InfluxDB goes away mid-run and comes back.
case_outputs() {
	it_setup
	local cdport=25826
	svc_influxd_start "$R" $cdport || fail "influxd"
	svc_collectd_start "$R" "$T/cd.sock" $cdport || fail "collectd"
	svc_prometheus_start "$R" 127.0.0.1:9678 1s || fail "prometheus"
	cat >>"$T/iptmon.conf" <<EOC
interval = 1
hostname = router
listen = 127.0.0.1:9678
influx_url = $INFLUX_URL/write?db=iptmon
collectd_socket = $T/cd.sock
EOC
	three_clients
	IP6=$(ns_dhcp6 1)
	wait_for has_addr pc "$IP6" || fail "pc's v6 not counted"
	start_daemon
	ns_ping 1 "$NS_W4" 10 1000 || fail "ping"
	ns_ping 1 "$NS_W6" 10 1000 || fail "ping6"
	# Prometheus: the exact byte counts through its query API
	svc_prom_wait 'iptmon_host_bytes_total{host="pc",family="ipv4",direction="tx"}' 10280 30 ||
		fail "prometheus ipv4 tx"
	svc_prom_wait 'iptmon_host_bytes_total{host="pc",family="ipv6",direction="rx"}' 10480 || fail "prometheus ipv6 rx"
	svc_prom_wait "iptmon_host_packets_total{host=\"pc\",mac=\"$MAC1\",family=\"ipv4\",direction=\"rx\"}" 10 ||
		fail "prometheus packets with the MAC label"
	svc_prom_wait 'iptmon_daemon_up' 1 || fail "prometheus: iptmon_daemon_up"
	# InfluxDB: measurement iptmon, fields bytes and packets
	local q="SELECT last(bytes) FROM iptmon WHERE host='pc' AND family='ipv4' AND direction='tx'"
	wait_for_value() { # DB QUERY VALUE [TRIES of 0.5 s]
		local i v
		for ((i = 0; i < ${4:-40}; i++)); do
			v=$(svc_influx_value "$1" "$2")
			[ "$v" = "$3" ] && return 0
			sleep 0.5
		done
		echo "last value: '$v'" >&2
		return 1
	}
	wait_for_value iptmon "$q" 10280 || fail "influx: $q"
	wait_for_value iptmon "SELECT last(packets) FROM iptmon WHERE host='pc' AND mac='$MAC1' AND family='ipv6' AND direction='rx'" 10 ||
		fail "influx ipv6 rx packets with the mac tag"
	# collectd -> network -> InfluxDB: the identifiers of collectd's iptables plugin
	wait_for_value collectd "SELECT last(value) FROM iptables_value WHERE host='router' AND instance='mangle-iptmon_tx' AND type='ipt_bytes' AND type_instance='tx_pc'" 10280 ||
		fail "collectd via InfluxDB: iptables tx_pc bytes"
	wait_for_value collectd "SELECT last(value) FROM ip6tables_value WHERE instance='mangle-iptmon_rx' AND type='ipt_packets' AND type_instance='rx_pc'" 10 ||
		fail "collectd via InfluxDB: ip6tables rx_pc packets"
	grep -q "collectd refused" "$T/daemon.log" && fail "collectd refused values: $(cat "$T/daemon.log")"
	# /api/hosts
	expect_eq "$(ns_rexec curl -s 127.0.0.1:9678/api/hosts | jq -r '.source + " " + (.hosts[] | select(.name == "pc") | .ipv6.tx_bytes | tostring)')" "daemon 10480" "/api/hosts"
	# InfluxDB goes away: the daemon goes on, says so once, and catches up when it returns
	svc_influxd_stop
	local t_down
	t_down=$(date +%s)
	ns_ping 1 "$NS_W4" 10 1000 || fail "ping"
	wait_for live_is 20560 || fail "counting stopped while InfluxDB is down"
	sleep 3
	expect_eq "$(grep -c 'InfluxDB .*retrying' "$T/daemon.log")" 1 "log lines for one outage"
	metric_ge iptmon_daemon_influx_queued_bytes 1 || fail "nothing queued while InfluxDB is down"
	# a HUP that leaves the InfluxDB keys alone keeps what waits
	kill -HUP "$DPID"
	wait_for log_has "SIGHUP: configuration re-read" || fail "no HUP"
	metric_ge iptmon_daemon_influx_queued_bytes 1 || fail "the queue went with a HUP"
	svc_influxd_restart || fail "influxd restart"
	wait_for_value iptmon "$q" 20560 || fail "influx after the outage"
	wait_for log_has "InfluxDB answers again" || fail "no log line when InfluxDB came back"
	# the points from the outage arrived too (one per poll, with their own timestamps)
	local n
	n=$(svc_influx_value iptmon "SELECT count(bytes) FROM iptmon WHERE host='pc' AND family='ipv4' AND direction='tx' AND time >= ${t_down}s AND time < ${t_down}s + 4s")
	[ "${n:-0}" -ge 3 ] || fail "points from the outage: '$n'"
	expect_eq "$(grep -c 'InfluxDB .*retrying\|InfluxDB answers again' "$T/daemon.log")" 2 "InfluxDB log lines (down, back)"
	stop_daemon
}

# The daemon at its edges: totals across address changes (no double counting; on
# iptables-nft, whose IPv6 counters restart, the totals carry on), HUP moving the HTTP
# server and the InfluxDB target, the InfluxDB 2.x request form (recorded by a stand-in
# server: no InfluxDB 2.x in Debian), an oversized request header, the page.
case_daemon_edges() {
	it_setup
	cat >>"$T/iptmon.conf" <<EOC
interval = 1
listen = 127.0.0.1:9678
EOC
	ns_add_client 1 $MAC1
	it_start_dnsmasq
	IP1=$(ns_dhcp4 1 pc)
	IP6=$(ns_dhcp6 1)
	wait_for has_addr pc "$IP6" || fail "pc's v6 not counted"
	start_daemon
	ns_ping 1 "$NS_W4" 10 1000 || fail "ping"
	ns_ping 1 "$NS_W6" 10 1000 || fail "ping6"
	v6_total() { it show --json | jq -r '.hosts[] | select(.name == "pc") | .ipv6.tx_bytes'; }
	wait_for live_is 10280 || fail "v4 total"
	v6_total_is() { [ "$(v6_total)" = "$1" ]; }
	wait_for v6_total_is 10480 || fail "v6 total: $(v6_total)"
	# new addresses in both families: counts follow the host, never twice
	it old $MAC1 192.168.88.141 pc
	DNSMASQ_MAC=$MAC1 it old 00:01:00:01:2c:00:00:01:02:00:00:00:88:01 fd00:88::1fe pc
	wait_for has_addr pc fd00:88::1fe || fail "pc's new v6 address"
	local polls
	polls=$(metric iptmon_daemon_polls_total)
	wait_for metric_ge iptmon_daemon_polls_total $((polls + 2)) || fail "polls stalled"
	live_is 10280 || fail "v4 total after the address change: $(it show --json)"
	expect_eq "$(v6_total)" 10480 "v6 total after the address change"
	if [ "$BACKEND" = iptables-nft ]; then
		expect_eq "$(host_field pc '.ipv6.tx_bytes')" 0 "ip6tables-nft restarts the kernel counter (known)"
	else
		expect_eq "$(host_field pc '.ipv6.tx_bytes')" 10480 "kernel v6 count after the address change"
	fi
	# the daemon's exposition (per-host counters, period gauges, health) passes promtool
	ns_rexec curl -s 127.0.0.1:9678/metrics >"$T/daemon.prom"
	promtool check metrics <"$T/daemon.prom" >"$T/promtool" 2>&1 || fail "promtool on the daemon's /metrics: $(cat "$T/promtool")"
	grep -qx 'iptmon_daemon_up 1' "$T/daemon.prom" || fail "iptmon_daemon_up: $(grep daemon_up "$T/daemon.prom")"
	# the page
	local ct
	ct=$(ns_rexec curl -s -o "$T/page" -w '%{content_type}' 127.0.0.1:9678/)
	expect_eq "$ct" "text/html; charset=utf-8" "page content type"
	grep -q "get('/api/hosts" "$T/page" || fail "the page does not read /api/hosts"
	# a 20 KB request header is refused, and the daemon goes on
	local code
	code=$(ns_rexec curl -s -o /dev/null -w '%{http_code}' -H "X-Big: $(head -c 20000 /dev/zero | tr '\0' a)" 127.0.0.1:9678/metrics || true)
	case $code in 431|413|400|000) ;; *) fail "20 KB header: HTTP $code" ;; esac
	ns_rexec curl -sf 127.0.0.1:9678/metrics >/dev/null || fail "/metrics after an oversized request"
	# a stand-in InfluxDB 2.x that records each request and answers 204
	mkdir -p "$T/v2"
	cat >"$T/v2/handle" <<'EOS'
#!/bin/bash
f=$V2DIR/req.$(date +%s%N)
while IFS= read -r l; do l=${l%$'\r'}; printf '%s\n' "$l" >>"$f.h"; [ -z "$l" ] && break; done
len=$(sed -n 's/^[Cc]ontent-[Ll]ength: *//p' "$f.h")
head -c "${len:-0}" >"$f.b.part" && mv "$f.b.part" "$f.b" # whole or absent for the wait below
printf 'HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n'
EOS
	chmod +x "$T/v2/handle"
	ns_rexec env V2DIR="$T/v2" socat TCP-LISTEN:18087,bind=127.0.0.1,reuseaddr,fork EXEC:"$T/v2/handle" 2>"$T/v2/log" &
	local spid=$!
	ns_on_cleanup "kill $spid 2>/dev/null || true"
	# HUP: the HTTP server moves, the push starts
	sed -i 's/^listen = .*/listen = 127.0.0.1:9680/' "$T/iptmon.conf"
	cat >>"$T/iptmon.conf" <<EOC
influx_url = http://127.0.0.1:18087/api/v2/write?org=home&bucket=net&precision=ns
influx_token = s3cret
EOC
	kill -HUP "$DPID"
	wait_for ns_rexec curl -sf 127.0.0.1:9680/metrics || fail "no /metrics on the new port after HUP: $(tail -n 3 "$T/daemon.log")"
	ns_rexec curl -s 127.0.0.1:9678/metrics >/dev/null && fail "the old port still answers after HUP"
	v2_request_seen() { local b; b=$(ls "$T"/v2/req.*.b 2>/dev/null | head -n 1); [ -s "$b" ]; }
	wait_for v2_request_seen || fail "no InfluxDB 2.x request: $(tail -n 3 "$T/daemon.log")"
	local h b
	h=$(ls "$T"/v2/req.*.h | head -n 1)
	b=${h%.h}.b
	expect_eq "$(head -n 1 "$h")" "POST /api/v2/write?org=home&bucket=net&precision=ns HTTP/1.1" "2.x request line"
	grep -qx "Authorization: Token s3cret" "$h" || fail "2.x token header: $(cat "$h")"
	grep -qx "Content-Type: text/plain; charset=utf-8" "$h" || fail "2.x content type: $(cat "$h")"
	# gzip-compressed (influx_gzip = on, the default): one whole gzip member
	grep -qx "Content-Encoding: gzip" "$h" || fail "2.x content encoding: $(cat "$h")"
	gzip -dc <"$b" >"$T/v2/body" || fail "2.x body is not gzip: $(od -c "$b" | head -n 3)"
	grep -Eq "^iptmon,host=pc,mac=$MAC1,family=ipv6,direction=tx bytes=10480i,packets=10i [0-9]{19}$" "$T/v2/body" ||
		fail "2.x body: $(cat "$T/v2/body")"
	grep -q s3cret "$T/daemon.log" && fail "the token was logged"
	# influx_gzip = off (after a HUP): plain text, no Content-Encoding
	# (a request's body file appears only once its header is whole: no half-written header)
	echo "influx_gzip = off" >>"$T/iptmon.conf"
	kill -HUP "$DPID"
	v2_plain_seen() { local f; for f in "$T"/v2/req.*.b; do [ -s "$f" ] && ! grep -q "Content-Encoding" "${f%.b}.h" && return 0; done; return 1; }
	wait_for v2_plain_seen || fail "no plain request after influx_gzip = off: $(cat "$T"/v2/req.*.h)"
	for h in "$T"/v2/req.*.h; do
		b=${h%.h}.b
		[ -s "$b" ] && ! grep -q "Content-Encoding" "$h" && break
	done
	grep -Eq "^iptmon,host=pc,mac=$MAC1,family=ipv6,direction=tx bytes=10480i,packets=10i [0-9]{19}$" "$b" ||
		fail "2.x plain body: $(cat "$b")"
	stop_daemon
}

# More cases, one file per subject: tests/ns/cases.d/*.sh (each defines case_NAME functions).
for f in tests/ns/cases.d/*.sh; do
	[ -e "$f" ] && . "$f"
done

"case_$CASE"
echo "ok"
