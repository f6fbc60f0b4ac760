#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/ns/selftest-lib.sh - self-check of tests/ns/lib.sh against real dnsmasq/udhcpc/dhclient.
#
# Proves: 3 clients get IPv4 leases with hostnames, client 1 gets an IPv6 lease, exact pings
# through the router to W work in both families, a release gives `del`, a dnsmasq restart
# replays leases as `old`, a hostname change for one MAC gives the rename sequence. Prints the
# dhcp-script log (what dnsmasq actually called) and verifies no namespace of the run is left.
#
# Usage: tests/ns/selftest-lib.sh        (root; V=1 for verbose, NS_KEEP=1 keeps the temp dir)
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)

if [ "${1:-}" != --inner ]; then
	# Outer: run the real test in a child, then check that its namespaces are gone.
	export NS_PFX=${NS_PFX:-st$$}
	rc=0
	bash "$HERE/selftest-lib.sh" --inner || rc=$?
	left=$(ip netns list | awk '{print $1}' | grep -c "^$NS_PFX-" || true)
	if [ "$left" != 0 ]; then
		echo "FAIL: $left namespace(s) with prefix $NS_PFX- left:" >&2
		ip netns list | grep "^$NS_PFX-" >&2
		rc=1
	else
		echo "ok: no namespace with prefix $NS_PFX- left"
	fi
	[ "$rc" = 0 ] && echo "selftest-lib: PASS" || echo "selftest-lib: FAIL (rc=$rc)" >&2
	exit "$rc"
fi

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"

T0=$EPOCHREALTIME
LAST=$T0
ms() { local a=${1/[.,]/} b=${2/[.,]/}; echo $(((a - b) / 1000)); }
step() { # print elapsed time of the previous step
	local now=$EPOCHREALTIME
	printf '  %-44s %5d ms  (total %5d ms)\n' "$1" "$(ms "$now" "$LAST")" "$(ms "$now" "$T0")"
	LAST=$now
}
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }
EV='^(add|old|del) ' # DHCP events (arp-add/arp-del may interleave, --script-arp)
lines() { wc -l <"$LOG"; }
since() { sed -n "$(($1 + 1)),\$p" "$LOG" | grep -E "$EV" | sed 's/^/    /'; } # DHCP events after line N

ns_setup
LOG=$NS_SCRIPT_LOG
ENVLOG=$T/script.env
# shellcheck disable=SC2016 # $T is expanded when the hook runs
ns_on_cleanup 'echo "cleanup hook ran (T=$T)" >&2'

# The dhcp-script: one line per call in $LOG; the complete DNSMASQ_* environment in $ENVLOG.
cat >"$T/dhcp-script.sh" <<EOF
#!/bin/bash
{
	printf '%s |' "\$*"
	env | grep '^DNSMASQ_' | sort | while IFS= read -r kv; do printf ' %q' "\$kv"; done
	echo
} >>'$ENVLOG'
echo "\$* | DNSMASQ_MAC=\${DNSMASQ_MAC-<unset>} DNSMASQ_OLD_HOSTNAME=\${DNSMASQ_OLD_HOSTNAME-<unset>} DNSMASQ_DATA_MISSING=\${DNSMASQ_DATA_MISSING-<unset>}" >>'$LOG'
EOF
chmod 755 "$T/dhcp-script.sh"
echo "timings:"
step "ns_setup (router + internet)"

ns_add_client 1 02:00:00:00:88:01
ns_add_client 2 02:00:00:00:88:02
ns_add_client 3 02:00:00:00:88:03
step "3 × ns_add_client"

ns_start_dnsmasq "$T/dhcp-script.sh"
step "ns_start_dnsmasq"

ip1=$(ns_dhcp4 1 pc)
step "ns_dhcp4 1 pc -> $ip1"
ip2=$(ns_dhcp4 2 phone)
step "ns_dhcp4 2 phone -> $ip2"
ip3=$(ns_dhcp4_hold 3 laptop)
step "ns_dhcp4_hold 3 laptop -> $ip3"
ns_wait_script_calls 3 "$LOG" '^add '
step "3 v4 add script calls"
while read -r i a h; do
	grep -q "^add 02:00:00:00:88:0$i $a $h " "$LOG" || fail "no 'add MAC $a $h' for client $i"
