#!/bin/bash
# A host that opens connections and never finishes their TLS handshake
# (hs_flood: nothing sent, or a partial ClientHello) locks no other
# client out of a writer, whose proxy.max_connections is 400 here:
#
#  - with two sources (root only): while 10.233.0.2 holds 400 such
#    connections, a client on 127.0.0.1 is served at once; the flooder
#    keeps proxy.max_handshakes_per_source (100) of them, the other 300
#    are closed at once;
#  - from 127.0.0.1 alone: the same cap; the 100 kept are closed after
#    the default proxy.handshake_timeout (2 s), a partial ClientHello's
#    too; source_limit_closed counts the others;
#  - proxy.max_handshakes (150, no cap per address): the connections over
#    it are closed at once, counted as handshake_limit_closed;
#  - connections whose client was verified but waits for the elector's
#    authorization (the elector stopped) count as in handshake: with
#    proxy.max_handshakes 3 and three of them, the next connection is
#    closed.
#
# As root the whole test runs in a network namespace of its own, joined
# by a veth pair to a second one where the flooder runs; otherwise on
# 127.0.0.1 only, without the part that takes two sources (as also with
# HS_NS set to "").
if [ -z "${HS_NS+set}" ] && [ "$(id -u)" = 0 ] &&
    command -v ip >/dev/null 2>&1 && ip netns add "tcm$$-hs" 2>/dev/null; then
	ns=tcm$$-hs
	if ip netns add "$ns-f" 2>/dev/null &&
	    ip -n "$ns" link set lo up && ip -n "$ns-f" link set lo up &&
	    ip -n "$ns" link add eth0 type veth peer name eth0 \
		netns "$ns-f" 2>/dev/null &&
	    ip -n "$ns" addr add 10.233.0.1/24 dev eth0 &&
	    ip -n "$ns-f" addr add 10.233.0.2/24 dev eth0 &&
	    ip -n "$ns" link set eth0 up && ip -n "$ns-f" link set eth0 up; then
		HS_NS=$ns exec ip netns exec "$ns" "$BASH" "$0" "$@"
	fi
	ip netns del "$ns-f" 2>/dev/null
	ip netns del "$ns"
fi

. "$TESTS_SRCDIR/tests/integration/lib.sh" || exit 99
. "$TESTS_SRCDIR/tests/integration/tcm.sh" || exit 99
. "$TESTS_SRCDIR/tests/integration/cluster.sh" || exit 99
t_begin "handshake_flood: connections that never finish a handshake lock no client out"
# A write to a connection its peer closed fails; it must not kill the test.
trap '' PIPE

if [ -n "${HS_NS:-}" ]; then
	t_atexit ip netns del "$HS_NS-f"
	t_atexit ip netns del "$HS_NS"
fi
[ -x "${HS_FLOOD:-}" ] || t_fail "no hs_flood (HS_FLOOD)"
command -v openssl >/dev/null || t_fail "openssl not found"

MAXC=400
HTTP=$(t_port)
cl_init
cl_server 1
# The flooder in the other namespace reaches the writer on eth0.  A
# stopped elector (the last part) is not taken for dead for 10 s.
extra=()
[ -n "${HS_NS:-}" ] && extra+=("bind.addr.leader 0.0.0.0")
cl_manager 1 "http.port $HTTP" "proxy.max_connections $MAXC" \
	"election.check.ttl 10s" "election.lock.delay 10s" "${extra[@]}"
t_wait "n1 leads" 15 cl_leader_is n1
cl_client
W=${MGR_W[1]}
ping_is() {
	[ "$(cl_tls "$W" PING)" = PONG ]
}
t_wait "n1's writer answers" 20 ping_is

