#!/bin/bash
# Client and peer identities, on two nodes (n1 leading with
# proxy.intentions.recheck on, n2 following with it off) and a Consul
# agent whose Connect CA key the test made, so that it can sign a leaf
# the agent never would:
# - a client certificate that chains to the roots but names another
#   trust domain is refused, though Consul 1.8 authorizes it;
# - a stale instance of the writer service with the leader's Meta.id,
#   listed first by Consul, gets none of the writes: the leader's own
#   instance "<service>-<id>" does;
# - a deny intention closes an open connection where the option is on
#   (within 5 s), leaves one open where it is off, and refuses new ones
#   on both.
. "$TESTS_SRCDIR/tests/integration/lib.sh" || exit 99
. "$TESTS_SRCDIR/tests/integration/tcm.sh" || exit 99
. "$TESTS_SRCDIR/tests/integration/cluster.sh" || exit 99
t_begin "identities: trust domain, catalog instance, intentions recheck"
trap '' PIPE

redis-cli --help 2>&1 | grep -q -- '--tls' || t_fail "redis-cli without TLS"

# The Connect CA: our key and root, which the agent signs its leaves with.
ca=$T_DIR/ca
cl_ca "$ca" "Test Connect CA"
{
	printf 'connect {\n  ca_provider = "consul"\n  ca_config {\n'
	printf '    private_key = <<EOK\n%s\nEOK\n' "$(cat "$ca/ca.key")"
	printf '    root_cert = <<EOC\n%s\nEOC\n  }\n}\n' "$(cat "$ca/ca.pem")"
} >"$ca/ca.hcl"
T_CONSUL_CONFIG=("$ca/ca.hcl")

cl_init
cl_server 1
cl_server 2
cl_manager 1 "proxy.intentions.recheck on" "log.level debug"
t_wait "n1 leads" 15 cl_leader_is n1
cl_manager 2 "log.level debug"
t_wait "n2 caught up" 20 cl_link_up 2
cl_client
openssl verify -CAfile "$ca/ca.pem" "$T_DIR/client.pem" >/dev/null ||
	t_fail "the agent's leaves are not signed by the test's CA"

reply_is() {
	local want=$1
	shift
	[ "$(cl_tls "$@")" = "$want" ]
}
for i in 1 2; do
	t_wait "n$i writer answers over mTLS" 20 reply_is PONG "${MGR_W[$i]}" PING
done
t_ok "two nodes up, on a Connect CA of the test's making"

# --- 1. Another trust domain ------------------------------------------------
td=$(curl -sf "http://$CONSUL_HTTP_ADDR/v1/agent/connect/ca/roots" |
	jq -r .TrustDomain) || t_fail "roots"
foreign="spiffe://evil.consul/ns/default/dc/dc1/svc/t38-client"
openssl ecparam -name prime256v1 -genkey -noout -out "$T_DIR/foreign.key" \
	2>/dev/null &&
openssl req -new -key "$T_DIR/foreign.key" -subj "/CN=t38-client" \
	-out "$T_DIR/foreign.csr" 2>/dev/null &&
printf '%s\n' "subjectAltName=URI:$foreign" \
	"extendedKeyUsage=clientAuth,serverAuth" \
	"keyUsage=critical,digitalSignature,keyEncipherment,keyAgreement" \
	"basicConstraints=critical,CA:FALSE" >"$T_DIR/foreign.ext" &&
openssl x509 -req -in "$T_DIR/foreign.csr" -CA "$ca/ca.pem" \
	-CAkey "$ca/ca.key" -CAcreateserial -days 1 \
	-extfile "$T_DIR/foreign.ext" -out "$T_DIR/foreign.pem" 2>/dev/null ||
	t_fail "openssl: foreign leaf"
openssl verify -CAfile "$T_DIR/roots.pem" "$T_DIR/foreign.pem" >/dev/null ||
	t_fail "the foreign leaf does not chain to the roots"
# The premise: the agent says yes to it.
curl -sf -X POST "http://$CONSUL_HTTP_ADDR/v1/agent/connect/authorize" \
	-d "{\"Target\":\"tile38-writer\",\"ClientCertURI\":\"$foreign\",\"ClientCertSerial\":\"01\"}" |
	jq -e '.Authorized == true' >/dev/null ||
	t_fail "Consul refuses another trust domain itself: nothing to show"
foreign_ping() {
	timeout 5 redis-cli --tls --cert "$T_DIR/foreign.pem" \
		--key "$T_DIR/foreign.key" --cacert "$T_DIR/roots.pem" \
		-h 127.0.0.1 -p "$1" PING 2>/dev/null
}
for i in 1 2; do
	if foreign_ping "${MGR_W[$i]}" | grep -q PONG; then
		t_fail "n$i served a client of trust domain evil.consul (ours: $td)"
	fi
	tcm_wait_log "n$i" "writer: client $foreign denied: another trust domain \\(the roots' is $td\\)"
done
if foreign_ping "${MGR_R[2]}" | grep -q PONG; then
	t_fail "n2's reader served a client of another trust domain"
fi
tcm_wait_log n2 "reader: client $foreign denied: another trust domain"
reply_is PONG "${MGR_W[2]}" PING || t_fail "our own client is no longer served"
t_ok "a leaf of another trust domain that chains to the roots is refused"

