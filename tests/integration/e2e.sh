#!/bin/bash
# The whole cluster end to end: a real Consul agent, three servers
# (redis-server, or tile38-server with CL_KIND=tile38), three managers; clients with real Connect leaf certificates
# (redis-cli --tls).  Writes through every node's writer listener are
# read back through every node's reader listener; clients without a
# certificate, with one from another CA, or denied by an intention are
# refused; kill -9 of the leader; a node that joins serves earlier data;
# SIGHUP and a killed proxy drop no other connection.
. "$TESTS_SRCDIR/tests/integration/lib.sh" || exit 99
. "$TESTS_SRCDIR/tests/integration/tcm.sh" || exit 99
. "$TESTS_SRCDIR/tests/integration/cluster.sh" || exit 99
t_begin "e2e ($CL_KIND)"
# A write to a connection its peer closed fails; it must not kill the test.
trap '' PIPE

redis-cli --help 2>&1 | grep -q -- '--tls' || t_fail "redis-cli without TLS"
cl_start3

# A client identity from the Connect CA, and the roots to verify with.
cl_client
rcli() {
	cl_tls "$@"
}
reply_is() {
	local want=$1
	shift
	[ "$(rcli "$@")" = "$want" ]
}
# read_is VALUE PORT KEY
read_is() {
	[ "$(cl_read "$2" "$3")" = "$1" ]
}
write_ok() {
	[ "$(cl_write "$@")" = OK ]
}

for i in 1 2 3; do
	t_wait "n$i writer answers over mTLS" 20 reply_is PONG "${MGR_W[$i]}" PING
done
for i in 2 3; do
	t_wait "n$i replicating through its bridge" 20 cl_follows_bridge $i
	t_wait "n$i caught up" 20 cl_link_up $i
done
t_ok "three nodes up; followers replicate through their bridges"

for i in 1 2 3; do
	write_ok "${MGR_W[$i]}" "key:$i" "value:$i" ||
		t_fail "write through n$i's writer"
done
for i in 1 2 3; do
	for j in 1 2 3; do
		t_wait "key:$i through n$j's reader" 10 read_is "value:$i" \
			"${MGR_R[$j]}" "key:$i"
	done
done
t_ok "writes through every writer, read back through every reader"

# Refused: no client certificate; a certificate from another CA.
if timeout 5 redis-cli --tls --cacert "$T_DIR/roots.pem" -h 127.0.0.1 \
	-p "${MGR_W[1]}" PING 2>/dev/null | grep -q PONG; then
	t_fail "a client without a certificate was served"
fi
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-keyout "$T_DIR/other.key" -out "$T_DIR/other.pem" -days 1 \
	-subj "/CN=other" -addext "subjectAltName=URI:spiffe://other/ns/default/dc/dc1/svc/t38-client" \
	2>/dev/null || t_fail "openssl req"
if timeout 5 redis-cli --tls --cert "$T_DIR/other.pem" --key "$T_DIR/other.key" \
	--cacert "$T_DIR/roots.pem" -h 127.0.0.1 -p "${MGR_W[1]}" PING 2>/dev/null |
	grep -q PONG; then
	t_fail "a client certificate from another CA was served"
fi
t_ok "no client certificate, or one from another CA: refused"

# Denied by an intention.  A decision is reused for 5 s, but a change of
# intentions makes the proxies forget it: the allowed decision cached
# just before must not outlive the new intention by 3 s.
reply_is PONG "${MGR_W[2]}" PING || t_fail "t38-client is not served"
id=$(curl -sf -X POST "http://$CONSUL_HTTP_ADDR/v1/connect/intentions" \
	-d '{"SourceName":"t38-client","DestinationName":"tile38-writer","Action":"deny"}' |
	jq -r .ID) || t_fail "intention"
denied() { ! reply_is PONG "${MGR_W[2]}" PING; }
t_wait "the intention to deny t38-client, within 3 s" 3 denied
tcm_wait_log n2 'writer: client spiffe://[^ ]*/svc/t38-client denied'
# Internal hops (writer to writer) are a different identity: still allowed.
t_wait "reads still served" 10 read_is "value:1" "${MGR_R[2]}" key:1
curl -sf -X DELETE "http://$CONSUL_HTTP_ADDR/v1/connect/intentions/$id" >/dev/null
t_wait "t38-client allowed again, within 3 s" 3 reply_is PONG "${MGR_W[2]}" PING
t_ok "a client denied by an intention is refused at once, and allowed once it is gone"

