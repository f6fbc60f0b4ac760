# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Host discovery (sourced by tests/ns/cases.sh): the daemon counts the devices of the
# router's neighbour table on the LAN bridge, named from dnsmasq's lease file and the hosts
# files, with no --dhcp-script. Real dnsmasq, real DHCP and SLAAC clients, exact counts.

# A router whose daemon discovers hosts on the LAN bridge; dnsmasq without a script.
disc_setup() {
	it_setup
	cat >>"$T/iptmon.conf" <<EOC
interval = 1
commit_interval = 1
discover = on
discover_interfaces = $NS_BR
discover_grace = ${DISC_GRACE:-3600}
listen = 127.0.0.1:9678
EOC
}

# dnsmasq as a DHCPv4 server with SLAAC router advertisements, calling no script (or
# SCRIPT when given: the dnsmasq hook alongside discovery).
disc_start_dnsmasq() {
	local pid script=${1:-}
	ip netns exec "$R" dnsmasq --keep-in-foreground --conf-file=/dev/null --port=0 \
		--interface="$NS_BR" --bind-interfaces \
		--dhcp-range=192.168.88.100,192.168.88.150,255.255.255.0,1h \
		--enable-ra --dhcp-range=fd00:88::,ra-only,64,1h \
		--dhcp-authoritative --no-ping --dhcp-leasefile="$NS_LEASES" \
		${script:+--dhcp-script="$script"} \
		--pid-file="$T/dnsmasq.pid" --log-facility="$NS_DNSMASQ_LOG" --log-dhcp \
		</dev/null >>"$T/dnsmasq.out" 2>&1 &
	pid=$!
	_ns_track_pid "$pid"
	disc_dnsmasq_up() { ip netns exec "$R" ss -H -uanp 2>/dev/null | grep "pid=$1," | grep -q ':67 '; }
	wait_for disc_dnsmasq_up "$pid" || fail "dnsmasq did not come up: $(cat "$T/dnsmasq.out")"
}

# A client with a static address (no DHCP): IDX MAC ADDR
disc_static_client() {
	ns_add_client "$1" "$2"
	ns_cexec "$1" ip addr add "$3/24" dev "$(ns_client_if "$1")"
	ns_cexec "$1" ip route add default via "$NS_LAN4"
}

# The router learns a client as its neighbour the way it does any device: the client talks
# to it (one ping to the router's LAN address, not forwarded, so not counted).
disc_hello() { ns_cexec "$1" ping -n -q -c 1 -W 1 "${2:-$NS_LAN4}" >/dev/null 2>&1 || true; }
# Conditions, re-evaluated on every try (each says hello again: a lost first packet is
# not a failure).
disc_counted() { disc_hello "$1" "${4:-}"; has_addr "$2" "$3"; }
host_count() { json | jq '.hosts | length'; }
host_count_is() { [ "$(host_count)" = "$1" ]; }
# The daemon's all-time IPv4 tx total of NAME as it shows it.
live_tx() { it show --json | jq -r --arg n "$1" '.hosts[] | select(.name == $n) | .ipv4.tx_bytes'; }
live_tx_is() { [ "$(live_tx "$1")" = "$2" ]; }
mac_name() { echo "mac-$(echo "$1" | tr -d :)"; }
metric_is() { [ "$(metric "$1")" = "$2" ]; }

# A DHCPv4 client named from its lease; its traffic counted exactly, once.
case_discover_dhcp() {
	disc_setup
	ns_add_client 1 $MAC1
	disc_start_dnsmasq
	start_daemon
	IP1=$(ns_dhcp4 1 pc)
	grep -q " $MAC1 $IP1 pc " "$NS_LEASES" || fail "lease file: $(cat "$NS_LEASES")"
	wait_for disc_counted 1 pc "$IP1" || fail "pc ($IP1) not discovered: $(cat "$T/daemon.log")"
	expect_eq "$(host_names)" pc "counted hosts"
	ns_ping 1 "$NS_W4" 10 1000 || fail "ping"
	expect_eq "$(host_field pc '.ipv4.tx_bytes')" 10280 "pc ipv4 tx_bytes"
	expect_eq "$(host_field pc '.ipv4.rx_bytes')" 10280 "pc ipv4 rx_bytes"
	wait_for live_tx_is pc 10280 || fail "daemon's total for pc: $(live_tx pc)"
	# Taken away by a command: counted again (new counters), the total goes on.
	it flush
	wait_for has_addr pc "$IP1" || fail "pc not counted again after a flush: $(json)"
	ns_ping 1 "$NS_W4" 5 500 || fail "ping"
	expect_eq "$(host_field pc '.ipv4.tx_bytes')" 2640 "pc ipv4 tx_bytes after the flush"
	wait_for live_tx_is pc 12920 || fail "daemon's total for pc after the flush: $(live_tx pc)"
	stop_daemon
	expect_eq "$(st_field pc 4)" 12920 "pc's total in the state file"
}

