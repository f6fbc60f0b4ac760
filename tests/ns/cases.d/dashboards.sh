# SPDX-License-Identifier: GPL-2.0-or-later
# The Grafana dashboards in contrib/grafana/, proven against the real thing: every PromQL
# expression runs on real Prometheus scraping the daemon, every InfluxQL query on real
# InfluxDB 1.x fed by the daemon (measurement iptmon) and by collectd (the shell tool's
# identifiers). The queries come out of the shipped JSON; Grafana's variables are replaced as
# Grafana would ($host = pc). Sourced by tests/ns/cases.sh.

DASH_DIR=contrib/grafana

# dash_targets FILE FIELD: "TITLE<TAB>QUERY" per target (FIELD expr or query).
dash_targets() {
	jq -r --arg f "$2" '.panels[] | .title as $t | .targets[] | select(has($f)) | "\($t)\t\(.[$f])"' "$1"
}

# Grafana's substitutions for one host, the way it formats a single regex value.
dash_subst() {
	sed -e 's/\$__rate_interval/1m/g' -e 's/\$__range/10m/g' -e 's/\$__interval/1s/g' \
		-e 's/\$timeFilter/time > now() - 10m/g' -e 's/\$host/pc/g'
}

# PromQL: every series of EXPR with its value, "HOST VALUE" (host "-" when it has none).
dash_prom() {
	_svc_curl "$SVC_PROM_NS" "$PROM_URL/api/v1/query" --data-urlencode "query=$1" |
		jq -r 'if .status != "success" then "ERROR \(.error)" else .data.result[] | "\(.metric.host // "-")\(if .metric.direction then "/" + .metric.direction else "" end) \(.value[1])" end'
}

# InfluxQL on DB: "TAGS VALUE" per row with a value ("TAGS" the series' tags, k=v joined by ,).
dash_influx() {
	svc_influx_query "$1" "$2" |
		jq -r '.results[0] | if .error then "ERROR \(.error)" else (.series // [])[] |
			((.tags // {}) | to_entries | map("\(.key)=\(.value)") | join(",")) as $t
			| .values[] | select(.[1] != null) | "\(if $t == "" then "-" else $t end) \(.[1])" end'
}

dash_check_prom() {
	local f=$DASH_DIR/iptmon-prometheus.json title expr q out n=0
	# the host variable: label_values(iptmon_host_bytes_total, host) is Grafana's call of
	# Prometheus' label values API
	expect_eq "$(jq -r '.templating.list[] | select(.name == "host") | .query' "$f")" \
		"label_values(iptmon_host_bytes_total, host)" "the Prometheus host variable"
	expect_eq "$(_svc_curl "$SVC_PROM_NS" -G "$PROM_URL/api/v1/label/host/values" --data-urlencode 'match[]=iptmon_host_bytes_total' | jq -r '.data | join(" ")')" \
		"laptop pc phone" "host variable's values"
	while IFS=$'\t' read -r title expr; do
		n=$((n + 1))
		q=$(dash_subst <<<"$expr")
		out=$(dash_prom "$q")
		echo "prometheus: $title: $q -> $(tr '\n' ' ' <<<"$out")"
		[ -n "$out" ] || fail "prometheus: '$title' returned nothing: $q"
		grep -q '^ERROR' <<<"$out" && fail "prometheus: '$title': $out"
		case $expr in
		*'$host'*)
			awk '$1 !~ /^pc(\/|$)/' <<<"$out" | grep -q . && fail "prometheus: '$title' has other hosts: $out"
			awk '$2 <= 0' <<<"$out" | grep -q . && fail "prometheus: '$title' has no traffic: $out" ;;
		esac
		case $title in
		"This accounting period") expect_eq "$(sort <<<"$out" | tr '\n' ' ')" "pc/rx 20760 pc/tx 20760 " "$title" ;;
		esac
		case $expr in
		iptmon_daemon_up) expect_eq "$out" "- 1" "$title: $expr" ;;
		iptmon_hosts) expect_eq "$out" "- 3" "$title: $expr" ;;
		esac
	done < <(dash_targets "$f" expr)
	expect_eq "$n" 8 "PromQL expressions in the dashboard"
}

# dash_check_influx FILE DB WANT-TOTALS: WANT-TOTALS "TITLE=ROWS" lines with the exact rows
# of the panels that total bytes; every other query needs rows of pc with some value > 0.
dash_check_influx() {
	local f=$1 db=$2 want=$3 title query q out n=0 w
	while IFS=$'\t' read -r title query; do
		n=$((n + 1))
		q=$(dash_subst <<<"$query")
		out=$(dash_influx "$db" "$q") || fail "influx $db: '$title': query failed: $q"
		echo "influx $db: $title: $q -> $(sort -u <<<"$out" | tr '\n' ' ' | cut -c1-300)"
		[ -n "$out" ] || fail "influx $db: '$title' returned nothing: $q"
		grep -q '^ERROR' <<<"$out" && fail "influx $db: '$title': $out"
		awk '$1 !~ /(^|,)(host=pc|type_instance=[tr]x_pc)(,|$)/' <<<"$out" | grep -q . &&
			fail "influx $db: '$title' has rows of other hosts: $out"
		w=$(awk -F= -v t="$title" '$1 == t { sub(/^[^=]*=/, ""); print }' <<<"$want")
		if [ -n "$w" ]; then
			expect_eq "$(sort <<<"$out" | tr '\n' ' ')" "$w" "influx $db: $title"
		else
			awk '$2 > 0' <<<"$out" | grep -q . || fail "influx $db: '$title': no value above 0: $out"
		fi
	done < <(dash_targets "$f" query)
	[ "$n" -ge 5 ] || fail "influx $db: only $n queries in $f"
}

