# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The daemon's conntrack counting mode (counting = conntrack) against the forward hook's own
# counters on the same traffic in the same run (sourced by tests/ns/cases.sh). This kernel has
# no flowtables, so the forward hook sees every packet: conntrack's counts must equal its
# counts exactly, byte for byte and packet for packet, in every family and direction.

CT_PC4=192.168.88.10
CT_PC6=fd00:88::10
CT_SRV4=192.168.88.11
CT_NAT4=198.51.100.3 # a second address of W, reached through masquerade

# pc (client 1) and srv (client 2, a port-forward target) with static addresses, counted
# from the hosts file; W serves TCP and UDP; masquerade to $CT_NAT4, a DNAT port forward
# 198.51.100.1:8080 -> srv:8080. The daemon counts from conntrack, polling every second.
ct_setup() {
	it_setup
	ns_add_client 1 "$MAC1"
	ns_add_client 2 "$MAC2"
	ns_cexec 1 ip addr add "$CT_PC4/24" dev "$(ns_client_if 1)"
	ns_cexec 1 ip addr add "$CT_PC6/64" dev "$(ns_client_if 1)" nodad
	ns_cexec 1 ip route add default via "$NS_LAN4"
	ns_cexec 1 ip -6 route add default via "$NS_LAN6"
	ns_cexec 2 ip addr add "$CT_SRV4/24" dev "$(ns_client_if 2)"
	ns_cexec 2 ip route add default via "$NS_LAN4"
	ns_wexec ip addr add "$CT_NAT4/24" dev "${PFX}ww"
	printf '%s pc\n%s pc\n%s srv\n' "$CT_PC4" "$CT_PC6" "$CT_SRV4" >"$T/hosts"
	# IPv6 has no NAT here: a stateful rule, as fw4's, makes conntrack track it (CT_V6=0: none).
	if [ "${CT_V6:-1}" = 1 ]; then
		ip netns exec "$R" nft -f - <<'EON' || fail "cannot make the stateful rule"
table inet ctfw {
	chain forward {
		type filter hook forward priority filter
		ct state invalid drop
	}
}
EON
	fi
	ip netns exec "$R" nft -f - <<EON || fail "cannot make the NAT rules"
table ip ctnat {
	chain pre { type nat hook prerouting priority dstnat; ip daddr $NS_RWAN4 tcp dport 8080 dnat to $CT_SRV4:8080; }
	chain post { type nat hook postrouting priority srcnat; ip daddr $CT_NAT4 masquerade; }
}
EON
	ns_rexec sysctl -q -w net.netfilter.nf_conntrack_acct=0
	it init
	wait_for has_host pc || fail "pc not counted"
	wait_for has_host srv || fail "srv not counted"
	cat >>"$T/iptmon.conf" <<EOC
interval = 1
counting = conntrack
EOC
	sed -i 's/^listen = .*/listen = 127.0.0.1:9678/' "$T/iptmon.conf"
	# W: a 1 MiB download (TCP, both families), a UDP sink, short answers for many connections
	ct_serve W 5001 "head -c 1048576 /dev/zero" TCP4-LISTEN
	ct_serve W 5006 "head -c 1048576 /dev/zero" TCP6-LISTEN
	ct_serve W 5002 "head -c 1000 /dev/zero" TCP4-LISTEN
	ct_serve W 5003 "cat" TCP4-LISTEN
	ns_wexec socat -u UDP4-RECV:5004 OPEN:/dev/null >/dev/null 2>&1 &
	_ns_track_pid $!
	ct_serve 2 8080 "head -c 204800 /dev/zero" TCP4-LISTEN
	wait_for ct_listening 5001 || fail "W's servers not listening"
	wait_for ct_listening 5004 || fail "W's UDP sink not listening"
}
# ct_serve W|IDX PORT CMD KIND: a forking socat server in W or in client IDX.
ct_serve() {
	local where=$1 port=$2 cmd=$3 kind=$4
	if [ "$where" = W ]; then
		ns_wexec socat "$kind:$port,reuseaddr,fork" SYSTEM:"$cmd" >/dev/null 2>&1 &
	else
		ns_cexec "$where" socat "$kind:$port,reuseaddr,fork" SYSTEM:"$cmd" >/dev/null 2>&1 &
	fi
	_ns_track_pid $!
}
ct_listening() { ns_wexec ss -Hlnu "( sport = :$1 )" | grep -q . || ns_wexec ss -Hlnt "( sport = :$1 )" | grep -q .; }
# "NAME v4(tx_b tx_p rx_b rx_p) v6(...)" for pc and srv, from the daemon (ARGS empty) or the
# kernel's forward-hook counters (--kernel).
ct_counts() {
	it show --json "$@" | jq -r '.hosts[] | select(.name == "pc" or .name == "srv") |
		"\(.name) \(.ipv4.tx_bytes) \(.ipv4.tx_packets) \(.ipv4.rx_bytes) \(.ipv4.rx_packets) \(.ipv6.tx_bytes) \(.ipv6.tx_packets) \(.ipv6.rx_bytes) \(.ipv6.rx_packets)"'
}
ct_equal() { local a b; a=$(ct_counts) && b=$(ct_counts --kernel) && [ -n "$a" ] && [ "$a" = "$b" ]; }
# Handshake packets the kernel sent again, in every namespace that talks TCP: a SYN-ACK
# repeated after the handshake completed is ignored by conntrack (not counted) and counted by
# the forward hook, so a failed equality says whether one happened (a loaded machine).
ct_retrans() {
	local ns
	for ns in "$W" "$(ns_client_ns 1)" "$(ns_client_ns 2)"; do
		printf '%s: %s\n' "$ns" "$(ip netns exec "$ns" nstat -az TcpExtTCPSynRetrans TcpRetransSegs 2>/dev/null | awk 'NR > 1 { printf "%s=%s ", $1, $2 }')"
	done
}
# Waits until the daemon's totals equal the forward hook's, at least two polls after now.
ct_expect_equal() {
	wait_polls 2
	wait_for ct_equal || fail "$1: conntrack counted
$(ct_counts)
the forward hook
$(ct_counts --kernel)
overflows: $(metric iptmon_daemon_conntrack_overflows_total), retransmissions:
$(ct_retrans)
$(tail -n 5 "$T/daemon.log")"
}
# The kernel's (forward hook) value of FIELD for NAME.
kfield() { it show --json --kernel | jq -r --arg n "$1" ".hosts[] | select(.name == \$n) | $2"; }
dfield() { it show --json | jq -r --arg n "$1" ".hosts[] | select(.name == \$n) | $2"; }
ct_flows_gone() { [ "$(ns_rexec conntrack -L 2>/dev/null | grep -c "dport=$1 ")" = 0 ]; }
metric_is() { [ "$(metric "$1")" = "$2" ]; }

