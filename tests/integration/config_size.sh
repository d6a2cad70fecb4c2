#!/bin/bash
# A configuration the supervisor cannot hand to its children is refused
# where it is loaded.  The children read one message holding the whole
# canonical text, one line per option, with the file parser: a value
# longer than a file line (from the environment or the command line) or
# a text larger than one message makes -n fail, a start fail before any
# child runs, and a reload be refused while the daemon goes on with its
# running configuration.
. "$TESTS_SRCDIR/tests/integration/lib.sh" || exit 99
. "$TESTS_SRCDIR/tests/integration/tcm.sh" || exit 99
t_begin config_size

# filled N C: N copies of the letter C, easy to find in a log.
filled() {
	head -c "$1" /dev/zero | tr '\0' "$2"
}
# commands N: a command list of about N bytes.
commands() {
	local s=
	while [ ${#s} -lt "$1" ]; do
		s+="read write "
	done
	printf '%s' "${s% }"
}
# grants N: per-service grants of about N bytes.
grants() {
	local s= i=0
	while [ ${#s} -lt "$1" ]; do
		s+="svc$((i++)): read; "
	done
	printf '"%s"' "${s%; }"
}
conf=$T_DIR/tcm.conf
# No Consul here: the elector's calls fail, which is all it needs.
tcm_conf "$conf" "consul.addr 127.0.0.1:$(t_port)"
no_secret() {
	! grep -Eq 'QQQQ|PPPP' "$1"
}

line_msg='consul.token: value of 70000 bytes, longer than a configuration line holds \(4096 bytes\)'
rc=0
CONSUL_HTTP_TOKEN=$(filled 70000 Q) "$TCM" -n -f "$conf" \
	2>"$T_DIR/n-env.err" || rc=$?
[ "$rc" = 78 ] || t_fail "-n with a 70 kB token from the environment: exit $rc"
grep -Eq "^tile38-cluster-manager: $line_msg\$" "$T_DIR/n-env.err" ||
	t_fail "-n said: $(cut -c 1-300 "$T_DIR/n-env.err")"
no_secret "$T_DIR/n-env.err" || t_fail "-n repeated the token"
rc=0
"$TCM" -n -f "$conf" --consul.token "$(filled 70000 Q)" \
	2>"$T_DIR/n-cli.err" || rc=$?
[ "$rc" = 78 ] || t_fail "-n with a 70 kB --consul.token: exit $rc"
grep -Eq "$line_msg" "$T_DIR/n-cli.err" ||
	t_fail "-n said: $(cut -c 1-300 "$T_DIR/n-cli.err")"
# Over a line though far under a message: the children could not read it.
rc=0
"$TCM" -n -f "$conf" --consul.token "$(filled 5000 Q)" \
	2>"$T_DIR/n-5k.err" || rc=$?
[ "$rc" = 78 ] || t_fail "-n with a 5 kB --consul.token: exit $rc"
grep -q 'consul.token: value of 5000 bytes' "$T_DIR/n-5k.err" ||
	t_fail "-n said: $(cut -c 1-300 "$T_DIR/n-5k.err")"
t_ok "-n refuses a 70 kB and a 5 kB consul.token, naming it, not showing it"

for size in 70000 5000; do
	rc=0
	CONSUL_HTTP_TOKEN=$(filled $size Q) timeout -k 5 20 \
		"$TCM" -d -f "$conf" >"$T_DIR/start.log" 2>&1 || rc=$?
	[ "$rc" = 78 ] || t_fail "a start with a $size-byte token: exit $rc"
	grep -q "consul.token: value of $size bytes" "$T_DIR/start.log" ||
		t_fail "start said: $(cut -c 1-300 "$T_DIR/start.log")"
	grep -q 'supervisor' "$T_DIR/start.log" && t_fail "the supervisor ran"
done
t_ok "a start with either fails before any child runs"

# Large values that each fit a line, within one message altogether.
tcm_conf "$conf" "consul.addr 127.0.0.1:$(t_port)" \
	"id $(filled 4050 i)" \
	"advertise $(filled 4050 a)" \
	"consul.lock.prefix $(filled 4050 l)" \
	"service.name.leader $(filled 4050 w)" \
	"service.name.follower $(filled 4050 r)" \
	"proxy.writer.commands $(commands 4050)" \
	"proxy.reader.commands $(commands 4050)" \
	"proxy.writer.grant $(grants 4050)" \
	"proxy.reader.grant $(grants 4050)" \
	"server.password $(filled 4050 P)" \
	"consul.token $(filled 4050 Q)"
"$TCM" -n -f "$conf" 2>"$T_DIR/n-big.err" ||
	t_fail "-n on the large file: $(cut -c 1-300 "$T_DIR/n-big.err")"
tcm_start d "$conf"
kids=$(pgrep -P "$TCM_PID" | sort | tr '\n' ' ')

# Five more values the children would apply live take it past one
# message: refused as a whole, before anything is sent.
cp "$conf" "$T_DIR/good.conf"
{
	echo "consul.cacert /$(filled 4050 c)"
	echo "consul.client.cert /$(filled 4050 c)"
	echo "consul.client.key /$(filled 4050 k)"
	echo "server.addr $(filled 4050 s)"
	echo "dogstatsd.addr $(filled 4080 d)"
} >>"$conf"
kill -HUP "$TCM_PID"
tcm_wait_log d "supervisor: reload failed, keeping the running configuration: configuration too large: [0-9]+ bytes as handed to the children, at most 65511 fit in one message; the largest option is dogstatsd.addr \\(4080 bytes\\)"
t_alive "$TCM_PID" || t_fail "the daemon died on the reload"
[ "$(pgrep -P "$TCM_PID" | sort | tr '\n' ' ')" = "$kids" ] ||
	t_fail "children were restarted by a refused reload"
t_port_open "$TCM_PORT_W" || t_fail "the writer stopped accepting"
t_port_open "$TCM_PORT_R" || t_fail "the reader stopped accepting"
no_secret "$T_DIR/d.log" || t_fail "the log repeats a secret"
t_ok "SIGHUP that would make it too large is refused; the daemon goes on"

# The running configuration is intact: a good reload still applies.
cp "$T_DIR/good.conf" "$conf"
echo "log.level debug" >>"$conf"
kill -HUP "$TCM_PID"
tcm_wait_log d "supervisor: reload: generation 2 changes log.level"
tcm_wait_log d "writer: configuration generation 2 applied"
t_ok "a later reload applies as generation 2"

t_stop "$TCM_PID" 20 || t_fail "stop"
tcm_check_log d