done <<<"1 $ip1 pc
2 $ip2 phone
3 $ip3 laptop"
ok "3 IPv4 leases with hostnames: $ip1 pc, $ip2 phone, $ip3 laptop"

ip6=$(ns_dhcp6 1)
step "ns_dhcp6 1 -> $ip6"
ns_wait_script_calls 1 "$LOG" "^add [^ ]+ $ip6( |\$)"
step "v6 add script call"
grep -qE "^add ([0-9a-f]{2}:)+02:00:00:00:88:01 $ip6 \| DNSMASQ_MAC=02:00:00:00:88:01 " "$LOG" ||
	fail "v6 add: expected argv[2] = a DUID ending in the MAC and DNSMASQ_MAC=02:00:00:00:88:01"
ok "IPv6 lease for client 1: $ip6 ($(grep -E "^add [^ ]+ $ip6( |\$)" "$LOG"))"

for i in 1 2 3; do ns_ping "$i" "$NS_W4" 10 1000; done
ns_ping 1 "$NS_W6" 10 1000
step "pings (3 × v4, 1 × v6, 10 × 1000 B each)"
ok "pings to $NS_W4 from 3 clients and to $NS_W6 from client 1, no loss"

ns_dhcp4_release 3
step "ns_dhcp4_release 3"
ns_wait_script_calls 1 "$LOG" "^del 02:00:00:00:88:03 $ip3( |\$)"
step "del script call"
[ -z "$(ns_ip4 3)" ] || fail "client 3 still has its address after the release"
ok "release: $(grep "^del 02:00:00:00:88:03" "$LOG")"

n=$(lines)
m=$(grep -cE "$EV" "$LOG" || true)
ns_restart_dnsmasq
step "ns_restart_dnsmasq"
# Leases left: c1 v4, c2 v4, c1 v6 (c3 released). Expect at least one `old` per lease.
ns_wait_script_calls $((m + 3)) "$LOG" "$EV"
ns_wait_script_idle 300 "$LOG"
step "restart replays (+300 ms idle)"
echo "restart replayed:"
since "$n"
for a in "$ip1" "$ip2" "$ip6"; do
	grep -qE "^old [^ ]+ $a( |\$)" "$LOG" || fail "restart did not replay $a as old"
done
ok "restart replays all 3 leases as old"

n=$(lines)
ip2b=$(ns_dhcp4 2 phone2)
step "ns_dhcp4 2 phone2 (rename) -> $ip2b"
ns_wait_script_calls 1 "$LOG" "^old 02:00:00:00:88:02 $ip2b phone2"
ns_wait_script_idle 300 "$LOG"
step "rename script calls (+300 ms idle)"
echo "rename produced:"
since "$n"
[ "$ip2b" = "$ip2" ] || echo "note: rename changed the address $ip2 -> $ip2b"
grep -qE "^old 02:00:00:00:88:02 $ip2b \| .*DNSMASQ_OLD_HOSTNAME=phone " "$LOG" ||
	echo "note: no nameless old with DNSMASQ_OLD_HOSTNAME=phone"
ok "rename gives old ... phone2"

ns_dhcp6_release 1
step "ns_dhcp6_release 1"
ns_wait_script_calls 1 "$LOG" "^del [^ ]+ $ip6( |\$)"
step "v6 del script call"
[ -z "$(ns_ip6 1)" ] || fail "client 1 still has its IPv6 address after the release"
ok "v6 release: $(grep -E "^del [^ ]+ $ip6( |\$)" "$LOG")"

ns_wait_script_idle 200 "$LOG"
echo
echo "==== dhcp-script log ($LOG)"
cat "$LOG"
echo "==== full DNSMASQ_* environment per call ($ENVLOG)"
cat "$ENVLOG"
echo "==== leases"
cat "$NS_LEASES"
if [ "${V:-0}" = 1 ]; then
	echo "==== dnsmasq log"
	cat "$NS_DNSMASQ_LOG"
fi
step "total"
