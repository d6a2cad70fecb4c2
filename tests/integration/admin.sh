#!/bin/bash
# Operations against a real cluster (Consul dev agent, two redis-server,
# two managers): the admin HTTP endpoints, Prometheus text, DogStatsD
# received on a UDP socket, and tile38-clusterctl: status, switchover to
# a chosen node while another could take over, switchover under writes
# with no acknowledged write lost, /leader flipping within a second,
# pause stopping a failover, log and reload.
. "$TESTS_SRCDIR/tests/integration/lib.sh" || exit 99
. "$TESTS_SRCDIR/tests/integration/tcm.sh" || exit 99
. "$TESTS_SRCDIR/tests/integration/cluster.sh" || exit 99
t_begin admin
trap '' PIPE

[ -x "$TCMCTL" ] || t_fail "no tile38-clusterctl ($TCMCTL)"
tcm_udp_sink

cl_init
declare -a HTTP
for i in 1 2; do
	cl_server $i
	HTTP[$i]=$(t_port) || t_fail "no free port"
done
cl_manager 1 "http.port ${HTTP[1]}" "dogstatsd.port $DSD_PORT" \
	"dogstatsd.interval 1s"
t_wait "n1 to lead" 15 cl_leader_is n1
cl_manager 2 "http.port ${HTTP[2]}" "dogstatsd.port $DSD_PORT" \
	"dogstatsd.interval 1s"
cl_client

code() {
	curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
		"http://127.0.0.1:${HTTP[$1]}$2"
}
code_is() {
	[ "$(code "$1" "$2")" = "$3" ]
}
ctl() {
	local i=$1
	shift
	"$TCMCTL" -s "$T_DIR/n$i.ctl" "$@"
}

