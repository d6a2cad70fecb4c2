#!/bin/bash
# The admin's clients.  A control client that half-closes or sends more
# while its switchover is under way costs the admin no CPU.  No Consul
# and no server: the elector is stopped (SIGSTOP) to keep the switchover
# under way.
. "$TESTS_SRCDIR/tests/integration/lib.sh" || exit 99
. "$TESTS_SRCDIR/tests/integration/tcm.sh" || exit 99
t_begin admin_pools
trap '' PIPE

[ -x "$TCMCTL" ] || t_fail "no tile38-clusterctl ($TCMCTL)"
UNIX_CLIENT=${UNIX_CLIENT:-$(dirname "${UDP_SINK:-.}")/unix_client}
[ -x "$UNIX_CLIENT" ] || t_fail "no unix_client ($UNIX_CLIENT)"

HTTP=$(t_port) || t_fail "no free port"
conf=$T_DIR/tcm.conf
# A long check TTL: the supervisor leaves a stopped elector alone.
tcm_conf "$conf" "consul.addr 127.0.0.1:$(t_port)" "http.port $HTTP" \
	"http.timeout 60s" "election.check.ttl 30s"
tcm_start d "$conf"
ADMIN=$(tcm_child d admin)
ELECTOR=$(tcm_child d elector)
ctl() {
	"$TCMCTL" -s "$T_DIR/tcm.ctl" "$@"
}
# The admin's CPU ticks (utime + stime, fields 14 and 15) over 2 s.
ticks() {
	local a b
	a=$(( $(t_proc_stat "$ADMIN" 11) + $(t_proc_stat "$ADMIN" 12) ))
	sleep 2
	b=$(( $(t_proc_stat "$ADMIN" 11) + $(t_proc_stat "$ADMIN" 12) ))
	echo $(( b - a ))
}
kill -STOP "$ELECTOR"
t_atexit kill -CONT "$ELECTOR"
for mode in halfclose extra close; do
	# The half-closed one waits on for its answer.
	t_bg "sw-$mode" "$UNIX_CLIENT" "$T_DIR/tcm.ctl" "$mode" 30 switchover
	t_wait "the $mode client" 5 grep -q connected "$T_DIR/sw-$mode.log"
	sleep 0.3
	n=$(ticks)
	# 2 s of a spinning loop are 200 ticks; an idle admin, 0 or 1.
	[ "$n" -le 20 ] || t_fail "the admin used $n ticks in 2 s after a $mode client"
	t_ok "a control client that does \"$mode\" during a switchover: the admin used $n ticks in 2 s"
done
kill -CONT "$ELECTOR"
t_wait "the half-closed client's answer" 10 grep -q '"ok"' "$T_DIR/sw-halfclose.log"
ctl status >/dev/null || t_fail "status after the switchovers"
t_ok "the half-closed client still gets its answer"

t_stop "$TCM_PID" 20 || t_fail "stop"
tcm_check_log d
