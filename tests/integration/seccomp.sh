#!/bin/bash
# Every child runs under its system call filter (Seccomp: 2) with no new
# privileges, as whatever user starts the daemon, and the node still does
# its work under them: a write through the writer, a read through the
# reader, /metrics and /health from the admin, DogStatsD, a reload,
# tile38-clusterctl status.  A child killed by SIGSYS is reported as a
# call outside its sandbox.
. "$TESTS_SRCDIR/tests/integration/lib.sh" || exit 99
. "$TESTS_SRCDIR/tests/integration/tcm.sh" || exit 99
. "$TESTS_SRCDIR/tests/integration/cluster.sh" || exit 99
t_begin seccomp

[ -x "$TCMCTL" ] || t_fail "no tile38-clusterctl ($TCMCTL)"
tcm_udp_sink

cl_init
cl_server 1
HTTP=$(t_port) || t_fail "no free port"
cl_manager 1 "http.port $HTTP" "dogstatsd.port $DSD_PORT" \
	"dogstatsd.interval 1s"
t_wait "n1 to lead" 15 cl_leader_is n1
cl_client

status_field() {
	awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"
}
declare -A PID
for kind in elector writer reader bridge admin; do
	PID[$kind]=$(pgrep -P "${MGR_PID[1]}" -x "t38cm-$kind" | head -n 1)
	[ -n "${PID[$kind]}" ] || t_fail "no $kind child"
	[ "$(status_field "${PID[$kind]}" Seccomp)" = 2 ] ||
		t_fail "$kind: Seccomp $(status_field "${PID[$kind]}" Seccomp), not 2 (filter)"
	[ "$(status_field "${PID[$kind]}" NoNewPrivs)" = 1 ] ||
		t_fail "$kind: NoNewPrivs $(status_field "${PID[$kind]}" NoNewPrivs)"
done
# The supervisor reads files and forks: it has no filter.
[ "$(status_field "${MGR_PID[1]}" Seccomp)" = 0 ] ||
	t_fail "the supervisor runs under a filter"
t_ok "elector, writer, reader, bridge and admin: Seccomp 2, NoNewPrivs 1 (as uid $(id -u))"

# The work of each process, under its filter.
[ "$(cl_write "${MGR_W[1]}" sc 1)" = OK ] || t_fail "a write through the writer"
got() { [ "$(cl_read "${MGR_R[1]}" sc)" = 1 ]; }
t_wait "a read through the reader" 10 got
code() {
	curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$HTTP$1"
}
[ "$(code /health)" = 200 ] || t_fail "/health: $(code /health)"
metrics() {
	curl -s --max-time 5 "http://127.0.0.1:$HTTP/metrics" >"$T_DIR/metrics" &&
		grep -q '^tile38_cluster_role_leader 1' "$T_DIR/metrics" &&
		grep -q '^tile38_cluster_connections_accepted_total{listener="writer"} [1-9]' \
			"$T_DIR/metrics"
}
t_wait "the elector's and the writer's figures in /metrics" 10 metrics
dsd() { grep -q 'tile38.cluster.role_leader:1|g|#instance:n1' "$T_DIR/dsd.out"; }
t_wait "DogStatsD datagrams" 10 dsd
"$TCMCTL" -s "$T_DIR/n1.ctl" status >"$T_DIR/status.out" 2>&1 ||
	t_fail "clusterctl status: $(cat "$T_DIR/status.out")"
grep -q 'n1' "$T_DIR/status.out" || t_fail "clusterctl status: $(cat "$T_DIR/status.out")"
t_ok "write, read, /health, /metrics, DogStatsD and clusterctl status under the filters"

# A reload: every child takes the new configuration, none dies.  A name
# for the DogStatsD agent is no longer looked up (no file, no DNS query
# once sandboxed): the admin says so and carries on.
printf 'log.level debug\ndogstatsd.addr localhost\n' >>"$T_DIR/n1.conf"
kill -HUP "${MGR_PID[1]}"
for kind in elector writer reader bridge admin; do
	tcm_wait_log n1 "supervisor: $kind applied configuration generation 2"
done
tcm_wait_log n1 'admin: dogstatsd.addr localhost: a running admin takes an address, not a name'
sed -i '/^dogstatsd.addr localhost$/d' "$T_DIR/n1.conf"
printf 'dogstatsd.addr 127.0.0.1\n' >>"$T_DIR/n1.conf"
"$TCMCTL" -s "$T_DIR/n1.ctl" reload >"$T_DIR/reload.out" 2>&1 ||
	t_fail "clusterctl reload: $(cat "$T_DIR/reload.out")"
tcm_wait_log n1 "supervisor: admin applied configuration generation 3"
: >"$T_DIR/dsd.out"
t_wait "DogStatsD datagrams after the reload" 10 dsd
for kind in elector writer reader bridge admin; do
	[ "$(pgrep -P "${MGR_PID[1]}" -x "t38cm-$kind" | head -n 1)" = "${PID[$kind]}" ] ||
		t_fail "$kind was restarted"
done
! tcm_log_has n1 'SIGSYS|outside its sandbox' || t_fail "a child was killed by its filter"
[ "$(cl_write "${MGR_W[1]}" sc 2)" = OK ] || t_fail "a write after the reload"
t_ok "reloads apply in every child, none restarted; a DogStatsD name is refused, an address taken"

# What the supervisor says of a child killed by SIGSYS, which is how the
# kernel ends a call outside the filter.
kill -SYS "${PID[bridge]}"
tcm_wait_log n1 'supervisor: bridge killed by signal 31 \(SIGSYS\): it made a system call outside its sandbox'
back() {
	local pid
	pid=$(pgrep -P "${MGR_PID[1]}" -x t38cm-bridge | head -n 1)
	[ -n "$pid" ] && [ "$pid" != "${PID[bridge]}" ] &&
		tcm_log_has n1 "supervisor: bridge ready \\(pid $pid\\)"
}
t_wait "the bridge restarted" 10 back
t_ok "a child killed by SIGSYS is logged as a call outside its sandbox, and restarted"
tcm_check_log n1