# Every kind of traffic, each counted exactly as the forward hook counts it. Every backend:
# the hosts come from its read(), the equality is with its own forward-hook counters.
case_conntrack() {
	ct_setup
	start_daemon
	wait_for polls_past 1 || fail "daemon not polling: $(cat "$T/daemon.log")"
	expect_eq "$(ns_rexec sysctl -n net.netfilter.nf_conntrack_acct)" 1 "nf_conntrack_acct after the daemon's start"
	expect_eq "$(grep -c 'switched conntrack accounting on' "$T/daemon.log")" 1 "log lines saying accounting was switched on"
	expect_eq "$(metric 'iptmon_daemon_counting_mode{mode="conntrack"}')" 1 "counting mode metric"
	expect_eq "$(it show --json | jq -r .counting)" conntrack "show's counting"
	it show | grep -qx "counting: conntrack (per-flow counters, offloaded flows included)" ||
		fail "show's counting line: $(it show | head -n 3)"
	expect_eq "$(it show --json --kernel | jq -r .counting)" forward "show --kernel's counting"

	# 1. A TCP download of exactly 1 MiB, IPv4 and IPv6.
	expect_eq "$(ns_cexec 1 socat -u TCP4:"$NS_W4":5001 - | wc -c)" 1048576 "IPv4 download size"
	expect_eq "$(ns_cexec 1 socat -u "TCP6:[$NS_W6]:5006" - | wc -c)" 1048576 "IPv6 download size"
	ct_expect_equal "TCP downloads"
	[ "$(dfield pc .ipv4.tx_bytes)" -gt 1048576 ] || fail "pc's IPv4 download not counted: $(ct_counts)"
	[ "$(dfield pc .ipv6.tx_bytes)" -gt 1048576 ] || fail "pc's IPv6 download not counted: $(ct_counts)"
	# 2. UDP (one way), ICMP both families, the router's own traffic (never counted).
	local before
	before=$(dfield pc .ipv4.rx_bytes)
	ns_cexec 1 bash -c "for i in \$(seq 20); do head -c 500 /dev/zero >/dev/udp/$NS_W4/5004; done"
	ns_ping 1 "$NS_W4" 10 1000 || fail "ping v4"
	ns_ping 1 "$NS_W6" 10 1000 || fail "ping v6"
	ns_ping 1 "$NS_LAN4" 10 1000 || fail "ping the router"
	ct_expect_equal "UDP and ICMP"
	expect_eq "$(($(dfield pc .ipv4.rx_bytes) - before))" $((20 * 528 + 10 * 1028)) "pc's UDP and ICMP upload (the router's own ping not counted)"
	# 3. Masquerade: pc downloads from W's other address through NAT.
	expect_eq "$(ns_cexec 1 socat -u TCP4:"$CT_NAT4":5001 - | wc -c)" 1048576 "download through masquerade"
	ns_rexec conntrack -L 2>/dev/null | grep -q "dst=$CT_NAT4 .* dst=$NS_RWAN4 " ||
		fail "the download was not masqueraded: $(ns_rexec conntrack -L 2>&1 | head)"
	ct_expect_equal "masquerade"
	# 4. A port forward: W downloads from srv through the router's WAN address.
	expect_eq "$(ns_wexec socat -u TCP4:"$NS_RWAN4":8080 - | wc -c)" 204800 "download through the port forward"
	ct_expect_equal "DNAT port forward"
	[ "$(dfield srv .ipv4.rx_bytes)" -gt 204800 ] || fail "srv's upload through the port forward: $(ct_counts)"
	# 5. 200 short connections, all opened, closed and gone from conntrack between two polls
	# (the daemon stopped meanwhile; `conntrack -D` ends their entries, which TIME_WAIT would
	# keep 2 minutes): counted from their destroy events alone.
	local ev0
	ev0=$(metric iptmon_daemon_conntrack_events_total)
	pause_daemon
	ns_cexec 1 bash -c "for i in \$(seq 200); do exec 3<>/dev/tcp/$NS_W4/5002 || exit 1; cat <&3 >/dev/null; exec 3<&-; done" ||
		{ resume_daemon; fail "short connections"; }
	ns_rexec conntrack -D -p tcp --dport 5002 >/dev/null 2>&1
	wait_for ct_flows_gone 5002 || { resume_daemon; fail "short connections still in conntrack: $(ns_rexec conntrack -L 2>&1 | grep -c 'dport=5002 ')"; }
	resume_daemon
	ct_expect_equal "200 short connections"
	[ "$(metric iptmon_daemon_conntrack_events_total)" -ge $((ev0 + 200)) ] ||
		fail "destroy events read: $(metric iptmon_daemon_conntrack_events_total), were $ev0"
	# 6. One long flow over many polls, with `conntrack -F` in its middle: the flushed entry's
	# destroy event carries its final counts, the rest is counted in the entry conntrack
	# picks up mid-stream (nf_conntrack_tcp_loose, on by default): nothing lost or doubled.
	local p0 lf
	p0=$(polls)
	ns_cexec 1 bash -c "exec 3<>/dev/tcp/$NS_W4/5003; for i in \$(seq 60); do head -c 1000 /dev/zero >&3; sleep 0.1; done; exec 3>&-" &
	lf=$!
	wait_for polls_past $((p0 + 3)) || fail "no polls during the long flow"
	ns_rexec conntrack -F 2>/dev/null || fail "conntrack -F"
	wait "$lf" || fail "the long flow broke after conntrack -F"
	[ "$(polls)" -ge $((p0 + 5)) ] || fail "the long flow spanned $(($(polls) - p0)) polls only"
	ct_expect_equal "a long flow with conntrack -F in its middle"
	[ "$(metric iptmon_daemon_conntrack_overflows_total)" = 0 ] || fail "overflows: $(grep ENOBUFS "$T/daemon.log")"
	# 7. The counts really come from conntrack: packets dropped in prerouting after conntrack
	# counted them never reach the forward hook. 1 UDP packet passes, 4 are dropped.
	ip netns exec "$R" nft -f - <<'EON' || fail "cannot make the drop rule"
table ip ctdrop {
	chain pre {
		type filter hook prerouting priority 0
		udp dport 5004 ct original packets > 1 drop
	}
}
EON
	before=$(dfield pc .ipv4.rx_bytes)
	local kbefore
	kbefore=$(kfield pc .ipv4.rx_bytes)
	ns_cexec 1 bash -c "exec 3>/dev/udp/$NS_W4/5004; for i in 1 2 3 4 5; do head -c 100 /dev/zero >&3; done"
	wait_polls 2
	expect_eq "$(($(kfield pc .ipv4.rx_bytes) - kbefore))" 128 "forward hook: the one packet that passed"
	dgrew() { [ "$(($(dfield pc .ipv4.rx_bytes) - before))" = "$1" ]; }
	wait_for dgrew 640 || fail "conntrack: all 5 packets, got $(($(dfield pc .ipv4.rx_bytes) - before))"
	grep -q "ENOBUFS\|cannot count\|tracks no" "$T/daemon.log" && fail "unexpected log: $(cat "$T/daemon.log")"
	stop_daemon
}

