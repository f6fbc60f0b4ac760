# SPDX-License-Identifier: GPL-2.0-or-later
# Namespace cases for the daemon's footprint (issue 9): what it loads, and when.
# Sourced by tests/ns/cases.sh (its helpers: it_setup, it, wait_for, fail, expect_eq, ...).

fp_mapped() { grep -q "$1" "/proc/$DPID/maps"; }
fp_not_mapped() { ! fp_mapped "$1"; }
fp_log_has() { grep -q -- "$1" "$T/daemon.log"; }

# The daemon pays only for what it uses: with HTTP on and an http:// InfluxDB URL it loads
# neither libmicrohttpd (not before the first client) nor libcurl (plain http:// is written
# by iptmon itself); zlib only for InfluxDB's batches (not before a HUP sets influx_url);
# the first client loads libmicrohttpd and is answered; an https:// URL (after a HUP) loads
# libcurl.
case_lazy_libs() {
	it_setup
	printf '10.9.0.1 lamp\n10.9.0.2 fridge\n' >"$T/hosts"
	cat >>"$T/iptmon.conf" <<EOC
interval = 1
listen = 127.0.0.1:9678
EOC
	it init
	start_daemon
	wait_for fp_log_has "daemon: backend" || fail "no start line: $(cat "$T/daemon.log")"
	fp_not_mapped libz.so || fail "zlib loaded without influx_url"
	echo "influx_url = http://127.0.0.1:18089/write?db=iptmon" >>"$T/iptmon.conf"
	kill -HUP "$DPID"
	wait_for fp_log_has "SIGHUP: configuration re-read" || fail "no HUP: $(cat "$T/daemon.log")"
	# nothing listens on 18089: the first push fails, so the InfluxDB client has run
	wait_for fp_log_has "InfluxDB http://127.0.0.1:18089/write: connect: Connection refused" ||
		fail "no InfluxDB outage line: $(cat "$T/daemon.log")"
	fp_mapped "$BIN" || fail "not the daemon's maps: $(head -n 3 "/proc/$DPID/maps")"
	fp_not_mapped libcurl || fail "libcurl loaded for an http:// URL"
	fp_not_mapped libmicrohttpd || fail "libmicrohttpd loaded before any HTTP client"
	fp_mapped libz.so || fail "zlib not loaded for InfluxDB's batches (influx_gzip = on)"
	# the first client: answered (the whole body, streamed), and libmicrohttpd is loaded
	ns_rexec curl -sf 127.0.0.1:9678/metrics >"$T/m" || fail "/metrics: $(tail -n 3 "$T/daemon.log")"
	grep -qx 'iptmon_host_bytes_total{host="fridge",mac="",family="ipv4",direction="tx"} 0' "$T/m" ||
		fail "fridge's series: $(grep fridge "$T/m")"
	grep -qx 'iptmon_hosts 2' "$T/m" || fail "iptmon_hosts: $(grep '^iptmon_hosts' "$T/m")"
	grep -qx 'iptmon_daemon_up 1' "$T/m" || fail "the body's end (health) is missing: $(tail -n 3 "$T/m")"
	fp_mapped libmicrohttpd || fail "libmicrohttpd not loaded after a client"
	fp_not_mapped libcurl || fail "libcurl loaded for an http:// URL"
	expect_eq "$(ns_rexec curl -sf 127.0.0.1:9678/api/hosts | jq -r '[.hosts[].name] | join(" ")')" \
		"fridge lamp" "/api/hosts, streamed"
	# https:// goes through libcurl, loaded then
	sed -i 's|^influx_url = .*|influx_url = https://127.0.0.1:18089/write?db=iptmon|' "$T/iptmon.conf"
	kill -HUP "$DPID"
	wait_for fp_log_has "SIGHUP: configuration re-read" || fail "no HUP: $(cat "$T/daemon.log")"
	wait_for fp_mapped libcurl || fail "libcurl not loaded for an https:// URL: $(tail -n 3 "$T/daemon.log")"
	stop_daemon
}
