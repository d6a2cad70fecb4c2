#!/bin/bash
# The Consul client's certificate files are the supervisor's to open: the
# elector, which runs as the daemon's user, is handed what a root-only
# file holds at start and at every reload, and keeps no descriptor of it.
# A file that cannot be opened refuses that configuration and says why;
# the running one goes on.
. "$TESTS_SRCDIR/tests/integration/lib.sh" || exit 99
. "$TESTS_SRCDIR/tests/integration/tcm.sh" || exit 99
t_begin consul_files

[ "$(id -u)" = 0 ] || t_skip "needs root: the files are root's, the elector nobody's"
command -v openssl >/dev/null 2>&1 || t_fail "openssl not found"

# pem NAME: a key and a self-signed certificate, readable by root alone.
pem() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
	    -nodes -keyout "$T_DIR/$1.key" -out "$T_DIR/$1.pem" -days 2 \
	    -subj "/CN=$1" >>"$T_DIR/openssl.log" 2>&1 || t_fail "openssl: $1"
	chmod 600 "$T_DIR/$1.key" "$T_DIR/$1.pem"
}
pem ca
pem ca2
pem client

# An agent that is not there: the elector's client is built, not used.
tcm_conf "$T_DIR/tcm.conf" "consul.addr 127.0.0.1:$(t_port)" \
    'control.socket ""' "consul.cacert $T_DIR/ca.pem" \
    "consul.client.cert $T_DIR/client.pem" \
    "consul.client.key $T_DIR/client.key"
tcm_start d "$T_DIR/tcm.conf"
el=$(tcm_child d elector)
[ -n "$el" ] || t_fail "no elector"
[ "$(stat -c %U "/proc/$el")" = nobody ] ||
	t_fail "the elector runs as $(stat -c %U "/proc/$el"), not nobody"
setpriv --reuid=nobody --regid=nogroup --clear-groups cat "$T_DIR/ca.pem" \
    >/dev/null 2>&1 && t_fail "nobody can read ca.pem: the test proves nothing"
t_ok "the elector runs as nobody; the Consul files are root's alone"

# open_files PID: the descriptors of PID that name a file of the test.
open_files() {
	ls -l "/proc/$1/fd" 2>/dev/null | grep -E "$T_DIR/[a-z0-9]+\\.(pem|key)" || true
}

# A reload that changes a file: the elector gets the new one.
sed -i "s|^consul.cacert .*|consul.cacert $T_DIR/ca2.pem|" "$T_DIR/tcm.conf"
kill -HUP "$TCM_PID"
tcm_wait_log d "supervisor: elector applied configuration generation 2"
tcm_log_has d "elector refused configuration" &&
	t_fail "the elector refused generation 2: $(grep refused "$T_DIR/d.log")"
[ "$(tcm_child d elector)" = "$el" ] || t_fail "the elector was restarted"
[ -z "$(open_files "$el")" ] ||
	t_fail "the elector keeps descriptors: $(open_files "$el")"
t_ok "a reload hands the elector a root-only file; it keeps no descriptor"

# A file that is not there: refused, with the path and the reason.
sed -i "s|^consul.cacert .*|consul.cacert $T_DIR/missing.pem|" "$T_DIR/tcm.conf"
kill -HUP "$TCM_PID"
tcm_wait_log d "supervisor: elector refused configuration generation 3: $T_DIR/missing.pem: No such file or directory"
[ "$(tcm_child d elector)" = "$el" ] || t_fail "the elector was restarted"
t_ok "a missing file refuses the configuration and names the file"

t_stop "$TCM_PID" 15 || t_fail "the daemon did not stop cleanly"
tcm_check_log d
t_ok "stopped"