case_dashboards() {
	# The outputs the dashboards read are the same on every backend (case_outputs and
	# case_contract cover them per backend): one run is enough.
	[ "$BACKEND" = nft ] || { echo "skip: the dashboards read the same outputs on every backend (run with -b nft)"; exit 77; }
	it_setup
	local cdport=25826 f
	for f in "$DASH_DIR"/*.json; do jq -e . "$f" >/dev/null || fail "$f is not JSON"; done
	svc_influxd_start "$R" $cdport || fail "influxd"
	svc_collectd_start "$R" "$T/cd.sock" $cdport || fail "collectd"
	svc_prometheus_start "$R" 127.0.0.1:9678 1s || fail "prometheus"
	cat >>"$T/iptmon.conf" <<EOC
interval = 1
hostname = router
listen = 127.0.0.1:9678
influx_url = $INFLUX_URL/write?db=iptmon
collectd_socket = $T/cd.sock
EOC
	three_clients
	local IP6
	IP6=$(ns_dhcp6 1)
	wait_for has_addr pc "$IP6" || fail "pc's v6 not counted"
	start_daemon
	# Every store holds pc's counters from before the traffic: spreads are exact
	influx_has() { [ "$(svc_influx_value "$1" "$2")" -ge 1 ] 2>/dev/null; }
	wait_for influx_has iptmon "SELECT count(bytes) FROM iptmon WHERE host='pc' AND family='ipv6'" ||
		fail "influx: no point of pc before the traffic"
	wait_for influx_has collectd "SELECT count(value) FROM ip6tables_value WHERE type_instance='rx_pc'" ||
		fail "collectd: no value of pc before the traffic"
	wait_for influx_has collectd "SELECT count(value) FROM iptables_value WHERE type_instance='rx_pc'" ||
		fail "collectd: no IPv4 value of pc before the traffic"
	svc_prom_wait 'count(iptmon_host_bytes_total{host="pc"})' 4 30 || fail "prometheus: pc's first samples"
	ns_ping 1 "$NS_W4" 10 1000 || fail "ping"
	ns_ping 1 "$NS_W6" 10 1000 || fail "ping6"
	ns_ping 2 "$NS_W4" 20 1000 || fail "ping phone"
	svc_prom_wait 'iptmon_host_bytes_total{host="pc",family="ipv6",direction="rx"}' 10480 || fail "prometheus: pc's traffic"
	svc_prom_wait 'iptmon_host_bytes_total{host="phone",family="ipv4",direction="rx"}' 20560 || fail "prometheus: phone's traffic"
	influx_is() { [ "$(svc_influx_value "$1" "$2")" = "$3" ]; }
	wait_for influx_is iptmon "SELECT last(bytes) FROM iptmon WHERE host='pc' AND family='ipv6' AND direction='rx'" 10480 ||
		fail "influx: pc's traffic"
	wait_for influx_is collectd "SELECT last(value) FROM ip6tables_value WHERE type='ipt_bytes' AND type_instance='rx_pc'" 10480 ||
		fail "collectd: pc's traffic"
	wait_for influx_is collectd "SELECT last(value) FROM iptables_value WHERE type='ipt_bytes' AND type_instance='tx_pc'" 10280 ||
		fail "collectd: pc's ipv4 traffic"

	dash_check_prom

	# the host variables
	expect_eq "$(svc_influx_query iptmon "$(jq -r '.templating.list[] | select(.name == "host") | .query' "$DASH_DIR/iptmon-influxdb.json")" |
		jq -r '[.results[0].series[0].values[][1]] | join(" ")')" "laptop pc phone" "influx host variable"
	local q re
	q=$(jq -r '.templating.list[] | select(.name == "host") | .query' "$DASH_DIR/iptmon-collectd-influxdb.json")
	re=$(jq -r '.templating.list[] | select(.name == "host") | .regex | ltrimstr("/") | rtrimstr("/")' "$DASH_DIR/iptmon-collectd-influxdb.json")
	expect_eq "$(svc_influx_query collectd "$q" | jq -r --arg re "$re" '[.results[0].series[0].values[][1] | match($re).captures[0].string] | join(" ")')" \
		"laptop pc phone" "collectd host variable (with its regex)"

	dash_check_influx "$DASH_DIR/iptmon-influxdb.json" iptmon \
"Downloaded in the selected range=host=pc 20760 
Uploaded in the selected range=host=pc 20760 
Top talkers in the selected range=host=pc 41520 "
	dash_check_influx "$DASH_DIR/iptmon-collectd-influxdb.json" collectd \
"Downloaded in the selected range (IPv4)=type_instance=tx_pc 10280 
Uploaded in the selected range (IPv4)=type_instance=rx_pc 10280 
Top talkers in the selected range=type_instance=rx_pc 10280 type_instance=rx_pc 10480 type_instance=tx_pc 10280 type_instance=tx_pc 10480 "
	# the Grafana variables are all replaced: nothing left that Grafana would have filled in
	local left
	left=$( { dash_targets "$DASH_DIR/iptmon-prometheus.json" expr; dash_targets "$DASH_DIR/iptmon-influxdb.json" query;
		dash_targets "$DASH_DIR/iptmon-collectd-influxdb.json" query; } | cut -f2 | dash_subst | grep -o '\$[a-zA-Z_]\+' | sort -u)
	expect_eq "$left" "" "Grafana variables the test does not replace"
	stop_daemon
}
