#!/bin/bash
# Exit status 78 from a child that had reported ready does not stop the
# daemon: the child is restarted like any crashed one.  A real writer is
# made to exit 78 by a debugger attached to it; skipped without gdb or
# when it cannot attach.
. "$TESTS_SRCDIR/tests/integration/lib.sh" || exit 99
. "$TESTS_SRCDIR/tests/integration/tcm.sh" || exit 99
t_begin untrusted_exit

command -v gdb >/dev/null 2>&1 || t_skip "no gdb"

tcm_conf "$T_DIR/tcm.conf"
tcm_start d "$T_DIR/tcm.conf"

child_back() {
	local pid
	pid=$(tcm_child d "$1")
	[ -n "$pid" ] && [ "$pid" != "$2" ] &&
		tcm_log_has d "supervisor: $1 ready \\(pid $pid\\)"
}

writer=$(tcm_child d writer)
others=
for kind in elector reader bridge admin; do
	others+="$kind=$(tcm_child d "$kind") "
done
# The writer calls _exit(78) itself, from wherever it is waiting.
timeout -k 5 60 gdb -p "$writer" -batch -nx \
    -ex 'call ((void (*)(int))_exit)(78)' >"$T_DIR/gdb.out" 2>&1
if ! tcm_log_has d "supervisor: writer exited with status"; then
	t_alive "$writer" && t_skip "gdb cannot make the writer exit: $(tail -n 1 "$T_DIR/gdb.out")"
fi
tcm_wait_log d "supervisor: writer exited with status 78 after it was ready: a crash, not a refused configuration; restarting it in 100 ms"
t_wait "a new writer, ready" 10 child_back writer "$writer"
t_port_open "$TCM_PORT_W" || t_fail "the new writer does not accept connections"
t_alive "$TCM_PID" || t_fail "the supervisor stopped"
tcm_log_has d "cannot run with this configuration" && t_fail "the daemon began to stop"
for kv in $others; do
	[ "$(tcm_child d "${kv%%=*}")" = "${kv#*=}" ] ||
		t_fail "${kv%%=*} was restarted too"
done
t_ok "exit 78 after ready restarts the writer; the daemon runs on"

tcm_check_log d
