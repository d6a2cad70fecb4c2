#!/bin/bash
# A network partition cuts the leader off while a client next to it keeps
# writing.  Network namespaces made here: a hub with a bridge and the
# Consul server, and per node one namespace with its own Consul client
# agent, server and manager, joined to the bridge by a veth pair; inside
# a node everything local is on that namespace's 127.0.0.1 and the
# manager advertises its veth address.  Probes, every 100 ms: inside the
# leader's namespace one long-lived mTLS connection to its writer and a
# new connection per write; from the hub a write through every node's
# writer.  The fault: the leader's veth goes down (from the hub side);
# the majority elects a new leader; the link comes back.  Asserted: no
# write acknowledged by the old leader after the new one took the lock;
# every node converges to the new leader's data, the old leader as its
# follower; of the writes the old leader acknowledged, at most those of
# one lease (the default election.lease, 1 s, at 100 ms a write) are
# missing on the new leader, and none of those the new leader
# acknowledged.
#
# Needs root and network namespaces; skips otherwise.  PARTITION_CONF:
# extra configuration lines for every manager, separated by ';', to try
# other timings (a longer lease fails: the bound stays at 1 s), e.g.
# "election.lease 4s;election.lock.delay 5s;election.check.ttl 5s".
set -uo pipefail
. "$TESTS_SRCDIR/tests/integration/lib.sh"
. "$TESTS_SRCDIR/tests/integration/tcm.sh"
. "$TESTS_SRCDIR/tests/integration/cluster.sh"

t_begin "a partitioned leader stops acknowledging writes within its lease ($CL_KIND)"
# A write to a connection its peer closed fails; it must not kill the test.
trap '' PIPE

[ "$(id -u)" = 0 ] || t_skip "not root: network namespaces need root"
command -v ip >/dev/null 2>&1 || t_skip "no ip(8) (iproute2)"
unshare --net true 2>/dev/null || t_skip "unshare --net fails here"
command -v openssl >/dev/null || t_fail "openssl not found"
redis-cli --help 2>&1 | grep -q -- '--tls' || t_fail "redis-cli without TLS"
command -v consul >/dev/null 2>&1 ||
	t_fail "consul not found: run contrib/ci/install-deps"
cl_check_kind

# Namespaces and addresses: all private to this test, so fixed ports.
NS_HUB=tcm$$-hub
PT_NET=10.231.0
HUB_ADDR=$PT_NET.1
PORT_W=7001 PORT_R=7002 PORT_B=7003 PORT_SRV=6379
declare -a NS ADDR
for i in 1 2 3; do
	NS[i]=tcm$$-n$i
	ADDR[i]=$PT_NET.1$i
done

ip netns add "$NS_HUB" 2>/dev/null || t_skip "ip netns add fails here"
t_atexit ip netns del "$NS_HUB"
ip -n "$NS_HUB" link set lo up &&
	ip -n "$NS_HUB" link add br0 type bridge ||
	t_skip "no bridge in a network namespace"
ip -n "$NS_HUB" addr add "$HUB_ADDR/24" dev br0 &&
	ip -n "$NS_HUB" link set br0 up || t_fail "the hub's bridge"
for i in 1 2 3; do
	ip netns add "${NS[i]}" || t_fail "netns ${NS[i]}"
	t_atexit ip netns del "${NS[i]}"
	ip -n "$NS_HUB" link add "v$i" type veth peer name eth0 \
		netns "${NS[i]}" 2>/dev/null || t_skip "no veth pairs here"
	ip -n "$NS_HUB" link set "v$i" master br0 up &&
		ip -n "${NS[i]}" link set lo up &&
		ip -n "${NS[i]}" addr add "${ADDR[i]}/24" dev eth0 &&
		ip -n "${NS[i]}" link set eth0 up || t_fail "the link of n$i"
done

# pt_in NS CMD ARGS...: run CMD in the network namespace NS.
pt_in() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

# Consul ---------------------------------------------------------------

mkdir -p "$T_DIR/consul"
cat >"$T_DIR/consul/common.hcl" <<EOF
disable_update_check = true
ports {
  https = -1
  grpc  = -1
  dns   = -1
}
EOF
cat >"$T_DIR/consul/server.hcl" <<EOF
connect {
  enabled = true
}
EOF
cat >"$T_DIR/consul/client.hcl" <<EOF
retry_interval = "1s"
EOF

