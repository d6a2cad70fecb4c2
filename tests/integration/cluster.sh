# A cluster on 127.0.0.1 for tests: a real Consul dev agent, real servers
# and managers.  Sourced after lib.sh and tcm.sh.
#
# cl_init				Consul, and a lock prefix of this test
# cl_redis I				start (or restart) redis-server I
# cl_manager I [LINE...]		start manager I for server I
# cl_leader				id in the lock, "" when free
# cl_role I				"master" or "slave" of server I
# cl_kill_manager I			kill -9 every process of manager I
# cl_consul_restart			restart the agent on the same ports
# cl_client				a Connect client identity in $T_DIR
# cl_tls PORT ARGS...			redis-cli over mTLS with that identity

declare -a REDIS_PORT REDIS_PID MGR_PID MGR_W MGR_R MGR_B

cl_init() {
	command -v redis-server >/dev/null ||
		t_fail "redis-server not found: run contrib/ci/install-deps"
	t_consul_start
	CL_PREFIX="tcm-test/$$"
}

cl_redis() {
	local i=$1 port
	# A restarted server comes back on its old port.
	port=${REDIS_PORT[$i]:-$(t_port)}
	# No 5 s wait before a full sync (Redis's default, for batching).
	t_bg "redis$i" redis-server --port "$port" --bind 127.0.0.1 \
		--save "" --appendonly no --dir "$T_DIR" --daemonize no \
		--repl-diskless-sync-delay 0
	REDIS_PORT[$i]=$port
	REDIS_PID[$i]=$T_LAST_PID
	t_wait "redis$i answers" 10 redis-cli -p "$port" ping
}

cl_manager() {
	local i=$1
	shift
	tcm_conf "$T_DIR/n$i.conf" "id n$i" "server.kind redis" \
		"server.port ${REDIS_PORT[$i]}" "consul.addr $CONSUL_HTTP_ADDR" \
		"consul.lock.prefix $CL_PREFIX" "service.manage true" "$@"
	MGR_W[$i]=$TCM_PORT_W
	MGR_R[$i]=$TCM_PORT_R
	MGR_B[$i]=$TCM_PORT_B
	tcm_start "n$i" "$T_DIR/n$i.conf"
	MGR_PID[$i]=$TCM_PID
}

cl_leader() {
	curl -sf "http://$CONSUL_HTTP_ADDR/v1/kv/$CL_PREFIX/leader" 2>/dev/null |
		jq -r '.[0] | select(.Session != null) | .Value' | base64 -d 2>/dev/null
}

cl_has_leader() {
	[ -n "$(cl_leader)" ]
}

cl_leader_is() {
	[ "$(cl_leader)" = "$1" ]
}

cl_leader_not() {
	local l
	l=$(cl_leader)
	[ -n "$l" ] && [ "$l" != "$1" ]
}

cl_info() {
	redis-cli -p "${REDIS_PORT[$1]}" info replication 2>/dev/null | tr -d '\r'
}

cl_role() {
	cl_info "$1" | awk -F: '$1 == "role" { print $2 }'
}

cl_role_is() {
	[ "$(cl_role "$1")" = "$2" ]
}

# Server I replicates from its own bridge.
cl_follows_bridge() {
	local i=$1
	cl_role_is "$i" slave &&
		cl_info "$i" | grep -qx "master_port:${MGR_B[$i]}"
}

cl_kill_manager() {
	local i=$1 kids
	kids=$(pgrep -P "${MGR_PID[$i]}" | tr '\n' ' ')
	# shellcheck disable=SC2086
	kill -9 "${MGR_PID[$i]}" $kids 2>/dev/null
	wait "${MGR_PID[$i]}" 2>/dev/null
}

cl_consul_restart() {
	t_stop "$T_CONSUL_PID" 10 >/dev/null
	t_bg consul-again consul agent -dev -node "tcm-test-$$" \
		-bind 127.0.0.1 -client 127.0.0.1 -advertise 127.0.0.1 \
		-config-file "$T_DIR/consul/agent.hcl"
	T_CONSUL_PID=$T_LAST_PID
	t_wait "Consul back on $CONSUL_HTTP_ADDR" 30 _t_consul_ready
	t_wait "an active Connect CA root" 30 _t_consul_ca_ready
}

# Milliseconds since the epoch, for reporting how long something took.
cl_now_ms() {
	date +%s%3N
}

cl_client() {
	local leaf
	leaf=$(curl -sf "http://$CONSUL_HTTP_ADDR/v1/agent/connect/ca/leaf/t38-client") ||
		t_fail "client leaf"
	jq -r .CertPEM <<<"$leaf" >"$T_DIR/client.pem"
	jq -r .PrivateKeyPEM <<<"$leaf" >"$T_DIR/client.key"
	curl -sf "http://$CONSUL_HTTP_ADDR/v1/agent/connect/ca/roots" |
		jq -r '.Roots[].RootCert' >"$T_DIR/roots.pem"
}

cl_tls() {
	local port=$1
	shift
	timeout 5 redis-cli --tls --cert "$T_DIR/client.pem" \
		--key "$T_DIR/client.key" --cacert "$T_DIR/roots.pem" \
		-h 127.0.0.1 -p "$port" "$@" 2>/dev/null
}