# Health endpoints.
t_wait "/leader 200 on n1" 10 code_is 1 /leader 200
t_wait "/replica 200 on n2" 20 code_is 2 /replica 200
code_is 2 /leader 503 || t_fail "/leader on a follower: $(code 2 /leader)"
code_is 1 /replica 503 || t_fail "/replica on the leader: $(code 1 /replica)"
code_is 2 '/replica?lag=1000000' 200 || t_fail "/replica?lag= on n2"
code_is 2 '/replica?lag=x' 400 || t_fail "/replica?lag=x is not a 400"
code_is 1 /health 200 || t_fail "/health on n1"
code_is 1 /nowhere 404 || t_fail "an unknown path is not a 404"
[ "$(curl -s --max-time 5 -X POST -o /dev/null -w '%{http_code}' \
	"http://127.0.0.1:${HTTP[1]}/leader")" = 405 ] || t_fail "POST is not a 405"
exec 7<>"/dev/tcp/127.0.0.1/${HTTP[1]}"
printf 'garbage\r\n\r\n' >&7
read -r -t 5 line <&7 || t_fail "no answer to garbage"
exec 7<&-
[[ $line == "HTTP/1.1 400"* ]] || t_fail "garbage got: $line"
jq -e '.role == "leader" and .leader == "n1" and .server.up' \
	<(curl -s --max-time 5 "http://127.0.0.1:${HTTP[1]}/status") >/dev/null ||
	t_fail "/status: $(curl -s "http://127.0.0.1:${HTTP[1]}/status")"
t_ok "health endpoints: /leader, /replica (with lag), /health, /status; bad requests get 4xx"

# Prometheus text: every sample line well formed, one TYPE per family.
[ "$(cl_write "${MGR_W[1]}" warm 1)" = OK ] || t_fail "a write through n1"
# Each process sends its figures once a second: wait until the writer's
# and the elector's are in.
metrics() {
	curl -s --max-time 5 "http://127.0.0.1:${HTTP[1]}/metrics" >"$T_DIR/metrics"
	grep -q '^tile38_cluster_connections_accepted_total{listener="writer"} [1-9]' \
		"$T_DIR/metrics" &&
		grep -q '^tile38_cluster_role_leader 1' "$T_DIR/metrics"
}
t_wait "the writer's and the elector's figures in /metrics" 10 metrics
bad=$(grep -v '^#' "$T_DIR/metrics" |
	grep -Evc '^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? [^ ]+$')
[ "$bad" = 0 ] || t_fail "$bad malformed lines in /metrics"
dup=$(grep '^# TYPE' "$T_DIR/metrics" | awk '{ print $3 }' | sort | uniq -d)
[ -z "$dup" ] || t_fail "families typed twice: $dup"
if command -v promtool >/dev/null; then
	promtool check metrics <"$T_DIR/metrics" >"$T_DIR/promtool.out" 2>&1 ||
		t_fail "promtool check metrics: $(cat "$T_DIR/promtool.out")"
else
	echo "# no promtool: /metrics checked by pattern only"
fi
generic=$(grep -c '^# HELP .* tile38-cluster-manager metric ' "$T_DIR/metrics")
[ "$generic" = 0 ] || t_fail "$generic families without their own HELP text"
for m in tile38_cluster_role_leader tile38_cluster_info \
	tile38_cluster_child_restarts_total tile38_cluster_mem_alloc; do
	grep -q "^$m" "$T_DIR/metrics" || t_fail "$m missing from /metrics"
done
# Tile38: every gauge of the Go original, from SERVER.
T38_GAUGES="mem_alloc num_hooks pointer_size aof_size avg_item_size heap_size
num_objects threads cpus heap_released max_heap_size num_collections
num_points in_memory_size num_strings"
if [ "$CL_KIND" = tile38 ]; then
	for g in $T38_GAUGES; do
		grep -q "^tile38_cluster_$g [0-9]" "$T_DIR/metrics" ||
			t_fail "tile38_cluster_$g missing from /metrics"
	done
fi
t_ok "/metrics passes promtool check metrics and has the manager's and the server's figures"

dsd() {
	grep -q 'tile38.cluster.role_leader:1|g|#instance:n1,role:leader' "$T_DIR/dsd.out" &&
		grep -q '^tile38.cluster.connections_open:[0-9]*|g|#instance:n1,role:leader,listener:writer' \
			"$T_DIR/dsd.out" &&
		grep -q 'tile38.cluster.mem_alloc:[0-9]*|g|#instance:n2,role:follower' \
			"$T_DIR/dsd.out"
}
t_wait "DogStatsD lines with instance, role and listener tags" 10 dsd
if [ "$CL_KIND" = tile38 ]; then
	for g in $T38_GAUGES; do
		grep -q "^tile38.cluster.$g:[0-9.]*|g|#instance:n1,role:leader$" \
			"$T_DIR/dsd.out" || t_fail "DogStatsD: no tile38.cluster.$g"
	done
fi
t_ok "DogStatsD: gauges with instance, role and listener tags"

# A restarted admin does not send its predecessor's counts again: n1's
# writer has accepted connections, and none are made meanwhile.
admin_of() { pgrep -P "${MGR_PID[$1]}" -x t38cm-admin; }
old=$(admin_of 1)
kill -9 "$old"
new_admin() { local p; p=$(admin_of 1) && [ -n "$p" ] && [ "$p" != "$old" ]; }
t_wait "n1's admin to be restarted" 10 new_admin
mark=$(wc -l <"$T_DIR/dsd.out")
sent_again() {
	tail -n +"$((mark + 1))" "$T_DIR/dsd.out" |
		grep -q '^tile38.cluster.role_leader:1|g|#instance:n1,'
}
t_wait "DogStatsD from n1's new admin" 10 sent_again
if tail -n +"$((mark + 1))" "$T_DIR/dsd.out" |
	grep '^tile38.cluster.connections_accepted:[0-9]*|c|#instance:n1,' |
	grep -q 'listener:writer'; then
	t_fail "the new admin sent n1's writer's accepted connections again"
fi
t_ok "DogStatsD: a restarted admin does not count again what was sent"

# tile38-clusterctl status, text and JSON.
ctl 1 status >"$T_DIR/status.out" || t_fail "status: $(cat "$T_DIR/status.out")"
head -n 1 "$T_DIR/status.out" | grep -qx 'Node n1 (leader, epoch [0-9]*)' ||
	t_fail "status: $(cat "$T_DIR/status.out")"
grep -Eqx '  writer: +127\.0\.0\.1:'"${MGR_W[1]}" "$T_DIR/status.out" ||
	t_fail "status: no writer listener: $(cat "$T_DIR/status.out")"
grep -Eqx '  elector +yes +[0-9]+' "$T_DIR/status.out" ||
	t_fail "status: no children table: $(cat "$T_DIR/status.out")"
grep -q 'server\.\|children\.' "$T_DIR/status.out" &&
	t_fail "status: flattened keys: $(cat "$T_DIR/status.out")"
[ "$(ctl 2 --json status | jq -r .leader)" = n1 ] || t_fail "status --json on n2"
ctl 1 peers | grep -Eqx '  n1 +127\.0\.0\.1:'"${MGR_W[1]}"' +yes' ||
	t_fail "peers: $(ctl 1 peers)"
ctl 1 bogus >/dev/null && t_fail "an unknown command succeeded"
"$TCMCTL" -s "$T_DIR/none.ctl" status 2>/dev/null
[ $? = 3 ] || t_fail "no daemon: exit status is not 3"
t_ok "tile38-clusterctl status and peers; clear failures"

# Access, as root: the daemon's user is nobody, its group nogroup.  The
# test directory is opened to others so that only the socket decides.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	as() {
		local uid=$1 gid=$2 groups=$3
		shift 3
		setpriv --reuid="$uid" --regid="$gid" "$groups" \
			"$TCMCTL" -s "$T_DIR/n1.ctl" "$@" >"$T_DIR/as.out" 2>&1
	}
	chmod 0711 "$T_DIR"
	stat -c '%a %U %G' "$T_DIR/n1.ctl" | grep -qx '660 root nogroup' ||
		t_fail "control socket: $(stat -c '%a %U %G' "$T_DIR/n1.ctl")"
	as 4242 4242 --clear-groups status
	rc=$?
	[ $rc = 4 ] || t_fail "a stranger: exit status $rc, not 4"
	as 4242 nogroup --clear-groups status ||
		t_fail "a member of the group: $(cat "$T_DIR/as.out")"
	as 4242 4242 --groups=nogroup status ||
		t_fail "a supplementary member: $(cat "$T_DIR/as.out")"
	as 4242 nogroup --clear-groups log brief
	rc=$?
	[ $rc = 4 ] || t_fail "a member changing: exit status $rc, not 4"
	grep -q 'permission denied' "$T_DIR/as.out" ||
		t_fail "a member changing: $(cat "$T_DIR/as.out")"
	as nobody nogroup --clear-groups log brief ||
		t_fail "the daemon's user: $(cat "$T_DIR/as.out")"
	chmod 0700 "$T_DIR"
	t_ok "control socket: group members read, only root and the daemon's user change"
