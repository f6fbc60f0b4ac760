# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The daemon's HTTP server under hostile clients (sourced by tests/ns/cases.sh).

# Connections to the daemon's HTTP port that the server side still holds (ss in $R).
http_established() {
	ns_rexec ss -Htn state established '( sport = :9678 )' | wc -l
}
http_established_ge() { [ "$(http_established)" -ge "$1" ]; }
http_answered() { [ "$(grep -l 'HTTP/1.1 200' "$T"/hc.* 2>/dev/null | wc -l)" -ge "$1" ]; }
http_conns_le() { local v; v=$(metric iptmon_daemon_http_connections); [ -n "$v" ] && [ "$v" -le "$1" ]; }

# trickle.sh N EVERY: N connections to 127.0.0.1:9678, each sending one more byte of a request
# header every EVERY seconds and never finishing it; a connection the server closes is opened
# again at once (a slowloris client). Prints "ready" once all N are open.
_http_write_trickler() {
	cat >"$T/trickle.sh" <<'EOS'
trap '' PIPE
n=$1 every=$2 reopened=0
declare -a fds
open_one() {
	local fd
	exec {fd}<>/dev/tcp/127.0.0.1/9678 || return 1
	printf 'GET /' >&"$fd" 2>/dev/null
	fds[$1]=$fd
}
reopen() {
	local fd=${fds[$1]}
	exec {fd}>&-
	open_one "$1"
	reopened=$((reopened + 1))
}
for ((i = 0; i < n; i++)); do open_one "$i" || exit 1; done
echo ready
while :; do
	for ((k = 0; k < every * 4; k++)); do
		sleep 0.25
		for ((i = 0; i < n; i++)); do
			# readable means closed by the server: it never answers an unfinished header
			if read -r -t 0 -u "${fds[i]}"; then reopen "$i"; fi
		done
	done
	for ((i = 0; i < n; i++)); do printf x >&"${fds[i]}" 2>/dev/null || reopen "$i"; done
	echo "reopened $reopened"
done
EOS
}

