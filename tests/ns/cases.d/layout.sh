# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The nftables layout's footprint facts and its exactness across element rewrites (sourced
# by tests/ns/cases.sh; helpers from there).

nft_ours() { ip netns exec "$R" nft -j list table inet iptmon; }
# "SET BYTES PACKETS COMMENT" of each counter element of set SET.
set_counts() { nft_ours | jq -r --arg s "$1" '.nftables[] | select(.set.name == $s) | (.set.elem // [])[] | .elem | "\(.val) \(.counter.bytes) \(.counter.packets) \(.comment)"'; }

# No set is created with a size (the kernel would allocate its hash buckets up front: 1 MiB
# per set at 65536), nothing is a named counter object, and the counters live in elements.
case_layout() {
	is_nft || { echo "skip: nft backend only"; exit 77; }
	it_setup
	one_client
	ns_ping 1 "$NS_W4" 10 1000 || fail "ping"
	expect_eq "$(nft_ours | jq '[.nftables[] | (.set // .map // empty) | select(.size != null)] | length')" 0 "sets created with a size"
	expect_eq "$(nft_ours | jq -r '[.nftables[] | (.set // .map // empty) | .name] | join(" ")')" "tx4 tx6 rx4 rx6 host4 host6 carry key" "sets and maps"
	expect_eq "$(nft_ours | jq '[.nftables[] | select(.counter)] | length')" 0 "named counter objects"
	expect_eq "$(set_counts tx4)" "$IP1 10280 10 pc" "pc's tx4 element"
	expect_eq "$(set_counts rx4)" "$IP1 10280 10 pc" "pc's rx4 element"
	expect_eq "$(host_field pc '.ipv4.tx_bytes')" 10280 "pc's count read back"
	expect_eq "$(nft_ours | jq '[.nftables[] | select(.set.name == "carry") | (.set.elem // [])[]] | length')" 0 "carry elements (none: pc has one address per family it uses)"
}

# A table of iptmon 0.1 (named counters, maps of addresses to them) is read as it is, and
# the next change rebuilds it in this layout with every count kept.
case_layout_upgrade() {
	is_nft || { echo "skip: nft backend only"; exit 77; }
	it_setup
	ip netns exec "$R" nft -f - <<'EON' || fail "cannot load a 0.1 table"
table inet iptmon {
	counter tx4_pc { packets 7 bytes 7000 }
	counter rx4_pc { packets 3 bytes 3000 }
	counter tx6_pc { packets 2 bytes 2000 }
	counter rx6_pc { packets 0 bytes 0 }
	map tx4 { type ipv4_addr : counter; size 65536; elements = { 192.168.88.101 : "tx4_pc" } }
	map rx4 { type ipv4_addr : counter; size 65536; elements = { 192.168.88.101 : "rx4_pc" } }
	map tx6 { type ipv6_addr : counter; size 65536; elements = { fd00:88::101 : "tx6_pc" } }
	map rx6 { type ipv6_addr : counter; size 65536; elements = { fd00:88::101 : "rx6_pc" } }
	chain forward {
		type filter hook forward priority -150; policy accept;
		meta nfproto ipv4 counter name ip daddr map @tx4
		meta nfproto ipv4 counter name ip saddr map @rx4
		meta nfproto ipv6 counter name ip6 daddr map @tx6
		meta nfproto ipv6 counter name ip6 saddr map @rx6
	}
}
EON
	expect_eq "$(host_field pc '"\(.ipv4.tx_bytes) \(.ipv4.rx_bytes) \(.ipv6.tx_bytes)"')" "7000 3000 2000" "the 0.1 table read as it is"
	it add 02:00:00:00:88:02 192.168.88.102 phone || fail "add on a 0.1 table"
	expect_eq "$(host_names)" "pc phone" "hosts after the upgrade"
	expect_eq "$(host_field pc '"\(.ipv4.tx_bytes) \(.ipv4.rx_bytes) \(.ipv6.tx_bytes) \(.addresses | join(","))"')" \
		"7000 3000 2000 192.168.88.101,fd00:88::101" "pc's counts and addresses after the upgrade"
	expect_eq "$(nft_ours | jq '[.nftables[] | select(.counter)] | length')" 0 "named counter objects after the upgrade"
	expect_eq "$(nft_ours | jq '[.nftables[] | (.set // .map // empty) | select(.size != null)] | length')" 0 "sets with a size after the upgrade"
	expect_eq "$(set_counts tx4 | sort)" "192.168.88.101 7000 7 pc
192.168.88.102 0 0 phone" "tx4 after the upgrade"
	base_ok || fail "rules after the upgrade"
}

pinger_done() { ! kill -0 "$1" 2>/dev/null; }

# Renames and address changes while packets flow: every packet is counted once, although
# each rewrite deletes the elements that count them (the kernel's echo of their final
# counters goes into the host's carry).
case_layout_busy() {
	is_nft || { echo "skip: nft backend only"; exit 77; }
	it_setup
	one_client
	local c out sent n=0 pid
	c=$(ns_client_ns 1)
	ip netns exec "$c" ping -n -q -f -c 20000 -s 64 "$NS_W4" >"$T/ping.out" 2>&1 &
	pid=$!
	while ! pinger_done "$pid"; do
		n=$((n + 1))
		it old $MAC1 "$IP1" "pc$((n % 3))" || fail "rename $n under traffic"
	done
	wait "$pid" || true
	sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$T/ping.out")
	expect_eq "$sent" 20000 "pings sent ($(cat "$T/ping.out"))"
	[ "$n" -ge 3 ] || fail "only $n renames while the pings flowed"
	out=$(json | jq -r '[.hosts[].ipv4.rx_packets] | add')
	expect_eq "$out" 20000 "IPv4 packets from the host, counted across $n renames"
	expect_eq "$(host_names)" "pc$((n % 3))" "one host after the renames"
}
