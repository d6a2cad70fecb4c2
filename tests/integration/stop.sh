#!/bin/bash
# SIGTERM: graceful stop, every child gone, exit 0; the shutdown deadline;
# a second signal exits at once; a child that cannot start stops it
# with 78.
. "$TESTS_SRCDIR/tests/integration/lib.sh" || exit 99
. "$TESTS_SRCDIR/tests/integration/tcm.sh" || exit 99
t_begin stop

gone() {
	local p
	for p in "$@"; do
		t_alive "$p" && return 1
	done
	return 0
}

# Plain graceful stop.
tcm_conf "$T_DIR/a.conf"
tcm_start a "$T_DIR/a.conf"
kids=$(pgrep -P "$TCM_PID" | tr '\n' ' ')
[ "$(wc -w <<<"$kids")" = 5 ] || t_fail "expected 5 children, have: $kids"
t_stop "$TCM_PID" 15
status=$?
[ "$status" = 0 ] || t_fail "SIGTERM: exit status $status"
gone $kids || t_fail "children left after the supervisor exited"
tcm_log_has a 'supervisor: all children stopped' || t_fail "no 'all children stopped'"
t_ok "SIGTERM stops every child and exits 0"
tcm_check_log a

# A child that does not stop is killed at the shutdown deadline.
tcm_conf "$T_DIR/b.conf" "shutdown.timeout 1s"
tcm_start b "$T_DIR/b.conf"
elector=$(tcm_child b elector)
kill -STOP "$elector"
kill -TERM "$TCM_PID"
tcm_wait_log b 'elector \(pid [0-9]+\): still running at the end of the shutdown timeout; killing it' 10
t_wait "supervisor exit after the deadline" 10 gone "$TCM_PID"
wait "$TCM_PID"
status=$?
[ "$status" = 0 ] || t_fail "deadline stop: exit status $status"
gone "$elector" || t_fail "stuck elector survived"
t_ok "shutdown.timeout kills a child that does not stop; exit 0"
tcm_check_log b

# A second signal exits at once, long before the deadline.
tcm_conf "$T_DIR/c.conf" "shutdown.timeout 5m"
tcm_start c "$T_DIR/c.conf"
kids=$(pgrep -P "$TCM_PID" | tr '\n' ' ')
elector=$(tcm_child c elector)
kill -STOP "$elector"
kill -INT "$TCM_PID"
tcm_wait_log c 'supervisor: Interrupt: stopping'
kill -TERM "$TCM_PID"
t_wait "exit on the second signal" 10 gone "$TCM_PID"
wait "$TCM_PID"
status=$?
[ "$status" = 1 ] || t_fail "second signal: exit status $status, want 1"
tcm_log_has c 'second signal: exiting at once' || t_fail "second signal not logged"
gone $kids || t_fail "children left after the second signal"
t_ok "second signal exits at once and takes the children along"
tcm_check_log c

# A child that cannot start (here its binary can no longer be executed)
# stops the daemon with 78, the status the unit does not restart on:
# no respawn loop, neither here nor by systemd.
cp "$TCM" "$T_DIR/tcm"
tcm_conf "$T_DIR/d.conf"
TCM=$T_DIR/tcm tcm_start d "$T_DIR/d.conf"
chmod a-x "$T_DIR/tcm"
kill -KILL "$(tcm_child d reader)"
tcm_wait_log d 'supervisor: reader exited with status 78: it cannot run with this configuration; stopping'
t_wait "the supervisor to stop" 15 gone "$TCM_PID"
wait "$TCM_PID"
status=$?
[ "$status" = 78 ] || t_fail "a child that cannot start: exit status $status, want 78"
t_ok "a child that cannot start stops the daemon with exit status 78"
tcm_check_log d