# pt_consul_up NS: the agent in NS has a Consul leader and an active
# Connect CA root.
pt_consul_up() {
	pt_in "$1" curl -sf --max-time 2 http://127.0.0.1:8500/v1/status/leader |
		jq -e 'type == "string" and length > 0' >/dev/null &&
	pt_in "$1" curl -sf --max-time 2 \
		http://127.0.0.1:8500/v1/agent/connect/ca/roots |
		jq -e '.ActiveRootID as $id | $id != null and $id != "" and
		    any(.Roots[]?; .ID == $id and .Active)' >/dev/null
}

t_bg consul-server ip netns exec "$NS_HUB" consul agent -dev \
	-node "tcm-$$-hub" -bind "$HUB_ADDR" -client 127.0.0.1 \
	-config-file "$T_DIR/consul/common.hcl" \
	-config-file "$T_DIR/consul/server.hcl"
t_wait "the Consul server" 30 pt_consul_up "$NS_HUB"
for i in 1 2 3; do
	mkdir -p "$T_DIR/consul/n$i"
	t_bg "consul-n$i" ip netns exec "${NS[i]}" consul agent \
		-node "tcm-$$-n$i" -bind "${ADDR[i]}" -client 127.0.0.1 \
		-retry-join "$HUB_ADDR" \
		-data-dir "$T_DIR/consul/n$i" \
		-config-file "$T_DIR/consul/common.hcl" \
		-config-file "$T_DIR/consul/client.hcl"
done
for i in 1 2 3; do
	t_wait "n$i's Consul agent" 30 pt_consul_up "${NS[i]}"
done

# Servers and managers -------------------------------------------------

CL_PREFIX="tcm-test/$$"

pt_srv() {
	local i=$1
	shift
	pt_in "${NS[i]}" redis-cli -p "$PORT_SRV" "$@" 2>/dev/null
}

for i in 1 2 3; do
	if [ "$CL_KIND" = tile38 ]; then
		mkdir -p "$T_DIR/tile38-$i"
		t_bg "tile38-$i" ip netns exec "${NS[i]}" "$CL_TILE38" \
			-h 127.0.0.1 -p "$PORT_SRV" -d "$T_DIR/tile38-$i"
	else
		t_bg "redis$i" ip netns exec "${NS[i]}" redis-server \
			--port "$PORT_SRV" --bind 127.0.0.1 --save "" --appendonly no \
			--dir "$T_DIR" --dbfilename "n$i.rdb" --daemonize no \
			--repl-diskless-sync-delay 0
	fi
	t_wait "$CL_KIND server $i answers" 20 pt_srv "$i" ping
done

pt_manager() {
	local i=$1
	local -a extra=()
	IFS=';' read -r -a extra <<<"${PARTITION_CONF:-}"
	tcm_conf "$T_DIR/n$i.conf" "id n$i" "advertise ${ADDR[i]}" \
		"server.kind $CL_KIND" "server.port $PORT_SRV" \
		"consul.addr 127.0.0.1:8500" "consul.lock.prefix $CL_PREFIX" \
		"service.manage true" \
		"bind.addr.leader 0.0.0.0" "bind.port.leader $PORT_W" \
		"bind.addr.follower 0.0.0.0" "bind.port.follower $PORT_R" \
		"bind.port.bridge $PORT_B" "${extra[@]}"
	t_bg "n$i" ip netns exec "${NS[i]}" "$TCM" -d -f "$T_DIR/n$i.conf"
	tcm_wait_log "n$i" \
		'supervisor: running: elector, writer, reader, bridge and admin ready' 30
}

pt_leader() {
	pt_in "$NS_HUB" curl -sf --max-time 2 \
		"http://127.0.0.1:8500/v1/kv/$CL_PREFIX/leader" 2>/dev/null |
		jq -r '.[0] | select(.Session != null) | .Value' |
		base64 -d 2>/dev/null
}

pt_leader_is() {
	[ "$(pt_leader)" = "$1" ]
}

pt_leader_not() {
	local l
	l=$(pt_leader)
	[ -n "$l" ] && [ "$l" != "$1" ]
}