metric() {
	cl_metric "$HTTP" "$1" writer
}
metric_is() {
	[ "$(metric "$1")" = "$2" ]
}
# reached NAME OPEN CLOSED: ms after its last connect when flood NAME
# first had OPEN connections open and CLOSED closed by the listener.
reached() {
	awk -v want="open $2 closed $3" '
		/^t=/ { t = substr($1, 3); $1 = "" }
		substr($0, 2) == want { print t; exit }
	' "$T_DIR/$1.log"
}
done_is() {
	grep -q '^done ' "$T_DIR/$1.log"
}
# flood NAME ARGS...: hs_flood ARGS, to its end.
flood() {
	local name=$1
	shift
	t_bg "$name" "$@"
	t_wait "$name's connections" 15 grep -q '^connected' "$T_DIR/$name.log"
}
# Milliseconds since the epoch.
now_ms() {
	echo $((${EPOCHREALTIME/./} / 1000))
}
SRC_CLOSED=0

# --- Two sources: the flooder does not lock 127.0.0.1 out (root) ----------

if [ -n "${HS_NS:-}" ]; then
	flood flood_ns ip netns exec "$HS_NS-f" "$HS_FLOOD" 10.233.0.1 "$W" \
		"$MAXC" 6
	grep -q "^connected $MAXC failed 0" "$T_DIR/flood_ns.log" ||
		t_fail "the flooder: $(head -n 1 "$T_DIR/flood_ns.log")"
	t0=$(now_ms)
	ping_is || t_fail "a client on 127.0.0.1 was refused while 10.233.0.2 held $MAXC connections in handshake"
	ms=$(($(now_ms) - t0))
	t=$(reached flood_ns 100 300)
	[ -n "$t" ] && [ "$t" -le 1000 ] ||
		t_fail "10.233.0.2 did not keep 100 connections in handshake, the rest closed at once: $(cat "$T_DIR/flood_ns.log")"
	# Served while the flood still held its 100.
	[ "$(tail -n 1 "$T_DIR/flood_ns.log")" = "t=$t open 100 closed 300" ] ||
		t_fail "the flood had ended before the client was served: $(cat "$T_DIR/flood_ns.log")"
	SRC_CLOSED=300
	t_wait "source_limit_closed $SRC_CLOSED" 5 metric_is source_limit_closed_total $SRC_CLOSED
	t_ok "10.233.0.2 holding $MAXC connections: 100 kept in handshake, 300 closed in ${t} ms; a client on 127.0.0.1 served in $ms ms"
	t_wait "the flood's end" 10 done_is flood_ns
else
	_t_say "# no network namespaces: the part with two sources is skipped"
fi

# --- One source: its cap, and the default handshake timeout ---------------

flood flood_one "$HS_FLOOD" 127.0.0.1 "$W" "$MAXC" 8
t_wait "the flood's end" 12 done_is flood_one
t=$(reached flood_one 100 300)
[ -n "$t" ] && [ "$t" -le 1000 ] ||
	t_fail "127.0.0.1 did not keep 100 connections in handshake, the rest closed at once: $(cat "$T_DIR/flood_one.log")"
# Its "done" line: a sanitizer build may write a report after it.
grep '^done ' "$T_DIR/flood_one.log" >"$T_DIR/last"
read -r _ _ open _ closed _ longest <"$T_DIR/last"
[ "$open" = 0 ] && [ "$closed" = "$MAXC" ] ||
	t_fail "flood from 127.0.0.1: $(cat "$T_DIR/last")"
[ "$longest" -ge 1500 ] && [ "$longest" -le 3000 ] ||
	t_fail "connections in handshake lived $longest ms, not the default proxy.handshake_timeout (2 s)"
SRC_CLOSED=$((SRC_CLOSED + 300))
t_wait "source_limit_closed $SRC_CLOSED" 5 metric_is source_limit_closed_total $SRC_CLOSED
t_wait "no connection in handshake" 5 metric_is connections_in_handshake 0
ping_is || t_fail "the writer does not serve after the flood"
t_ok "from 127.0.0.1 alone: 100 kept in handshake, 300 closed in $t ms; the 100 closed after $longest ms (proxy.handshake_timeout 2s)"

