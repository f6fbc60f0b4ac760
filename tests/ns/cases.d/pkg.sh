# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Namespace cases for the packages (sourced by tests/ns/cases.sh).

# The .deb (make deb: dpkg-buildpackage -b -us -uc, lintian clean) installed with dpkg -i,
# its files used as installed, then purged: the unit passes `systemd-analyze verify`, its
# ExecStartPre/ExecStart (run in the router namespace under the unit's capability bounding
# set) start a daemon that counts, and dnsmasq with the shipped example snippet enabled
# runs the installed iptmon for a real client. Once, with the nft backend (the package's
# default): the package is the same for every backend.
file_nonempty() { [ -s "$1" ]; }

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
	# shellcheck disable=SC2086 # the unit's command line, split into words as systemd does
	ip netns exec "$R" setpriv --bounding-set=-all,"$caps" --no-new-privs $pre >"$T/pre.log" 2>&1 ||
		fail "ExecStartPre failed: $(cat "$T/pre.log")"
	mkdir -p /run/iptmon /var/lib/iptmon # RuntimeDirectory=, StateDirectory=
	# shellcheck disable=SC2086
	ip netns exec "$R" setpriv --bounding-set=-all,"$caps" --no-new-privs $start 2>>"$T/daemon.log" &
	DPID=$!
	_ns_track_pid "$DPID"
	# The daemon saves on TERM: it must be gone before its StateDirectory (made above, none
	# was there) goes, whichever cleanup runs first.
	ns_on_cleanup "kill $DPID 2>/dev/null; for i in \$(seq 50); do kill -0 $DPID 2>/dev/null || break; sleep 0.1; done; rm -rf /run/iptmon /var/lib/iptmon"
	local sys
	sys() { ip netns exec "$R" /usr/sbin/iptmon "$@"; }
	wait_for file_nonempty /run/iptmon/iptmon.live || fail "the daemon from ExecStart is not running: $(cat "$T/daemon.log")"

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

# ---- OpenWrt: openwrt/iptmon under busybox, in a chroot that looks like OpenWrt ----------
#
# The package's own files (installed from openwrt/iptmon/Makefile by tests/pkg/opkg.sh,
# postinst and prerm run as OpenWrt wraps them) run under busybox ash against the real
# kernel in the router namespace; only OpenWrt's own commands are stand-ins
# (tests/pkg/openwrt/: uci, functions.sh, rc.common, procd.sh, procd's hotplug dispatch,
# dnsmasq's wrapper). This harness plays procd: it starts the instance procd would start,
# restarts it when its parameters or files change, stops it when it is gone. Real dnsmasq
# (outside the chroot) runs OpenWrt's wrapper inside it. The variant's binary: BACKENDS=nft
# for nft, BACKENDS=iptables for iptables-legacy.

ow() { ip netns exec "$R" chroot "$OWROOT" "$@"; }
ow_it() { ow env IPTMON_CONFIG=/var/etc/iptmon.conf /usr/sbin/iptmon "$@"; }
ow_has() { ow_it show --json --kernel | jq -e --arg n "$1" '.hosts[] | select(.name == $n)' >/dev/null; }
ow_field() { ow_it show --json --kernel | jq -r --arg n "$1" ".hosts[] | select(.name == \$n) | $2"; }
ow_log() { cat "$OWROOT/tmp/messages" 2>/dev/null; }

# procd: the instance of /tmp/procd/iptmon, (re)started when it changed, stopped when gone.
OW_PID=
OW_APPLIED=
ow_procd_apply() {
	local svc=$OWROOT/tmp/procd/iptmon inst cmd envs
	inst=$(if [ -f "$svc" ]; then sed -n '/^instance /,/^end$/p' "$svc"; fi)
	[ "$inst" = "$OW_APPLIED" ] && return 0
	if [ -n "$OW_PID" ]; then
		kill -TERM "$OW_PID" 2>/dev/null || true
		wait "$OW_PID" 2>/dev/null || true
		OW_PID=
	fi
	OW_APPLIED=$inst
	[ -n "$inst" ] || return 0
	cmd=$(sed -n 's/^command //p' <<<"$inst")
	envs=$(sed -n 's/^env //p' <<<"$inst" | tr '\n' ' ')
	# shellcheck disable=SC2086 # words, as procd's arrays
	ip netns exec "$R" chroot "$OWROOT" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin $envs $cmd \
		2>>"$T/procd-iptmon.log" &
	OW_PID=$!
	_ns_track_pid "$OW_PID"
	echo "$OW_PID" >"$OWROOT/tmp/procd/iptmon.pid" # procd knows its instance's pid
}
ow_daemon_up() { [ -s "$OWROOT/tmp/run/iptmon/iptmon.live" ]; }

