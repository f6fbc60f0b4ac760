# SPDX-License-Identifier: GPL-2.0-or-later
# Namespace cases for the configuration on SIGHUP, the state file and its lock, and clocks.
# Sourced by tests/ns/cases.sh (its helpers: it_setup, it, wait_for, fail, expect_eq, ...).

# The daemon started with ARGS before `daemon` and no IPTMON_CONFIG (so --config=FILE
# names the file), with the environment assignments in the array CFG_ENV if set; DPID its
# pid. Waits for its first poll.
cfg_start_daemon() {
	ip netns exec "$R" env -u IPTMON_CONFIG ${CFG_ENV[@]+"${CFG_ENV[@]}"} "$BIN" "$@" daemon 2>>"$T/daemon.log" &
	DPID=$!
	ns_on_cleanup "kill $DPID 2>/dev/null || true"
	wait_for cfg_daemon_up || fail "daemon not up: $(cat "$T/daemon.log")"
}
cfg_daemon_up() { kill -0 "$DPID" && [ -s "$T/run/iptmon.live" ] && [ -s "$T/run/iptmon.pid" ]; }
cfg_answers() { ns_rexec curl -sf -o /dev/null "127.0.0.1:$1/metrics"; }
cfg_log_count() { grep -c -- "$1" "$T/daemon.log" || true; }
cfg_nonempty() { [ -s "$1" ]; }
cfg_log_has() { [ "$(cfg_log_count "$1")" -ge "$2" ]; }

# SIGHUP builds the configuration as start-up did: the --KEY=VALUE options stay, a missing
# or bad --config file keeps the running configuration (one log line each), never defaults.
case_hup_config() {
	it_setup
	echo "interval = 1" >>"$T/iptmon.conf"
	it init
	cfg_start_daemon --config="$T/iptmon.conf" --listen=127.0.0.1:9681
	wait_for cfg_answers 9681 || fail "no /metrics on --listen's port: $(cat "$T/daemon.log")"
	# a HUP with the file unchanged: the option still holds
	kill -HUP "$DPID"
	wait_for cfg_log_has "SIGHUP: configuration re-read" 1 || fail "no HUP line: $(cat "$T/daemon.log")"
	cfg_answers 9681 || fail "--listen dropped by a HUP: $(cat "$T/daemon.log")"
	# the file goes missing for a moment: the running configuration stays
	mv "$T/iptmon.conf" "$T/iptmon.conf.away"
	kill -HUP "$DPID"
	wait_for cfg_log_has "SIGHUP: keeping the running configuration" 1 ||
		fail "no line for a missing file: $(cat "$T/daemon.log")"
	grep -q "SIGHUP: keeping the running configuration: $T/iptmon.conf: No such file or directory" "$T/daemon.log" ||
		fail "missing file's line: $(cat "$T/daemon.log")"
	cfg_answers 9681 || fail "a missing file dropped --listen: $(cat "$T/daemon.log")"
	cfg_answers 9678 && fail "a missing file switched to the built-in listen address"
	mv "$T/iptmon.conf.away" "$T/iptmon.conf"
	# a bad value: kept, one line naming it
	echo "interval = 0" >>"$T/iptmon.conf"
	kill -HUP "$DPID"
	wait_for cfg_log_has "SIGHUP: keeping the running configuration" 2 || fail "no line for a bad value: $(cat "$T/daemon.log")"
	grep -q "SIGHUP: keeping the running configuration: $T/iptmon.conf:[0-9]*: bad interval '0'" "$T/daemon.log" ||
		fail "bad value's line: $(cat "$T/daemon.log")"
	cfg_answers 9681 || fail "a bad file dropped --listen"
	# a good file again: the file's keys apply, the option still wins over the file's listen
	sed -i '/^interval = 0$/d; s/^listen = .*/listen = 127.0.0.1:9682/' "$T/iptmon.conf"
	echo "state_dir = $T/elsewhere" >>"$T/iptmon.conf"
	kill -HUP "$DPID"
	wait_for cfg_log_has "SIGHUP: configuration re-read" 2 || fail "no second HUP line: $(cat "$T/daemon.log")"
	grep -q "SIGHUP: configuration re-read; at a restart only: state_dir" "$T/daemon.log" ||
		fail "restart-only keys not named: $(cat "$T/daemon.log")"
	cfg_answers 9681 || fail "--listen lost to the file's listen"
	cfg_answers 9682 && fail "the file's listen won over --listen"
	expect_eq "$(grep -c SIGHUP "$T/daemon.log")" 4 "log lines for 4 HUPs"
	stop_daemon
}