# Server I is a replica through its own bridge, and caught up.
pt_follows() {
	local i=$1 info
	info=$(pt_srv "$i" info replication | tr -d '\r')
	grep -qx 'role:slave' <<<"$info" &&
		grep -qx "master_port:$PORT_B" <<<"$info" || return 1
	if [ "$CL_KIND" = tile38 ]; then
		pt_in "${NS[i]}" curl -sf --max-time 2 \
			"http://127.0.0.1:$PORT_SRV/server" |
			jq -e '.stats.caught_up == true' >/dev/null
	else
		grep -qx 'master_link_status:up' <<<"$info"
	fi
}

pt_manager 1
t_wait "n1 leads" 30 pt_leader_is n1
pt_manager 2
pt_manager 3
t_wait "n2 follows n1" 30 pt_follows 2
t_wait "n3 follows n1" 30 pt_follows 3

# A client identity from the Connect CA, for every namespace.
leaf=$(pt_in "$NS_HUB" curl -sf \
	http://127.0.0.1:8500/v1/agent/connect/ca/leaf/t38-client) ||
	t_fail "client leaf"
jq -r .CertPEM <<<"$leaf" >"$T_DIR/client.pem"
jq -r .PrivateKeyPEM <<<"$leaf" >"$T_DIR/client.key"
pt_in "$NS_HUB" curl -sf http://127.0.0.1:8500/v1/agent/connect/ca/roots |
	jq -r '.Roots[].RootCert' >"$T_DIR/roots.pem"

# Probes ---------------------------------------------------------------
# They run inside a namespace (ip netns exec bash), so they and what they
# use are exported.  Each stops when its file $T_DIR/stop.<name> exists.

# One write command for KEY, inline.
pt_write_cmd() {
	if [ "$CL_KIND" = tile38 ]; then
		printf 'SET kv %s STRING v\r\n' "$1"
	else
		printf 'SET %s v\r\n' "$1"
	fi
}

# pt_write HOST KEY: one write on a new mTLS connection to HOST's writer.
pt_write() {
	local host=$1 key=$2
	local -a cmd=(SET "$key" v)
	[ "$CL_KIND" = tile38 ] && cmd=(SET kv "$key" STRING v)
	timeout 3 redis-cli --tls --cert "$T_DIR/client.pem" \
		--key "$T_DIR/client.key" --cacert "$T_DIR/roots.pem" \
		-h "$host" -p "$PORT_W" "${cmd[@]}" 2>/dev/null
}

# pt_probe_nc NAME LABEL=HOST...: every 100 ms a write on a new connection
# through each HOST's writer, key NAME-LABEL-<n>; "<µs> <key>" for each
# acknowledged one.
pt_probe_nc() {
	local name=$1 n=0 t key
	shift
	while [ ! -e "$T_DIR/stop.$name" ]; do
		n=$((n + 1))
		for t in "$@"; do
			key=$name-${t%%=*}-$n
			if [ "$(pt_write "${t#*=}" "$key")" = OK ]; then
				printf '%s %s\n' "${EPOCHREALTIME/./}" "$key"
			fi
		done
		sleep 0.1
	done
}

# pt_probe_ll NAME: one connection to the writer on 127.0.0.1, a write
# every 100 ms (key NAME-<n>); each reply stamped with the time it came
# (µs), the n-th reply answering the n-th write.  Once stopped it waits
# 1 s for the last replies.
pt_probe_ll() {
	local name=$1 n=0
	{
		while [ ! -e "$T_DIR/stop.$name" ]; do
			n=$((n + 1))
			pt_write_cmd "$name-$n" 2>/dev/null || exit 0
			sleep 0.1
		done
		sleep 1
	} | timeout 200 openssl s_client -quiet -no_ign_eof -nocommands \
	    -connect "127.0.0.1:$PORT_W" -cert "$T_DIR/client.pem" \
	    -key "$T_DIR/client.key" -CAfile "$T_DIR/roots.pem" 2>/dev/null |
	while IFS= read -r line; do
		printf '%s %s\n' "${EPOCHREALTIME/./}" "${line%$'\r'}"
	done
}
export T_DIR CL_KIND PORT_W
export -f pt_write_cmd pt_write pt_probe_nc pt_probe_ll

pt_acks() {
	[ "$(wc -l <"$T_DIR/$1.log")" -ge "$2" ]
}

old=1
t_bg ll ip netns exec "${NS[old]}" bash -c 'pt_probe_ll ll'
ll_pid=$T_LAST_PID
t_bg ncl ip netns exec "${NS[old]}" bash -c 'pt_probe_nc ncl "n1=127.0.0.1"'
ncl_pid=$T_LAST_PID
t_bg nch ip netns exec "$NS_HUB" bash -c 'pt_probe_nc nch "$@"' _ \
	"n1=${ADDR[1]}" "n2=${ADDR[2]}" "n3=${ADDR[3]}"
nch_pid=$T_LAST_PID
t_wait "writes on the long-lived connection" 15 pt_acks ll 10
t_wait "writes on new connections in n1" 15 pt_acks ncl 10
t_wait "writes through every writer from the hub" 15 pt_acks nch 15

# The fault ------------------------------------------------------------

down_us=${EPOCHREALTIME/./}
ip -n "$NS_HUB" link set "v$old" down || t_fail "v$old down"
t_wait "another node leads" 60 pt_leader_not "n$old"
new=$(pt_leader)
n=${new#n}

# When the new leader took the lock, from its own log (one clock).
acq=$(grep -h 'elector: lock .*/leader acquired' "$T_DIR/$new.log" |
	tail -n 1 | cut -d' ' -f1)
[ -n "$acq" ] || t_fail "no acquisition in $new.log"
acq_us=$(date -d "$acq" +%s%6N) || t_fail "timestamp $acq"
lapsed=$(grep -h 'writer: write lease lapsed' "$T_DIR/n$old.log" |
	tail -n 1 | cut -d' ' -f1)
if [ -n "$lapsed" ]; then
	lapsed_us=$(date -d "$lapsed" +%s%6N) || t_fail "timestamp $lapsed"
	lapsed_txt="n$old's write lease lapsed $(( (lapsed_us - down_us) / 1000 )) ms after"
else
	lapsed_txt="no 'write lease lapsed' in n$old.log"
fi
t_ok "$new took the lock $(( (acq_us - down_us) / 1000 )) ms after n$old's link went down; $lapsed_txt"

# The probes in n1 run on 3 s past the new leadership, then stop: while
# the link is down whatever answers them is the old leader.
past() { [ "${EPOCHREALTIME/./}" -gt $((acq_us + 3000000)) ]; }
t_wait "3 s past the new leadership" 15 past
pt_gone() {
	! t_alive "$1"
}
: >"$T_DIR/stop.ll"
: >"$T_DIR/stop.ncl"
t_wait "the long-lived probe to stop" 10 pt_gone "$ll_pid"
t_wait "the probe on new connections in n1 to stop" 10 pt_gone "$ncl_pid"

# "<µs> <key> <probe>" of each acknowledged write.
awk '/^[0-9]+ [-+]/ { n++ } $2 == "+OK" { print $1, "ll-" n, "ll" }' \
	"$T_DIR/ll.log" >"$T_DIR/acked"
awk '{ print $1, $2, "ncl" }' "$T_DIR/ncl.log" >>"$T_DIR/acked"
# (1) No write acknowledged in n1 after the new leader took the lock:
# with the link down, only the old leader could have answered.
awk -v t="$acq_us" '$3 != "nch" && $1 > t' "$T_DIR/acked" >"$T_DIR/late"
last=$(awk '$3 != "nch" { print $1 }' "$T_DIR/acked" | sort -n | tail -n 1)
if [ -s "$T_DIR/late" ]; then
	sed 's/^/# late: /' "$T_DIR/late"
	t_fail "$(wc -l <"$T_DIR/late") writes acknowledged by n$old after $new took the lock"
fi
t_ok "writes acknowledged late: 0; n$old's last acknowledgement $(( (last - down_us) / 1000 )) ms after the link went down, $(( (acq_us - last) / 1000 )) ms before $new took the lock"

# The link comes back -------------------------------------------------

up_us=${EPOCHREALTIME/./}
ip -n "$NS_HUB" link set "v$old" up || t_fail "v$old up"
t_wait "n$old follows $new" 90 pt_follows "$old"
t_ok "n$old follows $new $(( (${EPOCHREALTIME/./} - up_us) / 1000 )) ms after its link came back"
: >"$T_DIR/stop.nch"
t_wait "the probe from the hub to stop" 10 pt_gone "$nch_pid"
pt_leader_is "$new" || t_fail "the leadership moved again: $(pt_leader)"

# pt_dump I: server I's data as text, in a stable order.
pt_dump() {
	local i=$1 keys
	if [ "$CL_KIND" = tile38 ]; then
		pt_srv "$i" SCAN kv LIMIT 1000000
		return
	fi
	keys=$(pt_srv "$i" --scan | sort)
	[ -n "$keys" ] || return 0
	# shellcheck disable=SC2086
	paste -d ' ' <(printf '%s\n' "$keys") \
		<(printf 'GET %s\n' $keys | pt_srv "$i")
}

pt_same_data() {
	local i rc=0
	pt_dump "$n" >"$T_DIR/data.$n" || return 1
	[ -s "$T_DIR/data.$n" ] || return 1
	for i in 1 2 3; do
		[ "$i" = "$n" ] && continue
		pt_dump "$i" >"$T_DIR/data.$i" || return 1
		if ! cmp -s "$T_DIR/data.$n" "$T_DIR/data.$i"; then
			echo "n$i differs from $new:"
			diff "$T_DIR/data.$n" "$T_DIR/data.$i" | head -n 10
			rc=1
		fi
	done
	return "$rc"
}
conv_us=${EPOCHREALTIME/./}
t_wait "every node to hold $new's data" 60 pt_same_data
t_ok "every node holds $new's data ($(wc -l <"$T_DIR/data.$n") lines), $(( (${EPOCHREALTIME/./} - conv_us) / 1000 )) ms after the probes stopped"

# The acknowledgements ------------------------------------------------

awk '{ print $1, $2, "nch" }' "$T_DIR/nch.log" >>"$T_DIR/acked"
if [ "$CL_KIND" = tile38 ]; then
	pt_srv "$n" SCAN kv LIMIT 1000000 IDS
else
	pt_srv "$n" --scan
fi | sort -u >"$T_DIR/keys.$n"
grep -q ERR "$T_DIR/keys.$n" && t_fail "$new's keys: $(cat "$T_DIR/keys.$n")"

# (3) Acknowledged writes missing on the new leader: among the old
# leader's, at most those of one lease per probe: 1 s (the default
# election.lease) at 100 ms a write, and one more on its way; none among
# the new leader's.
bound=11
lease=$("$TCM" -nv -f "$T_DIR/n1.conf" 2>/dev/null |
	awk '$1 == "election.lease" { print $2 }')
# "<µs> <key> <probe>" of the acknowledged writes not on the new leader.
awk 'NR == FNR { have[$1] = 1; next } !($2 in have)' \
	"$T_DIR/keys.$n" "$T_DIR/acked" >"$T_DIR/lost"
while read -r us key probe; do
	echo "# lost: $key ($probe), acknowledged $(( (us - down_us) / 1000 )) ms after the link went down"
done <"$T_DIR/lost"
lost_new=$(awk -v t="$acq_us" '$3 == "nch" && $1 > t' "$T_DIR/lost" | wc -l)
lost_old=0 report=
for probe in ll ncl nch; do
	k=$(awk -v p="$probe" -v t="$acq_us" '$3 == p && ($3 != "nch" || $1 <= t)' \
		"$T_DIR/lost" | wc -l)
	a=$(awk -v p="$probe" '$3 == p' "$T_DIR/acked" | wc -l)
	report="$report${report:+, }$probe $k of $a"
	lost_old=$((lost_old + k))
	[ "$k" -le "$bound" ] ||
		t_fail "$probe: $k writes acknowledged by n$old are not on $new, more than one lease of 1 s of them ($bound)"
done
[ "$lost_new" -eq 0 ] ||
	t_fail "$lost_new writes acknowledged after $new took the lock are not on it"
t_ok "writes acknowledged by n$old and lost: $lost_old ($report); at most $bound per probe (election.lease $lease)"

for i in 1 2 3; do
	tcm_check_log "n$i"
done
