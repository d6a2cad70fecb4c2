#!/bin/bash
# A cluster that has just formed, servers at their own defaults (Redis
# with appendonly yes): no acknowledged write is lost when its leader's
# manager stops (SIGTERM), nor, with election.min_followers 1, when it is
# killed (kill -9) as soon as writes are acknowledged, but for those
# acknowledged within 100 ms of the kill that its streams had not carried
# yet (replication is asynchronous: probe_all_on).  Then what a stop
# does when no follower can catch up: election.handover.lagging keep
# calls it off and leads on; release lets go and says what is lost.
# Probes (probe.sh): one long-lived mTLS connection to the leader's
# writer and a new connection per write through every node's writer.
set -uo pipefail
. "$TESTS_SRCDIR/tests/integration/lib.sh"
. "$TESTS_SRCDIR/tests/integration/tcm.sh"
. "$TESTS_SRCDIR/tests/integration/cluster.sh"
. "$TESTS_SRCDIR/tests/integration/probe.sh"

t_begin "handovers of a new cluster at the servers' defaults ($CL_KIND)"
command -v openssl >/dev/null || t_fail "openssl not found"
CL_REDIS_ARGS="--appendonly yes"

cl_init
cl_client

# Every acknowledged write of the case's probes is on server I; with
# CRASH_US (a kill -9 of the leader's manager) but those acknowledged
# within 100 ms of it (probe_all_on).
all_on() {
	probe_all_on "$1" "${3:-}" "the kill"
	t_ok "$2: $PROBE_ON"
}

# Writes acknowledged again, after the new leader took the lock.
flowing_since() { [ -n "$(probe_first_after "$1")" ]; }

new_leader_not() {
	local l
	l=$(cl_leader)
	[ -n "$l" ] && [ "$l" != "$1" ]
}

# 1. SIGTERM of the leader's manager right after the cluster forms.
for i in 1 2 3; do
	cl_server "$i"
done
cl_manager 1
t_wait "n1 leads" 15 cl_leader_is n1
if [ "$CL_KIND" = redis ]; then
	delay() {
		[ "$(redis-cli -p "${SRV_PORT[1]}" CONFIG GET \
		    repl-diskless-sync-delay | tail -n 1)" = 0 ]
	}
	t_wait "n1's server at repl-diskless-sync-delay 0" 10 delay
	tcm_log_has n1 "repl-diskless-sync-delay was Redis' default" ||
		t_fail "n1 did not say it changed repl-diskless-sync-delay"
	t_ok "the manager set Redis' repl-diskless-sync-delay from 5 to 0"
fi
cl_manager 2
cl_manager 3
probe_start 1
kill -TERM "${MGR_PID[1]}"
t_wait "a new leader" 20 new_leader_not n1
new=$(cl_leader)
t_wait "writes again" 10 flowing_since "${EPOCHREALTIME/./}"
probe_stop
gone() { ! t_alive "${MGR_PID[1]}"; }
t_wait "n1's manager to exit" 20 gone
tcm_log_has n1 'has caught up' ||
	t_fail "n1 released the lock without a follower caught up: $(grep -E 'releasing|caught up|refused' "$T_DIR/n1.log")"
# The writer stops passing writes before the server holds them: a write
# it passed on just before would otherwise fail at the held server.
quiet=$(grep -n 'elector: the writer passes the server no more writes' "$T_DIR/n1.log" | head -n 1)
hold=$(grep -n 'elector: server .*: hold writes on' "$T_DIR/n1.log" | head -n 1)
[ -n "$quiet" ] && [ -n "$hold" ] && [ "${quiet%%:*}" -lt "${hold%%:*}" ] ||
	t_fail "n1 held the server's writes before its writer stopped passing them: ${quiet:-no quiet line} / ${hold:-no hold line}"
all_on "${new#n}" "SIGTERM of the new cluster's leader"
# Through the nodes that stay, the handover is a pause, not an error.
for i in 2 3; do
	[ "$(probe_failed "$i")" -eq 0 ] ||
		t_fail "$(probe_failed "$i") writes through n$i failed across the handover: $(tr '\n' ' ' <"$PROBE_DIR/failed$i")"