# The lock guards state_dir: with run_dir (and the pid file in it) removed under a running
# daemon, a second daemon on the same state_dir still refuses to start.
case_state_lock() {
	it_setup
	echo "interval = 1" >>"$T/iptmon.conf"
	it init
	cfg_start_daemon --config="$T/iptmon.conf"
	rm -rf "$T/run"
	local rc=0
	ip netns exec "$R" timeout 5 "$BIN" --config="$T/iptmon.conf" daemon 2>"$T/err2" || rc=$?
	expect_eq "$rc" 3 "exit code of a second daemon on the same state_dir (124: it ran)"
	grep -q "another iptmon daemon runs with state_dir $T/state (pid $DPID)" "$T/err2" ||
		fail "second daemon's message: $(cat "$T/err2")"
	expect_eq "$(wc -l <"$T/err2")" 1 "lines the second daemon printed"
	# the first one goes on: it polls and saves
	kill -0 "$DPID" || fail "the first daemon died"
	wait_for cfg_nonempty "$T/run/iptmon.live" || fail "the first daemon stopped writing its live file"
	stop_daemon
	head -n 1 "$T/state/iptmon.state" | grep -q "^iptmon-state " || fail "no state saved"
	# with the first one gone, a daemon starts again
	cfg_start_daemon --config="$T/iptmon.conf"
	stop_daemon
}

# Anything but a regular file at the state path (a FIFO hung the daemon in open()) is set
# aside like a damaged file, with one log line; show --period does not hang on it either.
case_state_fifo() {
	it_setup
	echo "interval = 1" >>"$T/iptmon.conf"
	it init
	mkdir -p "$T/state"
	mkfifo "$T/state/iptmon.state"
	local rc=0
	timeout 5 ip netns exec "$R" env IPTMON_CONFIG="$T/iptmon.conf" "$BIN" show --period current >/dev/null 2>"$T/err" || rc=$?
	expect_eq "$rc" 3 "show --period with a FIFO as the state (124: it hung)"
	cfg_start_daemon --config="$T/iptmon.conf"
	wait_for cfg_log_has "is not a regular file" 1 || fail "no log line: $(cat "$T/daemon.log")"
	grep -q "state file $T/state/iptmon.state is not a regular file (fifo): set aside as $T/state/iptmon.state.bad-[0-9]*, starting from zero" "$T/daemon.log" ||
		fail "log line: $(cat "$T/daemon.log")"
	test -p "$T"/state/iptmon.state.bad-* || fail "the FIFO was not set aside: $(ls -l "$T/state")"
	stop_daemon
	head -n 1 "$T/state/iptmon.state" | grep -q "^iptmon-state " || fail "no state saved over the FIFO's place"
	test -f "$T/state/iptmon.state" -a ! -L "$T/state/iptmon.state" || fail "state not a regular file"
	# a directory and a symbolic link (even to a good state file) are set aside too
	rm "$T/state/iptmon.state"
	mkdir "$T/state/iptmon.state"
	cfg_start_daemon --config="$T/iptmon.conf"
	stop_daemon
	test -f "$T/state/iptmon.state" || fail "a directory at the state path stayed"
	mv "$T/state/iptmon.state" "$T/good.state"
	ln -s "$T/good.state" "$T/state/iptmon.state"
	cfg_start_daemon --config="$T/iptmon.conf"
	stop_daemon
	test -f "$T/state/iptmon.state" -a ! -L "$T/state/iptmon.state" || fail "the link stayed"
	expect_eq "$(cfg_log_count 'is not a regular file')" 3 "log lines for FIFO, directory, link"
	grep -q "is not a regular file (directory)" "$T/daemon.log" || fail "directory's line: $(cat "$T/daemon.log")"
	grep -q "is not a regular file (symbolic link)" "$T/daemon.log" || fail "link's line: $(cat "$T/daemon.log")"
	expect_eq "$(ls "$T/state" | grep -c 'iptmon.state.bad-')" 3 "files set aside"
}

