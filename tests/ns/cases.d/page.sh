# SPDX-License-Identifier: GPL-2.0-or-later
# The daemon's page in a real browser (Debian's chromium, headless, inside the router
# namespace) after known traffic, and the history API behind it. Sourced by tests/ns/cases.sh.
# Its own file so it can be timed and skipped: chromium is a big install (tests/deps.sh).

PAGE_URL=http://127.0.0.1:9678

# page_chromium OUT-NAME ARGS...: chromium in the router namespace, its network log in
# $T/OUT-NAME.netlog.json, stdout in $T/OUT-NAME.out (what --dump-dom prints).
page_chromium() {
	local name=$1; shift
	ip netns exec "$R" timeout 60 chromium --headless=new --no-sandbox --disable-gpu \
		--user-data-dir="$T/chrome" --no-first-run --disable-background-networking \
		--disable-component-update --disable-sync --disable-default-apps \
		--log-net-log="$T/$name.netlog.json" --virtual-time-budget=6000 "$@" \
		>"$T/$name.out" 2>"$T/$name.err" ||
		fail "chromium $*: $(tail -n 20 "$T/$name.err")"
}

# page_rows DUMP: "NAME DOWNLOAD UPLOAD" per table row of the dumped DOM.
page_rows() {
	grep -oP '<tr data-host=.*?</tr>' "$1" |
		sed -n 's|^<tr data-host="\([^"]*\)"><td><button class="h" type="button">\([^<]*\)</button></td><td>[^<]*</td><td>[^<]*</td><td data-bytes="\([0-9]*\)">[^<]*</td><td data-bytes="\([0-9]*\)">.*|\1 \2 \3 \4|p' |
		awk '$1 == $2 { print $1, $3, $4; next } { print "MISMATCH", $0 }' | sort
}

# The URLs the page asked for, from chromium's network log: requests started by the page's
# origin or for its site (the browser's own, updates and sign-in, have neither; they are
# counted apart, and go nowhere in these namespaces).
page_urls() {
	jq -r --arg o "$PAGE_URL" '.events[] | .params | select(.method? and .initiator?)
		| select(.initiator == $o or (.network_isolation_key | startswith("http://127.0.0.1 ")))
		| .url' "$1" | sort -u
}
browser_urls() {
	jq -r --arg o "$PAGE_URL" '.events[] | .params | select(.method? and .initiator?)
		| select((.initiator == $o or (.network_isolation_key | startswith("http://127.0.0.1 "))) | not)
		| .url' "$1" | sed 's/?.*//' | sort -u
}

# Chromium, one backend, a router whose daemon polls every second and serves PAGE_URL.
page_setup() {
	command -v chromium >/dev/null || { echo "skip: no chromium (apt-get install chromium)"; exit 77; }
	# The page reads only the daemon's API, the same on every backend: one run is enough.
	[ "$BACKEND" = nft ] || { echo "skip: the page is the same on every backend (run with -b nft)"; exit 77; }
	it_setup
	cat >>"$T/iptmon.conf" <<EOC
interval = 1
listen = 127.0.0.1:9678
EOC
}

