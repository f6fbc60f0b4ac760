#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The demo (`make demo`, as root): a router in network namespaces with real dnsmasq calling
# iptmon as its --dhcp-script, three DHCP clients (one with IPv6 too), a static host, an
# "internet" namespace behind a WAN link, known traffic, then `iptmon show`. Everything it
# creates is removed on exit. DEMO_BACKEND selects the backend (default: auto).
set -eu
cd "$(dirname "$0")/../.."
TOP=$PWD
BIN=$TOP/iptmon
[ "$(id -u)" = 0 ] || { echo "demo: run as root (it creates network namespaces)" >&2; exit 1; }
[ -x "$BIN" ] || { echo "demo: build first (make)" >&2; exit 1; }
NS_PFX=demo$$
NS_PFX=${NS_PFX:0:9}
. tests/ns/lib.sh

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

ns_setup
cat >"$T/hosts" <<'EOH'
192.168.88.5	nas
EOH
cat >"$T/iptmon.conf" <<EOC
backend = ${DEMO_BACKEND:-auto}
lease_file = $NS_LEASES
hosts_files = $T/hosts
lock_file = $T/iptmon.lock
state_dir = $T/state
run_dir = $T/run
interval = 1
EOC
export IPTMON_CONFIG=$T/iptmon.conf
it() { ip netns exec "$R" "$BIN" "$@"; }

say "router $R: LAN bridge 192.168.88.1/24 + fd00:88::1/64, WAN to $W ($NS_W4, $NS_W6)"
say "iptmon init (static host nas from $T/hosts)"
it init
ns_add_client 1 02:00:00:00:88:01
ns_add_client 2 02:00:00:00:88:02
ns_add_client 3 02:00:00:00:88:03
say "dnsmasq with --dhcp-script=$BIN; clients ask for leases"
ns_start_dnsmasq "$BIN"
ip1=$(ns_dhcp4 1 pc)
ip2=$(ns_dhcp4 2 phone)
ip3=$(ns_dhcp4 3 laptop)
ip6=$(ns_dhcp6 1)
echo "pc=$ip1,$ip6 phone=$ip2 laptop=$ip3"
for i in $(seq 1 100); do
	n=$(it show --json | jq '[.hosts[].addresses[]] | length')
	[ "$n" -ge 5 ] && break
	sleep 0.05
done

say "traffic through the router"
echo "pc:     ping -c10 -s1000 $NS_W4  (10 x 1028 B each way)"
ns_ping 1 "$NS_W4" 10 1000
echo "pc:     ping -c10 -s1000 $NS_W6  (10 x 1048 B each way)"
ns_ping 1 "$NS_W6" 10 1000
echo "phone:  ping -c20 -s1400 $NS_W4  (20 x 1428 B each way)"
ns_ping 2 "$NS_W4" 20 1400
echo "laptop: downloads 2 MB over TCP from $NS_W4"
ip netns exec "$W" socat -u OPEN:/dev/zero,rdonly,readbytes=2000000 TCP-LISTEN:5001,reuseaddr 2>/dev/null &
ns_on_cleanup "kill $! 2>/dev/null || true"
for i in $(seq 1 100); do ip netns exec "$W" ss -ltn | grep -q :5001 && break; sleep 0.02; done
timeout 20 ip netns exec "$(ns_client_ns 3)" socat -u "TCP:$NS_W4:5001" OPEN:/dev/null

say "iptmon show"
it show
say "iptmon show --json (first host)"
it show --json | jq -c '.backend, .hosts[0]'
backend=$(it show --json | jq -r .backend)
case $backend in
nft)
	say "what iptmon keeps in the kernel (table inet iptmon: its chain, and set tx4 with a counter per address)"
	ip netns exec "$R" nft list chain inet iptmon forward
	ip netns exec "$R" nft list set inet iptmon tx4
	;;
iptables-legacy)
	say "the rules iptmon keeps (iptables-save -t mangle, iptmon's lines)"
	ip netns exec "$R" iptables-legacy-save -t mangle | grep iptmon
	;;
*)
	say "the rules iptmon keeps (iptables-save -t mangle, iptmon's lines)"
	ip netns exec "$R" iptables-nft-save -t mangle | grep iptmon
	;;
esac
say "iptmon daemon: totals that survive, rates, /metrics and /api/hosts on 127.0.0.1:9678"
ip netns exec "$R" "$BIN" daemon 2>"$T/daemon.log" &
dpid=$!
ns_on_cleanup "kill $dpid 2>/dev/null || true"
for i in $(seq 1 100); do ip netns exec "$R" curl -sf 127.0.0.1:9678/metrics >/dev/null 2>&1 && break; sleep 0.05; done
echo "phone:  ping -c5 -s1400 $NS_W4 while the daemon polls every second"
ns_ping 2 "$NS_W4" 5 1400
sleep 1.2
it show
echo "curl http://127.0.0.1:9678/metrics | grep 'host=\"pc\"' (first 4)"
ip netns exec "$R" curl -s 127.0.0.1:9678/metrics | grep 'host="pc"' | head -n 4
kill -TERM $dpid && wait $dpid || true
echo "daemon stopped; state kept in $T/state/iptmon.state ($(wc -c <"$T/state/iptmon.state") bytes)"
say "done; cleaning up"
