# A cluster on 127.0.0.1 for tests: a real Consul dev agent, real servers
# and managers.  Sourced after lib.sh and tcm.sh.  CL_KIND picks the
# servers: redis (the default) or tile38 (TILE38_SERVER or tile38-server
# on PATH).
#
# cl_init				Consul, and a lock prefix of this test
# cl_server I				start (or restart) server I
# cl_manager I [LINE...]		start manager I for server I
# cl_start3				Consul, three servers, n1 leading, n2 and
#					n3 caught up
# cl_leader				id in the lock, "" when free
# cl_role I				"master" or "slave" of server I
# cl_link_up I				server I's replica is caught up
# cl_kill_manager I			kill -9 every process of manager I
# cl_manager_pids I			manager I's supervisor and every process
#					under it
# cl_elector I				pid of manager I's elector ("" none)
# cl_elector_loop I S			kill -9 manager I's elector each time it
#					comes back, for S seconds; CL_KILLS: how
#					many
# cl_one_leader				the lock holder's server is the only master
# cl_consul_restart			restart the agent on the same ports
# cl_client				a Connect client identity in $T_DIR
# cl_tls PORT ARGS...			redis-cli over mTLS with that identity
# cl_write PORT KEY VALUE		store a string, over mTLS: "OK"
# cl_read PORT KEY			read it back, over mTLS
# cl_stored I KEY			server I has KEY (plain, its own port)
# cl_false_acquisitions LOG		leaderships taken on a stale answer

declare -a SRV_PORT SRV_PID MGR_PID MGR_W MGR_R MGR_B
CL_KIND=${CL_KIND:-redis}

# The servers of CL_KIND are there (CL_TILE38: Tile38's binary).
cl_check_kind() {
	case $CL_KIND in
	redis)
		command -v redis-server >/dev/null ||
			t_fail "redis-server not found: run contrib/ci/install-deps"
		;;
	tile38)
		CL_TILE38=${TILE38_SERVER:-$(command -v tile38-server)} ||
			t_fail "tile38-server not found (PATH or TILE38_SERVER)"
		;;
	*)
		t_fail "CL_KIND $CL_KIND: not redis or tile38"
		;;
	esac
}

cl_init() {
	cl_check_kind
	t_consul_start
	CL_PREFIX="tcm-test/$$"
}

cl_server() {
	local i=$1 port
	# A restarted server comes back on its old port (and Tile38 on its
	# old data directory).
	port=${SRV_PORT[$i]:-$(t_port)}
	if [ "$CL_KIND" = tile38 ]; then
		mkdir -p "$T_DIR/tile38-$i"
		t_bg "tile38-$i" "$CL_TILE38" -h 127.0.0.1 -p "$port" \
			-d "$T_DIR/tile38-$i"
	else
		# No 5 s wait before a full sync (Redis's default, for
		# batching), unless a test gives its own CL_REDIS_ARGS.
		# A directory each: a replica's RDB, an append-only file.
		mkdir -p "$T_DIR/redis-$i"
		# shellcheck disable=SC2086
		t_bg "redis$i" redis-server --port "$port" --bind 127.0.0.1 \
			--save "" --dir "$T_DIR/redis-$i" --daemonize no \
			${CL_REDIS_ARGS:---appendonly no --repl-diskless-sync-delay 0}
	fi
	SRV_PORT[$i]=$port
	SRV_PID[$i]=$T_LAST_PID
	t_wait "$CL_KIND server $i answers" 20 redis-cli -p "$port" ping
}

cl_manager() {
	local i=$1
	shift
	tcm_conf "$T_DIR/n$i.conf" "id n$i" "server.kind $CL_KIND" \
		"server.port ${SRV_PORT[$i]:-1}" "consul.addr $CONSUL_HTTP_ADDR" \
		"consul.lock.prefix $CL_PREFIX" "service.manage true" "$@"
	MGR_W[$i]=$TCM_PORT_W
	MGR_R[$i]=$TCM_PORT_R
	MGR_B[$i]=$TCM_PORT_B
	tcm_start "n$i" "$T_DIR/n$i.conf"
	MGR_PID[$i]=$TCM_PID
}

cl_start3() {
	local i
	cl_init
	for i in 1 2 3; do
		cl_server "$i"
	done
	cl_manager 1
	t_wait "n1 leads" 15 cl_leader_is n1
	cl_manager 2
	cl_manager 3
	t_wait "n2 caught up" 20 cl_link_up 2
	t_wait "n3 caught up" 20 cl_link_up 3
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
	redis-cli -p "${SRV_PORT[$1]}" info replication 2>/dev/null | tr -d '\r'
}

