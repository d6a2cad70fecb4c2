#!/bin/bash
# Write safety when the leader's whole manager freezes, and when its
# elector keeps dying.
#
# 1. SIGSTOP of every process of the leader's manager (supervisor and
#    children): another node takes the lock; after SIGCONT the old
#    leader acknowledges no write (its writer's lease ran out on the
#    monotonic clock while it was stopped), its supervisor does not take
#    its own stop for a hung elector, and it rejoins as a follower.
# 2. The leader's elector killed (kill -9) each time it comes back, for
#    10 s: another node takes the lock and the old leader rejoins.
#
# Probes (probe.sh) as in fence.sh.  Asserted for each: no write
# acknowledged on the long-lived connection to the old leader after the
# new leader took the lock, every acknowledged write readable on the new
# leader (in case 1, but for those acknowledged within 100 ms of the
# SIGSTOP: see check_writes), writes flowing within 5 s of it, and one
# leader.
set -uo pipefail
. "$TESTS_SRCDIR/tests/integration/lib.sh"
. "$TESTS_SRCDIR/tests/integration/tcm.sh"
. "$TESTS_SRCDIR/tests/integration/cluster.sh"
. "$TESTS_SRCDIR/tests/integration/probe.sh"

t_begin "a frozen leader's manager and a leader's elector killed in a loop ($CL_KIND)"
command -v openssl >/dev/null || t_fail "openssl not found"

cl_start3
cl_client

now_us() { printf '%s\n' "${EPOCHREALTIME/./}"; }
past() { [ "$(now_us)" -gt "$1" ]; }
flowing() { [ -n "$(probe_first_after "$1")" ]; }

# NODE logged a line matching REGEX at or after US (log lines carry
# milliseconds).
logged_since() {
	local at
	at=$(probe_log_us "$1" "$2")
	[ -n "$at" ] && [ "$at" -ge $(( $3 / 1000 * 1000 )) ]
}

# Node I follows NEW: its server replicates from its bridge and its
# elector said so after US.
follows() {
	cl_follows_bridge "$1" &&
		logged_since "n$1" "elector: role: follower of $2 " "$3"
}

# What every case asserts once the probes have stopped: OLD's long-lived
# connection acknowledged nothing after ACQ_US, and NEW has every
# acknowledged write; with FROZEN_US (the SIGSTOP of OLD's proxies) but
# those acknowledged within 100 ms of it (probe_all_on).
check_writes() {
	local old=$1 new=$2 acq_us=$3 late
	late=$(probe_ll_late "$acq_us")
	[ "$late" -eq 0 ] ||
		t_fail "$late writes acknowledged by $old on its long-lived connection after $new took the lock"
	probe_all_on "${new#n}" "${4:-}" "the SIGSTOP"
	t_ok "$old's long-lived connection: $(probe_ll_acked) acknowledged, none after $new took the lock; $PROBE_ON"
}

# Another node than OLD leads: new, when it took the lock after US
# (acq_us) and how soon writes flowed again (flow_ms, at most 5 s).
new_leader() {
	t_wait "another node leads" 20 cl_leader_not "$1"
	new=$(cl_leader)
	acq_us=$(probe_acquired "$new" "$2")
	[ -n "$acq_us" ] || t_fail "no acquisition in $new.log after $3"
	t_wait "writes after $new took the lock" 10 flowing "$acq_us"
	flow_ms=$(( ($(probe_first_after "$acq_us") - acq_us) / 1000 ))
	[ "$flow_ms" -le 5000 ] ||
		t_fail "the first write after $new took the lock was acknowledged $flow_ms ms later"
}

# 1. The whole manager of the leader stopped, then resumed.
probe_start 1
mapfile -t frozen < <(cl_manager_pids 1)
[ "${#frozen[@]}" -ge 6 ] ||
	t_fail "n1's manager has ${#frozen[@]} processes, not 6: ${frozen[*]}"
stopped_us=$(now_us)
kill -STOP "${frozen[@]}"
new_leader n1 "$stopped_us" "the SIGSTOP"
t_ok "$new leads $(( (acq_us - stopped_us) / 1000 )) ms after the SIGSTOP of n1's manager; writes flowed $flow_ms ms after"

# Stopped on: the long-lived connection's writes queue up in n1's socket.
t_wait "2 s past the new leadership" 10 past $((acq_us + 2000000))
cont_us=$(now_us)
kill -CONT "${frozen[@]}"
t_wait "n1's writer to find its lease lapsed" 10 \
    logged_since n1 "writer: write lease lapsed" "$cont_us"
t_wait "n1 follows $new" 30 follows 1 "$new" "$cont_us"
t_wait "one leader" 10 cl_one_leader
t_wait "3 s past the SIGCONT" 10 past $((cont_us + 3000000))
probe_stop
# The supervisor was stopped as long as the elector: no heartbeat kill.
! tcm_log_has n1 'supervisor: elector \(pid [0-9]+\): not answering' ||
	t_fail "n1's supervisor killed its elector after SIGCONT: $(grep 'not answering' "$T_DIR/n1.log")"
for p in "${frozen[@]}"; do
	t_alive "$p" || t_fail "process $p of n1's manager is gone after SIGCONT"
done
check_writes n1 "$new" "$acq_us" "$stopped_us"
t_ok "n1 resumed $(( (cont_us - stopped_us) / 1000 )) ms after the SIGSTOP, acknowledged nothing and follows $new with the same processes"

# 2. The leader's elector killed each time it comes back, for 10 s.
old=$(cl_leader)
o=${old#n}
probe_start "$o"
start_us=$(now_us)
cl_elector_loop "$o" 10
end_us=$(now_us)
kills=$CL_KILLS
[ "$kills" -ge 4 ] || t_fail "only $kills electors of $old killed in 10 s"
new_leader "$old" "$start_us" "the first kill"
t_ok "$kills electors of $old killed; $new leads $(( (acq_us - start_us) / 1000 )) ms after the first kill; writes flowed $flow_ms ms after"
t_wait "$old follows $new" 40 follows "$o" "$new" "$end_us"
t_wait "one leader" 10 cl_one_leader
t_wait "3 s past the new leadership" 10 past $((acq_us + 3000000))
probe_stop
check_writes "$old" "$new" "$acq_us"

for i in 1 2 3; do
	tcm_check_log "n$i"
done
