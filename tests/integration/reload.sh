#!/bin/bash
# SIGHUP: a moved listener is re-bound and handed over without touching
# established connections; a broken file or a change of id keeps the
# running configuration.
. "$TESTS_SRCDIR/tests/integration/lib.sh" || exit 99
. "$TESTS_SRCDIR/tests/integration/tcm.sh" || exit 99
t_begin reload

tcm_conf "$T_DIR/tcm.conf"
tcm_start d "$T_DIR/tcm.conf"
old_w=$TCM_PORT_W
pids_before=$(pgrep -P "$TCM_PID" | sort | tr '\n' ' ')

# Hold connections on the reader and on the writer's old port.
exec 5<>"/dev/tcp/127.0.0.1/$TCM_PORT_R"
exec 6<>"/dev/tcp/127.0.0.1/$old_w"
held() {
	[ "$(tcm_established "$TCM_PORT_R")" -ge 1 ] &&
		[ "$(tcm_established "$old_w")" -ge 1 ]
}
t_wait "connections accepted" 5 held

new_w=$(t_port)
sed -i "s/^bind.port.leader .*/bind.port.leader $new_w/" "$T_DIR/tcm.conf"
kill -HUP "$TCM_PID"
tcm_wait_log d "supervisor: reload: generation 2 changes bind.port.leader"
for kind in elector writer reader bridge; do
	tcm_wait_log d "supervisor: $kind applied configuration generation 2"
done
tcm_wait_log d "writer: listening on 127.0.0.1:$new_w"
t_port_open "$new_w" || t_fail "new writer port $new_w does not accept"
port_closed() { ! t_port_open "$1"; }
t_wait "old writer port $old_w to close" 5 port_closed "$old_w"
held || t_fail "an established connection was dropped by the reload"
echo PING >&5 || t_fail "reader connection unusable after reload"
echo PING >&6 || t_fail "connection on the old writer port unusable after reload"
[ "$(pgrep -P "$TCM_PID" | sort | tr '\n' ' ')" = "$pids_before" ] ||
	t_fail "children were restarted by the reload"
t_ok "SIGHUP re-binds the writer; old port closed; connections kept; children kept"

# A broken file: logged, everything keeps running as it was.
cp "$T_DIR/tcm.conf" "$T_DIR/good.conf"
echo "bogus.key 1" >>"$T_DIR/tcm.conf"
line=$(wc -l <"$T_DIR/tcm.conf")
kill -HUP "$TCM_PID"
tcm_wait_log d "reload failed, keeping the running configuration: $T_DIR/tcm.conf:$line: unknown option \"bogus.key\""
t_alive "$TCM_PID" || t_fail "daemon died on a broken file"
t_port_open "$new_w" || t_fail "writer stopped accepting after a broken reload"
held || t_fail "a connection was dropped by a broken reload"
t_ok "SIGHUP with a broken file keeps running and says why"

# The id cannot change at run time.
sed "s/^id .*/id someone-else/" "$T_DIR/good.conf" >"$T_DIR/tcm.conf"
kill -HUP "$TCM_PID"
tcm_wait_log d 'reload refused, keeping the running configuration: id cannot change at run time'
t_ok "a changed id is refused"

# A live option (log level) applies without restarting anything.
sed "s/^id .*/id test-1/" "$T_DIR/good.conf" >"$T_DIR/tcm.conf"
echo "log.level debug" >>"$T_DIR/tcm.conf"
kill -HUP "$TCM_PID"
tcm_wait_log d "supervisor: reload: generation 3 changes log.level"
tcm_wait_log d "writer: configuration generation 3 applied"
[ "$(pgrep -P "$TCM_PID" | sort | tr '\n' ' ')" = "$pids_before" ] ||
	t_fail "children were restarted by a live reload"
t_ok "log.level changes live in every process"

exec 5>&- 6>&-
t_stop "$TCM_PID" 15 || t_fail "stop after reloads"
tcm_check_log d