fi

# Switchover to a chosen node, with a third node that could take over
# too: over four rounds the bystander n2 never does (a node picked at
# random would pass with a chance of 1 in 16).
cl_server 3
cl_manager 3
t_wait "n3 to replicate" 20 cl_link_up 3
t_wait "n2 to replicate" 20 cl_link_up 2
# A switchover goes only to a node whose freshness record says it is up.
record_up() {
	curl -sf "http://$CONSUL_HTTP_ADDR/v1/kv/$CL_PREFIX/nodes/n$1?raw" |
		jq -e '.up' >/dev/null
}
t_wait "n3's freshness record" 10 record_up 3
ctl 1 switchover --to n1 >"$T_DIR/to.out" && t_fail "switchover to the leader"
grep -q 'is this node' "$T_DIR/to.out" || t_fail "to self: $(cat "$T_DIR/to.out")"
ctl 1 switchover --to nx >"$T_DIR/to.out" && t_fail "switchover to nx"
grep -q 'nx is not a live node' "$T_DIR/to.out" ||
	t_fail "to nx: $(cat "$T_DIR/to.out")"
ctl 2 switchover >"$T_DIR/to.out" && t_fail "switchover on a follower"
grep -q 'not the leader; the leader is n1' "$T_DIR/to.out" ||
	t_fail "on a follower: $(cat "$T_DIR/to.out")"