# A SLAAC client (its IPv6 address from dnsmasq's router advertisement, never in a lease)
# counted under the name of its IPv4 lease: matched by MAC.
case_discover_slaac() {
	disc_setup
	ns_add_client 1 $MAC1
	local cif
	cif=$(ns_client_if 1)
	ns_cexec 1 sysctl -q -w "net.ipv6.conf.$cif.accept_ra=1" "net.ipv6.conf.$cif.use_tempaddr=0" \
		"net.ipv6.conf.$cif.addr_gen_mode=0"
	# down and up: the address is made again (EUI-64) and a router solicitation goes out
	ns_cexec 1 ip link set "$cif" down
	ns_cexec 1 ip link set "$cif" up
	disc_start_dnsmasq
	start_daemon
	IP1=$(ns_dhcp4 1 pc)
	# EUI-64 from 02:00:00:00:88:01
	local ip6=fd00:88::ff:fe00:8801
	slaac_up() { ns_cexec 1 ip -6 addr show dev "$cif" | grep -q "inet6 $ip6/64 .*global"; }
	wait_for slaac_up || fail "no SLAAC address: $(ns_cexec 1 ip -6 addr show dev "$cif")"
	has_default6() { ns_cexec 1 ip -6 route show default | grep -q via; }
	wait_for has_default6 || fail "no IPv6 default route from the RA"
	grep -q "$ip6" "$NS_LEASES" && fail "the SLAAC address is in a lease: $(cat "$NS_LEASES")"
	wait_for disc_counted 1 pc "$IP1" || fail "pc's IPv4 not discovered"
	wait_for disc_counted 1 pc "$ip6" "$NS_LAN6" || fail "pc's SLAAC address not discovered: $(json)"
	expect_eq "$(host_names)" pc "counted hosts"
	ns_ping 1 "$NS_W4" 10 1000 || fail "ping"
	ns_ping 1 "$NS_W6" 10 1000 || fail "ping6"
	expect_eq "$(host_field pc '.ipv4.tx_bytes')" 10280 "pc ipv4 tx_bytes"
	expect_eq "$(host_field pc '.ipv6.tx_bytes')" 10480 "pc ipv6 tx_bytes"
	expect_eq "$(host_field pc '.ipv6.rx_bytes')" 10480 "pc ipv6 rx_bytes"
	stop_daemon
}

