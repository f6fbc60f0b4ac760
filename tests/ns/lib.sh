# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/ns/lib.sh - network-namespace plumbing for iptmon tests and the demo.
#
# Source it from a bash script (works under `set -eu`), then:
#
#   ns_setup                        router $R (LAN bridge + WAN veth) and "internet" $W
#   ns_add_client IDX MAC           client namespace $PFX-c$IDX on the LAN bridge
#   ns_start_dnsmasq SCRIPT [ARG..] dnsmasq (DHCPv4 + DHCPv6 + RA) in $R calling SCRIPT
#   ns_stop_dnsmasq / ns_restart_dnsmasq
#   ns_dhcp4 IDX HOSTNAME           one-shot udhcpc; prints the IPv4 address
#   ns_dhcp4_hold IDX HOSTNAME      udhcpc kept running (-R); prints the IPv4 address
#   ns_dhcp4_release IDX            DHCPRELEASE (SIGUSR2) then stop that udhcpc (TERM)
#   ns_dhcp6 IDX                    one-shot dhclient -6; prints the IPv6 address
#   ns_dhcp6_release IDX            dhclient -6 -r (sends a DHCPv6 Release)
#   ns_wait_script_calls N [FILE [ERE]]  poll until FILE has >= N (matching) lines
#   ns_wait_script_idle [MS [FILE]]      poll until FILE is unchanged for MS ms (300)
#   ns_ping IDX DST COUNT SIZE      exact ping from a client; nonzero on any loss
#   ns_cleanup                      (installed as the EXIT trap by ns_setup)
#
# Helpers: ns_client_ns IDX, ns_client_if IDX, ns_client_port IDX, ns_cexec IDX CMD..,
#          ns_rexec CMD.., ns_wexec CMD.., ns_ip4 IDX, ns_ip6 IDX, ns_on_cleanup CMD.
#
# Variables set (and exported) by ns_setup:
#   PFX  per-run prefix (default it$$, override with NS_PFX; <= 9 chars)
#   R W  router / internet namespace names ($PFX-r, $PFX-w)
#   T    temp dir of the run (removed on exit unless NS_KEEP=1)
#   NS_BR       LAN bridge name inside $R          NS_WAN_IF  router's WAN veth
#   NS_LAN4=192.168.88.1  NS_LAN6=fd00:88::1        (router LAN addresses)
#   NS_RWAN4=198.51.100.1 NS_RWAN6=2001:db8:99::1   (router WAN addresses)
#   NS_W4=198.51.100.2    NS_W6=2001:db8:99::2      (the "internet" host)
#   NS_DNSMASQ_LOG=$T/dnsmasq.log  NS_LEASES=$T/leases
# Caller-settable:
#   V=1                 verbose (commands and their output on stderr)
#   NS_CLEANUP_HOOKS    newline-separated commands eval'ed first by ns_cleanup
#                       (or use ns_on_cleanup CMD to append one)
#   NS_SCRIPT_LOG       default FILE for ns_wait_script_calls ($T/script.log)
#   NS_TIMEOUT          bound for every wait, seconds (default 10)
#   NS_KEEP=1           keep $T after the run (its path is printed)
#
# Nothing here touches the host network or /etc: all links are created directly inside
# the per-run namespaces, and only processes started here (PIDs recorded in $T/pids, plus
# whatever `ip netns pids` reports for our own namespaces) are ever signalled.

NS_LAN4=192.168.88.1
NS_LAN6=fd00:88::1
NS_RWAN4=198.51.100.1
NS_RWAN6=2001:db8:99::1
NS_W4=198.51.100.2
NS_W6=2001:db8:99::2
NS_BR_MAC=02:88:00:00:00:01

# ---------------------------------------------------------------- internal helpers

_ns_say() { if [ "${V:-0}" = 1 ]; then echo "ns: $*" >&2; fi; return 0; }
# _ns_err MSG [FILE...]: message (and the tails of FILEs) on stderr; returns 1, so under
# the caller's `set -e` it ends the script right there (the EXIT trap cleans up).
_ns_err() { echo "ns: ERROR: $1" >&2; shift; _ns_tail "$@"; return 1; }