# A connection held on n2's reader must survive SIGHUP and a proxy crash.
coproc HELD { openssl s_client -quiet -connect "127.0.0.1:${MGR_R[2]}" \
	-cert "$T_DIR/client.pem" -key "$T_DIR/client.key" \
	-CAfile "$T_DIR/roots.pem" 2>/dev/null; }
held_ping() {
	local line
	printf 'PING\r\n' >&"${HELD[1]}" 2>/dev/null || return 1
	IFS= read -r -t 5 line <&"${HELD[0]}" || return 1
	[ "${line%$'\r'}" = "+PONG" ]
}
t_wait "the held connection answers" 10 held_ping
kill -HUP "${MGR_PID[2]}"
tcm_wait_log n2 'supervisor: reload: configuration unchanged'
held_ping || t_fail "SIGHUP dropped a connection"
TCM_PID=${MGR_PID[2]}
old=$(tcm_child n2 writer)
pkill -9 -P "${MGR_PID[2]}" -x t38cm-writer
tcm_wait_log n2 "supervisor: writer killed by signal 9"
t_wait "n2 writer back" 15 write_ok "${MGR_W[2]}" after:crash 1
[ "$(tcm_child n2 writer)" != "$old" ] || t_fail "writer was not restarted"
held_ping || t_fail "a writer crash dropped a reader connection"
t_ok "SIGHUP and a writer crash leave other connections alone"

# CA rotation to a root of the test's making: new roots and new leaves,
# so contexts are rebuilt, established connections stay, and
# certificates of the old root still verify while Consul keeps it.
ca=$T_DIR/ca
cl_ca "$ca" "Rotated Connect CA"
# the last one's text, without its time
leaf_line() {
	grep 'writer: TLS material in use' "$T_DIR/n2.log" | tail -n 1 |
		cut -d' ' -f2-
}
before=$(leaf_line)
jq -n --rawfile k "$ca/ca.key" --rawfile c "$ca/ca.pem" \
	'{Provider: "consul", Config: {PrivateKey: $k, RootCert: $c}}' |
	curl -sf -X PUT "http://$CONSUL_HTTP_ADDR/v1/connect/ca/configuration" \
	-d @- >/dev/null || t_fail "CA rotation request"
# A new leaf: the line names when it expires, unlike the last one's.
rebuilt() { [ "$(leaf_line)" != "$before" ]; }
t_wait "n2's writer to rebuild its TLS contexts" 30 rebuilt
held_ping || t_fail "CA rotation dropped a connection"
t_wait "new connections after the rotation" 15 reply_is PONG "${MGR_W[2]}" PING
t_ok "CA rotation: contexts rebuilt, no connection dropped"

# Garbage instead of a TLS handshake closes that connection only.
exec 7<>"/dev/tcp/127.0.0.1/${MGR_W[1]}"
# The proxy may close it before the write is done: that is not an error.
printf 'GARBAGE\r\n\r\n\x16\x03\x01\x00\x05hello' >&7 2>/dev/null || true
# Closed: an end of file or a reset, whichever; 124 is timeout(1)'s own.
closed_by_proxy() {
	timeout 1 cat <&7 >/dev/null 2>&1
	[ $? -ne 124 ]
}
t_wait "the proxy to close the garbage connection" 10 closed_by_proxy
exec 7<&-
reply_is PONG "${MGR_W[1]}" PING || t_fail "the writer stopped serving after garbage"
held_ping || t_fail "garbage on one listener dropped a connection on another"
t_ok "a garbage handshake is closed; the listener carries on"

# kill -9 of the leader: writes resume through every node.
start=$(cl_now_ms)
cl_kill_manager 1
t_wait "a new leader" 15 cl_leader_not n1
for i in 2 3; do
	t_wait "writes through n$i after the failover" 15 write_ok \
		"${MGR_W[$i]}" "after:$i" "$i"
done
echo "# writes through every node $(($(cl_now_ms) - start)) ms after kill -9 of the leader"
for i in 2 3; do
	read_is "value:2" "${MGR_R[$i]}" key:2 || t_fail "n$i lost key:2"
done
t_ok "kill -9 of the leader: writes resume through every node, nothing lost"

# A new node joins and serves everything written before.
cl_server 4
cl_manager 4
t_wait "n4 reader serves key:3" 30 read_is "value:3" "${MGR_R[4]}" key:3
read_is 2 "${MGR_R[4]}" after:2 || t_fail "n4 lacks after:2"
t_ok "a new node joins and serves all earlier data"

kill "${HELD_PID}" 2>/dev/null
for i in 2 3 4; do
	t_stop "${MGR_PID[$i]}" 20 || t_fail "stopping n$i"
	tcm_check_log "n$i"
done