# A device with a static address named from a hosts file; one with no name anywhere counted
# under its MAC-derived name, then renamed when it takes a lease, its total unchanged.
case_discover_static() {
	disc_setup
	echo "192.168.88.20 printer # by hand" >"$T/hosts"
	disc_static_client 2 $MAC2 192.168.88.20
	disc_static_client 3 $MAC3 192.168.88.30
	disc_start_dnsmasq
	start_daemon
	local m3
	m3=$(mac_name $MAC3)
	wait_for disc_counted 2 printer 192.168.88.20 || fail "printer not named from the hosts file"
	wait_for disc_counted 3 "$m3" 192.168.88.30 || fail "unnamed device not under $m3: $(json)"
	expect_eq "$(host_names)" "$m3 printer" "counted hosts"
	ns_ping 2 "$NS_W4" 5 500 || fail "ping (printer)"
	ns_ping 3 "$NS_W4" 10 1000 || fail "ping (unnamed)"
	expect_eq "$(host_field printer '.ipv4.tx_bytes')" 2640 "printer tx_bytes"
	expect_eq "$(host_field "$m3" '.ipv4.tx_bytes')" 10280 "$m3 tx_bytes"
	wait_for live_tx_is "$m3" 10280 || fail "daemon's total for $m3: $(live_tx "$m3")"
	# It takes a lease: renamed, its counts with it, then counted at the leased address.
	ns_cexec 3 ip addr flush dev "$(ns_client_if 3)"
	IP3=$(ns_dhcp4 3 laptop)
	wait_for disc_counted 3 laptop "$IP3" || fail "not renamed to laptop at $IP3: $(json)"
	no_host "$m3" || fail "$m3 still counted after the rename"
	expect_eq "$(host_field laptop '.ipv4.tx_bytes')" 10280 "laptop's kernel count after the rename"
	ns_ping 3 "$NS_W4" 10 1000 || fail "ping (laptop)"
	expect_eq "$(host_field laptop '.ipv4.tx_bytes')" 20560 "laptop's kernel count"
	wait_for live_tx_is laptop 20560 || fail "daemon's total for laptop: $(live_tx laptop)"
	stop_daemon
	expect_eq "$(st_field laptop 4)" 20560 "laptop's total in the state file"
	[ -z "$(st_field "$m3" 4)" ] || [ "$(st_field "$m3" 4)" = 0 ] ||
		fail "$m3 kept counts after the rename: $(st_field "$m3" 4)"
}

# An address taken over by another device (MAC) moves to it; the counts of the first stay
# with the first.
case_discover_move() {
	disc_setup
	disc_static_client 1 $MAC1 192.168.88.40
	ns_add_client 2 $MAC2
	start_daemon
	local m1 m2
	m1=$(mac_name $MAC1)
	m2=$(mac_name $MAC2)
	wait_for disc_counted 1 "$m1" 192.168.88.40 || fail "first device not counted"
	ns_ping 1 "$NS_W4" 10 1000 || fail "ping (first)"
	wait_for live_tx_is "$m1" 10280 || fail "daemon's total for $m1: $(live_tx "$m1")"
	ns_cexec 1 ip addr flush dev "$(ns_client_if 1)"
	ns_cexec 2 ip addr add 192.168.88.40/24 dev "$(ns_client_if 2)"
	ns_cexec 2 ip route add default via "$NS_LAN4"
	wait_for disc_counted 2 "$m2" 192.168.88.40 || fail "address did not move to $m2: $(json)"
	no_host "$m1" || fail "$m1 still counted"
	expect_eq "$(host_field "$m2" '.ipv4.tx_bytes')" 0 "$m2's count after the move"
	ns_ping 2 "$NS_W4" 5 500 || fail "ping (second)"
	expect_eq "$(host_field "$m2" '.ipv4.tx_bytes')" 2640 "$m2 tx_bytes"
	wait_for live_tx_is "$m2" 2640 || fail "daemon's total for $m2: $(live_tx "$m2")"
	expect_eq "$(live_tx "$m1")" 10280 "the first device's total"
	stop_daemon
}

# 1000 neighbours at once (ip -batch: the kernel announces each entry with the same
# RTM_NEWNEIGH as a learned one) are all counted, in a few transactions. Permanent entries:
# the kernel's limit on learned ones (gc_thresh3, 1024) is one for all the namespaces of the
# machine, which parallel runs share; to discovery both are living neighbours.
case_discover_burst() {
	disc_setup
	start_daemon
	local i
	for ((i = 0; i < 1000; i++)); do
		printf 'neigh add 192.168.%d.%d lladdr 02:10:00:00:%02x:%02x dev %s nud permanent\n' \
			$((90 + i / 250)) $((1 + i % 250)) $((i / 256)) $((i % 256)) "$NS_BR"
	done >"$T/neigh.batch"
	ip -n "$R" -batch "$T/neigh.batch" || fail "ip -batch"
	wait_for host_count_is 1000 || fail "hosts counted: $(host_count)"
	has_addr mac-021000000000 192.168.90.1 || fail "first neighbour: $(json | jq -c '.hosts[0]')"
	has_addr mac-0210000003e7 192.168.93.250 || fail "last neighbour"
	local commits
	commits=$(metric iptmon_daemon_discovery_commits_total)
	[ -n "$commits" ] && [ "$commits" -le 10 ] || fail "transactions for 1000 neighbours: $commits"
	expect_eq "$(metric iptmon_daemon_discovered_neighbours)" 1000 "neighbours known"
	stop_daemon
}

