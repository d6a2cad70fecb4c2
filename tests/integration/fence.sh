#!/bin/bash
# The write lease in the data plane and the supervisor's heartbeat:
# SIGSTOP of the leader's elector (hung, not dead) must stop the leader's
# writer on its own, through its lease, and the supervisor must find the
# hung elector, kill it and start another.  Probes (probe.sh): one
# long-lived mTLS connection to the leader's writer and a new connection
# per write through every node's writer, each every 100 ms.  Asserted: no
# write acknowledged on the long-lived connection after the new
# leadership began, every acknowledged write of either probe readable on
# the new leader, one leader, and writes flowing within 5 s of it.
set -uo pipefail
. "$TESTS_SRCDIR/tests/integration/lib.sh"
. "$TESTS_SRCDIR/tests/integration/tcm.sh"
. "$TESTS_SRCDIR/tests/integration/cluster.sh"
. "$TESTS_SRCDIR/tests/integration/probe.sh"

t_begin "a hung elector: its writer's lease stops the old leader's writes ($CL_KIND)"
command -v openssl >/dev/null || t_fail "openssl not found"

cl_start3
cl_client

# A dead elector: the supervisor revokes the lease at once, well before
# it would lapse by itself; the restarted elector resumes the session and
# grants a new one once it has confirmed the lock.
elector=$(cl_elector 1)
[ -n "$elector" ] || t_fail "no elector of n1"
killed_ms=$(cl_now_ms)
kill -9 "$elector"
t_wait "n1's writer to drop its lease" 5 tcm_log_has n1 'writer: write lease lapsed'
lapsed=$(grep -h 'writer: write lease lapsed' "$T_DIR/n1.log" | head -n 1 | cut -d' ' -f1)
lapsed_ms=$(( $(date -d "$lapsed" +%s%6N) / 1000 ))
[ $((lapsed_ms - killed_ms)) -lt 400 ] ||
	t_fail "the lease ended $((lapsed_ms - killed_ms)) ms after the elector died, not at once"
write_n1() { [ "$(cl_write "${MGR_W[1]}" after-restart v)" = OK ]; }
t_wait "writes through n1 again" 15 write_n1
cl_leader_is n1 || t_fail "the leadership moved: $(cl_leader)"
t_ok "a dead elector: the lease ended $((lapsed_ms - killed_ms)) ms after, and n1 leads on"

probe_start 1
elector=$(cl_elector 1)
[ -n "$elector" ] || t_fail "no elector of n1"
stopped_us=${EPOCHREALTIME/./}
kill -STOP "$elector"

# The heartbeat: unanswered for election.check.ttl (1500ms here), the
# elector is killed, its lease revoked, and another one started.
killing="supervisor: elector \\(pid $elector\\): not answering for [0-9]+ ms; killing it"
t_wait "n1's supervisor to kill its hung elector" 10 tcm_log_has n1 "$killing"
killed_us=$(probe_log_us n1 "$killing")
hb_ms=$(( (killed_us - stopped_us) / 1000 ))
# The silence the supervisor counted is election.check.ttl at least.
silent=$(grep -E "$killing" "$T_DIR/n1.log" | head -n 1 |
    sed -E 's/.*not answering for ([0-9]+) ms.*/\1/')
[ "${silent:-0}" -ge 1500 ] ||
	t_fail "the elector was killed after $silent ms of silence, before election.check.ttl"
# Measured from the SIGSTOP: a ping sent just before it goes unanswered,
# so the last answer may be one tick (250 ms) plus the time the elector
# takes to answer (allowed 150 ms on a loaded machine) before the stop.
[ "$hb_ms" -ge 1100 ] ||
	t_fail "the elector was killed $hb_ms ms after the SIGSTOP, before election.check.ttl"
[ "$hb_ms" -le 3000 ] ||
	t_fail "the hung elector was killed only $hb_ms ms after the SIGSTOP"
t_wait "the hung elector gone" 5 eval "! t_alive $elector"
restarted() {
	local pid
	pid=$(cl_elector 1)
	[ -n "$pid" ] && [ "$pid" != "$elector" ] &&
		tcm_log_has n1 "supervisor: elector ready \\(pid $pid\\)"
}
t_wait "n1's new elector ready" 10 restarted
t_ok "the heartbeat killed the hung elector $hb_ms ms after the SIGSTOP; another one is ready"

# The new leadership: the first lock taken after the SIGSTOP.  Another
# node, or n1 again under a new session: the restarted elector contends
# like any node once the lock-delay of the old session is over.
new_leadership() {
	local l
	l=$(cl_leader)
	[ -n "$l" ] && [ -n "$(probe_acquired "$l" "$stopped_us")" ]
}
t_wait "a new leadership" 20 new_leadership
new=$(cl_leader)
n=${new#n}
acq_us=$(probe_acquired "$new" "$stopped_us")

# Writes flow again within 5 s of the new leadership.
flowing() { [ -n "$(probe_first_after "$acq_us")" ]; }
t_wait "writes after the new leadership" 10 flowing
flow_ms=$(( ($(probe_first_after "$acq_us") - acq_us) / 1000 ))
[ "$flow_ms" -le 5000 ] ||
	t_fail "the first write after $new took the lock was acknowledged $flow_ms ms later"
t_wait "one leader" 10 cl_one_leader

# Let the probes run on through the change, then stop them.
past() { [ "${EPOCHREALTIME/./}" -gt $((acq_us + 3000000)) ]; }
t_wait "3 s past the new leadership" 10 past
probe_stop

late=$(probe_ll_late "$acq_us")
last=$(probe_last_ll)
[ "$late" -eq 0 ] ||
	t_fail "$late writes acknowledged by n1 on its long-lived connection after $new took the lock"
t_ok "long-lived: $(probe_ll_acked) acknowledged, the last $(( (last - stopped_us) / 1000 )) ms after the SIGSTOP, $(( (acq_us - last) / 1000 )) ms before $new took the lock"
t_ok "$new leads, $(( (acq_us - stopped_us) / 1000 )) ms after the SIGSTOP; writes flowed $flow_ms ms after"

# Every acknowledged write of both probes is on the new leader.
[ "$new" = n1 ] || t_wait "n1 follows $new again" 30 cl_role_is 1 slave
probe_all_on "$n"
t_ok "$PROBE_ON"

for i in 1 2 3; do
	tcm_check_log "n$i"
done
