#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/ns/selftest-services.sh - self-check of tests/ns/services.sh against real InfluxDB 1.x,
# collectd, Prometheus and busybox httpd, all inside the router namespace of a throwaway run.
#
# Proves: a line-protocol point written to influxd reads back; a PUTVAL sent to real collectd
# reaches influxd's collectd listener through the network plugin, with the measurement, tags and
# field that InfluxDB makes of collectd's iptables identifiers; the data survives an influxd
# stop/restart; Prometheus scrapes a static exposition and answers instant queries; the error
# paths of the query helpers. Then a second run fails on purpose with everything started. After
# each run no namespace, process or temp dir of it may be left.
#
# Usage: tests/ns/selftest-services.sh   (root; V=1 for verbose, NS_KEEP=1 keeps the temp dir)
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)

# leftovers PFX: prints what a run with prefix PFX left behind (namespaces, processes, files).
leftovers() {
	ip netns list | awk '{print $1}' | grep "^$1-" | sed 's/^/namespace: /' || true
	pgrep -af "iptmon-ns\.$1\." | sed 's/^/process: /' || true
	find "${TMPDIR:-/tmp}" -maxdepth 1 -name "iptmon-ns.$1.*" | sed 's/^/file: /' || true
}

if [ "${1:-}" != --inner ]; then
	# Outer: the real test, then one that fails half-way; after each, nothing may be left.
	pfx=${NS_PFX:-sv$$}
	rc=0
	NS_PFX=$pfx bash "$HERE/selftest-services.sh" --inner || rc=$?
	left=$(leftovers "$pfx" | { if [ "${NS_KEEP:-0}" = 1 ]; then grep -v '^file: '; else cat; fi; })
	[ -z "$left" ] || { echo "FAIL: the run left:" >&2; echo "$left" >&2; rc=1; }
	[ -n "$left" ] || echo "ok: nothing of the run left (namespaces, processes, temp dir)"
	if [ "$rc" = 0 ]; then
		frc=0
		NS_PFX=${pfx}f NS_KEEP=0 bash "$HERE/selftest-services.sh" --inner --fail 2>"/tmp/selftest-services.$$.err" || frc=$?
		left=$(leftovers "${pfx}f")
		if [ "$frc" = 0 ]; then
			echo "FAIL: the failing run exited 0" >&2; rc=1
		elif [ -n "$left" ]; then
			echo "FAIL: the failing run left:" >&2; echo "$left" >&2; rc=1
		else
			echo "ok: a run failing with all services up (rc=$frc) leaves nothing behind"
		fi
		[ "$rc" = 0 ] || cat "/tmp/selftest-services.$$.err" >&2
		rm -f "/tmp/selftest-services.$$.err"
	fi
	[ "$rc" = 0 ] && echo "selftest-services: PASS" || echo "selftest-services: FAIL (rc=$rc)" >&2
	exit "$rc"
fi

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"
# shellcheck source-path=SCRIPTDIR source=services.sh
. "$HERE/services.sh"

T0=$EPOCHREALTIME
LAST=$T0
ms() { local a=${1/[.,]/} b=${2/[.,]/}; echo $(((a - b) / 1000)); }
step() {
	local now=$EPOCHREALTIME
	printf '  %-52s %5d ms  (total %5d ms)\n' "$1" "$(ms "$now" "$LAST")" "$(ms "$now" "$T0")"
	LAST=$now
}
fail() { echo "FAIL: $1" >&2; shift; _ns_tail "$@"; exit 1; } # MSG [LOG...]
ok() { echo "ok: $*"; }
expect_eq() { [ "$1" = "$2" ] || fail "$3: expected '$2', got '$1'"; }
wait_for() { _ns_poll "${NS_TIMEOUT:-10}" "$@"; }

