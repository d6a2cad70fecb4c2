#!/bin/bash
# SIGHUP: a moved listener is re-bound and handed over without touching
# established connections; a broken file or a change of id keeps the
# running configuration; a live option applies without restarts.
# Held connections are real mTLS clients (a Consul agent issues the
# certificates; the proxies close clients until they have them).
. "$TESTS_SRCDIR/tests/integration/lib.sh" || exit 99
. "$TESTS_SRCDIR/tests/integration/tcm.sh" || exit 99
. "$TESTS_SRCDIR/tests/integration/cluster.sh" || exit 99
t_begin reload
# A write to a connection its peer closed fails; it must not kill the test.
trap '' PIPE

cl_init
cl_server 1
cl_manager 1
t_wait "n1 to lead" 15 cl_leader_is n1
cl_client
TCM_PID=${MGR_PID[1]}
conf=$T_DIR/n1.conf
old_w=${MGR_W[1]}
pong() { [ "$(cl_tls "$1" PING)" = PONG ]; }
t_wait "the writer answers over mTLS" 20 pong "$old_w"
pids_before=$(pgrep -P "$TCM_PID" | sort | tr '\n' ' ')

# hold NAME PORT: an idle mTLS client connection kept open in a coprocess.
hold() {
	coproc "$1" { openssl s_client -quiet -connect "127.0.0.1:$2" \
		-cert "$T_DIR/client.pem" -key "$T_DIR/client.key" \
		-CAfile "$T_DIR/roots.pem" 2>/dev/null; }
}
# held_ping IN OUT: PING over a held connection answers +PONG.
held_ping() {
	local line
	printf 'PING\r\n' >&"$2" 2>/dev/null || return 1
	IFS= read -r -t 5 line <&"$1" || return 1
	[ "${line%$'\r'}" = "+PONG" ]
}
hold HR "${MGR_R[1]}"
t_wait "the held reader connection answers" 10 held_ping "${HR[0]}" "${HR[1]}"
hold HW "$old_w"
t_wait "the held writer connection answers" 10 held_ping "${HW[0]}" "${HW[1]}"

new_w=$(t_port)
sed -i "s/^bind.port.leader .*/bind.port.leader $new_w/" "$conf"
kill -HUP "$TCM_PID"
tcm_wait_log n1 "supervisor: reload: generation 2 changes bind.port.leader"
for kind in elector writer reader bridge; do
	tcm_wait_log n1 "supervisor: $kind applied configuration generation 2"
done
tcm_wait_log n1 "writer: listening on 127.0.0.1:$new_w"
t_wait "the new writer port to answer" 10 pong "$new_w"
port_closed() { ! t_port_open "$1"; }
t_wait "old writer port $old_w to close" 5 port_closed "$old_w"
held_ping "${HR[0]}" "${HR[1]}" || t_fail "the reload dropped a reader connection"
held_ping "${HW[0]}" "${HW[1]}" || t_fail "the reload dropped a connection on the old writer port"
[ "$(pgrep -P "$TCM_PID" | sort | tr '\n' ' ')" = "$pids_before" ] ||
	t_fail "children were restarted by the reload"
t_ok "SIGHUP re-binds the writer; old port closed; connections kept; children kept"

# A broken file: logged, everything keeps running as it was.
cp "$conf" "$T_DIR/good.conf"
echo "bogus.key 1" >>"$conf"
line=$(wc -l <"$conf")
kill -HUP "$TCM_PID"
tcm_wait_log n1 "reload failed, keeping the running configuration: $conf:$line: unknown option \"bogus.key\""
t_alive "$TCM_PID" || t_fail "daemon died on a broken file"
pong "$new_w" || t_fail "writer stopped answering after a broken reload"
held_ping "${HR[0]}" "${HR[1]}" || t_fail "a broken reload dropped a connection"
t_ok "SIGHUP with a broken file keeps running and says why"

# The id cannot change at run time.
sed "s/^id .*/id someone-else/" "$T_DIR/good.conf" >"$conf"
kill -HUP "$TCM_PID"
tcm_wait_log n1 'reload refused, keeping the running configuration: id cannot change at run time'
t_ok "a changed id is refused"

# A live option (log level) applies without restarting anything.
cp "$T_DIR/good.conf" "$conf"
echo "log.level debug" >>"$conf"
kill -HUP "$TCM_PID"
tcm_wait_log n1 "supervisor: reload: generation 3 changes log.level"
tcm_wait_log n1 "writer: configuration generation 3 applied"
[ "$(pgrep -P "$TCM_PID" | sort | tr '\n' ' ')" = "$pids_before" ] ||
	t_fail "children were restarted by a live reload"
held_ping "${HR[0]}" "${HR[1]}" || t_fail "a live reload dropped a connection"
t_ok "log.level changes live in every process"

kill "$HR_PID" "$HW_PID" 2>/dev/null
t_stop "$TCM_PID" 20 || t_fail "stop after reloads"
tcm_check_log n1