# Slow and vanishing HTTP clients: a client that closes its end frees its slot at once; one
# that trickles its request header is closed after the header timeout (5 s) however often it
# sends a byte; and while 140 such clients (more than http_clients = 128) reconnect as soon as
# they are dropped, a new client still gets /metrics promptly, every time, and polling goes on.
case_slow_clients() {
	is_nft || { echo "skip: the HTTP server does not depend on the backend (runs on nft)"; exit 77; }
	it_setup
	cat >>"$T/iptmon.conf" <<EOC
interval = 1
listen = 127.0.0.1:9678
EOC
	start_daemon
	wait_for ns_rexec curl -sf 127.0.0.1:9678/metrics || fail "no /metrics: $(cat "$T/daemon.log")"

	# 1. Clients that close their end: 40 that sent nothing, 40 half a header (both closed
	# whole), and 40 that sent a request, read the answer and closed only their sending side
	# (socat -t 30 keeps the socket 30 s more). All are released within 2 s.
	ns_rexec bash -c 'for i in $(seq 40); do exec {a}<>/dev/tcp/127.0.0.1/9678 || exit 1; done
		for i in $(seq 40); do exec {a}<>/dev/tcp/127.0.0.1/9678 || exit 1; printf "GET /metr" >&$a; done
		echo opened' >"$T/closed.out" 2>&1 || fail "could not open 80 connections: $(cat "$T/closed.out")"
	local i
	for ((i = 0; i < 40; i++)); do
		printf 'GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n' |
			ip netns exec "$R" socat -t 30 - TCP:127.0.0.1:9678 >"$T/hc.$i" 2>&1 &
	done
	wait_for http_answered 40 || fail "half-closing clients answered: $(grep -l 'HTTP/1.1 200' "$T"/hc.* | wc -l) of 40"
	local t0
	t0=$(_ns_now_ms)
	for ((i = 0; i < 40; i++)); do
		http_conns_le 1 && break # the one asking counts itself
		sleep 0.05
	done
	http_conns_le 1 || fail "connections closed by their client still held after $(($(_ns_now_ms) - t0)) ms: $(metric iptmon_daemon_http_connections)"
	echo "connections closed by their client released within $(($(_ns_now_ms) - t0)) ms"

	# 2. One client trickling a header, a byte every 0.5 s: closed after the header timeout.
	ns_rexec bash -c 'trap "" PIPE
		exec {a}<>/dev/tcp/127.0.0.1/9678 || exit 1
		start=$EPOCHREALTIME
		printf "GET /" >&$a
		for ((i = 0; i < 40; i++)); do
			read -r -t 0.5 -u $a; rc=$?
			[ $rc -gt 128 ] || break
			printf x >&$a 2>/dev/null || break
		done
		echo "$start $EPOCHREALTIME"' >"$T/one.out" 2>&1 || fail "trickling client: $(cat "$T/one.out")"
	local took
	took=$(awk '{ printf "%d", ($2 - $1) * 1000 }' "$T/one.out")
	[ "$took" -ge 4000 ] && [ "$took" -le 8000 ] || fail "a trickling client was closed after $took ms (header timeout 5 s)"
	echo "trickling client closed after $took ms"

	# 3. The flood: 140 slowloris clients, one byte every 3 s each.
	_http_write_trickler
	ip netns exec "$R" bash "$T/trickle.sh" 140 3 >"$T/trickle.out" 2>&1 & # $! is bash
	local tpid=$!
	ns_on_cleanup "kill $tpid 2>/dev/null || true"
	wait_for file_has ready "$T/trickle.out" || fail "the trickling clients did not start: $(cat "$T/trickle.out")"
	wait_for http_established_ge 128 || fail "only $(http_established) trickling connections established"
	# a new client asks for /metrics 8 times over ~15 s: an answer within 3 s each time
	local code out
	for ((i = 0; i < 8; i++)); do
		out=$(ns_rexec curl -s -o "$T/m.$i" -m 5 -w '%{http_code} %{time_total}' 127.0.0.1:9678/metrics) || true
		code=${out%% *}
		echo "fetch $i during the flood: $out ($(tail -n 1 "$T/trickle.out"), $(http_established) established)"
		[ "$code" = 200 ] || fail "fetch $i of /metrics during the flood: '$out'"
		awk -v t="${out#* }" 'BEGIN { exit !(t < 3) }' || fail "fetch $i of /metrics took ${out#* } s"
		grep -q '^iptmon_daemon_up 1$' "$T/m.$i" || fail "fetch $i: no iptmon_daemon_up in $(head -c 300 "$T/m.$i")"
		sleep 1.5
	done
	kill -0 "$tpid" || fail "the trickling clients ended early: $(cat "$T/trickle.out")"
	wait_for http_established_ge 128 || fail "the flood was not kept up: $(http_established) established"
	# polling went on: the daemon's poll counter moved during the flood
	local p1 p2
	p1=$(grep -m1 '^iptmon_daemon_polls_total ' "$T/m.0" | cut -d' ' -f2)
	p2=$(grep -m1 '^iptmon_daemon_polls_total ' "$T/m.7" | cut -d' ' -f2)
	[ "${p2%.*}" -ge $((${p1%.*} + 5)) ] || fail "polls during the flood: $p1 -> $p2"
	kill "$tpid"
	wait "$tpid" 2>/dev/null || true
	wait_for http_conns_le 1 || fail "connections after the flood: $(metric iptmon_daemon_http_connections)"
	stop_daemon
	# hundreds of connections closed: libmicrohttpd's line for each is not logged
	[ "$(grep -c '^iptmon: http: ' "$T/daemon.log")" -le 2 ] || fail "HTTP log lines: $(grep -c '^iptmon: http: ' "$T/daemon.log"): $(grep '^iptmon: http: ' "$T/daemon.log" | head -n 5)"
}