# dnsmasq as OpenWrt's init starts it: the wrapper as --dhcp-script when a handler is in
# /etc/hotplug.d/dhcp or neigh, --script-arp when one is in neigh.
ow_start_dnsmasq() {
	local args=() pid
	ls "$OWROOT"/etc/hotplug.d/dhcp/* "$OWROOT"/etc/hotplug.d/neigh/* >/dev/null 2>&1 &&
		args+=(--dhcp-script="$T/ow-dhcp-script")
	ls "$OWROOT"/etc/hotplug.d/neigh/* >/dev/null 2>&1 && args+=(--script-arp)
	printf '#!/bin/sh\nexec chroot %s /usr/lib/dnsmasq/dhcp-script.sh "$@"\n' "$OWROOT" >"$T/ow-dhcp-script"
	chmod 755 "$T/ow-dhcp-script"
	ip netns exec "$R" dnsmasq --keep-in-foreground --conf-file=/dev/null --port=0 \
		--interface="$NS_BR" --bind-interfaces \
		--dhcp-range=192.168.88.100,192.168.88.150,255.255.255.0,1h \
		--enable-ra --dhcp-range=fd00:88::100,fd00:88::1ff,64,1h \
		--dhcp-authoritative --no-ping --dhcp-leasefile="$OWROOT/tmp/dhcp.leases" \
		--pid-file="$T/dnsmasq.pid" --log-facility="$NS_DNSMASQ_LOG" --log-dhcp "${args[@]}" \
		</dev/null >>"$T/dnsmasq.out" 2>&1 &
	pid=$!
	_ns_track_pid "$pid"
	echo "$pid" >"$T/dnsmasq.started-pid"
	_ns_poll 10 _ns_dnsmasq_ready "$pid" || fail "dnsmasq did not start: $(cat "$T/dnsmasq.out")"
}

case_openwrt() {
	local variant=nft
	[ "$BACKEND" = iptables-legacy ] && variant=iptables
	# OpenWrt's variants are nft and iptables (libiptc); iptables-nft needs the iptables-nft
	# programs, which neither variant depends on and this chroot does not have.
	[ "$BACKEND" = iptables-nft ] && { echo "skip: OpenWrt's variants are nft and iptables-legacy"; exit 77; }
	command -v busybox >/dev/null || { echo "skip: busybox missing"; exit 77; }
	make -s "build/variant-$variant/iptmon" >/dev/null || fail "make build/variant-$variant/iptmon"
	it_setup
	unset IPTMON_CONFIG
	# The feed package builds from what its Build/Prepare copies of the tree, and nothing
	# else: that must be enough (mk/ and tools/ were once left out: no build/page.h).
	local p prep=$T/prepare
	mkdir -p "$prep"
	for p in $(sed -n '/^define Build\/Prepare/,/^endef/p' openwrt/iptmon/Makefile |
		grep -o '$(IPTMON_SRC_DIR)/[^ \\]*' | sed 's|^$(IPTMON_SRC_DIR)/||'); do
		cp -a "$TOP/$p" "$prep/" || fail "Build/Prepare copies $p, which is missing"
	done
	make -s -j2 -C "$prep" BACKENDS="$variant" iptmon >"$T/prepare.log" 2>&1 ||
		fail "a build from Build/Prepare's copy: $(tail -n 20 "$T/prepare.log")"
	"$prep/iptmon" version >/dev/null || fail "the package's binary does not run"
	OWROOT=$T/owroot
	tests/pkg/openwrt-root.sh "$OWROOT" "$TOP/build/variant-$variant/iptmon" || fail "openwrt-root.sh"
	mount --bind /proc "$OWROOT/proc" || fail "mount /proc"
	ns_on_cleanup "umount $OWROOT/proc"
	ns_on_cleanup '[ -n "$OW_PID" ] && kill $OW_PID 2>/dev/null; true'
	chroot "$OWROOT" syslogd -n -O /tmp/messages &
	_ns_track_pid $!
	wait_for is_socket "$OWROOT/dev/log" || fail "syslogd"

	# The configuration every key of iptmon's is in: the init script's KEYS, the shipped
	# /etc/config/iptmon, and `iptmon --help` agree.
	local keys_help keys_init keys_uci
	keys_help=$("$OWROOT/usr/sbin/iptmon.built" --help | sed -n '/^Configuration keys/,/^$/s/^  \([a-z_]*\) = .*/\1/p' | sort | tr '\n' ' ')
	keys_init=$(sed -n '/^KEYS="/,/"$/p' openwrt/iptmon/files/iptmon.init | tr -d '"' | sed 's/^KEYS=//' | tr ' ' '\n' | grep . | sort | tr '\n' ' ')
	keys_uci=$(awk '$1 == "option" || $1 == "list" { print $2 }' openwrt/iptmon/files/iptmon.config | sort -u | tr '\n' ' ')
	[ -n "$keys_help" ] || fail "no keys in iptmon --help"
	expect_eq "$keys_init" "$keys_help" "the init script's KEYS against iptmon --help"
	expect_eq "$keys_uci" "$keys_help" "/etc/config/iptmon's options against iptmon --help"

	# Before: the shell iptmon's setup (dhcpscript sourced by the wrapper) and another one.
	cat >"$OWROOT/etc/config/dhcp" <<'EOC'
config dnsmasq
	option leasefile '/tmp/dhcp.leases'
	option dhcpscript '/usr/sbin/iptmon'

config dnsmasq 'other'
	option dhcpscript '/etc/other-script.sh'
EOC
	# opkg install (with a kept /etc/config/iptmon choosing this run's backend)
	OW_EXEC="ip netns exec $R" tests/pkg/opkg.sh install "$OWROOT" "iptmon-${variant/nft/nftables}" >"$T/opkg.log" 2>&1 ||
		fail "opkg install: $(cat "$T/opkg.log")"
	: # the postinst already started the service with the shipped configuration
	ow uci set "iptmon.main.backend=$BACKEND" && ow uci commit iptmon || fail "uci set backend"
	ow /etc/init.d/iptmon restart 2>>"$T/init.log" || fail "restart: $(cat "$T/init.log")"
	[ -x "$OWROOT/etc/rc.d/S95iptmon" ] || fail "not enabled (no /etc/rc.d/S95iptmon)"
	[ ! -e "$OWROOT/etc/uci-defaults/90-iptmon" ] || fail "uci-defaults not run (or failed)"
	expect_eq "$(ow uci -q get dhcp.@dnsmasq[0].dhcpscript || echo none)" none "the shell iptmon's dhcpscript"
	expect_eq "$(ow uci -q get dhcp.other.dhcpscript)" /etc/other-script.sh "another dhcpscript"
	expect_eq "$(cat "$OWROOT/tmp/dnsmasq.init.log")" restart "dnsmasq restarts after install"
	grep -qx 'hosts_files = "/etc/hosts /tmp/hosts/\*"' "$OWROOT/tmp/etc/iptmon.conf" ||
		fail "rendered hosts_files: $(cat "$OWROOT/tmp/etc/iptmon.conf")"
	grep -qx "backend = \"$BACKEND\"" "$OWROOT/tmp/etc/iptmon.conf" || fail "rendered backend"
	grep -qx 'trigger config.change iptmon /etc/init.d/iptmon reload' "$OWROOT/tmp/procd/iptmon" ||
		fail "no reload trigger: $(cat "$OWROOT/tmp/procd/iptmon")"
	grep -qx 'command /usr/sbin/iptmon daemon' "$OWROOT/tmp/procd/iptmon" || fail "instance command"
	grep -qx 'respawn 3600 5 5' "$OWROOT/tmp/procd/iptmon" || fail "respawn"
	grep -q '^file /var/etc/iptmon.conf [0-9a-f]\{32\}$' "$OWROOT/tmp/procd/iptmon" || fail "file param"
	ow /sbin/reload_config # its first run records the configuration's checksums
	ow_procd_apply
	wait_for ow_daemon_up || fail "the daemon procd starts did not come up: $(cat "$T/procd-iptmon.log")"

	# dnsmasq -> OpenWrt's wrapper -> procd's hotplug -> 90-iptmon -> iptmon add
	ns_add_client 1 "$MAC1"
	ow_start_dnsmasq
	IP1=$(ns_dhcp4_hold 1 pc)
	wait_for ow_has pc || fail "pc not counted through the dhcp hotplug handler: $(ow_log | tail -n 5)"
	expect_eq "$(ow_field pc .mac)" "$MAC1" "pc's MAC"
	ns_ping 1 "$NS_W4" 10 1000 || fail "ping"
	expect_eq "$(ow_field pc .ipv4.tx_bytes)" 10280 "pc's tx bytes"
	ow_daemon_pc() { [ "$(ow_it show --json | jq -r '.source + " " + (.hosts[] | select(.name == "pc") | .ipv4.tx_bytes | tostring)')" = "daemon 10280" ]; }
	wait_for ow_daemon_pc || fail "the daemon's total: $(ow_it show --json)"

	# DHCPv6: MACADDR is the DUID; the MAC comes in DNSMASQ_MAC, through procd's filter
	IP6=$(ns_dhcp6 1)
	ow_has_addr() { ow_it show --json --kernel | jq -e --arg a "$1" '.hosts[] | select(.name == "pc") | .addresses | index($a)' >/dev/null; }
	wait_for ow_has_addr "$IP6" || fail "pc's DHCPv6 address $IP6 not counted under pc: $(ow_it show)"

	# neighbour events through the wrapper, as dnsmasq's --script-arp gives them: a
	# neighbour with a leased MAC (here another address of pc's) is counted under its name
	ow /usr/lib/dnsmasq/dhcp-script.sh arp-add "$MAC1" fd00:88::99 || fail "arp-add"
	ow_has_addr fd00:88::99 || fail "arp-add: pc's neighbour address is not counted: $(ow_it show)"
	ow /usr/lib/dnsmasq/dhcp-script.sh arp-del "$MAC1" fd00:88::99 || fail "arp-del"
	ow_has_addr fd00:88::99 && fail "arp-del: the address is still counted"
	ow_has_addr "$IP1" || fail "arp-del took pc's leased address too"

	# A changed option: procd's reload trigger re-renders; a changed file restarts the
	# instance, whose totals survive (state file written on TERM, read on start).
	local pid1=$OW_PID
	ow uci set iptmon.main.interval=5 && ow uci commit iptmon && ow /sbin/reload_config ||
		fail "reload_config"
	grep -qx 'interval = "5"' "$OWROOT/tmp/etc/iptmon.conf" || fail "interval not re-rendered"
	ow_procd_apply
	[ "$OW_PID" != "$pid1" ] || fail "the daemon was not restarted for the changed file"
	wait_for ow_daemon_up && wait_for ow_daemon_pc || fail "totals after the restart: $(ow_it show --json)"

	# A value iptmon rejects: its one line logged, nothing re-rendered, the daemon unchanged.
	local pid2=$OW_PID conf
	conf=$(cat "$OWROOT/tmp/etc/iptmon.conf")
	ow uci set iptmon.main.interval=often && ow uci commit iptmon && ow /sbin/reload_config 2>"$T/bad.log"
	wait_for file_has "iptmon: /var/etc/iptmon.conf.new:[0-9]*: bad interval 'often'" "$OWROOT/tmp/messages" ||
		fail "iptmon's error not logged: $(ow_log | tail -n 5)"
	expect_eq "$(cat "$OWROOT/tmp/etc/iptmon.conf")" "$conf" "the rendered file after a bad value"
	ow_procd_apply
	expect_eq "$OW_PID" "$pid2" "the daemon's pid after a bad value"
	# ... and a stopped daemon is not started on it (nor at boot: /var is RAM, nothing there).
	ow /etc/init.d/iptmon stop
	ow_procd_apply
	[ -z "$OW_PID" ] || fail "the daemon still runs after stop"
	# (rc.common's start returns procd's answer, not start_service's: no status to check)
	ow /etc/init.d/iptmon start 2>>"$T/bad.log" || true
	ow_procd_apply
	[ -z "$OW_PID" ] || fail "a daemon was started on a configuration iptmon refused"
	grep -q '^instance' "$OWROOT/tmp/procd/iptmon" && fail "procd got an instance: $(cat "$OWROOT/tmp/procd/iptmon")"

	# A lease ends: the handler's remove -> iptmon del (pc keeps its DHCPv6 address).
	ow uci set iptmon.main.interval=10 && ow uci commit iptmon && ow /etc/init.d/iptmon start ||
		fail "start after the fix"
	ow_procd_apply
	ns_dhcp4_release 1
	ow_no_ip1() { ! ow_has_addr "$IP1"; }
	wait_for ow_no_ip1 || fail "pc's IPv4 address still counted after its release: $(ow_it show)"
	ow_has_addr "$IP6" || fail "pc's IPv6 address went with the IPv4 release"

	# opkg remove: the service stops, iptmon's objects go, dnsmasq restarts without handlers.
	OW_EXEC="ip netns exec $R" tests/pkg/opkg.sh remove "$OWROOT" "iptmon-${variant/nft/nftables}" >>"$T/opkg.log" 2>&1 ||
		fail "opkg remove: $(tail -n 5 "$T/opkg.log")"
	ow_procd_apply
	[ -z "$OW_PID" ] || fail "daemon still running after removal"
	[ ! -e "$OWROOT/usr/sbin/iptmon" ] && [ ! -e "$OWROOT/etc/hotplug.d/dhcp/90-iptmon" ] ||
		fail "files left after removal"
	expect_eq "$(tr '\n' ' ' <"$OWROOT/tmp/dnsmasq.init.log")" "restart restart " "dnsmasq restarts"
	if [ "$BACKEND" = nft ]; then
		ip netns exec "$R" nft list table inet iptmon >/dev/null 2>&1 && fail "table inet iptmon left"
	else
		ipt4 -t mangle -S | grep -q iptmon && fail "iptmon chains left: $(ipt4 -t mangle -S)"
	fi
	[ -s "$OWROOT/etc/iptmon/iptmon.state" ] || fail "the totals on flash were not kept"
	return 0
}