# The dnsmasq hook and discovery together: one host per device, counted once, exactly.
case_discover_hook() {
	disc_setup
	ns_add_client 1 $MAC1
	disc_static_client 2 $MAC2 192.168.88.50
	it init
	disc_start_dnsmasq "$BIN"
	start_daemon
	IP1=$(ns_dhcp4 1 pc)
	wait_for has_host pc || fail "pc not counted by the hook"
	wait_for disc_counted 1 pc "$IP1" || fail "pc not counted"
	local unnamed
	unnamed=$(mac_name $MAC2)
	wait_for disc_counted 2 "$unnamed" 192.168.88.50 || fail "static device not discovered"
	expect_eq "$(host_names)" "$(mac_name $MAC2) pc" "counted hosts"
	# A nameless lease event for the unnamed device keeps discovery's name, not the address.
	it old $MAC2 192.168.88.50
	expect_eq "$(host_names)" "$(mac_name $MAC2) pc" "counted hosts after a nameless event"
	ns_ping 1 "$NS_W4" 10 1000 || fail "ping"
	expect_eq "$(host_field pc '.ipv4.tx_bytes')" 10280 "pc ipv4 tx_bytes"
	expect_eq "$(rule_count tx_pc)" 1 "tx_pc rules"
	# dnsmasq restarts: its replays (old events) and discovery agree
	wait_for live_tx_is pc 10280 || fail "daemon's total for pc: $(live_tx pc)"
	DNSMASQ_DATA_MISSING=1 it old $MAC1 "$IP1" pc
	it arp-add $MAC1 "$IP1"
	ns_ping 1 "$NS_W4" 10 1000 || fail "ping"
	expect_eq "$(host_names)" "$(mac_name $MAC2) pc" "counted hosts after replays"
	expect_eq "$(host_field pc '.ipv4.tx_bytes')" 20560 "pc ipv4 tx_bytes after replays"
	wait_for live_tx_is pc 20560 || fail "daemon's total for pc: $(live_tx pc)"
	# The unnamed device takes a lease: the hook's add renames it, counts and all.
	local m2
	m2=$(mac_name $MAC2)
	ns_ping 2 "$NS_W4" 5 500 || fail "ping (unnamed)"
	wait_for live_tx_is "$m2" 2640 || fail "daemon's total for $m2: $(live_tx "$m2")"
	ns_cexec 2 ip addr flush dev "$(ns_client_if 2)"
	IP2=$(ns_dhcp4 2 laptop)
	wait_for has_addr laptop "$IP2" || fail "laptop not counted at $IP2: $(json)"
	no_host "$m2" || fail "$m2 still counted after its lease"
	expect_eq "$(host_field laptop '.ipv4.tx_bytes')" 2640 "laptop's count after the rename"
	wait_for disc_counted 2 laptop "$IP2" || fail "laptop not discovered at $IP2"
	expect_eq "$(host_names)" "laptop pc" "counted hosts after the lease"
	ns_ping 2 "$NS_W4" 5 500 || fail "ping (laptop)"
	wait_for live_tx_is laptop 5280 || fail "daemon's total for laptop: $(live_tx laptop)"
	stop_daemon
	expect_eq "$(st_field pc 4)" 20560 "pc's total in the state file"
	expect_eq "$(st_field laptop 4)" 5280 "laptop's total in the state file"
}

