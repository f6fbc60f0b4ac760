# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-or-later
# iptables' own lock (sourced by tests/ns/cases.sh).

# The xtables lock (XTABLES_LOCKFILE moves it, for iptables as for iptmon): one that cannot
# be opened, or that another program holds past 10 s, fails the command with one line and
# exit 2, and nothing is changed; one released in time is waited for.
case_xtables_lock() {
	[ "$BACKEND" = iptables-legacy ] || { echo "skip: only iptables-legacy takes the xtables lock itself"; exit 77; }
	it_setup
	local rc=0 t0 took
	# a lock file that cannot exist
	XTABLES_LOCKFILE="$T/nodir/xtables.lock" it init 2>"$T/err" || rc=$?
	expect_eq "$rc" 2 "exit status without a lock file"
	expect_eq "$(cat "$T/err")" "iptmon: cannot initialise: cannot open iptables' lock $T/nodir/xtables.lock: No such file or directory" "message"
	expect_eq "$(save4 | grep -c iptmon)" 0 "rules made without the lock"
	# held by another program for longer than iptmon waits (timeout: today's code waited for ever)
	# (one process from start to end, so that killing it frees the lock)
	sh -c 'exec 9>"$1"; flock -x 9; echo held; exec sleep 30' sh "$T/xt.lock" >"$T/holder" &
	local hpid=$!
	ns_on_cleanup "kill $hpid 2>/dev/null || true"
	wait_for file_has held "$T/holder" || fail "the lock holder did not start"
	rc=0
	t0=$(_ns_now_ms)
	XTABLES_LOCKFILE="$T/xt.lock" ip netns exec "$R" env IPTMON_CONFIG="$T/iptmon.conf" timeout 20 "$BIN" init 2>"$T/err" || rc=$?
	took=$(($(_ns_now_ms) - t0))
	expect_eq "$rc" 2 "exit status with the lock held"
	expect_eq "$(cat "$T/err")" "iptmon: cannot initialise: cannot take iptables' lock $T/xt.lock: another program has held it for 10 s" "message"
	[ "$took" -ge 9500 ] && [ "$took" -lt 15000 ] || fail "gave up after $took ms"
	expect_eq "$(save4 | grep -c iptmon)" 0 "rules made without the lock"
	kill "$hpid"
	wait "$hpid" 2>/dev/null || true
	# held for a moment: iptmon waits for it, then does its work
	sh -c 'exec 9>"$1"; flock -x 9; echo held; exec sleep 1' sh "$T/xt.lock" >"$T/holder2" &
	hpid=$!
	ns_on_cleanup "kill $hpid 2>/dev/null || true"
	wait_for file_has held "$T/holder2" || fail "the second lock holder did not start"
	t0=$(_ns_now_ms)
	XTABLES_LOCKFILE="$T/xt.lock" it init || fail "init after the lock was released: $?"
	took=$(($(_ns_now_ms) - t0))
	[ "$took" -ge 500 ] || fail "init did not wait for the lock ($took ms)"
	[ "$(save4 | grep -c -- '-A FORWARD -j iptmon_')" = 2 ] || fail "init's chains: $(save4)"
}