# The state file's inode (it changes with every save: temp file + rename) and its lines.
cfg_inode() { stat -c %i "$T/state/iptmon.state" 2>/dev/null || echo none; }
cfg_inode_not() { [ "$(cfg_inode)" != "$1" ]; }
cfg_st_line() { awk -v k="$1" '$1 == k { print $2 " " $3 }' "$T/state/iptmon.state"; }
cfg_cur_pc() { it show --period current --json | jq -r '.hosts[] | select(.name == "pc") | .ipv4.tx_bytes'; }
cfg_cur_pc_is() { [ "$(cfg_cur_pc)" = "$1" ]; }

# The daemon's wall clock steps back 60 days (a router that rebooted before NTP, then NTP):
# state saves go on (intervals are monotonic), the period is not re-based into the past and
# no bogus period takes the real one's counts when the clock is right again.
case_clock_step() {
	it_setup
	cat >>"$T/iptmon.conf" <<EOC
interval = 1
commit_interval = 1
period_start = 1
EOC
	gcc -shared -fPIC -O1 -o "$T/clockshift.so" tests/ns/clockshift.c -ldl || fail "cannot build the clock shim"
	echo 0 >"$T/shift"
	one_client
	# (a sanitizer build must be told that the shim comes before its runtime)
	local -a CFG_ENV=("LD_PRELOAD=$T/clockshift.so" "CLOCKSHIFT_FILE=$T/shift"
		"ASAN_OPTIONS=verify_asan_link_order=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}")
	cfg_start_daemon --config="$T/iptmon.conf"
	wait_for cfg_nonempty "$T/state/iptmon.state" || fail "no state saved: $(cat "$T/daemon.log")"
	local period stamp ino
	period=$(cfg_st_line period)
	stamp=$(cfg_st_line time)
	# back 60 days: always an earlier month
	echo -5184000 >"$T/shift"
	ino=$(cfg_inode)
	wait_for cfg_inode_not "$ino" || fail "state saves stopped after the clock stepped back: $(cat "$T/daemon.log")"
	ino=$(cfg_inode)
	wait_for cfg_inode_not "$ino" || fail "state saves stopped after the clock stepped back (2)"
	expect_eq "$(cfg_st_line period)" "$period" "period after the clock stepped back"
	wait_for cfg_log_has "is behind the newest time in the state" 1 || fail "no line for the clock: $(cat "$T/daemon.log")"
	ns_ping 1 "$NS_W4" 10 1000 || fail "ping"
	wait_for cfg_cur_pc_is 10280 || fail "current period while the clock is behind: $(it show --period current --json)"
	# NTP: the clock is right again; the real period keeps its counts, none closed
	echo 0 >"$T/shift"
	wait_for cfg_log_has "the clock is set again" 1 || fail "no line for the clock set again: $(cat "$T/daemon.log")"
	ns_ping 1 "$NS_W4" 10 1000 || fail "ping"
	wait_for cfg_cur_pc_is 20560 || fail "current period after the clock was set: $(it show --period current --json)"
	stop_daemon
	expect_eq "$(cfg_st_line period)" "$period" "period after the clock was set again"
	grep -q "accounting period closed" "$T/daemon.log" && fail "a period closed: $(cat "$T/daemon.log")"
	[ "$(cfg_st_line time | cut -d' ' -f1)" -ge "${stamp% *}" ] || fail "the state's time went back"
	expect_eq "$(grep -c '^past ' "$T/state/iptmon.state")" 0 "past periods"
	expect_eq "$(cfg_log_count 'the clock')" 2 "clock log lines"
}
