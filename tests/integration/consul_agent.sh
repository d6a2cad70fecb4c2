#!/usr/bin/env bash
# The Consul the integration tests rely on: a dev agent on 127.0.0.1 with
# Connect, as started by t_consul_start, elects itself, has a Connect CA
# with an active root, issues leaf certificates with a SPIFFE URI that
# chain to that root, and is gone after t_stop.
set -euo pipefail
. "${TESTS_SRCDIR:?}/tests/integration/lib.sh"

t_begin "consul agent: dev mode with Connect on 127.0.0.1"
t_consul_start
api=http://$CONSUL_HTTP_ADDR/v1

leader=$(curl -sf --max-time 5 "$api/status/leader") ||
	t_fail "GET /v1/status/leader failed"
leader=$(jq -r . <<<"$leader") || t_fail "leader answer is not JSON: $leader"
case "$leader" in
127.0.0.1:[0-9]*) ;;
*) t_fail "leader is '$leader', expected 127.0.0.1:<server port>" ;;
esac
t_ok "leader elected: $leader"

roots=$(curl -sf --max-time 5 "$api/agent/connect/ca/roots") ||
	t_fail "GET /v1/agent/connect/ca/roots failed"
trust_domain=$(jq -r '.TrustDomain // empty' <<<"$roots")
[ -n "$trust_domain" ] || t_fail "CA roots carry no TrustDomain: $roots"
jq -r '.ActiveRootID as $id | .Roots[] | select(.ID == $id and .Active) |
	.RootCert' <<<"$roots" >"$T_DIR/root.pem"
grep -q 'BEGIN CERTIFICATE' "$T_DIR/root.pem" ||
	t_fail "no active root certificate among the CA roots: $roots"
t_ok "Connect CA has an active root, trust domain $trust_domain"

leaf=$(curl -sf --max-time 10 "$api/agent/connect/ca/leaf/probe") ||
	t_fail "GET /v1/agent/connect/ca/leaf/probe failed"
jq -r '.CertPEM // empty' <<<"$leaf" >"$T_DIR/leaf.pem"
grep -q 'BEGIN CERTIFICATE' "$T_DIR/leaf.pem" ||
	t_fail "leaf has no CertPEM: $leaf"
uri=$(jq -r '.ServiceURI // empty' <<<"$leaf")
want="spiffe://$trust_domain/ns/default/dc/dc1/svc/probe"
[ "$uri" = "$want" ] || t_fail "leaf ServiceURI is '$uri', expected '$want'"
san=$(openssl x509 -in "$T_DIR/leaf.pem" -noout -ext subjectAltName) ||
	t_fail "openssl cannot read the leaf certificate"
grep -qF "URI:$want" <<<"$san" ||
	t_fail "leaf certificate SAN does not name $want: $san"
openssl verify -CAfile "$T_DIR/root.pem" "$T_DIR/leaf.pem" \
	>"$T_DIR/verify.out" 2>&1 ||
	t_fail "leaf does not chain to the active root: $(cat "$T_DIR/verify.out")"
t_ok "leaf for 'probe' has CertPEM, URI SAN $uri, chains to the root"

http_port=${CONSUL_HTTP_ADDR##*:}
rc=0
t_stop "$T_CONSUL_PID" 10 || rc=$?
t_alive "$T_CONSUL_PID" && t_fail "consul agent $T_CONSUL_PID still alive after t_stop"
t_port_open "$http_port" && t_fail "port $http_port still accepts after t_stop"
t_ok "consul agent stopped (exit status $rc)"