# Run a command; its output goes to $T/ns.log (or stderr with V=1). Never to stdout.
_ns_run() {
	if [ "${V:-0}" = 1 ]; then
		echo "+ $*" >&2
		"$@" >&2
	else
		"$@" >>"$T/ns.log" 2>&1
	fi
}

# Print a file's tail on stderr (used in error paths).
_ns_tail() {
	local f
	for f in "$@"; do
		[ -s "$f" ] || continue
		echo "---- tail of $f" >&2
		tail -n 20 "$f" >&2
	done
	return 0
}

_ns_now_ms() { local t=${EPOCHREALTIME/[.,]/}; echo $((t / 1000)); }

# _ns_poll TIMEOUT_S FUNC [ARG]...: call the shell function FUNC every 20-50 ms until it
# succeeds (0), gives up (returns 2: returned at once) or TIMEOUT_S passes (1). FUNC must be a
# function, which evaluates its condition afresh on each try (`_ns_poll 5 test "$(cmd)" = x`
# would run cmd once and never wait): anything else stops the script at once.
_ns_poll() {
	local timeout=$1 deadline d=0.02 rc; shift
	if ! declare -F -- "${1:-}" >/dev/null; then
		echo "ns: BROKEN TEST: poll on '${1:-}', not a shell function (wrap the condition in one)" >&2
		exit 2
	fi
	deadline=$(($(_ns_now_ms) + timeout * 1000))
	while :; do
		rc=0; "$@" || rc=$?
		[ "$rc" = 0 ] && return 0
		[ "$rc" = 2 ] && return 2
		[ "$(_ns_now_ms)" -lt "$deadline" ] || return 1
		sleep "$d"
		d=0.05
	done
}

# True if PID is gone (absent or a zombie: PID 1 here may not reap orphans).
_ns_pid_gone() {
	local st
	[ -r "/proc/$1/stat" ] || return 0
	st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[ "$st" = Z ] || [ -z "$st" ]
}

# _ns_stop_pid PID [SIG] [TIMEOUT_S]: signal, wait until gone, SIGKILL after the timeout.
_ns_stop_pid() {
	local pid=$1 sig=${2:-TERM} to=${3:-3}
	_ns_pid_gone "$pid" && { wait "$pid" 2>/dev/null || true; return 0; }
	kill "-$sig" "$pid" 2>/dev/null || true
	if ! _ns_poll "$to" _ns_pid_gone "$pid"; then
		_ns_say "pid $pid ignored SIG$sig, killing"
		kill -KILL "$pid" 2>/dev/null || true
		_ns_poll 2 _ns_pid_gone "$pid" || true
	fi
	wait "$pid" 2>/dev/null || true
	return 0
}

# PIDs are recorded with their start time, so that a PID reused later by some other
# process is never signalled by ns_cleanup.
_ns_starttime() { sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20; }
_ns_track_pid() { echo "$1 $(_ns_starttime "$1")" >>"$T/pids"; }

_ns_need_setup() {
	if [ -n "${T:-}" ] && [ -d "$T" ] && [ -n "${R:-}" ]; then return 0; fi
	_ns_err "ns_setup has not run"
}

_ns_check_idx() {
	case "${1:-}" in '' | *[!0-9]*) _ns_err "bad client index '${1:-}'"; return 1 ;; esac
	[ "${#1}" -le 3 ] || _ns_err "client index too long: $1"
}

# Names: interfaces are <= 9 (PFX) + 4 chars = 13 <= 15 (IFNAMSIZ-1).
ns_client_ns() { echo "$PFX-c$1"; }
ns_client_if() { echo "${PFX}c$1"; }   # client end of the veth, inside $PFX-c$IDX
ns_client_port() { echo "${PFX}p$1"; } # router end of the veth, a port of $NS_BR in $R
ns_cexec() { local i=$1; shift; ip netns exec "$PFX-c$i" "$@"; }
ns_rexec() { ip netns exec "$R" "$@"; }
ns_wexec() { ip netns exec "$W" "$@"; }
ns_ip4() { cat "$T/c$1.ip4" 2>/dev/null; }
ns_ip6() { cat "$T/c$1.ip6" 2>/dev/null; }
ns_on_cleanup() { NS_CLEANUP_HOOKS="${NS_CLEANUP_HOOKS:-}${NS_CLEANUP_HOOKS:+
}$*"; }