# The event socket overflows (a 16 KiB receive buffer, a flush of 600 flows in one burst while
# the daemon is stopped):
# one log line (at most one an hour), a resync from the next dump, and from then on exact
# counts again; nothing is ever counted twice.
case_conntrack_overflow() {
	is_nft || { echo "skip: counting from conntrack does not depend on the backend (runs on nft)"; exit 77; }
	ct_setup
	sed -i 's/^interval = 1$/interval = 2/' "$T/iptmon.conf"
	ip netns exec "$R" env IPTMON_CONFIG="$T/iptmon.conf" IPTMON_CT_RCVBUF=16384 "$BIN" daemon 2>>"$T/daemon.log" &
	DPID=$!
	ns_on_cleanup "kill $DPID 2>/dev/null || true"
	wait_for polls_past 1 || fail "daemon not polling: $(cat "$T/daemon.log")"
	ns_cexec 1 bash -c "for i in \$(seq 600); do head -c 100 /dev/zero >/dev/udp/$NS_W4/5004; done" 2>/dev/null
	# each datagram from a new socket: about 600 flows (a source port may come again)
	ct_udp_flows() { [ "$(ns_rexec conntrack -L -p udp 2>/dev/null | grep -c 'dport=5004 ')" -ge 500 ]; }
	wait_for ct_udp_flows || fail "500 UDP flows or more: $(ns_rexec conntrack -L -p udp 2>/dev/null | grep -c 'dport=5004 ')"
	wait_polls 2
	# stopped, the daemon reads nothing while the flush's destroy events arrive: they overflow
	pause_daemon
	ns_rexec conntrack -F 2>/dev/null
	resume_daemon
	wait_for log_has "conntrack events were lost (the event socket overflowed: ENOBUFS); resynchronised from a dump" ||
		fail "no overflow line: $(cat "$T/daemon.log")"
	expect_eq "$(grep -c 'ENOBUFS' "$T/daemon.log")" 1 "overflow log lines"
	metric_ge iptmon_daemon_conntrack_overflows_total 1 || fail "overflow metric: $(metric iptmon_daemon_conntrack_overflows_total)"
	# Never doubled; here not even lost: every flushed flow's bytes were counted by the dump
	# of the poll before the flush, so its lost destroy event carried nothing new.
	ct_expect_equal "after the overflow"
	# After the resync: exact again.
	local d0 k0
	d0=$(dfield pc .ipv4.tx_bytes)
	k0=$(kfield pc .ipv4.tx_bytes)
	expect_eq "$(ns_cexec 1 socat -u TCP4:"$NS_W4":5001 - | wc -c)" 1048576 "download after the overflow"
	ns_ping 1 "$NS_W4" 10 1000 || fail "ping v4"
	wait_polls 2
	dgrew_tx() { [ "$(($(dfield pc .ipv4.tx_bytes) - d0))" = "$(($(kfield pc .ipv4.tx_bytes) - k0))" ]; }
	wait_for dgrew_tx || fail "after the resync: conntrack +$(($(dfield pc .ipv4.tx_bytes) - d0)), forward hook +$(($(kfield pc .ipv4.tx_bytes) - k0))"
	expect_eq "$(grep -c 'ENOBUFS' "$T/daemon.log")" 1 "overflow log lines at the end"
	stop_daemon
}