from=1
for to in 3 1 3 1; do
	t_wait "n$to to replicate" 20 cl_link_up $to
	ctl $from switchover --to n$to >"$T_DIR/to.out" ||
		t_fail "switchover --to n$to: $(cat "$T_DIR/to.out")"
	cl_leader_is n$to || t_fail "n$(cl_leader) leads, not n$to"
	from=$to
done
tcm_log_has n2 'not contending: the lock was released for another node' ||
	echo "# n2 never saw the lock free during a handover"
t_wait "n2 to replicate from n1" 20 cl_link_up 2
t_ok "switchover --to: the chosen node leads four times in a row; refusals"

# Switchover under writes: nothing acknowledged is lost.
writer() {
	local n=0
	while :; do
		n=$((n + 1))
		[ "$(cl_write "${MGR_W[2]}" "sw:$n" "$n")" = OK ] && echo "sw:$n"
	done >"$T_DIR/acked"
}
writer &
WRITER=$!
t_wait "writes flowing" 10 test -s "$T_DIR/acked"
ctl 1 switchover --to n2 >"$T_DIR/switchover.out" ||
	t_fail "switchover: $(cat "$T_DIR/switchover.out")"
t_wait "/leader 200 on n2 within a second" 1 code_is 2 /leader 200
code_is 1 /leader 503 || t_fail "/leader still 200 on n1"
t_wait "/replica 200 on n1" 20 code_is 1 /replica 200
# Writes go on through n2, the leader now, before the writer stops.
flipped=$(wc -l <"$T_DIR/acked")
acked_since() { [ "$(wc -l <"$T_DIR/acked")" -ge $((flipped + $1)) ]; }
t_wait "10 writes acknowledged after the switchover" 10 acked_since 10
kill "$WRITER" 2>/dev/null
wait "$WRITER" 2>/dev/null
lost=0
while read -r k; do
	cl_stored 2 "$k" || lost=$((lost + 1))
done <"$T_DIR/acked"
[ "$lost" = 0 ] || t_fail "$lost of $(wc -l <"$T_DIR/acked") acknowledged writes lost"
# A leader that let go never takes a stale answer naming its own session
# for the lock again.
for i in 1 2 3; do
	bad=$(cl_false_acquisitions "$T_DIR/n$i.log")
	[ "$bad" = 0 ] ||
		t_fail "n$i took the lock back $bad times after releasing it"
done
echo "# $(cat "$T_DIR/switchover.out"); $(wc -l <"$T_DIR/acked") writes acknowledged, none lost"
t_ok "switchover: n2 leads, /leader and /replica flip, no acknowledged write lost"

t_stop "${MGR_PID[3]}" 20 || t_fail "stopping n3"

# pause: a paused node does not take over from a dead leader.
ctl 1 pause | grep -q paused || t_fail "pause"
says_paused() { [ "$(ctl 1 --json status | jq -r .paused)" = true ]; }
# Figures travel once a second.
t_wait "status to say paused" 3 says_paused
cl_kill_manager 2
gone() { [ -z "$(cl_leader)" ]; }
t_wait "the dead leader's lock to go" 15 gone
deadline=$(($(cl_now_ms) + 4000))
while [ "$(cl_now_ms)" -lt "$deadline" ]; do
	[ -z "$(cl_leader)" ] || t_fail "a paused node took the lock"
done
ctl 1 resume | grep -q resumed || t_fail "resume"
t_wait "n1 to lead after resume" 15 cl_leader_is n1
t_ok "pause stops failover; resume lets it happen"

ctl 1 log verbose >/dev/null || t_fail "log verbose"
tcm_wait_log n1 'supervisor: log level verbose'
ctl 1 log brief >/dev/null || t_fail "log brief"
ctl 1 log loud >/dev/null 2>&1 && t_fail "log loud accepted"
ctl 1 reload | grep -q 'configuration unchanged' || t_fail "reload"
t_ok "log verbose|brief and reload over the control socket"

t_stop "${MGR_PID[1]}" 20 || t_fail "stopping n1"
[ ! -e "$T_DIR/n1.ctl" ] || t_fail "the control socket was left behind"
tcm_check_log n1
tcm_check_log n2
tcm_check_log n3