# Hostile, broken and missing name files: skipped line by line, one log line per file and
# change, no wrong name; a deleted neighbour stays for its grace, then goes.
case_discover_files() {
	DISC_GRACE=3 disc_setup
	sed -i "s|^hosts_files = .*|hosts_files = $T/hosts $T/missing-hosts $T/odhcpd|" "$T/iptmon.conf"
	# odhcpd's lease file as OpenWrt keeps it (/tmp/hosts/odhcpd): names by MAC and DUID
	printf '%s\n' "# br-lan 020000008830 ipv4 cam 1900000000 64 32 192.168.88.130/32" \
		"192.168.88.130	cam" "# br-lan 00030001020000008831 1a2b phone6 1900000000 5 128 fd00:88::31/128" \
		"fd00:88::31	phone6" >"$T/odhcpd"
	local m4 far=1900000000
	m4=$(mac_name 02:00:00:00:88:04)
	{
		echo "$far $MAC1 192.168.88.101 pc 01:$MAC1"
		echo "garbage"
		echo "$far not-a-mac 192.168.88.199"
		echo "$far $MAC2 192.168.88.102 \$(reboot);rm\`x\` *"
		echo "$far 02:00:00:00:88:05 192.168.88.105 old-name *"
		printf '%s' "$far 02:00:00:00:88:04 192.168.88.1"
	} >"$NS_LEASES"
	printf '192.168.88.110 nas\n192.168.88.111\n!!! bad\n' >"$T/hosts"
	start_daemon
	local i
	for i in 1 2 4; do
		ip -n "$R" neigh add 192.168.88.10$i lladdr 02:00:00:00:88:0$i dev "$NS_BR" nud reachable
	done
	ip -n "$R" neigh add 192.168.88.110 lladdr 02:00:00:00:88:10 dev "$NS_BR" nud reachable
	ip -n "$R" neigh add 192.168.88.120 lladdr 02:00:00:00:88:20 dev "$NS_BR" nud reachable
	ip -n "$R" neigh add 192.168.88.131 lladdr 02:00:00:00:88:30 dev "$NS_BR" nud reachable
	ip -n "$R" neigh add fd00:88::131 lladdr 02:00:00:00:88:31 dev "$NS_BR" nud reachable
	wait_for has_addr pc 192.168.88.101 || fail "pc: $(json)"
	wait_for has_addr nas 192.168.88.110 || fail "nas: $(json)"
	wait_for has_addr "$m4" 192.168.88.104 || fail "the half-written lease named 88:04: $(json)"
	local hostile
	hostile=$(json | jq -r '.hosts[] | select(.addresses | index("192.168.88.102")) | .name')
	[[ "$hostile" =~ ^[A-Za-z0-9._:-]+$ ]] || fail "hostile name counted as '$hostile'"
	wait_for has_addr mac-020000008820 192.168.88.120 || fail "mac-020000008820: $(json)"
	wait_for has_addr cam 192.168.88.131 || fail "odhcpd's name by MAC: $(json)"
	wait_for has_addr phone6 fd00:88::131 || fail "odhcpd's name by DUID: $(json)"
	expect_eq "$(host_count)" 7 "hosts"
	wait_for log_has "$NS_LEASES: 3 malformed lines skipped" || fail "lease file line: $(cat "$T/daemon.log")"
	wait_for log_has "$T/hosts: 2 malformed lines skipped" || fail "hosts file line: $(cat "$T/daemon.log")"
	grep -q missing-hosts "$T/daemon.log" && fail "a missing hosts file was logged"
	# The lease file completed: the device is renamed; one more line for the changed file.
	{ head -n 5 "$NS_LEASES"; echo "$far 02:00:00:00:88:04 192.168.88.104 tv *"; } >"$T/leases.new"
	mv "$T/leases.new" "$NS_LEASES"
	wait_for has_addr tv 192.168.88.104 || fail "tv: $(json)"
	no_host "$m4" || fail "$m4 still counted"
	wait_for log_has "$NS_LEASES: 2 malformed lines skipped" || fail "no line for the changed file: $(cat "$T/daemon.log")"
	expect_eq "$(grep -c "$NS_LEASES:" "$T/daemon.log")" 2 "log lines for the lease file"
	expect_eq "$(grep -c "$T/hosts:" "$T/daemon.log")" 1 "log lines for the hosts file"
	# Deleted: still counted within its grace (3 s), gone after it; unless a lease still
	# gives the address.
	ip -n "$R" neigh del 192.168.88.120 dev "$NS_BR"
	ip -n "$R" neigh del 192.168.88.104 dev "$NS_BR"
	has_host mac-020000008820 || fail "gone at once, not after its grace"
	wait_for no_host mac-020000008820 || fail "still counted after its grace"
	has_host tv || fail "tv (in an active lease) gone after its grace"
	expect_eq "$(host_count)" 6 "hosts after the grace"
	kill -0 "$DPID" || fail "the daemon died"
	stop_daemon
}

