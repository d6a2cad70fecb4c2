#!/bin/bash
# An empty node never takes the lock while a live node with data could.
# The test itself holds the lock (a "ghost" leader nobody can replicate
# from), so n1 keeps its data and n2 stays empty; releasing the lock (no
# lock-delay after a release) makes both contend at once, and n1 must
# win every round.  Without the rule n2 would win about half the time.
. "$TESTS_SRCDIR/tests/integration/lib.sh" || exit 99
. "$TESTS_SRCDIR/tests/integration/tcm.sh" || exit 99
. "$TESTS_SRCDIR/tests/integration/cluster.sh" || exit 99
t_begin elector_fresh

cl_init
cl_server 1
cl_server 2
for k in 1 2 3 4 5; do
	redis-cli -p "${SRV_PORT[1]}" SET "data:$k" "$k" >/dev/null
done
api=http://$CONSUL_HTTP_ADDR/v1

for round in 1 2 3; do
	CL_PREFIX="tcm-test/$$-$round"
	ghost=$(curl -sf -X PUT "$api/session/create" -d '{"TTL":"60s"}' | jq -r .ID)
	[ "$(curl -sf -X PUT "$api/kv/$CL_PREFIX/leader?acquire=$ghost" -d ghost)" = true ] ||
		t_fail "the test could not take the lock"
	cl_manager 1
	cl_manager 2
	tcm_wait_log n1 'elector: role: follower of ghost'
	tcm_wait_log n2 'elector: role: follower of ghost'
	# Both publish their freshness before the race starts.
	records() {
		[ "$(curl -sf "$api/kv/$CL_PREFIX/nodes/?recurse" | jq length)" = 2 ]
	}
	t_wait "both freshness records" 10 records
	[ "$(redis-cli -p "${SRV_PORT[1]}" DBSIZE)" = 5 ] || t_fail "n1 lost its data"
	[ "$(redis-cli -p "${SRV_PORT[2]}" DBSIZE)" = 0 ] || t_fail "n2 is not empty"

	curl -sf -X PUT "$api/kv/$CL_PREFIX/leader?release=$ghost" >/dev/null
	t_wait "a leader (round $round)" 15 cl_leader_not ghost
	cl_leader_is n1 || t_fail "round $round: $(cl_leader) took the lock from n1, which has data"
	tcm_wait_log n2 'elector: not contending: this node is empty and n1 has data'
	t_ok "round $round: n1 (data) leads, n2 (empty) stood back"

	for i in 1 2; do
		t_stop "${MGR_PID[$i]}" 20 >/dev/null
		tcm_check_log "n$i"
		mv "$T_DIR/n$i.log" "$T_DIR/n$i.round$round.log"
		redis-cli -p "${SRV_PORT[$i]}" REPLICAOF NO ONE >/dev/null
	done
	redis-cli -p "${SRV_PORT[2]}" FLUSHALL >/dev/null
	curl -sf -X PUT "$api/session/destroy/$ghost" >/dev/null
done