CD_PORT=25826
HTTP=127.0.0.1:9678
COLLECTD_Q="SELECT last(\"value\") FROM iptables_value WHERE host='h' AND instance='mangle-iptmon_tx' AND type='ipt_bytes' AND type_instance='tx_pc'"
IPTMON_Q="SELECT last(\"bytes\") FROM iptmon WHERE host='pc'"
PROM_Q='iptmon_host_bytes_total{host="pc",family="ipv4",direction="tx"}'

ns_setup
echo "timings:"
step "ns_setup"

if [ "${2:-}" = --fail ]; then
	# Everything up, then an assertion fails: the EXIT trap must stop all of it.
	svc_influxd_start "$R" "$CD_PORT"
	svc_collectd_start "$R" "$T/collectd.sock" "$CD_PORT"
	mkdir -p "$T/www" && echo 'up 1' >"$T/www/metrics"
	svc_httpd_start "$R" "$HTTP" "$T/www"
	svc_prometheus_start "$R" "$HTTP"
	step "all four services started"
	fail "on purpose, with influxd, collectd, httpd and prometheus running"
fi

# ---- Prometheus scraping a static exposition (queried at the end)
mkdir -p "$T/www"
cat >"$T/www/metrics" <<'EOF'
# TYPE iptmon_host_bytes_total counter
iptmon_host_bytes_total{host="pc",mac="",family="ipv4",direction="tx"} 10280
EOF
svc_httpd_start "$R" "$HTTP" "$T/www"
step "svc_httpd_start $HTTP"
PROM_T0=$EPOCHREALTIME
svc_prometheus_start "$R" "$HTTP" 1s
step "svc_prometheus_start (ready)"
expect_eq "$PROM_URL" http://127.0.0.1:19090 "PROM_URL"

# ---- InfluxDB: line protocol in, InfluxQL out
svc_influxd_start "$R" "$CD_PORT"
step "svc_influxd_start (collectd listener on $CD_PORT)"
expect_eq "$INFLUX_URL" http://127.0.0.1:18086 "INFLUX_URL"
expect_eq "$(svc_influx_value iptmon "$IPTMON_Q")" "" "value from an empty database"
svc_influx_write iptmon 'iptmon,host=pc,family=ipv4,direction=tx bytes=10280i,packets=10i'
expect_eq "$(svc_influx_value iptmon "$IPTMON_Q")" 10280 "iptmon bytes read back"
expect_eq "$(svc_influx_value iptmon "SELECT last(\"packets\") FROM iptmon WHERE direction='tx'")" 10 "iptmon packets"
step "line protocol written and read back"
ok "influxdb: line protocol point reads back 10280"
if svc_influx_value iptmon 'SELEKT 1' 2>"$T/err"; then fail "a bad InfluxQL query succeeded"; fi
grep -q 'error parsing query' "$T/err" || fail "bad query error message: $(cat "$T/err")"
if svc_influx_value nosuchdb 'SELECT * FROM x' 2>>"$T/err"; then fail "a query of a missing database succeeded"; fi
grep -q 'database not found: nosuchdb' "$T/err" || fail "missing database error message: $(cat "$T/err")"
ok "influxdb: a bad query fails with: $(head -n 1 "$T/err")"

# ---- collectd -> network plugin -> influxd's collectd listener
svc_collectd_start "$R" "$T/collectd.sock" "$CD_PORT"
step "svc_collectd_start"
reply=$(echo 'PUTVAL "h/iptables-mangle-iptmon_tx/ipt_bytes-tx_pc" interval=1 N:10280' |
	socat -t 2 - "UNIX-CONNECT:$T/collectd.sock")
case "$reply" in "0 Success"*) ;; *) fail "collectd refused the PUTVAL: $reply" ;; esac
collectd_is() { [ "$(svc_influx_value collectd "$COLLECTD_Q" 2>/dev/null)" = "$1" ]; }
wait_for collectd_is 10280 ||
	fail "collectd value not in influxdb: $(svc_influx_query collectd 'SELECT * FROM iptables_value')" \
		"$T/collectd/log" "$T/influx/log"