# iptmon's objects removed under the daemon while neighbours come and go: the daemon makes
# them again with every host it knew (a hosts file's too), discovery after it, not before.
case_discover_rebuild() {
	disc_setup
	echo "192.168.88.60 nas" >"$T/hosts"
	it init
	start_daemon
	ip -n "$R" neigh add 192.168.88.61 lladdr 02:00:00:00:88:61 dev "$NS_BR" nud reachable
	wait_for has_addr mac-020000008861 192.168.88.61 || fail "neighbour not counted: $(json)"
	wait_for st_is nas 1 host || fail "no poll saw nas"
	it remove
	ip -n "$R" neigh add 192.168.88.62 lladdr 02:00:00:00:88:62 dev "$NS_BR" nud reachable
	wait_for has_addr mac-020000008862 192.168.88.62 || fail "new neighbour not counted: $(json)"
	wait_for log_has "were deleted; made them again" || fail "no rebuild: $(cat "$T/daemon.log")"
	expect_eq "$(host_names)" "mac-020000008861 mac-020000008862 nas" "hosts after the rebuild"
	base_ok || fail "base objects after the rebuild"
	stop_daemon
}

# The kernel refuses the batch (nft: more addresses than max_hosts): one log line, the daemon
# goes on, tries again later (ever later), and counts them once there is room.
case_discover_refused() {
	is_nft || { echo "skip: max_hosts bounds nft's maps only"; exit 77; }
	DISC_GRACE=1 disc_setup
	echo "max_hosts = 2" >>"$T/iptmon.conf"
	it init
	start_daemon
	local i
	for i in 1 2 3; do
		ip -n "$R" neigh add 192.168.88.7$i lladdr 02:00:00:00:88:7$i dev "$NS_BR" nud reachable
	done
	wait_for log_has "discover: cannot count the neighbours" || fail "no line: $(cat "$T/daemon.log")"
	expect_eq "$(host_count)" 0 "hosts counted from a refused batch"
	ip -n "$R" neigh del 192.168.88.73 dev "$NS_BR"
	wait_for host_count_is 2 || fail "not counted once there was room: $(cat "$T/daemon.log")"
	has_addr mac-020000008871 192.168.88.71 || fail "first neighbour: $(json)"
	log_has "discover: counting the neighbours again" || fail "no line for the recovery"
	kill -0 "$DPID" || fail "the daemon died"
	expect_eq "$(grep -c 'discover: cannot count' "$T/daemon.log")" 1 "log lines for the refusals"
	stop_daemon
}

