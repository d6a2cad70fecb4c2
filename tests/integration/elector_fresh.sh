#!/bin/bash
# An empty node never takes the lock while a live node with data could:
# n3 leads, n1 (with data) and n2 (empty) follow; when n3's manager is
# killed, n1 must win, every round.  Without the rule n2 would win about
# half the time, so three rounds make this a test that can fail.
. "$TESTS_SRCDIR/tests/integration/lib.sh" || exit 99
. "$TESTS_SRCDIR/tests/integration/tcm.sh" || exit 99
. "$TESTS_SRCDIR/tests/integration/cluster.sh" || exit 99
t_begin elector_fresh

command -v redis-server >/dev/null || t_fail "redis-server not found: run contrib/ci/install-deps"
cl_init
for i in 1 2 3; do
	cl_redis $i
done
for k in 1 2 3 4 5; do
	redis-cli -p "${REDIS_PORT[1]}" SET "data:$k" "$k" >/dev/null
done

for round in 1 2 3; do
	CL_PREFIX="tcm-test/$$-$round"
	redis-cli -p "${REDIS_PORT[2]}" FLUSHALL >/dev/null
	redis-cli -p "${REDIS_PORT[3]}" FLUSHALL >/dev/null
	cl_manager 3
	t_wait "n3 to lead (round $round)" 15 cl_leader_is n3
	cl_manager 1
	cl_manager 2
	t_wait "n1 following (round $round)" 10 cl_follows_bridge 1
	t_wait "n2 following (round $round)" 10 cl_follows_bridge 2
	[ "$(redis-cli -p "${REDIS_PORT[1]}" DBSIZE)" = 5 ] || t_fail "n1 lost its data"

	cl_kill_manager 3
	t_wait "a new leader (round $round)" 15 cl_leader_not n3
	cl_leader_is n1 || t_fail "round $round: $(cl_leader) took the lock from n1, which has data"
	tcm_wait_log n2 'elector: not contending: this node is empty and n1 has data'
	t_ok "round $round: n1 (data) leads, n2 (empty) stood back"

	cl_kill_manager 1
	cl_kill_manager 2
	for i in 1 2 3; do
		mv "$T_DIR/n$i.log" "$T_DIR/n$i.round$round.log"
		redis-cli -p "${REDIS_PORT[$i]}" REPLICAOF NO ONE >/dev/null
	done
done