step "PUTVAL -> collectd -> influxdb"
echo "collectd's point as InfluxDB stores it:"
svc_influx_query collectd 'SELECT * FROM iptables_value' | jq -c '.results[0].series[0] | {name, columns, values}' | sed 's/^/    /'
expect_eq "$(svc_influx_query collectd 'SHOW MEASUREMENTS' | jq -r '[.results[0].series[0].values[][0]] | join(",")')" \
	iptables_value "collectd measurements"
expect_eq "$(svc_influx_query collectd 'SHOW TAG KEYS FROM iptables_value' | jq -r '[.results[0].series[0].values[][0]] | join(",")')" \
	host,instance,type,type_instance "collectd tag keys"
expect_eq "$(svc_influx_query collectd 'SHOW FIELD KEYS FROM iptables_value' | jq -r '[.results[0].series[0].values[][]] | join(",")')" \
	value,float "collectd field key and type"
ok "collectd: measurement iptables_value, tags host=h instance=mangle-iptmon_tx type=ipt_bytes type_instance=tx_pc, field value (float) = 10280"

# ---- an outage: stop and restart influxd, the data stays
svc_influxd_stop
step "svc_influxd_stop"
if ns_rexec curl -s -o /dev/null --max-time 2 "$INFLUX_URL/ping"; then fail "influxd still answers after svc_influxd_stop"; fi
if svc_influx_query iptmon 'SHOW DATABASES' >/dev/null 2>"$T/err"; then fail "a query succeeded with influxd stopped"; fi
grep -q "ns: ERROR: influxdb /query" "$T/err" || fail "error with influxd down: $(cat "$T/err")"
ok "influxd stopped; a query then fails with: $(head -n 1 "$T/err")"
svc_influxd_restart
step "svc_influxd_restart"
expect_eq "$(svc_influx_value iptmon "$IPTMON_Q")" 10280 "iptmon bytes after a restart"
expect_eq "$(svc_influx_value collectd "$COLLECTD_Q")" 10280 "collectd bytes after a restart"
echo 'PUTVAL "h/iptables-mangle-iptmon_tx/ipt_bytes-tx_pc" interval=1 N:20560' |
	socat -t 2 - "UNIX-CONNECT:$T/collectd.sock" >/dev/null
wait_for collectd_is 20560 || fail "collectd after the restart: '$(svc_influx_value collectd "$COLLECTD_Q")'"
step "data after the restart; new collectd value"
ok "influxdb: both points survive a stop/restart; collectd's next value arrives (20560)"

# ---- Prometheus: its first sample takes ~6 s, so it scrapes while InfluxDB is tested
svc_prom_wait "$PROM_Q" 10280
step "svc_prom_wait: first sample ($(ms "$EPOCHREALTIME" "$PROM_T0") ms after start)"
expect_eq "$(svc_prom_query 'up{job="iptmon"}')" 1 "up"
expect_eq "$(svc_prom_query 'iptmon_host_bytes_total{host="nobody"}')" "" "query without a result"
expect_eq "$(svc_prom_query 'scalar(iptmon_host_bytes_total) * 2')" 20560 "scalar result"
ok "prometheus: $PROM_Q = 10280, up = 1"
if svc_prom_query 'sum(' 2>"$T/err"; then fail "a bad PromQL expression succeeded"; fi
grep -q "bad_data" "$T/err" || fail "bad PromQL error message: $(cat "$T/err")"
if svc_prom_wait "$PROM_Q" 1 1 2>"$T/err"; then fail "svc_prom_wait for a wrong value succeeded"; fi
grep -q "is '10280', not '1', after 1 s" "$T/err" || fail "svc_prom_wait timeout message: $(cat "$T/err")"
step "error paths"
ok "prometheus: a bad expression fails at once; a timeout shows the last value: $(head -n 1 "$T/err")"
step "total"