_ns_netns_add() {
	_ns_run ip netns add "$1" || _ns_err "ip netns add $1 failed" || return 1
	echo "$1" >>"$T/netns"
	# Defaults first, so interfaces created later inherit them; no DAD: addresses are
	# usable at once (dhclient -6 cannot bind to a tentative link-local address).
	_ns_run ip netns exec "$1" sysctl -q -w \
		net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.dad_transmits=0 net.ipv6.conf.all.dad_transmits=0 || return 1
	_ns_run ip -n "$1" link set lo up
}

# Generated client-side scripts (udhcpc -s, dhclient -sf). They only touch the
# client's own interface and write the address to $T/c$IDX.ip4|ip6.
_ns_write_client_scripts() {
	cat >"$T/udhcpc.sh" <<EOF
#!/bin/sh
# udhcpc event script (generated by tests/ns/lib.sh). Never touches /etc/resolv.conf.
T='$T'
PFX='$PFX'
idx=\${interface#\${PFX}c}
echo "\$(date +%s.%N) \$1 interface=\$interface ip=\${ip:-} mask=\${mask:-} router=\${router:-} lease=\${lease:-}" >>"\$T/udhcpc.c\$idx.log"
case "\$1" in
deconfig)
	ip link set "\$interface" up
	ip -4 addr flush dev "\$interface"
	rm -f "\$T/c\$idx.ip4"
	;;
bound|renew)
	if [ "\$(cat "\$T/c\$idx.ip4" 2>/dev/null)" != "\$ip" ]; then
		ip -4 addr flush dev "\$interface"
	fi
	ip -4 addr replace "\$ip/\${mask:-24}" dev "\$interface" || exit 1
	if [ -n "\${router:-}" ]; then
		ip -4 route replace default via "\${router%% *}" dev "\$interface" || exit 1
	fi
	echo "\$ip" >"\$T/c\$idx.ip4.tmp" && mv "\$T/c\$idx.ip4.tmp" "\$T/c\$idx.ip4"
	;;
esac
exit 0
EOF
	cat >"$T/dhclient6.sh" <<EOF
#!/bin/sh
# dhclient -sf script (generated by tests/ns/lib.sh), DHCPv6 only.
T='$T'
PFX='$PFX'
GW6='$NS_LAN6'
idx=\${interface#\${PFX}c}
echo "\$(date +%s.%N) \$reason interface=\$interface new=\${new_ip6_address:-}/\${new_ip6_prefixlen:-} old=\${old_ip6_address:-}" >>"\$T/dhclient6.c\$idx.log"
case "\$reason" in
PREINIT6)
	ip link set "\$interface" up
	;;
BOUND6|RENEW6|REBIND6|REBOOT6)
	if [ -n "\${new_ip6_address:-}" ]; then
		# /64 (not the /128 of the IA_NA) so the router's LAN address is on-link.
		ip -6 addr replace "\$new_ip6_address/64" dev "\$interface" nodad || exit 1
		ip -6 route replace default via "\$GW6" dev "\$interface" || exit 1
		echo "\$new_ip6_address" >"\$T/c\$idx.ip6.tmp" && mv "\$T/c\$idx.ip6.tmp" "\$T/c\$idx.ip6"
	fi
	;;
EXPIRE6|RELEASE6|STOP6)
	if [ -n "\${old_ip6_address:-}" ]; then
		ip -6 addr del "\$old_ip6_address/64" dev "\$interface" 2>/dev/null
	fi
	rm -f "\$T/c\$idx.ip6"
	;;
esac
exit 0
EOF
	chmod 755 "$T/udhcpc.sh" "$T/dhclient6.sh"
}

# ---------------------------------------------------------------- setup / cleanup

