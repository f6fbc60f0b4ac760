# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Namespace cases for the packages (sourced by tests/ns/cases.sh).

# The .deb (make deb: dpkg-buildpackage -b -us -uc, lintian clean) installed with dpkg -i,
# its files used as installed, then purged: the unit passes `systemd-analyze verify`, its
# ExecStartPre/ExecStart (run in the router namespace under the unit's capability bounding
# set) start a daemon that counts, and dnsmasq with the shipped example snippet enabled
# runs the installed iptmon for a real client. Once, with the nft backend (the package's
# default): the package is the same for every backend.
case_deb() {
	[ "$BACKEND" = nft ] || { echo "skip: the package is tested once, with the nft backend"; exit 77; }
	command -v dpkg-buildpackage >/dev/null && command -v lintian >/dev/null ||
		{ echo "skip: dpkg-dev, debhelper and lintian are needed (tests/deps.sh)"; exit 77; }
	# Never touch an iptmon this machine has of its own.
	if dpkg-query -W -f '${Status}' iptmon 2>/dev/null | grep -q installed ||
		[ -e /usr/sbin/iptmon ] || [ -e /etc/iptmon.conf ] || [ -e /var/lib/iptmon ]; then
		echo "skip: this machine has an iptmon installed already (package, /usr/sbin/iptmon or /etc/iptmon.conf)"
		exit 77
	fi
	it_setup
	unset IPTMON_CONFIG # the installed files alone: /etc/iptmon.conf
	# A .deb newer than every source is reused (CI builds it first, with its unit tests).
	local deb
	deb=$(ls build/deb/iptmon_*.deb 2>/dev/null | head -n 1)
	if [ -z "$deb" ] || [ -n "$(find src man debian mk Makefile -newer "$deb" | head -n 1)" ]; then
		DEB_BUILD_OPTIONS=nocheck make -s deb >"$T/deb.log" 2>&1 || fail "make deb: $(tail -n 30 "$T/deb.log")"
		deb=$(ls build/deb/iptmon_*.deb)
	fi
	# dpkg in the router namespace: the maintainer scripts' netfilter work (prerm runs
	# `iptmon remove`) lands there, not on the machine's own ruleset.
	ns_on_cleanup "ip netns exec $R dpkg --purge iptmon >>$T/dpkg.log 2>&1 || true"
	ip netns exec "$R" dpkg -i "$deb" >"$T/dpkg.log" 2>&1 || fail "dpkg -i: $(cat "$T/dpkg.log")"
	dpkg-query -W -f '${Status}' iptmon | grep -q 'install ok installed' || fail "iptmon not installed"
	[ "$(dpkg-query -W -f '${Conffiles}' iptmon | awk '{print $1}')" = /etc/iptmon.conf ] ||
		fail "conffiles: $(dpkg-query -W -f '${Conffiles}' iptmon)"
	man -w iptmon >/dev/null 2>&1 || [ -e /usr/share/man/man8/iptmon.8.gz ] || fail "no man page"
	# The example snippet is shipped, never active.
	[ -e /etc/dnsmasq.d/iptmon.conf ] && fail "an active dnsmasq snippet was installed"
	local snip=/usr/share/doc/iptmon/examples/dnsmasq-iptmon.conf
	[ -f "$snip" ] || fail "no example snippet $snip"
	if command -v systemd-analyze >/dev/null; then
		systemd-analyze verify /lib/systemd/system/iptmon.service >"$T/verify.log" 2>&1 ||
			fail "systemd-analyze verify: $(cat "$T/verify.log")"
		[ ! -s "$T/verify.log" ] || fail "systemd-analyze verify said: $(cat "$T/verify.log")"
	fi

	# dnsmasq with the snippet enabled (copied into its conf-dir, as into /etc/dnsmasq.d/):
	# no --dhcp-script of the test's own, the snippet's is the only one.
	ns_add_client 1 "$MAC1"
	mkdir "$T/dnsmasq.d"
	cp "$snip" "$T/dnsmasq.d/iptmon.conf"
	ip netns exec "$R" dnsmasq --keep-in-foreground --conf-file=/dev/null --conf-dir="$T/dnsmasq.d" \
		--port=0 --interface="$NS_BR" --bind-interfaces \
		--dhcp-range=192.168.88.100,192.168.88.150,255.255.255.0,1h \
		--enable-ra --dhcp-range=fd00:88::100,fd00:88::1ff,64,1h \
		--dhcp-authoritative --no-ping --dhcp-leasefile="$NS_LEASES" \
		--pid-file="$T/dnsmasq.pid" --log-facility="$NS_DNSMASQ_LOG" --log-dhcp \
		</dev/null >>"$T/dnsmasq.out" 2>&1 &
	local dpid=$!
	_ns_track_pid "$dpid"
	echo "$dpid" >"$T/dnsmasq.started-pid"
	_ns_poll 10 _ns_dnsmasq_ready "$dpid" || fail "dnsmasq with the snippet did not start: $(cat "$T/dnsmasq.out")"

	# The unit's own command lines, run as it would: ExecStartPre, then ExecStart, under its
	# capability bounding set (systemd does not run here).
	local unit=/lib/systemd/system/iptmon.service pre start caps
	pre=$(sed -n 's/^ExecStartPre=//p' "$unit")
	start=$(sed -n 's/^ExecStart=//p' "$unit")
	caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit" | tr 'A-Z' 'a-z' | sed 's/cap_/+/g; s/ /,/g')
	[ "$pre" = "/usr/sbin/iptmon init" ] || fail "ExecStartPre is '$pre'"
	[ "$start" = "/usr/sbin/iptmon daemon" ] || fail "ExecStart is '$start'"
	ip netns exec "$R" setpriv --bounding-set=-all,"$caps" --no-new-privs $pre >"$T/pre.log" 2>&1 ||
		fail "ExecStartPre failed: $(cat "$T/pre.log")"
	mkdir -p /run/iptmon /var/lib/iptmon # RuntimeDirectory=, StateDirectory=
	ip netns exec "$R" setpriv --bounding-set=-all,"$caps" --no-new-privs $start 2>>"$T/daemon.log" &
	DPID=$!
	_ns_track_pid "$DPID"
	ns_on_cleanup "kill $DPID 2>/dev/null || true; rm -rf /run/iptmon"
	local sys
	sys() { ip netns exec "$R" /usr/sbin/iptmon "$@"; }
	wait_for test -s /run/iptmon/iptmon.live || fail "the daemon from ExecStart is not running: $(cat "$T/daemon.log")"

	IP1=$(ns_dhcp4 1 pc)
	sys_has_pc() { sys show --json --kernel | jq -e '.hosts[] | select(.name == "pc")' >/dev/null; }
	wait_for sys_has_pc || fail "the installed iptmon, run by dnsmasq through the snippet, did not count pc: $(tail -n 5 "$NS_DNSMASQ_LOG")"
	ns_ping 1 "$NS_W4" 10 1000 || fail "ping"
	expect_eq "$(sys show --json --kernel | jq -r '.hosts[] | select(.name == "pc") | .ipv4.tx_bytes')" 10280 "pc's kernel tx bytes"
	daemon_pc() { [ "$(sys show --json | jq -r '.source + " " + (.hosts[] | select(.name == "pc") | .ipv4.tx_bytes | tostring)')" = "daemon 10280" ]; }
	wait_for daemon_pc || fail "the daemon's total for pc: $(sys show --json)"
	kill -TERM "$DPID"
	wait "$DPID" || fail "daemon exit status after TERM"
	[ -s /var/lib/iptmon/iptmon.state ] || fail "no state file in the StateDirectory"

	ns_stop_dnsmasq
	ip netns exec "$R" dpkg --purge iptmon >>"$T/dpkg.log" 2>&1 || fail "dpkg --purge: $(tail -n 5 "$T/dpkg.log")"
	[ ! -e /usr/sbin/iptmon ] && [ ! -e /etc/iptmon.conf ] && [ ! -e /var/lib/iptmon ] ||
		fail "files left after purge: $(ls -d /usr/sbin/iptmon /etc/iptmon.conf /var/lib/iptmon 2>/dev/null)"
	# prerm's `iptmon remove` took the table out of the router namespace.
	ip netns exec "$R" nft list table inet iptmon >/dev/null 2>&1 && fail "table inet iptmon left after purge"
	return 0
}
