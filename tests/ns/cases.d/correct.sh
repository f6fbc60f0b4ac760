# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Correctness of the daemon's totals around renames, deletions, lost tables and concurrent
# transactions (sourced by tests/ns/cases.sh; helpers from there).

# The daemon with HTTP, polling every second, saving every second.
daemon_setup() {
	cat >>"$T/iptmon.conf" <<EOC
interval = 1
commit_interval = 1
EOC
	sed -i 's/^listen = .*/listen = 127.0.0.1:9678/' "$T/iptmon.conf"
}
# The daemon's total of NAME (IPv4 tx bytes, 0 when it has none), and the sum over hosts.
dtotal() { it show --json | jq -r --arg n "$1" '[.hosts[] | select(.name == $n) | .ipv4.tx_bytes] | add // 0'; }
dsum() { it show --json | jq -r '[.hosts[].ipv4.tx_bytes] | add // 0'; }
dtotal_is() { [ "$(dtotal "$1")" = "$2" ]; }
polls() { metric iptmon_daemon_polls_total; }
polls_past() { local p; p=$(polls); [ -n "$p" ] && [ "$p" -ge "$1" ]; }
# Waits for N more polls of the running daemon.
wait_polls() {
	local p0
	p0=$(polls)
	wait_for polls_past $((p0 + $1)) || fail "no $1 polls after $p0: $(tail -n 3 "$T/daemon.log")"
}
start_http_daemon() {
	start_daemon
	wait_for polls_past 1 || fail "daemon not polling: $(cat "$T/daemon.log")"
}
# Stops and continues the daemon, so that what happens in between happens between two polls.
pause_daemon() { kill -STOP "$DPID"; }
resume_daemon() { kill -CONT "$DPID"; }

# A rename moves the total with the host; nothing is counted twice, whether or not a poll
# saw the old name's last traffic.
case_daemon_rename() {
	it_setup
	daemon_setup
	one_client
	start_http_daemon
	ns_ping 1 "$NS_W4" 10 1000 || fail "ping"
	wait_for dtotal_is pc 10280 || fail "pc's total: $(dtotal pc)"
	# dnsmasq's rename: `old` with the same MAC and address and a new name
	it old $MAC1 "$IP1" workstation
	ns_ping 1 "$NS_W4" 10 1000 || fail "ping"
	wait_for dtotal_is workstation 20560 || fail "workstation's total after the rename: $(dtotal workstation) (pc: $(dtotal pc))"
	wait_polls 2
	expect_eq "$(dtotal pc)" 0 "the old name's total after the rename"
	expect_eq "$(dsum)" 20560 "sum over hosts after the rename"
	# Traffic and a rename between two polls: the old name's last bytes go along too.
	pause_daemon
	ns_ping 1 "$NS_W4" 10 1000 || fail "ping"
	it old $MAC1 "$IP1" desk
	ns_ping 1 "$NS_W4" 10 1000 || fail "ping"
	resume_daemon
	wait_for dtotal_is desk 41120 || fail "desk's total: $(dtotal desk) (workstation: $(dtotal workstation))"
	wait_polls 2
	expect_eq "$(dsum)" 41120 "sum over hosts after a rename between polls"
	# Renamed back to a name that has a total: one device, one total.
	it old $MAC1 "$IP1" pc
	ns_ping 1 "$NS_W4" 10 1000 || fail "ping"
	wait_for dtotal_is pc 51400 || fail "pc's total after renaming back: $(dtotal pc)"
	wait_polls 2
	expect_eq "$(dsum)" 51400 "sum over hosts after renaming back"
	stop_daemon
	expect_eq "$(st_field pc 4)" 51400 "pc's total in the state file"
	expect_eq "$(st_field desk 4)" "" "desk has no line in the state file"
}