# --- 2. A stale instance with the leader's Meta.id ---------------------------
# A server that counts its connections: whatever is routed there.
cl_server 3
decoy=${SRV_PORT[3]}
decoy_conns() {
	redis-cli -p "$decoy" info stats | tr -d '\r' |
		awk -F: '$1 == "total_connections_received" { print $2 }'
}
before=$(decoy_conns)
curl -sf -X PUT "http://$CONSUL_HTTP_ADDR/v1/agent/service/register" \
	-d "{\"ID\":\"tile38-writer-a-stale\",\"Name\":\"tile38-writer\",\"Port\":$decoy,\"Address\":\"127.0.0.1\",\"Meta\":{\"id\":\"n1\"},\"Connect\":{\"Native\":true}}" ||
	t_fail "registering the stale instance"
# The premise: Consul lists it first among the leader's.
curl -sf "http://$CONSUL_HTTP_ADDR/v1/health/connect/tile38-writer?passing" |
	jq -e '[.[] | select(.Service.Meta.id == "n1")][0].Service.ID ==
	    "tile38-writer-a-stale"' >/dev/null ||
	t_fail "Consul does not list the stale instance first: nothing to show"
# Nothing tells from outside when n2 has seen it (its watch answers
# within a few hundred ms): writes go on for 3 s, each on a connection
# of its own.
end=$(( $(_t_now_us) + 3000000 ))
k=0
while [ "$(_t_now_us)" -lt "$end" ] || [ "$k" -lt 5 ]; do
	k=$((k + 1))
	[ "$(cl_write "${MGR_W[2]}" "stale:$k" "v$k")" = OK ] ||
		t_fail "write $k through n2's writer (routed to the stale instance?)"
done
# Each look at its count is a connection of its own.
after=$(decoy_conns)
[ "$after" = "$((before + 1))" ] ||
	t_fail "n2 routed $((after - before - 1)) connections to the stale instance"
redis-cli -p "${SRV_PORT[1]}" get "stale:$k" | grep -qx "v$k" ||
	t_fail "the writes did not reach n1's server"
curl -sf -X PUT "http://$CONSUL_HTTP_ADDR/v1/agent/service/deregister/tile38-writer-a-stale" ||
	t_fail "deregistering the stale instance"
t_ok "a stale instance with the leader's Meta.id, listed first, gets no writes"

# --- 3. Open connections when an intention denies their client -----------------
# held_open NAME PORT: a long-lived mTLS session as t38-client; its input
# on fd HELD_FD[NAME], its answers in NAME.log.
declare -A HELD_FD HELD_PID
held_open() {
	local name=$1 port=$2 fd
	mkfifo "$T_DIR/$name.in"
	t_bg "$name" bash -c 'exec openssl s_client -quiet -nocommands \
		-connect "127.0.0.1:$1" -cert "$2/client.pem" \
		-key "$2/client.key" -CAfile "$2/roots.pem" <"$2/$3.in"' \
		_ "$port" "$T_DIR" "$name"
	HELD_PID[$name]=$T_LAST_PID
	exec {fd}>"$T_DIR/$name.in"
	HELD_FD[$name]=$fd
}
pongs() {
	grep -c '^+PONG' "$T_DIR/$1.log" 2>/dev/null
}
more_pongs() { [ "$(pongs "$1")" -gt "$2" ]; }
# held_ping NAME: one more PONG on that session.
held_ping() {
	local n
	n=$(pongs "$1")
	printf 'PING\r\n' >&"${HELD_FD[$1]}" 2>/dev/null || return 1
	t_wait "a PONG on $1" 5 more_pongs "$1" "$n"
}
held_open on "${MGR_W[1]}"
held_open off "${MGR_W[2]}"
held_ping on
held_ping off
id=$(curl -sf -X POST "http://$CONSUL_HTTP_ADDR/v1/connect/intentions" \
	-d '{"SourceName":"t38-client","DestinationName":"tile38-writer","Action":"deny"}' |
	jq -r .ID) || t_fail "intention"
start=$(cl_now_ms)
held_closed() { ! t_alive "${HELD_PID[$1]}"; }
t_wait "n1 (recheck on) to close the open connection" 5 held_closed on
echo "# closed $(($(cl_now_ms) - start)) ms after the intention"
tcm_wait_log n1 "writer: client spiffe://[^ ]*/svc/t38-client denied now: .*; its connection is closed"
denied() { ! reply_is PONG "$1" PING; }
for i in 1 2; do
	t_wait "new connections to n$i refused" 5 denied "${MGR_W[$i]}"
done
# n2 refuses new ones: it has seen the change, and with the option on
# would have asked again at once.
tcm_wait_log n2 'writer: client spiffe://[^ ]*/svc/t38-client denied:'
t_alive "${HELD_PID[off]}" || t_fail "n2 (recheck off) closed an open connection"
held_ping off || t_fail "n2's open connection stopped answering"
tcm_log_has n2 'denied now' && t_fail "n2 rechecked with the option off"
curl -sf -X DELETE "http://$CONSUL_HTTP_ADDR/v1/connect/intentions/$id" >/dev/null
t_wait "t38-client allowed again" 5 reply_is PONG "${MGR_W[1]}" PING
t_ok "a deny intention closes open connections with recheck on, not with it off"

exec {HELD_FD[off]}>&-
for i in 1 2; do
	t_stop "${MGR_PID[$i]}" 20 || t_fail "stopping n$i"
	tcm_check_log "n$i"
done