# nft counts a device at every address it keeps: a client with two global IPv6 addresses
# at once (a privacy address beside the stable one) is one host counted at both, exactly;
# a dnsmasq event for it does not take the other away (no transaction back and forth);
# when one goes (neighbour deleted, grace over) its element goes and nothing is lost.
case_discover_multi6() {
	is_nft || { echo "skip: only nft counts a host at several addresses of a family"; exit 77; }
	DISC_GRACE=3 disc_setup
	ns_add_client 1 $MAC1
	local cif a1=fd00:88::1:1 a2=fd00:88::1:2 m1 c0 p0
	cif=$(ns_client_if 1)
	m1=$(mac_name $MAC1)
	ns_cexec 1 ip -6 addr add "$a1/64" dev "$cif" nodad
	ns_cexec 1 ip -6 addr add "$a2/64" dev "$cif" nodad
	ns_cexec 1 ip -6 route add default via "$NS_LAN6"
	# The router learns each address as the client talks to it from it: STALE (from the
	# client's solicitation), DELAY when used, then REACHABLE after a probe. The kernel
	# announces no STALE -> DELAY change, so discovery sees STALE (its 3 s grace running)
	# until REACHABLE: a quick probe, and REACHABLE for minutes, keep the grace for the end.
	ip netns exec "$R" sysctl -q -w "net.ipv6.neigh.$NS_BR.delay_first_probe_time=1" \
		"net.ipv6.neigh.$NS_BR.base_reachable_time_ms=600000"
	start_daemon
	disc_counted6() {
		ns_cexec 1 ping -6 -n -q -c 1 -W 1 -I "$2" "$NS_LAN6" >/dev/null 2>&1 || true
		ip -n "$R" neigh show "$2" dev "$NS_BR" | grep -q REACHABLE && has_addr "$1" "$2"
	}
	wait_for disc_counted6 "$m1" "$a1" || fail "$a1 not counted: $(json)"
	wait_for disc_counted6 "$m1" "$a2" || fail "$a2 not counted: $(json)"
	expect_eq "$(host_names)" "$m1" "counted hosts"
	expect_eq "$(host_field "$m1" '.addresses | sort | join(" ")')" "$a1 $a2" "$m1's addresses"
	ping6_from() {
		local out
		out=$(ns_cexec 1 ping -6 -n -q -c 10 -i 0.01 -W 1 -s 1000 -I "$1" "$NS_W6" 2>&1)
		grep -q '^10 packets transmitted, 10 received' <<<"$out" || fail "ping from $1: $out"
	}
	ping6_from "$a1"
	ping6_from "$a2"
	expect_eq "$(host_field "$m1" '.ipv6.tx_bytes')" 20960 "$m1 ipv6 tx_bytes (both addresses)"
	expect_eq "$(host_field "$m1" '.ipv6.rx_bytes')" 20960 "$m1 ipv6 rx_bytes (both addresses)"
	# A DHCPv6 lease event for one address (named): the host renamed, both addresses kept,
	# and discovery has nothing to put back over the next polls.
	wait_for metric_ge iptmon_daemon_polls_total 1 || fail "no poll"
	c0=$(metric iptmon_daemon_discovery_commits_total)
	DNSMASQ_MAC=$MAC1 it add "00:03:00:01:$MAC1" "$a1" pc || fail "the add event"
	expect_eq "$(host_field pc '.addresses | sort | join(" ")')" "$a1 $a2" "pc's addresses after the event"
	p0=$(metric iptmon_daemon_polls_total)
	wait_for metric_ge iptmon_daemon_polls_total $((${p0%.*} + 3)) || fail "no polls"
	[ "$(metric iptmon_daemon_discovery_commits_total)" = "$c0" ] || fail "discovery made a transaction after the event: $(metric iptmon_daemon_discovery_commits_total) (was $c0): $(json | jq -c .hosts) $(ip -n "$R" neigh) $(cat "$T/daemon.log")"
	expect_eq "$(host_names)" pc "counted hosts after the event"
	expect_eq "$(host_field pc '.ipv6.tx_bytes')" 20960 "pc ipv6 tx_bytes after the rename"
	# The privacy address goes: its element goes after the grace, its counts stay.
	ns_cexec 1 ip -6 addr del "$a2/64" dev "$cif"
	ip -n "$R" neigh del "$a2" dev "$NS_BR"
	has_addr pc "$a2" || fail "gone at once, not after its grace"
	gone_a2() { ! has_addr pc "$a2"; }
	wait_for gone_a2 || fail "$a2 still counted after its grace: $(json)"
	expect_eq "$(host_field pc '.addresses | join(" ")')" "$a1" "pc's addresses after the grace"
	expect_eq "$(host_field pc '.ipv6.tx_bytes')" 20960 "pc ipv6 tx_bytes after $a2 went"
	expect_eq "$(host_field pc '.ipv6.rx_bytes')" 20960 "pc ipv6 rx_bytes after $a2 went"
	ping6_from "$a1"
	expect_eq "$(host_field pc '.ipv6.tx_bytes')" 31440 "pc ipv6 tx_bytes"
	live6() { it show --json | jq -r '.hosts[] | select(.name == "pc") | .ipv6.tx_bytes'; }
	live6_is() { [ "$(live6)" = "$1" ]; }
	wait_for live6_is 31440 || fail "daemon's ipv6 total for pc: $(live6)"
	stop_daemon
}
