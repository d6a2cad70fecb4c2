#!/bin/bash
# The supervisor and its five children (elector, writer, reader, bridge,
# admin): distinct titles, restart of a killed child with backoff,
# children gone when the supervisor dies.
. "$TESTS_SRCDIR/tests/integration/lib.sh" || exit 99
. "$TESTS_SRCDIR/tests/integration/tcm.sh" || exit 99
t_begin children

tcm_conf "$T_DIR/tcm.conf"
tcm_start d "$T_DIR/tcm.conf"

title=$(ps -o args= -p "$TCM_PID")
[ "$title" = "$TCM -d -f $T_DIR/tcm.conf" ] || t_fail "supervisor title: $title"
for kind in elector writer reader bridge admin; do
	pid=$(tcm_child d "$kind")
	[ -n "$pid" ] || t_fail "no $kind child"
	title=$(ps -o args= -p "$pid")
	[ "$title" = "tile38-cluster-manager: $kind" ] || t_fail "$kind title: $title"
done
t_ok "supervisor and five children with distinct process titles"

child_back() {
	local kind=$1 old=$2 pid
	pid=$(tcm_child d "$kind")
	[ -n "$pid" ] && [ "$pid" != "$old" ] &&
		tcm_log_has d "supervisor: $kind ready \\(pid $pid\\)"
}

for kind in elector writer reader bridge admin; do
	old=$(tcm_child d "$kind")
	kill -9 "$old"
	tcm_wait_log d "supervisor: $kind killed by signal 9; restarting it in 100 ms"
	t_wait "$kind restarted and ready" 10 child_back "$kind" "$old"
	t_ok "kill -9 of $kind is logged; $kind is back and ready"
done

# A child that dies again before a stable run waits twice as long.
old=$(tcm_child d writer)
kill -9 "$old"
tcm_wait_log d 'supervisor: writer killed by signal 9; restarting it in 200 ms'
t_wait "writer restarted again" 10 child_back writer "$old"
t_ok "second quick crash doubles the restart delay"

# The restarted writer serves its listener again.
t_port_open "$TCM_PORT_W" || t_fail "writer listener not accepting after restart"
t_ok "restarted writer accepts connections"

# Children exit on their own when the supervisor disappears.
kids=$(pgrep -P "$TCM_PID" | tr '\n' ' ')
kill -9 "$TCM_PID"
none_left() {
	local p
	for p in $kids; do
		t_alive "$p" && return 1
	done
	return 0
}
t_wait "children to exit after the supervisor died" 10 none_left
t_ok "children exit when the supervisor's channel closes"
tcm_check_log d