# A host deleted and added again starts from zero in the kernel: nothing lost, whether a
# poll saw it gone or not, and the same after flush + init and after a lost table.
case_daemon_readd() {
	it_setup
	daemon_setup
	one_client
	start_http_daemon
	ns_ping 1 "$NS_W4" 10 1000 || fail "ping"
	wait_for dtotal_is pc 10280 || fail "pc's total: $(dtotal pc)"
	it del $MAC1 "$IP1" pc
	wait_polls 2
	it add $MAC1 "$IP1" pc
	ns_ping 1 "$NS_W4" 10 1000 || fail "ping"
	wait_for dtotal_is pc 20560 || fail "total after del, two polls, add: $(dtotal pc)"
	# del and add between two polls: the counter came back at 0 and reached its old value
	pause_daemon
	it del $MAC1 "$IP1" pc
	it add $MAC1 "$IP1" pc
	ns_ping 1 "$NS_W4" 10 1000 || fail "ping"
	ns_ping 1 "$NS_W4" 10 1000 || fail "ping"
	resume_daemon
	wait_for dtotal_is pc 41120 || fail "total after del + add between polls: $(dtotal pc)"
	pause_daemon
	it flush
	it init
	ns_ping 1 "$NS_W4" 10 1000 || fail "ping"
	resume_daemon
	wait_for dtotal_is pc 51400 || fail "total after flush + init between polls: $(dtotal pc)"
	if is_nft; then
		pause_daemon
		ip netns exec "$R" nft flush ruleset
		it init
		ns_ping 1 "$NS_W4" 10 1000 || fail "ping"
		resume_daemon
		wait_for dtotal_is pc 61680 || fail "total after nft flush ruleset + init between polls: $(dtotal pc)"
	fi
	wait_polls 2
	stop_daemon
}

rebuilds_are() { [ "$(metric iptmon_daemon_rebuilds_total)" = "$1" ]; }

# Everything of iptmon's deleted under the running daemon: within a poll it says so once
# and makes it all again with every host it knows; the totals go on.
case_daemon_rebuild() {
	it_setup
	daemon_setup
	three_clients
	start_http_daemon
	ns_ping 1 "$NS_W4" 10 1000 || fail "ping"
	wait_for dtotal_is pc 10280 || fail "pc's total: $(dtotal pc)"
	it remove
	wait_for log_has "objects were deleted; made them again with 3 known hosts" ||
		fail "no rebuild after iptmon remove: $(cat "$T/daemon.log")"
	wait_for has_host pc || fail "pc not counted again after the rebuild"
	expect_eq "$(host_names)" "laptop pc phone" "hosts after the rebuild"
	ns_ping 1 "$NS_W4" 10 1000 || fail "ping"
	wait_for dtotal_is pc 20560 || fail "pc's total after the rebuild: $(dtotal pc)"
	expect_eq "$(metric iptmon_daemon_rebuilds_total)" 1 "rebuilds counted"
	if is_nft; then
		ip netns exec "$R" nft flush ruleset
	else
		# what a firewall stop does to the mangle table
		local ipt=iptables-legacy
		[ "$BACKEND" = iptables-nft ] && ipt=iptables-nft
		ip netns exec "$R" "$ipt" -t mangle -F
		ip netns exec "$R" "$ipt" -t mangle -X
	fi
	wait_for rebuilds_are 2 || fail "no rebuild after the second deletion: $(cat "$T/daemon.log")"
	wait_for has_host phone || fail "phone not counted again after the second deletion: $(cat "$T/daemon.log")"
	ns_ping 1 "$NS_W4" 10 1000 || fail "ping"
	wait_for dtotal_is pc 30840 || fail "pc's total after the second rebuild: $(dtotal pc)"
	expect_eq "$(grep -c "made them again" "$T/daemon.log")" 2 "log lines, one per deletion"
	expect_eq "$(metric iptmon_daemon_poll_errors_total)" 0 "poll errors"
	stop_daemon
}

