# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Every non-zero exit says what failed (sourced by tests/ns/cases.sh).

state_written() { [ -s "$T/state/iptmon.state" ]; }

# A daemon whose state saves fail: the first failure is logged while it runs; the last save,
# at TERM, fails too and says so again, so that the exit status 3 comes with its line.
case_exit_lines() {
	is_nft || { echo "skip: the exit paths do not depend on the backend (runs on nft)"; exit 77; }
	it_setup
	local rc
	cat >>"$T/iptmon.conf" <<EOC
interval = 1
commit_interval = 1
EOC
	start_daemon
	wait_for state_written || fail "no state file: $(cat "$T/daemon.log")"
	rm -rf "$T/state"
	: >"$T/state" # a file where the state directory was: every save fails
	wait_for log_has "cannot write $T/state/iptmon.state.tmp" || fail "no line for a failed save: $(cat "$T/daemon.log")"
	local before
	before=$(wc -l <"$T/daemon.log")
	kill -TERM "$DPID"
	rc=0
	wait "$DPID" || rc=$?
	expect_eq "$rc" 3 "daemon exit status when its last save fails"
	tail -n +"$((before + 1))" "$T/daemon.log" >"$T/last"
	grep -q "cannot write $T/state/iptmon.state.tmp: Not a directory" "$T/last" ||
		fail "nothing said at exit about the failed save: '$(cat "$T/last")'"
}
