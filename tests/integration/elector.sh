#!/bin/bash
# The elector against a real Consul agent and real redis-server: one
# leader among three, services and peers, Connect material, handover,
# failover on kill -9 of a manager and of a server, recovery after an
# agent restart, leadership kept across an elector crash.
. "$TESTS_SRCDIR/tests/integration/lib.sh" || exit 99
. "$TESTS_SRCDIR/tests/integration/tcm.sh" || exit 99
. "$TESTS_SRCDIR/tests/integration/cluster.sh" || exit 99
t_begin elector

cl_start3

# One leader; its server is a master, the others follow their bridges.
t_wait "n1 server master" 10 cl_role_is 1 master
for i in 2 3; do
	t_wait "n$i server following its bridge" 10 cl_follows_bridge $i
	tcm_wait_log "n$i" "elector: role: follower of n1 \\(epoch [0-9]+\\)"
done
tcm_wait_log n1 'elector: role: leader \(epoch [0-9]+\)'
t_ok "one leader among three; its server leads, the others follow"

# Services registered with Meta.id, discovered through ?passing.
writers() {
	[ "$(curl -sf "http://$CONSUL_HTTP_ADDR/v1/health/connect/tile38-writer?passing" |
		jq -r '[.[].Service.Meta.id] | sort | join(",")')" = "n1,n2,n3" ]
}
t_wait "three passing writer services" 10 writers
ids=$(curl -sf "http://$CONSUL_HTTP_ADDR/v1/catalog/service/tile38-reader" |
	jq -r '[.[].ServiceID] | sort | join(",")')
[ "$ids" = "tile38-reader-n1,tile38-reader-n2,tile38-reader-n3" ] ||
	t_fail "reader service ids: $ids"
t_ok "both services registered per node, writers passing"

# Leaf certificates and CA roots reach the supervisor.
for i in 1 2 3; do
	tcm_wait_log "n$i" 'supervisor: TLS material: roots'
	tcm_wait_log "n$i" 'supervisor: TLS material: leaf for writer'
	tcm_wait_log "n$i" 'supervisor: TLS material: leaf for reader'
done
t_ok "leaf certificates and CA roots delivered to every supervisor"

# Rotation: a new root key type makes Consul rotate the CA.
roots_before=$(grep -c 'supervisor: TLS material: roots' "$T_DIR/n2.log")
curl -sf -X PUT "http://$CONSUL_HTTP_ADDR/v1/connect/ca/configuration" \
	-d '{"Provider":"consul","Config":{"PrivateKeyType":"rsa","PrivateKeyBits":2048}}' >/dev/null ||
	t_fail "CA rotation request"
rotated() {
	[ "$(grep -c 'supervisor: TLS material: roots' "$T_DIR/n2.log")" -gt "$roots_before" ]
}
t_wait "roots re-delivered after rotation" 30 rotated
t_ok "CA rotation re-delivers roots"

# An elector crash does not cost the leadership.
session=$(curl -sf "http://$CONSUL_HTTP_ADDR/v1/kv/$CL_PREFIX/leader" | jq -r '.[0].Session')
pkill -9 -P "${MGR_PID[1]}" -x t38cm-elector
tcm_wait_log n1 'supervisor: elector killed by signal 9'
tcm_wait_log n1 "elector: Consul session $session resumed"
now=$(curl -sf "http://$CONSUL_HTTP_ADDR/v1/kv/$CL_PREFIX/leader" | jq -r '.[0].Session')
[ "$now" = "$session" ] || t_fail "lock session changed from $session to $now"
cl_leader_is n1 || t_fail "leadership moved after an elector crash"
tcm_log_has n2 'elector: role: leader' && t_fail "n2 became leader during the crash"
tcm_log_has n3 'elector: role: leader' && t_fail "n3 became leader during the crash"
t_ok "leadership kept across an elector crash"

# Failover when only the leader's server dies.
start=$(cl_now_ms)
kill -9 "${SRV_PID[1]}"
t_wait "a new leader after n1's server died" 15 cl_leader_not n1
tcm_wait_log n1 'elector: releasing the lock: the local server does not answer'
new=$(cl_leader)
i=${new#n}
t_wait "$new server master" 10 cl_role_is "$i" master
echo "# failover after the leader's server died: $(($(cl_now_ms) - start)) ms"
t_ok "failover when only the leader's server dies ($new leads)"
cl_server 1

# Failover on kill -9 of the leader's whole manager.
old=$(cl_leader)
start=$(cl_now_ms)
cl_kill_manager "${old#n}"
t_wait "a new leader after kill -9 of $old" 15 cl_leader_not "$old"
new=$(cl_leader)
t_wait "$new server master" 10 cl_role_is "${new#n}" master
echo "# failover after kill -9 of the leader's manager: $(($(cl_now_ms) - start)) ms"
t_ok "failover on kill -9 of the leader's manager ($new leads)"
cl_manager "${old#n}"

# Handover on SIGTERM.
old=$(cl_leader)
start=$(cl_now_ms)
t_stop "${MGR_PID[${old#n}]}" 20
status=$?
[ "$status" = 0 ] || t_fail "SIGTERM of $old: exit status $status"
t_wait "a new leader after SIGTERM of $old" 10 cl_leader_not "$old"
new=$(cl_leader)
t_wait "$new server master" 10 cl_role_is "${new#n}" master
tcm_log_has "$old" 'elector: lock released' || t_fail "$old did not release the lock"
cl_role_is "${old#n}" slave || t_fail "$old's server still takes writes after handover"
echo "# handover on SIGTERM: $(($(cl_now_ms) - start)) ms"
t_ok "handover on SIGTERM ($old -> $new); the old server is fenced"
cl_manager "${old#n}"

# Recovery after a Consul agent restart (a dev agent forgets everything).
cl_consul_restart
t_wait "a leader after the agent restart" 30 cl_has_leader
leader=$(cl_leader)
t_wait "$leader server master" 15 cl_role_is "${leader#n}" master
for i in 1 2 3; do
	[ "n$i" = "$leader" ] && continue
	t_wait "n$i following after the restart" 15 cl_follows_bridge $i
done
t_ok "one leader again after a Consul agent restart ($leader)"

for i in 1 2 3; do
	t_stop "${MGR_PID[$i]}" 20 || t_fail "stopping n$i"
	tcm_check_log "n$i"
done