# A saved ruleset (`nft list ruleset`, what /etc/nftables.conf holds) loads again with every
# host and its counts, whatever the names.
case_saved_ruleset() {
	is_nft || { echo "skip: nft backend only"; exit 77; }
	it_setup
	one_client
	ns_ping 1 "$NS_W4" 10 1000 || fail "ping"
	it add 02:00:00:00:77:01 fd00:88::77         # named by its address: holds ':'
	it add 02:00:00:00:77:02 192.168.88.177 'a:b.c-d_e'
	it add 02:00:00:00:77:03 192.168.88.178 'x|id;$(reboot)'
	local before after
	before=$(it show --json | jq -c '[.hosts[] | {name, addresses, ipv4, ipv6}]')
	ip netns exec "$R" nft list ruleset >"$T/saved.nft"
	ip netns exec "$R" nft flush ruleset
	ip netns exec "$R" nft -f "$T/saved.nft" 2>"$T/nft.err" || fail "nft -f of a saved ruleset: $(cat "$T/nft.err")"
	after=$(it show --json | jq -c '[.hosts[] | {name, addresses, ipv4, ipv6}]')
	expect_eq "$after" "$before" "hosts and counts after nft -f of the saved ruleset"
	has_host fd00:88::77 || fail "the address-named host is gone: $after"
	ns_ping 1 "$NS_W4" 10 1000 || fail "ping"
	expect_eq "$(host_field pc '.ipv4.tx_bytes')" 20560 "pc counts on after the restore"
	it del 02:00:00:00:77:01 fd00:88::77
	no_host fd00:88::77 || fail "del of the address-named host after the restore"
}

# Unrelated nft transactions all the time while 2000 hosts are polled every second: dumps
# are interrupted again and again; the daemon never freezes, the commands never fail, and
# once the storm ends every poll succeeds and the totals are exact.
case_dump_storm() {
	is_nft || { echo "skip: nft backend only"; exit 77; }
	it_setup
	daemon_setup
	local i
	for ((i = 0; i < 2000; i++)); do
		echo "10.50.$((i / 250)).$((i % 250 + 1)) h$i"
	done >"$T/hosts"
	one_client
	expect_eq "$(json | jq '.hosts | length')" 2001 "hosts counted"
	start_http_daemon
	ip netns exec "$R" bash -c 'end=$((SECONDS + 30)); n=0; while [ $SECONDS -lt $end ]; do
		nft add table ip storm$n && nft delete table ip storm$n; n=$((n + 1)); done; echo $n' >"$T/storm.out" 2>&1 &
	local storm=$! pings=0
	ns_on_cleanup "kill $storm 2>/dev/null || true"
	while kill -0 "$storm" 2>/dev/null; do
		ns_ping 1 "$NS_W4" 10 1000 || fail "ping"
		pings=$((pings + 1))
		DNSMASQ_DATA_MISSING=1 it old $MAC1 "$IP1" pc 2>>"$T/cli.err" || fail "an event failed during the storm: $(cat "$T/cli.err")"
		it show --kernel >/dev/null 2>>"$T/cli.err" || fail "show --kernel failed during the storm: $(cat "$T/cli.err")"
	done
	wait "$storm" || true
	echo "storm: $(cat "$T/storm.out") transactions, $pings rounds of pings"
	local errs
	errs=$(metric iptmon_daemon_poll_errors_total)
	wait_polls 3
	expect_eq "$(metric iptmon_daemon_poll_errors_total)" "$errs" "poll errors after the storm"
	wait_for dtotal_is pc $((pings * 10280)) || fail "pc's total after the storm: $(dtotal pc), want $((pings * 10280))"
	expect_eq "$(host_field pc '.ipv4.tx_bytes')" $((pings * 10280)) "the kernel's count"
	expect_eq "$(it show --json | jq '.hosts | length')" 2001 "hosts in the daemon's view"
	stop_daemon
}

api_names() { ns_rexec curl -s 127.0.0.1:9678/api/hosts | jq -r '[.hosts[].name] | sort | join(" ")'; }
api_names_are() { [ "$(api_names)" = "$1" ]; }