flood flood_partial "$HS_FLOOD" 127.0.0.1 "$W" 50 6 partial
t_wait "the flood's end" 10 done_is flood_partial
grep '^done ' "$T_DIR/flood_partial.log" >"$T_DIR/last"
read -r _ _ open _ closed _ longest <"$T_DIR/last"
[ "$open" = 0 ] && [ "$closed" = 50 ] && [ "$longest" -le 3000 ] ||
	t_fail "partial ClientHellos: $(cat "$T_DIR/last"), not all closed by the timeout"
t_ok "50 partial ClientHellos closed within $longest ms"

# --- Every address together: proxy.max_handshakes -------------------------

GEN=1
# set_conf LINE...: replace those options in n1.conf and reload.
set_conf() {
	local line
	for line in "$@"; do
		sed -i "/^${line%% *} /d" "$T_DIR/n1.conf"
		echo "$line" >>"$T_DIR/n1.conf"
	done
	GEN=$((GEN + 1))
	"$TCMCTL" -s "$T_DIR/n1.ctl" reload >"$T_DIR/reload.out" 2>&1 ||
		t_fail "reload: $(cat "$T_DIR/reload.out")"
	tcm_wait_log n1 "supervisor: writer applied configuration generation $GEN"
}
set_conf "proxy.max_handshakes 150" "proxy.max_handshakes_per_source 0"
flood flood_cap "$HS_FLOOD" 127.0.0.1 "$W" "$MAXC" 4
t_wait "the flood's end" 8 done_is flood_cap
t=$(reached flood_cap 150 250)
[ -n "$t" ] && [ "$t" -le 1000 ] ||
	t_fail "proxy.max_handshakes 150 did not keep 150, the rest closed at once: $(cat "$T_DIR/flood_cap.log")"
t_wait "handshake_limit_closed 250" 5 metric_is handshake_limit_closed_total 250
tcm_log_has n1 "writer: connection from 127.0.0.1 closed: proxy.max_handshakes reached \(150 in handshake\)" ||
	t_fail "no warning about proxy.max_handshakes in n1.log"
t_ok "proxy.max_handshakes 150: 150 kept, 250 closed in $t ms and counted"

# --- Waiting for authorization is in handshake ----------------------------

set_conf "proxy.max_handshakes 3" "proxy.handshake_timeout 8s"
# An identity never authorized yet: no cached decision to answer at once.
cl_client_as t38-waiter
ELECTOR=$(cl_elector 1)
[ -n "$ELECTOR" ] || t_fail "no elector"
kill -STOP "$ELECTOR"
t_atexit kill -CONT "$ELECTOR"
waiter() {
	sleep 20 | openssl s_client -brief -nocommands \
		-connect "127.0.0.1:$W" -cert "$T_DIR/t38-waiter.pem" \
		-key "$T_DIR/t38-waiter.key" -CAfile "$T_DIR/roots.pem"
}
for i in 1 2 3; do
	t_bg "waiter$i" waiter
done
established() {
	[ "$(cat "$T_DIR"/waiter?.log | grep -c 'CONNECTION ESTABLISHED')" = 3 ]
}
t_wait "three clients through their TLS handshake" 5 established
t_wait "three connections in handshake" 5 metric_is connections_in_handshake 3
flood flood_authz "$HS_FLOOD" 127.0.0.1 "$W" 5 2
t=$(reached flood_authz 0 5)
[ -n "$t" ] && [ "$t" -le 1000 ] ||
	t_fail "connections waiting for authorization did not count against proxy.max_handshakes 3: $(cat "$T_DIR/flood_authz.log")"
t_wait "handshake_limit_closed 255" 5 metric_is handshake_limit_closed_total 255
kill -CONT "$ELECTOR"
t_ok "three clients waiting for the elector's authorization hold proxy.max_handshakes 3: 5 more closed in $t ms"

tcm_check_log n1