ns_setup() {
	if [ -n "${T:-}" ] && [ -d "$T" ] && [ -n "${R:-}" ]; then
		_ns_err "ns_setup already ran (T=$T)"
		return 1
	fi
	PFX=${NS_PFX:-it$$}
	case "$PFX" in *[!A-Za-z0-9]* | '') _ns_err "bad prefix '$PFX' (alphanumerics only)"; return 1 ;; esac
	[ "${#PFX}" -le 9 ] || { _ns_err "prefix '$PFX' longer than 9 chars"; return 1; }
	T=$(mktemp -d "${TMPDIR:-/tmp}/iptmon-ns.$PFX.XXXXXX") || return 1
	chmod 755 "$T" # dnsmasq drops to nobody; its script helper stays root
	R=$PFX-r
	W=$PFX-w
	NS_BR=${PFX}br
	NS_WAN_IF=${PFX}wr
	NS_DNSMASQ_LOG=$T/dnsmasq.log
	NS_LEASES=$T/leases
	: "${NS_SCRIPT_LOG:=$T/script.log}"
	NS_CLEANUP_HOOKS=${NS_CLEANUP_HOOKS:-}
	export PFX R W T NS_BR NS_WAN_IF NS_DNSMASQ_LOG NS_LEASES NS_SCRIPT_LOG
	export NS_LAN4 NS_LAN6 NS_RWAN4 NS_RWAN6 NS_W4 NS_W6
	: >"$T/pids"
	: >"$T/netns"
	: >"$T/ns.log"
	NS_CLEANED=0
	trap ns_cleanup EXIT
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 141' PIPE # e.g. `selftest | head`: still clean up
	_ns_say "setup PFX=$PFX T=$T"

	_ns_netns_add "$R" || return 1
	_ns_netns_add "$W" || return 1
	_ns_run ip netns exec "$R" sysctl -q -w net.ipv4.ip_forward=1 \
		net.ipv6.conf.all.forwarding=1 net.ipv6.conf.default.forwarding=1 || return 1
	# With br_netfilter loaded (Docker loads it), frames bridged between two LAN ports
	# would cross ip(6)tables FORWARD too; a router counts routed traffic only.
	if [ -e /proc/sys/net/bridge/bridge-nf-call-iptables ]; then
		_ns_run ip netns exec "$R" sysctl -q -w net.bridge.bridge-nf-call-iptables=0 \
			net.bridge.bridge-nf-call-ip6tables=0 net.bridge.bridge-nf-call-arptables=0 || true
	fi

	# LAN bridge with a fixed MAC (else it borrows a port's MAC and changes it when that
	# port goes away, flushing neighbours). No STP, no forward delay, no snooping.
	_ns_run ip -n "$R" link add "$NS_BR" address "$NS_BR_MAC" type bridge \
		stp_state 0 forward_delay 0 mcast_snooping 0 || return 1
	_ns_run ip -n "$R" addr add "$NS_LAN4/24" dev "$NS_BR" || return 1
	_ns_run ip -n "$R" addr add "$NS_LAN6/64" dev "$NS_BR" nodad || return 1
	_ns_run ip -n "$R" link set "$NS_BR" up || return 1

	# WAN: router <-> "internet", no NAT; W routes the LAN back through the router.
	_ns_run ip link add name "$NS_WAN_IF" netns "$R" type veth peer name "${PFX}ww" netns "$W" || return 1
	_ns_run ip -n "$R" addr add "$NS_RWAN4/24" dev "$NS_WAN_IF" || return 1
	_ns_run ip -n "$R" addr add "$NS_RWAN6/64" dev "$NS_WAN_IF" nodad || return 1
	_ns_run ip -n "$W" addr add "$NS_W4/24" dev "${PFX}ww" || return 1
	_ns_run ip -n "$W" addr add "$NS_W6/64" dev "${PFX}ww" nodad || return 1
	_ns_run ip -n "$R" link set "$NS_WAN_IF" up || return 1
	_ns_run ip -n "$W" link set "${PFX}ww" up || return 1
	_ns_run ip -n "$W" route add 192.168.88.0/24 via "$NS_RWAN4" || return 1
	_ns_run ip -n "$W" -6 route add fd00:88::/64 via "$NS_RWAN6" || return 1

	_ns_write_client_scripts
	return 0
}

