#!/bin/bash
# TLS 1.3 session resumption on W and R (proxy.resumption), one node
# leading, clients being openssl s_client with t38-client's leaf:
# - a client that kept the ticket of its first connection resumes on the
#   next one, on W and on R, and is served;
# - a resumed session is still authorized for its connection: under a
#   deny intention it resumes, and its connection is closed unserved;
# - a restarted elector sends the same leaves and roots again (as its
#   watches do every 30 s): the tickets given before still resume;
# - reloaded with proxy.resumption 0, the listeners give no tickets and
#   honour none they gave before; reloaded back on, they do again.
. "$TESTS_SRCDIR/tests/integration/lib.sh" || exit 99
. "$TESTS_SRCDIR/tests/integration/tcm.sh" || exit 99
. "$TESTS_SRCDIR/tests/integration/cluster.sh" || exit 99
t_begin "TLS session resumption: tickets, per-connection authorization, reload"
trap '' PIPE

cl_init
cl_server 1
cl_manager 1
t_wait "n1 leads" 15 cl_leader_is n1
cl_client
reply_is() {
	local want=$1
	shift
	[ "$(cl_tls "$@")" = "$want" ]
}
t_wait "n1's writer answers over mTLS" 20 reply_is PONG "${MGR_W[1]}" PING
t_wait "n1's reader answers over mTLS" 20 reply_is PONG "${MGR_R[1]}" PING
t_ok "one node up and leading"

# sc NAME PORT [ARG...]: one connection as t38-client with openssl
# s_client (ARGs added: -sess_in, -sess_out), sending a PING; its output
# in NAME.log.  It is left open until the PONG came, for the ticket that
# TLS 1.3 sends after the handshake arrives before it, or until the
# server closed it, and bounded by 5 s either way.
declare -A SC_PID
sc() {
	local name=$1 port=$2 fd
	shift 2
	mkfifo "$T_DIR/$name.in"
	t_bg "$name" bash -c 'exec openssl s_client -nocommands \
		-connect "127.0.0.1:$1" -cert "$2/client.pem" \
		-key "$2/client.key" -CAfile "$2/roots.pem" "${@:4}" \
		<"$2/$3.in"' _ "$port" "$T_DIR" "$name" "$@"
	SC_PID[$name]=$T_LAST_PID
	exec {fd}>"$T_DIR/$name.in"
	printf 'PING\r\n' 1>&"$fd" 2>/dev/null
	t_wait "$name: a reply or the end of its connection" 5 sc_over "$name"
	exec {fd}>&-
	t_wait "$name to exit" 5 sc_gone "$name"
	wait "${SC_PID[$name]}" 2>/dev/null
}
sc_gone() { ! t_alive "${SC_PID[$1]}"; }
# A PONG at a line's end: s_client may print it after a ticket's dump.
sc_served() { grep -q $'+PONG\r$' "$T_DIR/$1.log"; }
sc_over() { sc_served "$1" || sc_gone "$1"; }
sc_reused() { grep -q '^Reused, TLSv1\.3' "$T_DIR/$1.log"; }
sc_new() { grep -q '^New, TLSv1\.3' "$T_DIR/$1.log"; }
# A session written to FILE: a ticket came.
sess_kept() { [ -s "$1" ] && grep -q 'BEGIN SSL SESSION' "$1"; }

# --- 1. A ticket resumes -------------------------------------------------------
for l in W R; do
	if [ "$l" = W ]; then port=${MGR_W[1]}; else port=${MGR_R[1]}; fi
	sess=$T_DIR/sess-$l.pem
	sc "full-$l" "$port" -sess_out "$sess"
	sc_served "full-$l" || t_fail "$l: no PONG on a full handshake"
	sc_new "full-$l" || t_fail "$l: the first connection was not a new session"
	sess_kept "$sess" || t_fail "$l gave no ticket"
	sc "resumed-$l" "$port" -sess_in "$sess"
	sc_reused "resumed-$l" ||
		t_fail "$l: a connection with the ticket was not resumed"
	sc_served "resumed-$l" || t_fail "$l: no PONG on a resumed session"
done
t_ok "W and R give a ticket, resume the session it names, and serve it"

# --- 2. A resumed session is authorized for each connection -------------------
sess=$T_DIR/sess-W.pem
id=$(curl -sf -X POST "http://$CONSUL_HTTP_ADDR/v1/connect/intentions" \
	-d '{"SourceName":"t38-client","DestinationName":"tile38-writer","Action":"deny"}' |
	jq -r .ID) || t_fail "intention"