# counting = forward opens no conntrack socket; auto without a flowtable counts at the
# forward hook and says so; the flowtable warning of init points to the conntrack mode.
case_conntrack_off() {
	is_nft || { echo "skip: runs on nft"; exit 77; }
	CT_V6=0 ct_setup
	sed -i 's/^counting = conntrack$/counting = forward/' "$T/iptmon.conf"
	start_daemon
	wait_for polls_past 1 || fail "daemon not polling: $(cat "$T/daemon.log")"
	expect_eq "$(ns_rexec sysctl -n net.netfilter.nf_conntrack_acct)" 0 "nf_conntrack_acct with counting = forward"
	ct_sockets() { ls -l "/proc/$DPID/fd" | grep -c socket; }
	local s_fwd
	s_fwd=$(ct_sockets)
	expect_eq "$(metric 'iptmon_daemon_counting_mode{mode="forward"}')" 1 "counting mode metric (forward)"
	[ -z "$(metric iptmon_daemon_conntrack_flows)" ] || fail "conntrack metrics with counting = forward"
	expect_eq "$(it show --json | jq -r .counting)" forward "show's counting (forward)"
	# SIGHUP to conntrack: one more socket (the event socket; dumps use a second one).
	sed -i 's/^counting = forward$/counting = conntrack/' "$T/iptmon.conf"
	kill -HUP "$DPID"
	mode_is() { [ "$(metric "iptmon_daemon_counting_mode{mode=\"$1\"}")" = 1 ]; }
	wait_for mode_is conntrack || fail "no conntrack counting after HUP: $(tail -n 3 "$T/daemon.log")"
	sockets_are() { [ "$(ct_sockets)" = "$1" ]; }
	wait_for sockets_are $((s_fwd + 2)) || fail "sockets while counting from conntrack: $(ct_sockets), $s_fwd before"
	sed -i 's/^counting = conntrack$/counting = auto/' "$T/iptmon.conf"
	kill -HUP "$DPID"
	wait_for mode_is forward || fail "auto without a flowtable: $(tail -n 3 "$T/daemon.log")"
	# conntrack's two sockets are gone; auto keeps one netfilter socket for its flowtable
	# check each poll (opened once, not every poll)
	wait_for sockets_are $((s_fwd + 1)) || fail "sockets after auto found no flowtable: $(ct_sockets), $s_fwd before"
	ns_ping 1 "$NS_W4" 10 1000 || fail "ping v4"
	ct_expect_equal "counting = auto without a flowtable"
	# Conntrack again, where no rule makes it track IPv6: IPv6 stays counted at the forward
	# hook, said once; IPv4 from conntrack.
	sed -i 's/^counting = auto$/counting = conntrack/' "$T/iptmon.conf"
	kill -HUP "$DPID"
	wait_for mode_is conntrack || fail "no conntrack counting after HUP: $(tail -n 3 "$T/daemon.log")"
	wait_polls 1
	ns_ping 1 "$NS_W6" 10 1000 || fail "ping v6"
	ns_ping 1 "$NS_W4" 10 1000 || fail "ping v4"
	ct_expect_equal "IPv6 untracked by conntrack"
	ns_ping 1 "$NS_W6" 10 1000 || fail "ping v6"
	ct_expect_equal "IPv6 untracked by conntrack, again"
	expect_eq "$(grep -c 'conntrack tracks no IPv6 flow' "$T/daemon.log")" 1 "lines saying IPv6 is not tracked"
	stop_daemon
}

# Conntrack unusable: accounting that cannot be switched on, conntrack missing (the daemon is
# pointed at a directory, then at nothing, instead of the real sysctl: a test-only knob, as
# root may always write the real one). One line each, said once however many polls fail,
# and the forward hook counts meanwhile: exact, nothing lost.
case_conntrack_refused() {
	is_nft || { echo "skip: runs on nft"; exit 77; }
	ct_setup
	local knob
	for knob in "$T" "$T/none"; do
		: >"$T/daemon.log"
		ip netns exec "$R" env IPTMON_CONFIG="$T/iptmon.conf" IPTMON_CT_ACCT_SYSCTL="$knob" "$BIN" daemon 2>>"$T/daemon.log" &
		DPID=$!
		ns_on_cleanup "kill $DPID 2>/dev/null || true"
		wait_for polls_past 1 || fail "daemon not polling: $(cat "$T/daemon.log")"
		wait_polls 3
		expect_eq "$(metric 'iptmon_daemon_counting_mode{mode="forward"}')" 1 "counting mode with $knob"
		ns_ping 1 "$NS_W4" 10 1000 || fail "ping v4"
		ns_ping 1 "$NS_W6" 10 1000 || fail "ping v6"
		ct_expect_equal "conntrack unusable ($knob)"
		expect_eq "$(grep -c 'cannot count from conntrack' "$T/daemon.log")" 1 "lines saying conntrack cannot count ($knob)"
		[ "$knob" = "$T" ] && { log_has "cannot count from conntrack: conntrack accounting is off and cannot be switched on ($T: Is a directory)" || fail "the line for refused accounting: $(cat "$T/daemon.log")"; }
		stop_daemon
	done
	expect_eq "$(ns_rexec sysctl -n net.netfilter.nf_conntrack_acct)" 0 "nf_conntrack_acct, never switched"
	grep -q "cannot count from conntrack: conntrack is not available ($T/none: No such file or directory); counting at the forward hook until it can" "$T/daemon.log" ||
		fail "the line for missing conntrack: $(cat "$T/daemon.log")"
}