case_page() {
	page_setup
	three_clients
	# Hostile names (the set of case_hostile, less the clients' own names): counted, no traffic.
	local names=(
		'$(touch '"$T"'/pwned1)' '`touch '"$T"'/pwned2`' 'a;touch '"$T"'/pwned3' 'x|id' '&&reboot'
		"it's" 'say "hi"' '%n%n%n%s%s' $'line1\nline2' "$(printf 'x%.0s' {1..300})"
		'Jürgen’s iPhone' '😀' '' '*' 'PC' 'pc-laptop' 'pc laptop' 'pc_laptop' '--backend=foo'
		'-h' 'a b' 'a_b' 'a	b' '../../etc/passwd' 'tx_x -j ACCEPT' '"quoted"' '\\x41'
		'<img src=x onerror=alert(1)>' '</td><script>alert(1)</script>'
	)
	local i=0 n
	for n in "${names[@]}"; do
		i=$((i + 1))
		it add "02:00:00:00:67:$(printf %02x "$i")" "192.168.88.$((i + 200))" "$n" ||
			fail "add with hostile name #$i failed"
	done
	# A closed period in the state: last month, pc 5000 down and 7000 up, with two days.
	local m0 p0 d1 d2
	m0=$(date -d "$(date +%Y-%m-01)" +%s)
	p0=$(date -d "$(date +%Y-%m-01) -1 month" +%s)
	d1=$((p0 + 86400))
	d2=$((p0 + 2 * 86400))
	mkdir -p "$T/state"
	cat >"$T/state/iptmon.state" <<EOS
iptmon-state 2
boot -
period $p0 $m0
host pc $MAC1 5000 5 7000 7 0 0 0 0 0 0 0 0 0 0 0 0
cur pc 5000 5 7000 7 0 0 0 0
day $d1 pc 3000 4000
day $d2 pc 2000 3000
end
EOS
	start_daemon
	wait_for log_has "accounting period closed" || fail "no period closed: $(cat "$T/daemon.log")"
	# Known traffic, after the daemon's first poll: download = upload = 28 + size per ping.
	ns_ping 1 "$NS_W4" 10 1000 || fail "ping pc"
	ns_ping 2 "$NS_W4" 20 1000 || fail "ping phone"
	ns_ping 3 "$NS_W4" 5 500 || fail "ping laptop"
	local api="ns_rexec curl -sS --max-time 5"
	day_is() { [ "$($api "$PAGE_URL/api/days?period=current" | jq -r --arg n "$1" '.hosts[] | select(.name == $n) | "\(.tx_bytes) \(.rx_bytes)"')" = "$2" ]; }
	wait_for day_is pc "10280 10280" || fail "pc's period total: $($api "$PAGE_URL/api/days")"
	wait_for day_is phone "20560 20560" || fail "phone's period total: $($api "$PAGE_URL/api/days")"
	wait_for day_is laptop "2640 2640" || fail "laptop's period total: $($api "$PAGE_URL/api/days")"
	# Rates reach the ring at the poll after the traffic
	ring_has() { $api "$PAGE_URL/api/history" | jq -e --arg n "$1" '.hosts[] | select(.name == $n) | (.tx | add) > 0' >/dev/null; }
	wait_for ring_has laptop || fail "no recent rates: $($api "$PAGE_URL/api/history")"

	# The API: schemas as the man page gives them, bad input gets one line and 400
	local j
	j=$($api "$PAGE_URL/api/history?host=pc")
	expect_eq "$(jq -r '[.slot_seconds, (.host.tx | length), (.host.rx | length), .host.name] | join(" ")' <<<"$j")" "60 60 60 pc" "/api/history?host=pc"
	expect_eq "$(jq -r '[.host.days[] | "\(.tx_bytes)/\(.rx_bytes)"] | join(" ")' <<<"$j")" "3000/4000 2000/3000 10280/10280" "pc's days"
	expect_eq "$(jq -r '.period.index, (.hosts[] | "\(.name) \(.tx_bytes) \(.rx_bytes)"), (.days | length)' <<<"$($api "$PAGE_URL/api/days?period=previous")" | tr '\n' ' ')" "1 pc 5000 7000 2 " "/api/days?period=previous"
	expect_eq "$($api "$PAGE_URL/api/days?period=1" | jq -c '.periods | map(.index)')" "[0,1]" "periods listed"
	local u code body
	for u in "/api/days?period=2" "/api/days?period=last" "/api/days?period=" "/api/days?period=-1" \
		"/api/history?host=nosuch" "/api/history?host=" "/api/history?host=%3Cb%3E"; do
		code=$($api -o "$T/body" -w '%{http_code}' "$PAGE_URL$u")
		body=$(cat "$T/body")
		expect_eq "$code" 400 "HTTP status of $u"
		expect_eq "$(wc -l <"$T/body")" 1 "lines in the answer to $u ($body)"
		case $u in
		*period*) expect_eq "$body" "unknown period: current, previous or 0 to 1" "answer to $u" ;;
		*) expect_eq "$body" "unknown host" "answer to $u" ;;
		esac
	done

	# /api/history and /api/days are sent a piece at a time (chunked: never whole in the
	# daemon's memory, megabytes at thousands of hosts); one host's history is rendered whole
	for u in "/api/history" "/api/days" "/api/days?period=previous" "/api/days?period=0"; do
		$api -D "$T/hdr" -o /dev/null "$PAGE_URL$u"
		grep -qi '^transfer-encoding: chunked' "$T/hdr" || fail "$u is not streamed: $(cat "$T/hdr")"
	done
	$api -D "$T/hdr" -o /dev/null "$PAGE_URL/api/history?host=pc"
	grep -qi '^content-length: [1-9]' "$T/hdr" || fail "/api/history?host=pc: $(cat "$T/hdr")"

	# The page: no URL of anything outside the daemon in what it serves
	$api "$PAGE_URL/" >"$T/page.html"
	[ "$(wc -c <"$T/page.html")" -gt 5000 ] || fail "page too small: $(wc -c <"$T/page.html")"
	grep -nE 'https?:|//[a-z0-9]|src=|@import|url\(' "$T/page.html" && fail "the page refers to something outside (above)"

	# The page in chromium: every host, the right totals, a chart with points
	local api_names dom_names
	page_chromium main --dump-dom "$PAGE_URL/"
	api_names=$($api "$PAGE_URL/api/hosts?period=current" | jq -r '.hosts[].name' | sort)
	expect_eq "$(echo "$api_names" | wc -l)" $((3 + ${#names[@]})) "hosts the API lists"
	page_rows "$T/main.out" >"$T/rows"
	grep MISMATCH "$T/rows" && fail "a row's text is not its host's name (above)"
	dom_names=$(awk '{ print $1 }' "$T/rows" | sort)
	[ "$dom_names" = "$api_names" ] || fail "hosts in the page differ from the API's: $(diff <(echo "$api_names") <(echo "$dom_names"))"
	expect_eq "$(awk '$1 == "pc" { print $2, $3 }' "$T/rows")" "10280 10280" "pc's totals in the page"
	expect_eq "$(awk '$1 == "phone" { print $2, $3 }' "$T/rows")" "20560 20560" "phone's totals in the page"
	expect_eq "$(awk '$1 == "laptop" { print $2, $3 }' "$T/rows")" "2640 2640" "laptop's totals in the page"
	expect_eq "$(awk '$1 != "pc" && $1 != "phone" && $1 != "laptop" && ($2 != 0 || $3 != 0)' "$T/rows")" "" "hosts without traffic"
	# hostile names stay text: no element but the page's own
	expect_eq "$(grep -c '<img' "$T/main.out")" 0 "markup from a name"
	expect_eq "$(grep -o '<script' "$T/main.out" | wc -l)" 1 "script elements"
	ls "$T"/pwned* >/dev/null 2>&1 && fail "a hostile name was executed"
	grep -qP '<polyline [^>]*data-host="laptop" data-dir="tx" data-points="[1-9]' "$T/main.out" ||
		fail "no download points for laptop in the chart: $(grep -oP '<polyline [^>]*>' "$T/main.out" | head)"
	grep -qP '<polyline [^>]*data-host="phone" data-dir="rx" data-points="[1-9]' "$T/main.out" ||
		fail "no upload points for phone in the chart"
	# the current period's top talker, and its days' bars (today's, or two if the test
	# crossed midnight) adding up to the traffic
	grep -qP '<ol id="top"><li data-host="phone" data-bytes="41120">' "$T/main.out" || fail "top talker: $(grep -oP '<ol id="top">.*?</ol>' "$T/main.out")"
	bars_sum() { grep -oP "<svg id=\"$2\".*?</svg>" "$1" | grep -oP '<g data-day="[^"]*" data-bytes="\K[0-9]+' | awk '{ s += $1 } END { print s + 0 }'; }
	expect_eq "$(bars_sum "$T/main.out" bars)" $((20560 + 41120 + 5280)) "the current period's bars"
	# nothing but the daemon was asked for anything
	page_urls "$T/main.netlog.json" >"$T/urls"
	grep -q "^$PAGE_URL/api/history$" "$T/urls" || fail "network log without the page's requests: $(cat "$T/urls")"
	grep -v "^$PAGE_URL/" "$T/urls" && fail "requests that leave the daemon (above)"
	echo "the page's requests: $(tr '\n' ' ' <"$T/urls")"
	echo "chromium's own requests (not the page's): $(browser_urls "$T/main.netlog.json" | tr '\n' ' ')"

	# The period selector: previous period, other numbers
	page_chromium prev --dump-dom "$PAGE_URL/?period=1"
	page_rows "$T/prev.out" >"$T/rows"
	expect_eq "$(awk '$1 == "pc" { print $2, $3 }' "$T/rows")" "5000 7000" "pc's totals for the previous period"
	expect_eq "$(awk '$1 == "phone" { print $2, $3 }' "$T/rows")" "0 0" "phone's totals for the previous period"
	grep -qP '<ol id="top"><li data-host="pc" data-bytes="12000">' "$T/prev.out" || fail "previous top talker: $(grep -oP '<ol id="top">.*?</ol>' "$T/prev.out")"
	expect_eq "$(grep -oP '<svg id="bars".*?</svg>' "$T/prev.out" | grep -oP '<g data-day="[^"]*" data-bytes="\K[0-9]+' | tr '\n' ' ')" \
		"0 7000 5000 $(printf '0 %.0s' $(seq 4 "$(( (m0 - p0 + 43200) / 86400 ))"))" "previous period's bars (a day each)"

	# The host view, with its history
	page_chromium host --dump-dom "$PAGE_URL/#host=pc"
	grep -q '<div class="card" id="hv">' "$T/host.out" || fail "host view not open: $(grep -o '<div class="card" id="hv"[^>]*>' "$T/host.out")"
	grep -q '<span id="hn">pc</span>' "$T/host.out" || fail "host view title"
	grep -qP '<svg id="hc"[^>]*>.*?<polyline [^>]*data-host="pc" data-dir="tx" data-points="[1-9]' "$T/host.out" || fail "host view chart"
	expect_eq "$(grep -oP '<svg id="hd".*?</svg>' "$T/host.out" | grep -oP '<g data-day="[^"]*" data-bytes="\K[0-9]+' | head -n 2 | tr '\n' ' ')" "7000 5000 " "host view's days of last month"
	expect_eq "$(bars_sum "$T/host.out" hd)" $((7000 + 5000 + 20560)) "host view's days"
	page_urls "$T/host.netlog.json" | grep -v "^$PAGE_URL/" && fail "requests that leave the daemon (above)"

	# The screenshot, kept as the test's artifact
	local art=${IPTMON_ARTIFACTS:-$TOP/build/artifacts}
	mkdir -p "$art"
	page_chromium shot --screenshot="$art/page-$BACKEND.png" --window-size=1000,1500 --hide-scrollbars "$PAGE_URL/"
	[ -s "$art/page-$BACKEND.png" ] || fail "no screenshot"
	echo "screenshot: $art/page-$BACKEND.png"
	stop_daemon
	# The days went to the state file, and come back
	expect_eq "$(awk '$1 == "day" { n[$3] += $4 + $5 } END { for (h in n) print h, n[h] }' "$T/state/iptmon.state" | sort | tr '\n' ' ')" \
		"laptop 5280 pc 32560 phone 41120 " "days in the state file: $(grep '^day' "$T/state/iptmon.state")"
}

# history_hour = off: the daemon keeps no host's hour (no ring, 180 B a busy host less), the
# API says so and the page hides its hour charts; the days and totals count exactly as ever.
# A HUP turning it on brings the hour back from the next poll.
case_page_hour_off() {
	page_setup
	echo "history_hour = off" >>"$T/iptmon.conf"
	three_clients
	start_daemon
	wait_for daemon_ready || fail "daemon not ready: $(cat "$T/daemon.log")"
	ns_ping 1 "$NS_W4" 10 1000 || fail "ping pc"
	local api="ns_rexec curl -sS --max-time 5" j
	day_is() { [ "$($api "$PAGE_URL/api/days?period=current" | jq -r --arg n "$1" '.hosts[] | select(.name == $n) | "\(.tx_bytes) \(.rx_bytes)"')" = "$2" ]; }
	wait_for day_is pc "10280 10280" || fail "pc's period total: $($api "$PAGE_URL/api/days")"
	# the poll after the traffic had rates (interval 1): still no ring
	polled_since() { [ "$($api "$PAGE_URL/api/history" | jq -r .poll_ms)" -gt 0 ]; }
	wait_for polled_since || fail "no second poll: $($api "$PAGE_URL/api/history")"
	j=$($api "$PAGE_URL/api/history")
	expect_eq "$(jq -c '[.hour, .hosts]' <<<"$j")" '[false,[]]' "/api/history with history_hour = off"
	j=$($api "$PAGE_URL/api/history?host=pc")
	expect_eq "$(jq -c '[.hour, .host.tx, .host.rx, [.host.days[] | .tx_bytes, .rx_bytes]]' <<<"$j")" \
		'[false,[],[],[10280,10280]]' "/api/history?host=pc with history_hour = off"
	page_chromium off --dump-dom "$PAGE_URL/#host=pc"
	grep -q '<div class="card" id="hr" hidden="">' "$T/off.out" ||
		fail "the hour's card is shown: $(grep -o '<div class="card" id="hr"[^>]*>' "$T/off.out")"
	grep -q '<svg id="hc" viewBox="0 0 600 220" style="display: none;">' "$T/off.out" ||
		fail "the host's hour is shown: $(grep -o '<svg id="hc"[^>]*>' "$T/off.out")"
	expect_eq "$(page_rows "$T/off.out" | awk '$1 == "pc" { print $2, $3 }')" "10280 10280" "pc's totals in the page"
	expect_eq "$(grep -oP '<svg id="hd".*?</svg>' "$T/off.out" | grep -oP '<g data-day="[^"]*" data-bytes="\K[0-9]+' | awk '{ s += $1 } END { print s }')" \
		20560 "the host view's days"
	# on again (HUP): the hour from the next poll that moves bytes
	sed -i 's/^history_hour = off$/history_hour = on/' "$T/iptmon.conf"
	kill -HUP "$DPID"
	wait_for log_has "SIGHUP: configuration re-read" || fail "no HUP: $(cat "$T/daemon.log")"
	ns_ping 3 "$NS_W4" 5 500 || fail "ping laptop"
	ring_has() { $api "$PAGE_URL/api/history" | jq -e --arg n "$1" '.hour and ([.hosts[] | select(.name == $n) | (.tx | add) > 0] | any)' >/dev/null; }
	wait_for ring_has laptop || fail "no hour after the HUP: $($api "$PAGE_URL/api/history")"
	expect_eq "$($api "$PAGE_URL/api/history?host=pc" | jq -c '[.hour, (.host.tx | length)]')" '[true,60]' "pc's hour after the HUP"
	page_chromium on --dump-dom "$PAGE_URL/"
	grep -q '<div class="card" id="hr">' "$T/on.out" || fail "the hour's card after the HUP: $(grep -o '<div class="card" id="hr"[^>]*>' "$T/on.out")"
	stop_daemon
}

# The page's own escaping, without the daemon's sanitising in front of it: the page the
# daemon serves, on a static server (busybox httpd) with API answers that carry markup in
# every name. Every name must come out as text; no element, script or handler from a name.
case_page_markup() {
	page_setup
	it init
	start_daemon
	mkdir -p "$T/www/api"
	ns_rexec curl -sS --max-time 5 "$PAGE_URL/" >"$T/www/index.html" || fail "no page"
	stop_daemon
	local names=(
		'<img src=x onerror=document.title=1>' "</td><script>document.title='pwned'</script>"
		'a&b "q" <b>bold</b>' '<svg onload=alert(1)>' "'); alert(1); ('" '&lt;esc&gt;'
	)
	local nj s=1767225600
	nj=$(printf '%s\n' "${names[@]}" | jq -R . | jq -sc .)
	jq -n --argjson n "$nj" '{backend: "nft", source: "daemon", hosts: [$n | to_entries[] |
		{name: .value, mac: null, addresses: ["192.0.2.\(.key + 1)"],
		 ipv4: {tx_bytes: (1000 * (.key + 1)), tx_packets: 1, rx_bytes: 7, rx_packets: 1, tx_bytes_per_s: 10, rx_bytes_per_s: 1},
		 ipv6: {tx_bytes: 0, tx_packets: 0, rx_bytes: 0, rx_packets: 0}}]}' >"$T/www/api/hosts"
	jq -n --argjson n "$nj" --argjson s $s '[range(60)] as $r | {slot_seconds: 60, start: $s, now: ($s + 3600), poll_ms: 1000,
		hosts: [$n[] | {name: ., tx: [$r[] | 100], rx: [$r[] | 10]}],
		host: {name: $n[0], tx: [$r[] | 100], rx: [$r[] | 10], days: [{start: $s, tx_bytes: 5, rx_bytes: 6}]}}' >"$T/www/api/history"
	jq -n --argjson n "$nj" --argjson s $s '{period: {index: 0, start: $s, end: ($s + 86400 * 31)},
		periods: [{index: 0, start: $s, end: ($s + 86400 * 31)}],
		hosts: [$n | to_entries[] | {name: .value, tx_bytes: (1000 * (.key + 1)), rx_bytes: 7}] | reverse,
		days: [{start: $s, hosts: [$n[] | {name: ., tx_bytes: 100, rx_bytes: 1}]}]}' >"$T/www/api/days"
	svc_httpd_start "$R" 127.0.0.1:8089 "$T/www" || fail "httpd"
	local url="http://127.0.0.1:8089/#host=$(jq -rn --arg n "${names[0]}" '$n | @uri')"
	page_chromium markup --dump-dom "$url"
	local out=$T/markup.out n esc
	grep -q '<tr data-host=' "$out" || fail "no rows: $(head -c 2000 "$out")"
	expect_eq "$(grep -c '<img' "$out")" 0 "img elements"
	expect_eq "$(grep -o '<script' "$out" | wc -l)" 1 "script elements"
	expect_eq "$(grep -o '<b>' "$out" | wc -l)" 0 "b elements"
	expect_eq "$(grep -o "<svg" "$out" | wc -l)" 4 "svg elements (the page's own four)"
	grep -q '<title>iptmon</title>' "$out" || fail "the title changed: $(grep -o '<title>[^<]*' "$out")"
	for n in "${names[@]}"; do
		esc=$(jq -rn --arg n "$n" '$n | gsub("&"; "&amp;") | gsub("<"; "&lt;") | gsub(">"; "&gt;")')
		# the table, the legend, the top talkers and the host view show the name as text
		grep -qF "<button class=\"h\" type=\"button\">$esc</button>" "$out" || fail "table: $n"
		grep -qF "$esc</span>" "$out" || fail "legend: $n"
		grep -qF ">$esc · " "$out" || fail "top talkers: $n"
	done
	esc=$(jq -rn --arg n "${names[0]}" '$n | gsub("&"; "&amp;") | gsub("<"; "&lt;") | gsub(">"; "&gt;")')
	grep -qF "<span id=\"hn\">$esc</span>" "$out" || fail "host view title: $(grep -o '<span id="hn">[^/]*' "$out")"
	grep -q '<div class="card" id="hv">' "$out" || fail "host view not open"
	page_urls "$T/markup.netlog.json" | grep -v '^http://127.0.0.1:8089/' && fail "requests that leave the server (above)"
	return 0
}