cl_role() {
	cl_info "$1" | awk -F: '$1 == "role" { print $2 }'
}

cl_role_is() {
	[ "$(cl_role "$1")" = "$2" ]
}

# Server I's replica is caught up: Redis says its link is up, Tile38
# (over its HTTP port) that it has caught up.
cl_link_up() {
	if [ "$CL_KIND" = tile38 ]; then
		curl -sf "http://127.0.0.1:${SRV_PORT[$1]}/server" |
			jq -e '.stats.caught_up == true' >/dev/null
	else
		cl_info "$1" | grep -qx 'master_link_status:up'
	fi
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

cl_manager_pids() {
	printf '%s\n' "${MGR_PID[$1]}"
	_t_descendants "${MGR_PID[$1]}"
}

cl_elector() {
	pgrep -P "${MGR_PID[$1]}" -x t38cm-elector 2>/dev/null | head -n 1
}

# A restarted elector resumes its session and may lead again within a
# few milliseconds of its start, so it is looked for every 5 ms, without
# starting a process: its name is set first thing.
cl_elector_loop() {
	local sup=${MGR_PID[$1]} end_us idle pid comm last=
	local -a kids
	end_us=$(( ${EPOCHREALTIME/./} + $2 * 1000000 ))
	CL_KILLS=0
	exec {idle}<> <(:)
	while [ "${EPOCHREALTIME/./}" -lt "$end_us" ]; do
		kids=()
		read -r -a kids <"/proc/$sup/task/$sup/children" 2>/dev/null
		for pid in "${kids[@]}"; do
			comm=
			read -r comm <"/proc/$pid/comm" 2>/dev/null
			[ "$comm" = t38cm-elector ] && [ "$pid" != "$last" ] ||
				continue
			kill -9 "$pid" 2>/dev/null && CL_KILLS=$((CL_KILLS + 1))
			last=$pid
		done
		# Pacing of the look, not a wait for a condition.
		read -r -t 0.005 -u "$idle"
	done
	exec {idle}>&-
}

cl_one_leader() {
	local l i masters=0
	l=$(cl_leader)
	[ -n "$l" ] || return 1
	for i in "${!SRV_PORT[@]}"; do
		cl_role_is "$i" master || continue
		[ "n$i" = "$l" ] || return 1
		masters=$((masters + 1))
	done
	[ "$masters" -eq 1 ]
}

cl_consul_restart() {
	t_stop "$T_CONSUL_PID" 10 >/dev/null
	t_bg consul-again consul agent -dev -node "tcm-test-$$" \
		-bind 127.0.0.1 -client 127.0.0.1 -advertise 127.0.0.1 \
		-config-file "$T_DIR/consul/agent.hcl" \
		"${T_CONSUL_CONFIG[@]/#/-config-file=}"
	T_CONSUL_PID=$T_LAST_PID
	t_wait "Consul back on $CONSUL_HTTP_ADDR" 30 _t_consul_ready
	t_wait "an active Connect CA root" 30 _t_consul_ca_ready
}

# Milliseconds since the epoch, for reporting how long something took.
cl_now_ms() {
	date +%s%3N
}

# The agent signs leaves once its Connect CA is up, which a loaded host
# may not have reached when the agent has a leader.
_cl_client_leaf() {
	curl -sf "http://$CONSUL_HTTP_ADDR/v1/agent/connect/ca/leaf/t38-client" \
		>"$T_DIR/client.json"
}

# cl_ca DIR NAME: a Connect CA of the test's making, DIR/ca.key (P-256)
# and DIR/ca.pem, its self-signed root named NAME.
cl_ca() {
	mkdir -p "$1"
	openssl ecparam -name prime256v1 -genkey -noout -out "$1/ca.key" \
		2>/dev/null &&
	openssl req -x509 -new -key "$1/ca.key" -subj "/CN=$2" \
		-days 2 -out "$1/ca.pem" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
		2>/dev/null || t_fail "openssl: CA"
}

cl_client() {
	t_wait "a client leaf from the Connect CA" 30 _cl_client_leaf
	jq -r .CertPEM "$T_DIR/client.json" >"$T_DIR/client.pem"
	jq -r .PrivateKeyPEM "$T_DIR/client.json" >"$T_DIR/client.key"
	curl -sf "http://$CONSUL_HTTP_ADDR/v1/agent/connect/ca/roots" |
		jq -r '.Roots[].RootCert' >"$T_DIR/roots.pem"
}

# CL_TLS_TIMEOUT: how long cl_tls waits for its answer (5 s).
cl_tls() {
	local port=$1
	shift
	timeout "${CL_TLS_TIMEOUT:-5}" redis-cli --tls \
		--cert "$T_DIR/client.pem" --key "$T_DIR/client.key" \
		--cacert "$T_DIR/roots.pem" \
		-h 127.0.0.1 -p "$port" "$@" 2>/dev/null
}

# A string under KEY: Tile38 keeps it as a STRING object of id KEY in
# the collection "kv", Redis as a plain key.
cl_write() {
	local port=$1 key=$2 value=$3
	if [ "$CL_KIND" = tile38 ]; then
		cl_tls "$port" SET kv "$key" STRING "$value"
	else
		cl_tls "$port" SET "$key" "$value"
	fi
}

cl_read() {
	local port=$1 key=$2
	if [ "$CL_KIND" = tile38 ]; then
		cl_tls "$port" GET kv "$key"
	else
		cl_tls "$port" GET "$key"
	fi
}

cl_stored() {
	local i=$1 key=$2
	if [ "$CL_KIND" = tile38 ]; then
		[ -n "$(redis-cli -p "${SRV_PORT[$i]}" GET kv "$key" 2>/dev/null |
			grep -v 'not found')" ]
	else
		[ "$(redis-cli -p "${SRV_PORT[$i]}" EXISTS "$key")" = 1 ]
	fi
}

# How many times the manager of LOG took the lock for a leadership it did
# not have: after releasing it, a "lock acquired" that is dropped again
# (leadership lost, not confirmed, released) before any "role: leader".
# A stale "free" answer right after a real acquire (lost, then taken back
# on a consistent read) is not counted: the node had not released.
cl_false_acquisitions() {
	awk '
		# A count of lines written before: not an event of its own.
		/more like this in the last [0-9.]+s, none since\)$/ { next }
		/elector: releasing the lock/ { if (pend) bad++; pend = 0; rel = 1 }
		/elector: lock .*\/leader acquired/ { if (pend) bad++; pend = rel }
		/elector: leadership (lost|not confirmed)/ { if (pend) bad++; pend = 0 }
		/elector: role: leader \(/ { pend = 0; rel = 0 }
		END { print bad + 0 }
	' "$1"
}

# cl_client_as SERVICE: a Connect client identity of SERVICE in $T_DIR
# (SERVICE.pem, SERVICE.key; the roots as cl_client's), and intentions
# that allow it to the writer and the reader services.
cl_client_as() {
	local svc=$1 leaf dst
	leaf=$(curl -sf "http://$CONSUL_HTTP_ADDR/v1/agent/connect/ca/leaf/$svc") ||
		t_fail "leaf of $svc"
	jq -r .CertPEM <<<"$leaf" >"$T_DIR/$svc.pem"
	jq -r .PrivateKeyPEM <<<"$leaf" >"$T_DIR/$svc.key"
	curl -sf "http://$CONSUL_HTTP_ADDR/v1/agent/connect/ca/roots" |
		jq -r '.Roots[].RootCert' >"$T_DIR/roots.pem"
	for dst in tile38-writer tile38-reader; do
		curl -sf -X POST "http://$CONSUL_HTTP_ADDR/v1/connect/intentions" \
		    -d "{\"SourceName\":\"$svc\",\"DestinationName\":\"$dst\",\"Action\":\"allow\"}" \
		    >/dev/null || t_fail "intention $svc -> $dst"
	done
}

# cl_tls_as SERVICE PORT ARGS...: cl_tls with SERVICE's identity.
cl_tls_as() {
	local svc=$1 port=$2
	shift 2
	timeout "${CL_TLS_TIMEOUT:-5}" redis-cli --tls \
		--cert "$T_DIR/$svc.pem" --key "$T_DIR/$svc.key" \
		--cacert "$T_DIR/roots.pem" \
		-h 127.0.0.1 -p "$port" "$@" 2>/dev/null
}

# cl_metric PORT NAME [LISTENER]: a figure from the admin /metrics on
# PORT (http.port), tile38_cluster_NAME, of that listener; "" when none.
cl_metric() {
	local m="tile38_cluster_$2"
	[ -n "${3:-}" ] && m="$m{listener=\"$3\"}"
	curl -sf --max-time 5 "http://127.0.0.1:$1/metrics" |
		awk -v m="$m" '$1 == m { print $2 }'
}
