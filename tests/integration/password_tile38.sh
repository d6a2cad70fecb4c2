#!/bin/bash
# Three Tile38 servers with a password (requirepass, and the managers'
# server.password for leaderauth), their managers started at once, four
# times over: no server crashes, every follower catches up, and a write
# through a follower's writer is read back on every server.  A server
# pointed at a bridge that cannot reach a leader yet fails its leader
# authentication inside FOLLOW, which crashes Tile38 (fatal error: sync:
# Unlock of unlocked RWMutex): the managers must wait until the bridge
# can reach the leader.
set -uo pipefail
tile38=${TILE38_SERVER:-$(command -v tile38-server 2>/dev/null)}
if [ -z "$tile38" ] || [ ! -x "$tile38" ]; then
	echo "SKIP: tile38-server not found (PATH or TILE38_SERVER): the Tile38 password case did not run"
	exit 77
fi
export TILE38_SERVER=$tile38
CL_KIND=tile38
. "$TESTS_SRCDIR/tests/integration/lib.sh"
. "$TESTS_SRCDIR/tests/integration/tcm.sh"
. "$TESTS_SRCDIR/tests/integration/cluster.sh"

t_begin "Tile38 with a password: four starts of three nodes at once"
# Every redis-cli of the test (and of cluster.sh) authenticates.
export REDISCLI_AUTH=secret

caught_up() {
	alive_servers "$1"
	redis-cli -p "${SRV_PORT[$1]}" SERVER 2>/dev/null | tr -d '\r' |
		grep -A1 -x caught_up | tail -n 1 | grep -qx true
}

alive_servers() {
	local i
	for i in "$@"; do
		t_alive "${SRV_PID[$i]}" ||
			t_fail "tile38-$i died: $(grep -m1 -E 'fatal error|panic' "$T_DIR/tile38-$i.log")"
	done
}

cl_init
cl_client
base=0
for round in 1 2 3 4; do
	CL_PREFIX="tcm-test/$$-$round"
	nodes=()
	for k in 1 2 3; do
		i=$((base + k))
		nodes+=("$i")
		cl_server "$i"
		[ "$(env -u REDISCLI_AUTH redis-cli -p "${SRV_PORT[$i]}" \
		    CONFIG SET requirepass secret 2>&1)" = OK ] ||
			t_fail "CONFIG SET requirepass on tile38-$i"
	done
	for i in "${nodes[@]}"; do
		tcm_conf "$T_DIR/n$i.conf" "id n$i" "server.kind tile38" \
			"server.port ${SRV_PORT[$i]}" "server.password secret" \
			"consul.addr $CONSUL_HTTP_ADDR" \
			"consul.lock.prefix $CL_PREFIX" "service.manage true"
		MGR_W[$i]=$TCM_PORT_W
		t_bg "n$i" "$TCM" -d -f "$T_DIR/n$i.conf"
		MGR_PID[$i]=$T_LAST_PID
	done
	t_wait "a leader (round $round)" 20 cl_has_leader
	lead=$(cl_leader)
	for i in "${nodes[@]}"; do
		[ "n$i" = "$lead" ] && continue
		t_wait "n$i caught up (round $round)" 30 caught_up "$i"
	done
	alive_servers "${nodes[@]}"
	f=${nodes[0]}
	[ "n$f" = "$lead" ] && f=${nodes[1]}
	[ "$(cl_write "${MGR_W[$f]}" "round$round" v)" = OK ] ||
		t_fail "a write through n$f's writer (round $round)"
	for i in "${nodes[@]}"; do
		t_wait "round$round on tile38-$i" 10 cl_stored "$i" "round$round"
	done
	alive_servers "${nodes[@]}"
	t_ok "round $round: $lead leads, both followers caught up, no server crashed"
	for i in "${nodes[@]}"; do
		t_stop "${MGR_PID[$i]}" 20 >/dev/null
		t_stop "${SRV_PID[$i]}" 10 >/dev/null
		unset "MGR_W[$i]"
	done
	base=$((base + 3))
done
