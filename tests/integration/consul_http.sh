#!/usr/bin/env bash
# The elector's asynchronous Consul client (src/elector/consul_http.c)
# against real agents: the probe program drives it on the project's event
# loop and asserts every case itself; this script gives it an agent over
# plain HTTP, then one that serves only HTTPS and demands a client
# certificate, and makes sure nothing is left running.
set -euo pipefail
. "${TESTS_SRCDIR:?}/tests/integration/lib.sh"

t_begin "consul_http: asynchronous client against a real Consul agent"
probe=${CONSUL_HTTP_PROBE:-}
[ -n "$probe" ] && [ -x "$probe" ] ||
	t_fail "CONSUL_HTTP_PROBE ('$probe') is not an executable"
command -v openssl >/dev/null 2>&1 || t_fail "openssl not found"

# run_probe NAME ARGS...: the probe, bounded in time; its "ok" lines are
# this test's report, anything else of it stays in NAME.log.
run_probe() {
	local name=$1 rc=0
	shift
	timeout -k 5 120 "$probe" "$@" >"$T_DIR/$name.log" 2>&1 || rc=$?
	grep '^ok - ' "$T_DIR/$name.log" || true
	[ "$rc" -eq 0 ] || t_fail "consul_http_probe $* exited with status $rc"
	! grep -q '^FAIL' "$T_DIR/$name.log" ||
		t_fail "consul_http_probe $* reported a failure but exited 0"
	# A sanitizer build must not pass with a report, whatever its status.
	! grep -q 'ERROR: [A-Za-z]*Sanitizer' "$T_DIR/$name.log" ||
		t_fail "consul_http_probe $*: sanitizer report"
}

t_consul_start
run_probe probe
t_alive "$T_CONSUL_PID" || t_fail "consul agent died during the probe"
t_ok "consul_http_probe passed against http://$CONSUL_HTTP_ADDR"
rc=0
t_stop "$T_CONSUL_PID" 10 || rc=$?
t_alive "$T_CONSUL_PID" && t_fail "consul agent still alive after t_stop"
t_ok "consul agent stopped (exit status $rc)"

# TLS ------------------------------------------------------------------------
# A CA, a server certificate for 127.0.0.1, a client certificate with an
# EC key in SEC1 form (as Connect issues them), and a CA that signed
# neither.
pki=$T_DIR/pki
mkdir -p "$pki"
ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
for ca in ca other-ca; do
	openssl req -x509 "${ec[@]}" -keyout "$pki/$ca-key.pem" \
	    -out "$pki/$ca.pem" -days 2 -subj "/CN=consul-http-probe $ca" \
	    >>"$T_DIR/openssl.log" 2>&1 || t_fail "openssl: $ca"
done
# sign NAME EXTENSIONS: a key and a certificate signed by ca.pem.
sign() {
	openssl req "${ec[@]}" -keyout "$pki/$1-key.pem" -out "$pki/$1.csr" \
	    -subj "/CN=$1" >>"$T_DIR/openssl.log" 2>&1 &&
	printf '%s\n' "$2" >"$pki/$1.ext" &&
	openssl x509 -req -in "$pki/$1.csr" -CA "$pki/ca.pem" \
	    -CAkey "$pki/ca-key.pem" -CAcreateserial -days 2 \
	    -extfile "$pki/$1.ext" -out "$pki/$1.pem" \
	    >>"$T_DIR/openssl.log" 2>&1
}
sign server "subjectAltName=IP:127.0.0.1,DNS:localhost
extendedKeyUsage=serverAuth" || t_fail "openssl: server certificate"
sign client "extendedKeyUsage=clientAuth" || t_fail "openssl: client certificate"
openssl ec -in "$pki/client-key.pem" -out "$pki/client-ec-key.pem" \
    >>"$T_DIR/openssl.log" 2>&1 || t_fail "openssl: SEC1 client key"
grep -q 'BEGIN EC PRIVATE KEY' "$pki/client-ec-key.pem" ||
	t_fail "client key is not in SEC1 form"

https=$(t_port) && serf_lan=$(t_port) && serf_wan=$(t_port) &&
    server=$(t_port) || t_fail "no free ports for the TLS agent"
mkdir -p "$T_DIR/consul-tls"
cat >"$T_DIR/consul-tls/agent.hcl" <<EOF
disable_update_check = true
ca_file = "$pki/ca.pem"
cert_file = "$pki/server.pem"
key_file = "$pki/server-key.pem"
verify_incoming_https = true
ports {
  http     = -1
  https    = $https
  grpc     = -1
  dns      = -1
  serf_lan = $serf_lan
  serf_wan = $serf_wan
  server   = $server
}
EOF
t_bg consul-tls consul agent -dev -node "tcm-test-tls-$$" \
    -bind 127.0.0.1 -client 127.0.0.1 -advertise 127.0.0.1 \
    -config-file "$T_DIR/consul-tls/agent.hcl"
tls_pid=$T_LAST_PID

tls_ready() {
	t_alive "$tls_pid" || t_fail "TLS consul agent exited during start-up"
	curl -sf --max-time 2 --cacert "$pki/ca.pem" \
	    --cert "$pki/client.pem" --key "$pki/client-key.pem" \
	    "https://127.0.0.1:$https/v1/status/leader" |
	    jq -e 'type == "string" and length > 0' >/dev/null
}
t_wait "a Consul leader on https://127.0.0.1:$https" 30 tls_ready

PROBE_TLS_ADDR=127.0.0.1:$https \
PROBE_TLS_CA=$pki/ca.pem \
PROBE_TLS_OTHER_CA=$pki/other-ca.pem \
PROBE_TLS_CERT=$pki/client.pem \
PROBE_TLS_KEY=$pki/client-ec-key.pem \
	run_probe probe-tls tls
t_alive "$tls_pid" || t_fail "TLS consul agent died during the probe"
t_ok "consul_http_probe tls passed against https://127.0.0.1:$https"
rc=0
t_stop "$tls_pid" 10 || rc=$?
t_alive "$tls_pid" && t_fail "TLS consul agent still alive after t_stop"
t_ok "TLS consul agent stopped (exit status $rc)"
