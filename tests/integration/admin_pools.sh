#!/bin/bash
# The admin's clients: HTTP and control sockets in pools of their own.
# Idle TCP connections to the admin HTTP port, more than its whole pool
# and all from one address, keep neither tile38-clusterctl out nor /health
# from answering: an address at its share (16) loses its oldest
# connection to a new one.  A full control pool answers "busy", not a
# closed socket that the tool would call "access denied".  A control
# client that half-closes or sends more while its switchover is under
# way costs the admin no CPU.  No Consul and no server: the elector is
# stopped (SIGSTOP) to keep the switchover under way.
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
code() {
	curl -s -o "$T_DIR/body" -w '%{http_code}' --max-time 5 \
		"http://127.0.0.1:$HTTP$1"
}
# Server-side connections of the admin HTTP port still open.
held() {
	ss -Htn state established "( sport = :$HTTP )" | wc -l
}

# 70 idle connections: more than the pool, all from 127.0.0.1.
declare -a idle
for i in $(seq 70); do
	exec {fd}<>"/dev/tcp/127.0.0.1/$HTTP" || t_fail "connection $i"
	idle+=("$fd")
done
ctl status >"$T_DIR/status.out" 2>&1 ||
	t_fail "status with 70 idle HTTP connections: $(cat "$T_DIR/status.out")"
grep -q 'test-1' "$T_DIR/status.out" || t_fail "status said: $(cat "$T_DIR/status.out")"
c=$(code /health)
# No server here: /health says so, and says it at once.
[ "$c" = 503 ] && [ "$(cat "$T_DIR/body")" = "server down" ] ||
	t_fail "/health with 70 idle connections: $c $(cat "$T_DIR/body")"
c=$(code /status)
[ "$c" = 200 ] || t_fail "/status with 70 idle connections: $c"
n=$(held)
[ "$n" -le 16 ] || t_fail "$n connections from one address held, more than 16"
t_ok "70 idle HTTP connections: clusterctl status works, /health and /status answer, $n held"
for fd in "${idle[@]}"; do
	exec {fd}>&-
done
t_alive "$ADMIN" || t_fail "the admin died"
[ "$(tcm_child d admin)" = "$ADMIN" ] || t_fail "the admin was restarted"

# A full control pool: 16 idle clients, then a 17th gets a word of why.
for i in $(seq 16); do
	t_bg "hold$i" "$UNIX_CLIENT" "$T_DIR/tcm.ctl" idle 30
	hold[$i]=$T_LAST_PID
done
all_connected() {
	[ "$(cat "$T_DIR"/hold*.log 2>/dev/null | grep -c connected)" -ge 16 ]
}
t_wait "16 idle control clients" 10 all_connected
# Accepted in order: a status through the admin goes after them.
rc=0
ctl status >"$T_DIR/busy.out" 2>&1 || rc=$?
[ "$rc" = 1 ] || t_fail "status with the control pool full: exit $rc, $(cat "$T_DIR/busy.out")"
grep -q '^busy: the daemon serves 16 control clients at once; try again$' \
	"$T_DIR/busy.out" || t_fail "status said: $(cat "$T_DIR/busy.out")"
grep -q 'access denied' "$T_DIR/busy.out" && t_fail "access denied"
for i in $(seq 16); do
	t_stop "${hold[$i]}" 5
done
idle_gone() {
	ctl status >/dev/null 2>&1
}
t_wait "status again once the idle clients left" 10 idle_gone
t_ok "a full control pool answers busy, not access denied; status again after"

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
