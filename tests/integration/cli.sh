#!/bin/bash
# Command line: --help, -n, -nv, precedence and the errors for bad input.
. "$TESTS_SRCDIR/tests/integration/lib.sh" || exit 99
. "$TESTS_SRCDIR/tests/integration/tcm.sh" || exit 99
t_begin cli

run() {
	env -i PATH="$PATH" "$@" >"$T_DIR/out" 2>"$T_DIR/err"
}

# --help names every flag of the Go original with its env var and default.
run "$TCM" --help || t_fail "--help exited $?"
while read -r flag env def; do
	line=$(grep -E -- "--$flag( |$)" "$T_DIR/out" | head -n 1)
	[ -n "$line" ] || t_fail "--help does not list --$flag"
	grep -q -- "$env" <<<"$line" || t_fail "--help: --$flag without $env"
	[ "$def" = "-" ] || grep -qF -- "$def" <<<"$line" ||
		t_fail "--help: --$flag without default $def"
done <<'FLAGS'
id SERVICE_ID -
advertise ADVERTISE -
server.addr SERVER_ADDR 127.0.0.1
server.port SERVER_PORT -
bind.addr.leader BIND_ADDR_LEADER 0.0.0.0
bind.port.leader BIND_PORT_LEADER -
bind.addr.follower BIND_ADDR_FOLLOWER 0.0.0.0
bind.port.follower BIND_PORT_FOLLOWER -
consul.addr CONSUL_HTTP_ADDR 127.0.0.1:8500
consul.lock.prefix CONSUL_LOCK_PREFIX _locks/tile38/cluster/manager
dogstatsd.addr DD_AGENT_HOST 127.0.0.1
dogstatsd.port DD_AGENT_PORT 8125
service.manage SERVICE_MANAGE false
service.name.leader SERVICE_NAME_LEADER tile38-writer
service.name.follower SERVICE_NAME_FOLLOWER tile38-reader
bind.addr.bridge REPL_BRIDGE_IP 127.0.0.1
bind.port.bridge REPL_BRIDGE_PORT -
FLAGS
t_ok "--help lists every flag with its env var and default"

run "$TCM" --version || t_fail "--version exited $?"
grep -q '^tile38-cluster-manager [0-9]' "$T_DIR/out" || t_fail "--version"
t_ok "--version"

# -n without the required options: one clear error, non-zero exit.
: >"$T_DIR/empty.conf"
if run "$TCM" -n -f "$T_DIR/empty.conf"; then
	t_fail "-n without --id succeeded"
fi
[ "$(wc -l <"$T_DIR/err")" = 1 ] || t_fail "expected one error line, got: $(cat "$T_DIR/err")"
grep -q 'missing required options: --id (SERVICE_ID), --advertise (ADVERTISE), --server.port (SERVER_PORT), --bind.port.leader (BIND_PORT_LEADER), --bind.port.follower (BIND_PORT_FOLLOWER)' "$T_DIR/err" ||
	t_fail "unexpected error: $(cat "$T_DIR/err")"
t_ok "-n without required options names all of them in one message"

# Precedence: command line > environment > file > default.
tcm_conf "$T_DIR/p.conf" "consul.lock.prefix from/file" "dogstatsd.port 1111"
run env SERVER_PORT=2222 DD_AGENT_PORT=3333 CONSUL_LOCK_PREFIX=from/env \
	"$TCM" -nv -f "$T_DIR/p.conf" --server.port 4444 ||
	t_fail "-nv exited $?: $(cat "$T_DIR/err")"
grep -qx 'server.port 4444' "$T_DIR/out" || t_fail "command line does not beat environment"
grep -qx 'dogstatsd.port 3333' "$T_DIR/out" || t_fail "environment does not beat file"
grep -qx 'consul.lock.prefix from/env' "$T_DIR/out" || t_fail "environment does not beat file"
grep -qx 'service.name.leader tile38-writer' "$T_DIR/out" || t_fail "default missing from -nv"
grep -qx 'configuration OK' "$T_DIR/err" || t_fail "-nv does not say configuration OK"
t_ok "-nv prints the effective configuration; precedence holds"

# Go-style single-dash flags and --key=value.
run "$TCM" -nv -f "$T_DIR/p.conf" -id other --advertise=10.1.2.3 ||
	t_fail "Go-style flags: $(cat "$T_DIR/err")"
grep -qx 'id other' "$T_DIR/out" && grep -qx 'advertise 10.1.2.3' "$T_DIR/out" ||
	t_fail "Go-style flags not applied"
t_ok "single-dash and --key=value flags"

# Secrets are not printed.
run env SERVER_PASSWORD=hunter2 "$TCM" -nv -f "$T_DIR/p.conf" || t_fail "-nv with secret"
grep -q hunter2 "$T_DIR/out" && t_fail "-nv printed the server password"
grep -qx 'server.password "\*\*\*\*\*\*\*\*"' "$T_DIR/out" || t_fail "password not redacted"
t_ok "-nv redacts secrets"

# Bad input names the option (and file:line) and exits non-zero.
expect_error() {
	local want=$1
	shift
	local rc
	run "$@"
	rc=$?
	[ $rc != 0 ] || t_fail "accepted: $*"
	[ $rc = 78 ] || t_fail "for '$*' exit status $rc, not 78 (EX_CONFIG)"
	grep -qF -- "$want" "$T_DIR/err" || t_fail "for '$*' expected '$want', got: $(cat "$T_DIR/err")"
}
expect_error 'unknown option "--bogus"' "$TCM" -n -f "$T_DIR/p.conf" --bogus 1
expect_error '--server.port: "70000" is not a port number (1-65535)' \
	"$TCM" -n -f "$T_DIR/p.conf" --server.port 70000
expect_error 'BIND_PORT_LEADER (bind.port.leader): "x"' \
	env BIND_PORT_LEADER=x "$TCM" -n -f "$T_DIR/p.conf"
cp "$T_DIR/p.conf" "$T_DIR/bad.conf"
echo "server.kind mongo" >>"$T_DIR/bad.conf"
expect_error "$T_DIR/bad.conf:$(wc -l <"$T_DIR/bad.conf"): server.kind" \
	"$TCM" -n -f "$T_DIR/bad.conf"
expect_error "$T_DIR/missing.conf" "$TCM" -n -f "$T_DIR/missing.conf"
t_ok "bad flag, value, environment, file line and missing file are named; exit status 78"