done
t_ok "SIGTERM: no write through n2 or n3 failed"

# 2. kill -9 of the leader's manager as soon as writes are acknowledged,
# with election.min_followers 1: none is before a follower has caught up.
CL_PREFIX="$CL_PREFIX-b"
for i in 4 5 6; do
	cl_server "$i"
done
cl_manager 4 "election.min_followers 1"
t_wait "n4 leads" 15 cl_leader_is n4
tcm_wait_log n4 'writes held: 0 of election.min_followers 1'
[ "$(cl_write "${MGR_W[4]}" alone v)" != OK ] ||
	t_fail "n4 acknowledged a write with no follower"
t_ok "no follower: the leader acknowledges nothing"
cl_manager 5 "election.min_followers 1"
cl_manager 6 "election.min_followers 1"
unset 'MGR_W[1]' 'MGR_W[2]' 'MGR_W[3]'
probe_start 4
killed_us=${EPOCHREALTIME/./}
cl_kill_manager 4
t_wait "a new leader" 20 new_leader_not n4
new=$(cl_leader)
t_wait "writes again" 10 flowing_since "${EPOCHREALTIME/./}"
probe_stop
all_on "${new#n}" "kill -9 of the new cluster's leader (min_followers 1)" \
    "$killed_us"

# 3. No follower can catch up: their bridges are stopped (their servers
# answer, their records are live).  keep: the stop is called off.  A
# cluster of its own, whose followers only ever followed this leader:
# Tile38 offsets compare only between AOFs of one byte history.
CL_PREFIX="$CL_PREFIX-c"
for i in 7 8 9; do
	cl_server "$i"
done
cl_manager 7
t_wait "n7 leads" 15 cl_leader_is n7
cl_manager 8
cl_manager 9
t_wait "n8 caught up" 20 cl_link_up 8
t_wait "n9 caught up" 20 cl_link_up 9
lead=n7
l=7
bridges=()
for i in 8 9; do
	bridges+=("$(pgrep -P "${MGR_PID[$i]}" -x t38cm-bridge | head -n 1)")
done
kill -STOP "${bridges[@]}"
for k in 1 2 3 4 5; do
	[ "$(cl_write "${MGR_W[$l]}" "after-stop-$k" v)" = OK ] ||
		t_fail "a write to $lead with the followers' bridges stopped"
done
kill -TERM "${MGR_PID[$l]}"
tcm_wait_log "$lead" 'graceful stop refused' 30
tcm_wait_log "$lead" 'graceful stop called off' 5
t_alive "${MGR_PID[$l]}" || t_fail "$lead exited"
write_lead() { [ "$(cl_write "${MGR_W[$l]}" kept v)" = OK ]; }
t_wait "writes through $lead again" 10 write_lead
cl_leader_is "$lead" || t_fail "the leadership moved to $(cl_leader)"
t_ok "keep: the stop is called off and $lead leads on"

# release: the same stop lets go and says what the followers lack.
sed -i '/^election.handover.lagging /d' "$T_DIR/$lead.conf"
echo "election.handover.lagging release" >>"$T_DIR/$lead.conf"
kill -HUP "${MGR_PID[$l]}"
tcm_wait_log "$lead" 'reload: generation 2 changes election.handover.lagging' 10
kill -TERM "${MGR_PID[$l]}"
tcm_wait_log "$lead" 'releasing anyway \(election.handover.lagging release\): n[0-9] lacks [0-9]+ bytes' 30
lead_gone() { ! t_alive "${MGR_PID[$l]}"; }
t_wait "$lead's manager to exit" 30 lead_gone
t_ok "release: $(grep -o 'n[0-9] lacks [0-9]* bytes' "$T_DIR/$lead.log" | tail -n 1), said before letting go"
kill -CONT "${bridges[@]}"

for i in 1 2 3 4 5 6 7 8 9; do
	tcm_check_log "n$i"
done