# A full handshake refused: the decision that allowed t38-client is no
# longer there to reuse.
denied() { ! reply_is PONG "$1" PING; }
t_wait "new connections to n1's writer refused" 10 denied "${MGR_W[1]}"
tcm_wait_log n1 'writer: client spiffe://[^ ]*/svc/t38-client denied'
sc denied-W "${MGR_W[1]}" -sess_in "$sess"
sc_reused denied-W || t_fail "the ticket did not resume under the deny intention"
sc_served denied-W && t_fail "a resumed session was served under a deny intention"
curl -sf -X DELETE "http://$CONSUL_HTTP_ADDR/v1/connect/intentions/$id" \
	>/dev/null || t_fail "deleting the intention"
t_wait "t38-client allowed again" 10 reply_is PONG "${MGR_W[1]}" PING
# The same ticket is served again: it was the intention that closed it.
sc allowed-W "${MGR_W[1]}" -sess_in "$sess"
sc_reused allowed-W ||
	t_fail "the ticket did not resume once the intention was gone"
sc_served allowed-W ||
	t_fail "no PONG on a resumed session once the intention was gone"
t_ok "a deny intention closes a resumed session's connection unserved"

# --- 3. The same certificates again keep the tickets --------------------------
# A new elector fetches the leaves and roots anew and sends them on, as
# its watches do at every turn: the listeners keep their contexts.
leaves() { grep -c 'elector: leaf certificate for tile38-reader received' \
	"$T_DIR/n1.log"; }
before=$(leaves)
old_elector=$(pgrep -P "${MGR_PID[1]}" -x t38cm-elector) ||
	t_fail "no elector"
kill -KILL "$old_elector"
more_leaves() { [ "$(leaves)" -gt "$before" ]; }
t_wait "a new elector to send the reader's leaf again" 20 more_leaves
t_wait "n1's reader answers again" 20 reply_is PONG "${MGR_R[1]}" PING
sc again-R "${MGR_R[1]}" -sess_in "$T_DIR/sess-R.pem"
sc_reused again-R ||
	t_fail "the same leaf sent again made R forget its tickets"
sc_served again-R || t_fail "no PONG on a ticket kept across the elector"
t_ok "the same leaves and roots sent again keep the tickets"

# --- 4. proxy.resumption 0, reloaded ------------------------------------------
# reload GEN DURATION: n1.conf with proxy.resumption DURATION, applied by
# W and R (a key may appear only once in the file).
reload() {
	sed -i '/^proxy\.resumption /d' "$T_DIR/n1.conf"
	printf 'proxy.resumption %s\n' "$2" >>"$T_DIR/n1.conf"
	kill -HUP "${MGR_PID[1]}"
	tcm_wait_log n1 "supervisor: reload: generation $1 changes proxy.resumption"
	tcm_wait_log n1 "supervisor: writer applied configuration generation $1"
	tcm_wait_log n1 "supervisor: reader applied configuration generation $1"
}
reload 2 0
for l in W R; do
	if [ "$l" = W ]; then port=${MGR_W[1]}; else port=${MGR_R[1]}; fi
	sc "off-$l" "$port" -sess_in "$T_DIR/sess-$l.pem" \
		-sess_out "$T_DIR/off-$l.pem"
	sc_new "off-$l" || t_fail "$l resumed a session with proxy.resumption 0"
	sc_served "off-$l" || t_fail "$l: no PONG with proxy.resumption 0"
	sess_kept "$T_DIR/off-$l.pem" &&
		t_fail "$l gave a ticket with proxy.resumption 0"
done
t_ok "reloaded with proxy.resumption 0: no session resumed, no ticket given"

reload 3 1h
sc on-W "${MGR_W[1]}" -sess_out "$T_DIR/on-W.pem"
sess_kept "$T_DIR/on-W.pem" || t_fail "no ticket once proxy.resumption is back"
sc on-W-again "${MGR_W[1]}" -sess_in "$T_DIR/on-W.pem"
sc_reused on-W-again || t_fail "no resumption once proxy.resumption is back"
sc_served on-W-again || t_fail "no PONG on a resumed session after the reloads"
t_ok "reloaded back to 1h: tickets resume again"

t_stop "${MGR_PID[1]}" 20 || t_fail "stopping n1"
tcm_check_log n1