ns_cleanup() {
	local rc=$? hook pid ns pids
	[ "${NS_CLEANED:-1}" = 0 ] || return "$rc"
	NS_CLEANED=1
	set +e
	trap - HUP INT TERM
	trap '' PIPE # a closed stdout must not abort the clean-up
	# 1. the caller's hooks (daemons of the code under test, ...)
	if [ -n "${NS_CLEANUP_HOOKS:-}" ]; then
		while IFS= read -r hook; do
			[ -n "$hook" ] || continue
			_ns_say "cleanup hook: $hook"
			eval "$hook" || true
		done <<<"$NS_CLEANUP_HOOKS"
	fi
	# 2. processes we started (recorded PIDs), newest first
	if [ -n "${T:-}" ] && [ -s "$T/pids" ]; then
		while read -r pid st; do
			_ns_pid_gone "$pid" && continue
			[ "$(_ns_starttime "$pid")" = "$st" ] || continue
			_ns_stop_pid "$pid" TERM 2
		done < <(tac "$T/pids")
	fi
	# 3. anything still inside our namespaces, then the namespaces (ours only: exact prefix)
	for ns in $( { [ -n "${T:-}" ] && cat "$T/netns" 2>/dev/null; ip netns list 2>/dev/null | awk '{print $1}'; } | sort -u); do
		[ -n "${PFX:-}" ] || break
		case "$ns" in "$PFX"-*) ;; *) continue ;; esac
		pids=$(ip netns pids "$ns" 2>/dev/null)
		for pid in $pids; do kill -TERM "$pid" 2>/dev/null; done
		for pid in $pids; do _ns_poll 2 _ns_pid_gone "$pid" || kill -KILL "$pid" 2>/dev/null; done
		ip netns del "$ns" 2>/dev/null || echo "ns: cleanup: could not delete netns $ns" >&2
	done
	if [ -n "${T:-}" ] && [ -d "$T" ]; then
		if [ "${NS_KEEP:-0}" = 1 ]; then
			echo "ns: kept $T" >&2
		else
			rm -rf "$T"
		fi
	fi
	return "$rc"
}

# ---------------------------------------------------------------- clients

ns_add_client() {
	local idx=${1:-} mac=${2:-} c cif port
	_ns_need_setup || return 1
	_ns_check_idx "$idx" || return 1
	[ -n "$mac" ] || { _ns_err "usage: ns_add_client IDX MAC"; return 1; }
	c=$(ns_client_ns "$idx"); cif=$(ns_client_if "$idx"); port=$(ns_client_port "$idx")
	_ns_netns_add "$c" || return 1
	# Ignore RAs: addresses and routes come only from DHCP (deterministic, no SLAAC).
	_ns_run ip netns exec "$c" sysctl -q -w net.ipv6.conf.default.accept_ra=0 \
		net.ipv6.conf.all.accept_ra=0 || return 1
	_ns_run ip link add name "$port" netns "$R" type veth \
		peer name "$cif" address "$mac" netns "$c" || return 1
	_ns_run ip -n "$R" link set "$port" master "$NS_BR" up || return 1
	_ns_run ip -n "$c" link set "$cif" up || return 1
	_ns_poll "${NS_TIMEOUT:-10}" _ns_port_forwarding "$port" ||
		{ _ns_err "bridge port $port not forwarding"; return 1; }
	_ns_say "client $idx: netns $c, $cif ($mac) <-> $port"
}

_ns_port_forwarding() { ip -n "$R" link show dev "$1" 2>/dev/null | grep -q 'state UP' &&
	bridge -n "$R" link show dev "$1" 2>/dev/null | grep -q 'state forwarding'; }

# ---------------------------------------------------------------- dnsmasq

_ns_dnsmasq_pid() { cat "$T/dnsmasq.started-pid" 2>/dev/null; }

_ns_dnsmasq_ready() {
	local pid=$1 s
	_ns_pid_gone "$pid" && return 2
	s=$(ip netns exec "$R" ss -H -uanp 2>/dev/null | grep "pid=$pid,") || return 1
	grep -q ':67 ' <<<"$s" && grep -q ':547 ' <<<"$s"
}