# A client cycling hostnames: names gone longer than forget_after leave the all-time
# totals, /metrics and /api/hosts; no more than max_remembered are kept at all.
case_daemon_forget() {
	it_setup
	daemon_setup
	cat >>"$T/iptmon.conf" <<EOC
forget_after = 3
max_remembered = 6
EOC
	one_client
	start_http_daemon
	ns_ping 1 "$NS_W4" 10 1000 || fail "ping"
	local i
	for i in $(seq 1 12); do
		it add 02:00:00:00:44:01 192.168.88.200 "cycle$i"
		wait_polls 1
	done
	wait_polls 1
	local n
	n=$(metric iptmon_daemon_hosts_remembered)
	[ "$n" -le 6 ] || fail "hosts remembered: $n"
	expect_eq "$(grep -c '^host ' "$T/state/iptmon.state")" "$n" "host lines in the state file"
	[ "$(metric iptmon_daemon_hosts_dropped_total)" -ge 6 ] || fail "hosts dropped: $(metric iptmon_daemon_hosts_dropped_total)"
	expect_eq "$(grep -c 'dropped .* that were gone longest' "$T/daemon.log")" 1 "log lines about dropped hosts"
	# present hosts stay, whatever their age; gone ones leave the views after forget_after
	wait_for dtotal_is pc 10280 || fail "pc's total: $(dtotal pc)"
	it show --json | jq -e '.hosts[] | select(.name == "cycle12")' >/dev/null || fail "the present host cycle12 is not shown"
	wait_for api_names_are "cycle12 pc" || fail "/api/hosts after forget_after: $(api_names)"
	ns_rexec curl -s 127.0.0.1:9678/metrics | grep -q 'host="cycle11"' && fail "/metrics still has cycle11's all-time series"
	stop_daemon
}

# A rule copied by hand (iptables): only its first copy counts; the next change leaves one
# copy, carrying what was counted.
case_dup_rules() {
	is_nft && { echo "skip: iptables backends only"; exit 77; }
	it_setup
	one_client
	local ipt=iptables-legacy
	[ "$BACKEND" = iptables-nft ] && ipt=iptables-nft
	ip netns exec "$R" "$ipt" -t mangle -A iptmon_tx -d "$IP1/32" -m comment --comment tx_pc -j RETURN
	ip netns exec "$R" "$ipt" -t mangle -A iptmon_tx -d "$IP1/32" -m comment --comment tx_pc -j RETURN
	expect_eq "$(rule_count tx_pc)" 3 "tx rules of pc with two copies"
	ns_ping 1 "$NS_W4" 10 1000 || fail "ping"
	expect_eq "$(host_field pc '.ipv4.tx_bytes')" 10280 "pc's count with copies"
	DNSMASQ_DATA_MISSING=1 it old $MAC1 "$IP1" pc
	expect_eq "$(rule_count tx_pc)" 1 "tx rules of pc after a change"
	expect_eq "$(host_field pc '.ipv4.tx_bytes')" 10280 "pc's count kept by the repair"
	ns_ping 1 "$NS_W4" 10 1000 || fail "ping"
	expect_eq "$(host_field pc '.ipv4.tx_bytes')" 20560 "pc's count after the repair"
}

# FNV-1a 64 of a name, the host map key iptmon 0.1 used (unkeyed: anyone could compute it),
# as the two marks nft prints (the low and the high 32 bits of the little-endian key).
fnv_marks() {
	local s=$1 h=-3750763034362895579 i c # 14695981039346656037 as a signed 64-bit value
	for ((i = 0; i < ${#s}; i++)); do
		printf -v c '%d' "'${s:i:1}"
		h=$(((h ^ c) * 1099511628211))
	done
	printf '0x%08x . 0x%08x' $((h & 0xffffffff)) $(((h >> 32) & 0xffffffff))
}

# A host map element under the key a name would have: with a key anyone can compute, a
# client could take another's key (an element with other data) and every later change
# would be refused. The key is now the table's own secret: nothing clashes.
case_host_key_clash() {
	is_nft || { echo "skip: nft backend only"; exit 77; }
	it_setup
	it init
	it add 02:00:00:00:33:01 192.168.88.60 somebody
	# what a hostile client would leave for the name "victim", whose key it can compute
	ip netns exec "$R" nft add element inet iptmon host4 "{ $(fnv_marks victim) : 192.168.88.99 }" ||
		fail "could not add the element"
	it add 02:00:00:00:33:02 192.168.88.50 victim || fail "adding victim failed: its key clashed"
	has_addr victim 192.168.88.50 || fail "victim not counted: $(it show)"
	it del 02:00:00:00:33:02 192.168.88.50 victim || fail "deleting victim failed"
	no_host victim || fail "victim still counted"
	it add 02:00:00:00:33:03 192.168.88.61 other || fail "a later change was refused"
}