ns_start_dnsmasq() {
	local script=${1:-} pid
	_ns_need_setup || return 1
	[ -n "$script" ] || { _ns_err "usage: ns_start_dnsmasq SCRIPT [extra args]"; return 1; }
	case "$script" in /*) ;; *) _ns_err "dhcp-script must be an absolute path: $script"; return 1 ;; esac
	[ -x "$script" ] || { _ns_err "dhcp-script not executable: $script"; return 1; }
	if pid=$(_ns_dnsmasq_pid) && ! _ns_pid_gone "$pid"; then
		_ns_err "dnsmasq already running (pid $pid)"; return 1
	fi
	# Remember the arguments for ns_restart_dnsmasq.
	printf '%s\0' "$@" >"$T/dnsmasq.args"
	shift
	rm -f "$T/dnsmasq.pid"
	ip netns exec "$R" dnsmasq --keep-in-foreground --conf-file=/dev/null --port=0 \
		--interface="$NS_BR" --bind-interfaces \
		--dhcp-range=192.168.88.100,192.168.88.150,255.255.255.0,1h \
		--enable-ra --dhcp-range=fd00:88::100,fd00:88::1ff,64,1h \
		--dhcp-authoritative --no-ping \
		--dhcp-leasefile="$NS_LEASES" --dhcp-script="$script" --script-arp \
		--pid-file="$T/dnsmasq.pid" --log-facility="$NS_DNSMASQ_LOG" --log-dhcp \
		"$@" </dev/null >>"$T/dnsmasq.out" 2>&1 &
	pid=$!
	_ns_track_pid "$pid"
	echo "$pid" >"$T/dnsmasq.started-pid"
	_ns_say "dnsmasq pid $pid"
	if ! _ns_poll "${NS_TIMEOUT:-10}" _ns_dnsmasq_ready "$pid"; then
		_ns_err "dnsmasq did not come up$(_ns_pid_gone "$pid" && echo " (it exited)")" \
			"$T/dnsmasq.out" "$NS_DNSMASQ_LOG"
		return 1
	fi
}

ns_stop_dnsmasq() {
	local pid kids k
	_ns_need_setup || return 1
	pid=$(_ns_dnsmasq_pid) || return 0
	_ns_pid_gone "$pid" && return 0
	# Its children (the dhcp-script helper, script runs): let them finish their queue.
	kids=$(ps -o pid= --ppid "$pid" 2>/dev/null || true)
	_ns_stop_pid "$pid" TERM 5
	for k in $kids; do _ns_poll 5 _ns_pid_gone "$k" || _ns_say "dnsmasq child $k still running"; done
	rm -f "$T/dnsmasq.started-pid"
	return 0
}

ns_restart_dnsmasq() {
	local -a args=()
	_ns_need_setup || return 1
	[ -s "$T/dnsmasq.args" ] || { _ns_err "dnsmasq was never started"; return 1; }
	mapfile -d '' -t args <"$T/dnsmasq.args"
	ns_stop_dnsmasq || return 1
	ns_start_dnsmasq "${args[@]}"
}

# ---------------------------------------------------------------- DHCPv4 (busybox udhcpc)

ns_dhcp4() {
	local idx=${1:-} name=${2:-} c cif rc=0
	_ns_need_setup || return 1
	_ns_check_idx "$idx" || return 1
	[ -n "$name" ] || { _ns_err "usage: ns_dhcp4 IDX HOSTNAME"; return 1; }
	c=$(ns_client_ns "$idx"); cif=$(ns_client_if "$idx")
	rm -f "$T/c$idx.ip4"
	# -q exit once bound, -f foreground, -n exit if no lease; no -R here (it would
	# release at once on exit).
	_ns_run ip netns exec "$c" busybox udhcpc -i "$cif" -x "hostname:$name" -q -f -n \
		-t "${NS_TIMEOUT:-10}" -T 1 -s "$T/udhcpc.sh" </dev/null || rc=$?
	if [ "$rc" != 0 ] || [ ! -s "$T/c$idx.ip4" ]; then
		_ns_err "client $idx: no DHCPv4 lease (udhcpc rc=$rc)" \
			"$T/udhcpc.c$idx.log" "$NS_DNSMASQ_LOG"
		return 1
	fi
	cat "$T/c$idx.ip4"
}

ns_dhcp4_hold() {
	local idx=${1:-} name=${2:-} c cif pid
	_ns_need_setup || return 1
	_ns_check_idx "$idx" || return 1
	[ -n "$name" ] || { _ns_err "usage: ns_dhcp4_hold IDX HOSTNAME"; return 1; }
	c=$(ns_client_ns "$idx"); cif=$(ns_client_if "$idx")
	rm -f "$T/c$idx.ip4"
	# Output to a file, never to our stdout: callers run this inside $(...).
	ip netns exec "$c" busybox udhcpc -i "$cif" -x "hostname:$name" -f -R \
		-t "${NS_TIMEOUT:-10}" -T 1 -s "$T/udhcpc.sh" </dev/null >>"$T/udhcpc.c$idx.out" 2>&1 &
	pid=$!
	_ns_track_pid "$pid"
	echo "$pid" >"$T/c$idx.udhcpc.pid"
	if ! _ns_poll "${NS_TIMEOUT:-10}" _ns_bound_or_dead "$T/c$idx.ip4" "$pid"; then
		_ns_err "client $idx: no DHCPv4 lease (held udhcpc pid $pid$(_ns_pid_gone "$pid" && echo ", exited"))" \
			"$T/udhcpc.c$idx.log" "$T/udhcpc.c$idx.out" "$NS_DNSMASQ_LOG"
		return 1
	fi
	cat "$T/c$idx.ip4"
}

_ns_bound_or_dead() { # FILE PID: 0 once FILE has content, 2 if PID died first
	[ -s "$1" ] && return 0
	_ns_pid_gone "$2" && return 2
	return 1
}

ns_dhcp4_release() {
	local idx=${1:-} pid
	_ns_need_setup || return 1
	pid=$(cat "$T/c$idx.udhcpc.pid" 2>/dev/null) || { _ns_err "client $idx: no held udhcpc"; return 1; }
	if _ns_pid_gone "$pid"; then _ns_err "client $idx: udhcpc $pid is gone"; return 1; fi
	kill -USR2 "$pid" # release: DHCPRELEASE, then the script's deconfig removes the address
	if ! _ns_poll "${NS_TIMEOUT:-10}" _ns_no_file "$T/c$idx.ip4"; then
		_ns_err "client $idx: udhcpc did not release" \
			"$T/udhcpc.c$idx.log" "$T/udhcpc.c$idx.out"
		return 1
	fi
	_ns_stop_pid "$pid" TERM 3
	rm -f "$T/c$idx.udhcpc.pid"
}

_ns_no_file() { [ ! -e "$1" ]; }

# ---------------------------------------------------------------- DHCPv6 (ISC dhclient -6)

# _ns_dhclient6 IDX ARGS...: timeout-bounded dhclient -6 with the per-client files.
_ns_dhclient6() {
	local idx=$1 c cif; shift
	c=$(ns_client_ns "$idx"); cif=$(ns_client_if "$idx")
	[ -e "$T/dhclient6.c$idx.conf" ] || : >"$T/dhclient6.c$idx.conf"
	_ns_run timeout "$((${NS_TIMEOUT:-10} + 5))" ip netns exec "$c" dhclient -6 "$@" \
		-cf "$T/dhclient6.c$idx.conf" -sf "$T/dhclient6.sh" \
		-lf "$T/dhclient6.c$idx.leases" -pf "$T/dhclient6.c$idx.pid" "$cif" </dev/null
}

ns_dhcp6() {
	local idx=${1:-} rc=0 pid
	_ns_need_setup || return 1
	_ns_check_idx "$idx" || return 1
	rm -f "$T/c$idx.ip6"
	# -1: one try (exit 2 on failure) ... after the lease dhclient daemonizes; stop it
	# then (SIGTERM does not release the lease, see ns_dhcp6_release for that).
	_ns_dhclient6 "$idx" -1 -v || rc=$?
	if pid=$(cat "$T/dhclient6.c$idx.pid" 2>/dev/null) && [ -n "$pid" ]; then
		_ns_track_pid "$pid"
		_ns_stop_pid "$pid" TERM 3
	fi
	if [ "$rc" != 0 ] || [ ! -s "$T/c$idx.ip6" ]; then
		_ns_err "client $idx: no DHCPv6 lease (dhclient rc=$rc)" \
			"$T/dhclient6.c$idx.log" "$T/ns.log" "$NS_DNSMASQ_LOG"
		return 1
	fi
	cat "$T/c$idx.ip6"
}

ns_dhcp6_release() {
	local idx=${1:-} rc=0
	_ns_need_setup || return 1
	_ns_check_idx "$idx" || return 1
	[ -s "$T/dhclient6.c$idx.leases" ] || { _ns_err "client $idx: no DHCPv6 lease file"; return 1; }
	_ns_dhclient6 "$idx" -r -v || rc=$?
	[ "$rc" = 0 ] || { _ns_err "client $idx: dhclient -6 -r failed (rc=$rc)"; return 1; }
}

# ---------------------------------------------------------------- waiting, traffic

# ns_wait_script_calls N [FILE [ERE]]: wait (<= NS_TIMEOUT s) until FILE (default
# $NS_SCRIPT_LOG) has at least N lines (matching the extended regex ERE, if given).
_ns_count_lines() {
	if [ ! -r "$1" ]; then echo 0
	elif [ -n "${2:-}" ]; then grep -cE -- "$2" "$1" || true
	else wc -l <"$1"; fi
}
_ns_has_lines() { [ "$(_ns_count_lines "$2" "${3:-}")" -ge "$1" ]; }
ns_wait_script_calls() {
	local n=${1:-} f=${2:-${NS_SCRIPT_LOG:-}} re=${3:-}
	case "$n" in '' | *[!0-9]*) _ns_err "usage: ns_wait_script_calls N [FILE [ERE]]"; return 1 ;; esac
	[ -n "$f" ] || { _ns_err "ns_wait_script_calls: no log file"; return 1; }
	if ! _ns_poll "${NS_TIMEOUT:-10}" _ns_has_lines "$n" "$f" "$re"; then
		_ns_err "timed out waiting for $n script calls${re:+ matching /$re/} in $f (have $(_ns_count_lines "$f" "$re"))" "$f"
		return 1
	fi
}

# ns_wait_script_idle [MS [FILE]]: wait until FILE (default $NS_SCRIPT_LOG) has not changed
# for MS milliseconds (default 300), bounded by NS_TIMEOUT. For "no more events expected".
_ns_fsig() { stat -c '%s:%.9Y' "$1" 2>/dev/null || echo none; }
ns_wait_script_idle() {
	local ms=${1:-300} f=${2:-${NS_SCRIPT_LOG:-}} sig last since deadline now
	deadline=$(($(_ns_now_ms) + ${NS_TIMEOUT:-10} * 1000))
	last=$(_ns_fsig "$f"); since=$(_ns_now_ms)
	while :; do
		sleep 0.05
		now=$(_ns_now_ms); sig=$(_ns_fsig "$f")
		if [ "$sig" != "$last" ]; then last=$sig; since=$now
		elif [ $((now - since)) -ge "$ms" ]; then return 0; fi
		[ "$now" -lt "$deadline" ] || { _ns_err "$f still changing after ${NS_TIMEOUT:-10} s"; return 1; }
	done
}

# ns_ping IDX DST COUNT SIZE: from client IDX; returns nonzero unless all COUNT replies came.
# No -w deadline: with losses it would send more than COUNT requests.
ns_ping() {
	local idx=${1:-} dst=${2:-} count=${3:-} size=${4:-} out sent recv
	_ns_need_setup || return 1
	_ns_check_idx "$idx" || return 1
	if [ -z "$dst" ] || [ -z "$count" ] || [ -z "$size" ]; then
		_ns_err "usage: ns_ping IDX DST COUNT SIZE"; return 1
	fi
	out=$(ip netns exec "$(ns_client_ns "$idx")" ping -n -q -c "$count" -i 0.01 -W 1 -s "$size" "$dst" 2>&1) || true
	[ "${V:-0}" = 1 ] && echo "$out" >&2
	sent=$(sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\1/p' <<<"$out")
	recv=$(sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\2/p' <<<"$out")
	if [ "$sent" != "$count" ] || [ "$recv" != "$count" ]; then
		_ns_err "ping from client $idx to $dst: sent=${sent:-?} received=${recv:-?} of $count
$out"
		return 1
	fi
}
