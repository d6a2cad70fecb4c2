#!/bin/bash
# The command filter of the proxies, on two nodes (Redis, or Tile38 with
# CL_KIND=tile38): clients reach the servers over mTLS through the
# writer (W) and reader (R) listeners, and the servers are asked
# directly, on their own ports, whether anything got through.
#
#	options		-n refuses a bogus class and the replication class
#			in proxy.writer.commands, naming the option
#	refusals	admin, replication and unknown commands, pipelined
#			through both nodes' W and R (RESP and inline), each
#			answered by the manager's error in its place, the
#			commands after it answered in order; a write through
#			either R is refused; the servers are unchanged (no
#			password, not read-only, same roles, data kept);
#			commands_refused counts the refusals
#	traffic		what clients need still passes: strings, pipelines
#			of 1000 writes and reads, MULTI/EXEC or OUTPUT json,
#			RESP3, pub/sub through W and R, Tile38's geospatial
#			commands, channels and hooks
#	HTTP		(Tile38) a request through W or R gets a 403 and the
#			connection is closed
#	malformed	a malformed request closes its connection only
#	bridge		a plaintext write to a follower's bridge closes that
#			connection and never reaches the leader; the
#			follower's replication goes on; filter_closed counts
#			it; /status lists no bridge
#	grants		proxy.writer.grant lets the service ops-admin run
#			FLUSHDB through W, not other clients, not through R
#	reload		new connections get the new rules (R may write, W
#			may not, Tile38's HTTP passes with proxy.http
#			opaque), a connection opened before keeps its own
set -uo pipefail
. "$TESTS_SRCDIR/tests/integration/lib.sh"
. "$TESTS_SRCDIR/tests/integration/tcm.sh"
. "$TESTS_SRCDIR/tests/integration/cluster.sh"

t_begin "the proxies' command filter ($CL_KIND)"
# A write to a connection its peer closed fails; it must not kill the test.
trap '' PIPE
command -v openssl >/dev/null || t_fail "openssl not found"
redis-cli --help 2>&1 | grep -q -- '--tls' || t_fail "redis-cli without TLS"
export LC_ALL=C

t38=0
[ "$CL_KIND" = tile38 ] && t38=1

# --- sessions: mTLS connections kept open -----------------------------------

# s_open NAME PORT [SERVICE]: a connection over mTLS to PORT with the
# client's identity (cl_client), or SERVICE's (cl_client_as), that stays
# open: s_raw and s_cmd write to it, its replies collect in NAME.out,
# s_expect compares the next ones with what a test wants.
declare -A S_FD S_PID S_SEEN

_s_run() {
	local name=$1 port=$2 id=$3 fd
	# Only the test holds the write end of a session's input.
	for fd in "${S_FD[@]}"; do
		exec {fd}>&-
	done
	# -nocommands: a read of its input that starts with Q, R or k (as
	# "kv" of "SET kv ...") is otherwise taken for quit, renegotiate or
	# key update, and never sent.
	exec openssl s_client -quiet -no_ign_eof -nocommands -connect "127.0.0.1:$port" \
	    -cert "$T_DIR/$id.pem" -key "$T_DIR/$id.key" \
	    -CAfile "$T_DIR/roots.pem" <"$T_DIR/$name.in" \
	    >"$T_DIR/$name.out" 2>"$T_DIR/$name.err"
}

s_open() {
	local name=$1 port=$2 id=${3:-client} fd
	rm -f "$T_DIR/$name.in" "$T_DIR/$name.out"
	mkfifo "$T_DIR/$name.in" || t_fail "mkfifo"
	: >"$T_DIR/$name.out"
	# Read and write: the open does not wait for the reader.
	exec {fd}<>"$T_DIR/$name.in"
	S_FD[$name]=$fd
	S_SEEN[$name]=0
	t_bg "s-$name" _s_run "$name" "$port" "$id"
	S_PID[$name]=$T_LAST_PID
}

s_close() {
	local name=$1 fd=${S_FD[$1]}
	exec {fd}>&-
	unset "S_FD[$name]"
	t_stop "${S_PID[$name]}" 2 >/dev/null
}

# s_raw NAME FORMAT [ARGS...]: printf to the session.
s_raw() {
	local name=$1
	shift
	# shellcheck disable=SC2059
	printf "$@" >&"${S_FD[$name]}"
}

# resp ARGS...: one command in RESP.
resp() {
	local a
	printf '*%d\r\n' "$#"
	for a in "$@"; do
		printf '$%d\r\n%s\r\n' "${#a}" "$a"
	done
}

# s_cmd NAME ARGS...: one command in RESP to the session.
s_cmd() {
	local name=$1
	shift
	resp "$@" >&"${S_FD[$name]}"
}

s_nlines() {
	wc -l <"$T_DIR/$1.out"
}

_s_has_lines() {
	[ "$(s_nlines "$1")" -ge "$2" ]
}

# Lines FROM..FROM+N-1 of the session's replies, without their CR.
_s_lines() {
	tail -n "+$2" "$T_DIR/$1.out" | head -n "$3" | sed 's/\r$//'
}

# s_expect NAME DESC LINE...: the next reply lines are these (10 s).
s_expect() {
	local name=$1 desc=$2 from
	shift 2
	from=$((S_SEEN[$name] + 1))
	t_wait "$# reply lines on $name: $desc" 10 _s_has_lines "$name" \
	    $((S_SEEN[$name] + $#))
	if ! diff <(printf '%s\n' "$@") <(_s_lines "$name" "$from" "$#") \
	    >"$T_DIR/diff.out"; then
		sed 's/^/#   /' "$T_DIR/diff.out" | head -n 40
		t_fail "$desc: the replies differ (< wanted, > got)"
	fi
	S_SEEN[$name]=$((S_SEEN[$name] + $#))
}

_s_match() {
	tail -n "+$((S_SEEN[$1] + 1))" "$T_DIR/$1.out" | sed 's/\r$//' |
	    grep -Eq -- "$2"
}

# s_wait_re NAME DESC REGEX: a reply line after those seen matches
# (10 s); every line there is now is taken as seen.
s_wait_re() {
	t_wait "$2 (on $1)" 10 _s_match "$1" "$3"
	S_SEEN[$1]=$(s_nlines "$1")
}

# The lines since the last seen, not taken.
s_unseen() {
	tail -n "+$((S_SEEN[$1] + 1))" "$T_DIR/$1.out" | sed 's/\r$//'
}

s_ended() {
	! t_alive "${S_PID[$1]}"
}

# --- the servers, asked directly ---------------------------------------------

srv() {
	local i=$1
	shift
	timeout 5 redis-cli -p "${SRV_PORT[$i]}" "$@" 2>&1 | tr -d '\r'
}

# A string under KEY on server I, directly ("" when none).
srv_get() {
	if [ "$t38" = 1 ]; then
		srv "$1" GET kv "$2" | grep -v 'not found'
	else
		srv "$1" GET "$2"
	fi
}

srv_has() {
	[ "$(srv_get "$1" "$2")" = "$3" ]
}

srv_lacks() {
	[ -z "$(srv_get "$1" "$2")" ]
}

# No server took a refused command: no password, not read-only, n1
# leads and n2 follows its bridge, and the key a (1) on both.
servers_unchanged() {
	local what=$1 i out
	for i in 1 2; do
		out=$(srv "$i" CONFIG GET requirepass | paste -sd '|')
		[ "$out" = 'requirepass|' ] ||
			t_fail "$what: server $i: CONFIG GET requirepass: $out"
		[ "$(srv "$i" PING)" = PONG ] ||
			t_fail "$what: server $i: PING without a password: $(srv "$i" PING)"
		srv_has "$i" a 1 ||
			t_fail "$what: server $i lost the key a: '$(srv_get "$i" a)'"
	done
	[ "$(srv 1 ROLE | head -n 1)" = master ] ||
		t_fail "$what: server 1 is no longer a leader: $(srv 1 ROLE | tr '\n' ' ')"
	cl_follows_bridge 2 ||
		t_fail "$what: server 2 does not follow its bridge: $(cl_info 2 | tr '\n' ' ')"
	if [ "$t38" = 1 ]; then
		for i in 1 2; do
			out=$(srv "$i" SERVER | grep -A1 -x read_only | tail -n 1)
			[ "$out" = false ] ||
				t_fail "$what: server $i read_only: '$out'"
		done
		[ "$(srv 1 SET kv direct STRING 1)" = OK ] ||
			t_fail "$what: a direct write on server 1: $(srv 1 SET kv direct STRING 1)"
	else
		[ "$(srv 1 SET direct 1)" = OK ] ||
			t_fail "$what: a direct write on server 1: $(srv 1 SET direct 1)"
		for i in 1 2; do
			out=$(srv "$i" CONFIG GET appendonly | sed -n 2p)
			[ "$out" = no ] ||
				t_fail "$what: server $i has appendonly '$out'"
		done
	fi
}

# The reply of a refusal through LISTENER (writer, reader).
refusal() {
	printf "ERR command '%s' not allowed through the %s listener" "$1" "$2"
}

# --- options -----------------------------------------------------------------

tcm_conf "$T_DIR/check.conf" "server.kind $CL_KIND"
check() {
	"$TCM" -n -f "$T_DIR/check.conf" "$@" >"$T_DIR/check.out" 2>&1
}
check --proxy.writer.commands "read write connection" ||
	t_fail "-n with the default rules: $(cat "$T_DIR/check.out")"
if check --proxy.writer.commands "read bogus"; then
	t_fail "-n accepted proxy.writer.commands \"read bogus\""
fi
if ! grep -q 'proxy.writer.commands' "$T_DIR/check.out" ||
    ! grep -q 'bogus' "$T_DIR/check.out"; then
	t_fail "-n with \"read bogus\" said: $(cat "$T_DIR/check.out")"
fi
if check --proxy.writer.commands "read write replication"; then
	t_fail "-n accepted proxy.writer.commands \"read write replication\""
fi
if ! grep -q 'proxy.writer.commands' "$T_DIR/check.out" ||
    ! grep -q 'replication' "$T_DIR/check.out"; then
	t_fail "-n with \"read write replication\" said: $(cat "$T_DIR/check.out")"
fi
t_ok "-n refuses a bogus class and the replication class, naming proxy.writer.commands and the word"

# --- the cluster ---------------------------------------------------------------

declare -a HTTP
cl_init
for i in 1 2; do
	cl_server "$i"
	HTTP[i]=$(t_port)
done
GRANT='proxy.writer.grant "ops-admin: +FLUSHDB"'
cl_manager 1 "http.port ${HTTP[1]}" "$GRANT"
t_wait "n1 leads" 15 cl_leader_is n1
cl_manager 2 "http.port ${HTTP[2]}" "$GRANT"
t_wait "n2 follows its bridge" 20 cl_follows_bridge 2
t_wait "n2 caught up" 20 cl_link_up 2
cl_client
cl_client_as ops-admin
pong() { [ "$(cl_tls "$1" PING)" = PONG ]; }
for p in "${MGR_W[1]}" "${MGR_R[1]}" "${MGR_W[2]}" "${MGR_R[2]}"; do
	t_wait "PONG over mTLS on $p" 20 pong "$p"
done
[ "$(cl_write "${MGR_W[1]}" a 1)" = OK ] || t_fail "a write through n1's W"
t_wait "the key a on server 2" 10 srv_has 2 a 1
t_ok "two nodes up: n1 leads, n2 follows its bridge"

# --- refusals ------------------------------------------------------------------

# Refusals through n1's W and R, for commands_refused.
REF_W1=0
REF_R1=0
count() {
	case $1 in
	"${MGR_W[1]}") REF_W1=$((REF_W1 + $2)) ;;
	"${MGR_R[1]}") REF_R1=$((REF_R1 + $2)) ;;
	esac
}

# battery F: F NAME ARGS... for each command a client may not send
# through W nor R, NAME the one a refusal gives.  Those that would change
# the most if they passed come last.
battery() {
	local fn=$1
	$fn CONFIG CONFIG SET requirepass x
	$fn CONFIG config set requirepass x
	$fn BOGUSCMD BOGUSCMD x
	if [ "$t38" = 1 ]; then
		$fn CONFIG CONFIG GET requirepass
		$fn CONFIG CONFIG REWRITE
		$fn READONLY READONLY yes
		$fn AOFSHRINK AOFSHRINK
		$fn FLUSHDB FLUSHDB
		$fn GC GC
		$fn SLEEP SLEEP 0
		$fn MASSINSERT MASSINSERT 1 1
		$fn EVAL EVAL "return tile38.call('SET', 'kv', 'a', 'STRING', '2')" 0
		$fn DEBUG DEBUG x
		$fn SAVE SAVE
		$fn BGSAVE BGSAVE
		$fn FOLLOW FOLLOW no one
		$fn FOLLOW FOLLOW 127.0.0.1 "${SRV_PORT[2]}"
		$fn SLAVEOF SLAVEOF no one
		$fn REPLICAOF REPLICAOF no one
		$fn AOFMD5 AOFMD5 0 10
		$fn REPLCONF REPLCONF listening-port 1
		$fn PSYNC PSYNC '?' -1
		$fn SYNC SYNC
		$fn MONITOR MONITOR
		$fn AOF AOF 0
		$fn SHUTDOWN SHUTDOWN
	else
		$fn CONFIG CONFIG GET maxmemory
		$fn CONFIG CONFIG SET appendonly yes
		$fn CONFIG CONFIG RESETSTAT
		$fn READONLY READONLY
		$fn FLUSHDB FLUSHDB
		$fn FLUSHALL FLUSHALL
		$fn EVAL EVAL "return redis.call('set','a','2')" 0
		$fn SCRIPT SCRIPT FLUSH
		$fn DEBUG DEBUG SLEEP 0
		$fn SAVE SAVE
		$fn BGSAVE BGSAVE
		$fn AOFSHRINK AOFSHRINK
		$fn REPLICAOF REPLICAOF NO ONE
		$fn SLAVEOF SLAVEOF 127.0.0.1 "${SRV_PORT[2]}"
		$fn REPLCONF REPLCONF listening-port 1
		$fn PSYNC PSYNC '?' -1
		$fn SYNC SYNC
		$fn MONITOR MONITOR
		$fn SHUTDOWN SHUTDOWN NOSAVE
	fi
}

# The battery pipelined on one connection to PORT, a PING after it.
B_SESS=
B_WANT=()
B_N=0
_b_send() {
	shift
	s_cmd "$B_SESS" "$@"
}
_b_want() {
	B_WANT+=("-$(refusal "$1" "$B_LISTENER")")
	B_N=$((B_N + 1))
}
refuse_battery() {
	local port=$1 desc=$3
	B_LISTENER=$2
	B_SESS=bat$port
	B_WANT=()
	B_N=0
	s_open "$B_SESS" "$port"
	battery _b_send
	s_cmd "$B_SESS" PING
	battery _b_want
	s_expect "$B_SESS" "the battery through $desc" "${B_WANT[@]}" +PONG
	count "$port" "$B_N"
	s_close "$B_SESS"
}

for i in 1 2; do
	refuse_battery "${MGR_W[i]}" writer "n$i's W"
	servers_unchanged "after the battery through n$i's W"
	refuse_battery "${MGR_R[i]}" reader "n$i's R"
	servers_unchanged "after the battery through n$i's R"
done
t_ok "$B_N admin, replication and unknown commands pipelined through both W and both R: each refused in its place, the PING after answered; the servers unchanged"

# The brief's pipeline: a write, a refused command, a read.
if [ "$t38" = 1 ]; then
	SET_A=(SET kv a STRING 1)
	GET_A=(GET kv a)
	SET_B=(SET kv b STRING 1)
else
	SET_A=(SET a 1)
	GET_A=(GET a)
	SET_B=(SET b 1)
fi
for i in 1 2; do
	s_open p "${MGR_W[i]}"
	s_cmd p "${SET_A[@]}"
	s_cmd p CONFIG SET requirepass x
	s_cmd p "${GET_A[@]}"
	s_expect p "SET, CONFIG SET, GET through n$i's W" \
	    +OK "-$(refusal CONFIG writer)" '$1' 1
	# Inline, as telnet sends it.
	s_raw p 'config set requirepass x\r\nPING\r\n'
	s_expect p "inline CONFIG SET and PING through n$i's W" \
	    "-$(refusal CONFIG writer)" +PONG
	count "${MGR_W[i]}" 2
	s_close p
done
for i in 1 2; do
	s_open p "${MGR_R[i]}"
	s_cmd p "${GET_A[@]}"
	s_cmd p "${SET_B[@]}"
	s_cmd p CONFIG SET requirepass x
	s_cmd p "${GET_A[@]}"
	s_raw p 'SET b 1\r\nPING\r\n'
	s_expect p "GET, SET, CONFIG SET, GET, inline SET and PING through n$i's R" \
	    '$1' 1 "-$(refusal SET reader)" "-$(refusal CONFIG reader)" \
	    '$1' 1 "-$(refusal SET reader)" +PONG
	count "${MGR_R[i]}" 3
	s_close p
	[ "$(cl_tls "${MGR_R[i]}" "${SET_B[@]}")" = "$(refusal SET reader)" ] ||
		t_fail "redis-cli SET through n$i's R: $(cl_tls "${MGR_R[i]}" "${SET_B[@]}")"
	count "${MGR_R[i]}" 1
done
for i in 1 2; do
	srv_lacks "$i" b || t_fail "the write refused on R is on server $i"
done
servers_unchanged "after the pipelines"
t_ok "pipelined and inline refusals in order, writes through either R refused with the reader's error, the connection open after"

# Counters are named with _total in /metrics.
refused_is() {
	local v
	v=$(cl_metric "${HTTP[1]}" commands_refused_total "$1")
	echo "commands_refused_total{listener=\"$1\"} ${v:-(none)}"
	[ "$v" = "$2" ]
}
t_wait "commands_refused{listener=\"writer\"} $REF_W1 on n1" 5 \
    refused_is writer "$REF_W1"
t_wait "commands_refused{listener=\"reader\"} $REF_R1 on n1" 5 \
    refused_is reader "$REF_R1"
t_ok "n1's commands_refused: writer $REF_W1, reader $REF_R1, as many as were refused there"

# --- traffic that still passes -----------------------------------------------

# 1000 writes then 1000 reads pipelined through n2's W (to the leader),
# the reads again through n1's R.
: >"$T_DIR/sets"
: >"$T_DIR/gets"
: >"$T_DIR/want.sets"
: >"$T_DIR/want.gets"
for n in $(seq 1 1000); do
	if [ "$t38" = 1 ]; then
		resp SET kv "p$n" STRING "v$n" >>"$T_DIR/sets"
		resp GET kv "p$n" >>"$T_DIR/gets"
	else
		resp SET "p$n" "v$n" >>"$T_DIR/sets"
		resp GET "p$n" >>"$T_DIR/gets"
	fi
	echo +OK >>"$T_DIR/want.sets"
	printf '$%d\nv%d\n' "$(( ${#n} + 1 ))" "$n" >>"$T_DIR/want.gets"
done
mapfile -t want_sets <"$T_DIR/want.sets"
mapfile -t want_gets <"$T_DIR/want.gets"
s_open pl "${MGR_W[2]}"
cat "$T_DIR/sets" "$T_DIR/gets" >&"${S_FD[pl]}"
s_expect pl "1000 SETs then 1000 GETs through n2's W" \
    "${want_sets[@]}" "${want_gets[@]}"
s_close pl
t_wait "p1000 on server 2" 10 srv_has 2 p1000 v1000
s_open pl "${MGR_R[1]}"
cat "$T_DIR/gets" >&"${S_FD[pl]}"
s_expect pl "1000 GETs through n1's R" "${want_gets[@]}"
s_close pl
t_ok "1000 writes and 1000 reads pipelined through n2's W, the reads again through n1's R"

# lists PORT LINE ARGS...: the reply to ARGS through PORT has that line.
lists() {
	local port=$1 line=$2
	shift 2
	cl_tls "$port" "$@" | grep -qx -- "$line"
}
if [ "$t38" = 1 ]; then
	[ "$(cl_tls "${MGR_W[2]}" SET fleet truck1 POINT 33.5 -115.5)" = OK ] ||
		t_fail "SET fleet truck1 through n2's W"
	for p in "${MGR_W[1]}" "${MGR_R[1]}" "${MGR_R[2]}"; do
		t_wait "NEARBY through $p" 10 lists "$p" truck1 \
		    NEARBY fleet POINT 33.5 -115.5 1000
		cl_tls "$p" SCAN fleet | grep -qx truck1 ||
			t_fail "SCAN fleet through $p: $(cl_tls "$p" SCAN fleet)"
		cl_tls "$p" WITHIN fleet BOUNDS 33 -116 34 -115 | grep -qx truck1 ||
			t_fail "WITHIN through $p: $(cl_tls "$p" WITHIN fleet BOUNDS 33 -116 34 -115)"
		cl_tls "$p" GET fleet truck1 | grep -q Point ||
			t_fail "GET fleet truck1 through $p: $(cl_tls "$p" GET fleet truck1)"
	done
	t_ok "SET, NEARBY, SCAN, WITHIN and GET through W and R"

	# OUTPUT json: the replies that follow are JSON, a refusal among them.
	s_open js "${MGR_W[1]}"
	s_cmd js OUTPUT json
	s_cmd js GET kv a
	s_cmd js CONFIG SET requirepass x
	s_cmd js SCAN fleet
	s_cmd js OUTPUT resp
	s_cmd js ECHO "done"
	s_wait_re js "the replies up to ECHO done" '^done$'
	# every reply in order: JSON of GET, the refusal, JSON of SCAN, done
	awk '/"ok":true/ && /"object":"1"/ { if (!s) s = NR }
	    /not allowed through the writer listener/ { if (s && !r) r = NR }
	    /"ok":true/ && /truck1/ { if (r && !j) j = NR }
	    /^done/ { if (j) d = NR }
	    END { exit !(d > 0) }' "$T_DIR/js.out" ||
		t_fail "OUTPUT json then GET, CONFIG SET, SCAN: $(tr -d '\r' <"$T_DIR/js.out" | tr '\n' '|')"
	grep -q "{\"ok\":false,\"err\":\"command 'CONFIG' not allowed through the writer listener\"}" "$T_DIR/js.out" ||
		t_fail "no refusal in JSON after OUTPUT json"
	count "${MGR_W[1]}" 1
	s_close js
	t_ok "OUTPUT json: GET and SCAN answered in JSON, the refused CONFIG SET in its place, in JSON"

	# A channel and a hook through W; subscribers on W and R get the
	# geofence's message.
	out=$(cl_tls "${MGR_W[1]}" SETCHAN ch NEARBY fleet FENCE POINT 33.5 -115.5 1000)
	[ "$out" = 1 ] || [ "$out" = OK ] || t_fail "SETCHAN through n1's W: $out"
	out=$(cl_tls "${MGR_W[2]}" SETHOOK h http://127.0.0.1:1/x NEARBY fleet FENCE POINT 33.5 -115.5 1000)
	[ "$out" = 1 ] || [ "$out" = OK ] || t_fail "SETHOOK through n2's W: $out"
	for p in "${MGR_W[1]}" "${MGR_R[2]}"; do
		t_wait "HOOKS * through $p to list h" 10 lists "$p" h HOOKS '*'
		t_wait "CHANS * through $p to list ch" 10 lists "$p" ch CHANS '*'
	done
	s_open subw "${MGR_W[1]}"
	s_open subr "${MGR_R[2]}"
	for s in subw subr; do
		s_cmd "$s" SUBSCRIBE ch
		s_expect "$s" "SUBSCRIBE ch" '*3' '$9' subscribe '$2' ch :1
	done
	[ "$(cl_tls "${MGR_W[2]}" SET fleet truck2 POINT 33.5 -115.5)" = OK ] ||
		t_fail "SET fleet truck2 through n2's W"
	s_wait_re subw "truck2's message on the subscriber on n1's W" '"id":"truck2"'
	s_wait_re subr "truck2's message on the subscriber on n2's R" '"id":"truck2"'
	s_close subw
	s_close subr
	t_ok "SETCHAN and SETHOOK through W (HOOKS and CHANS list them), a subscriber through W and one through R get the geofence's message"
else
	s_open tx "${MGR_W[2]}"
	s_cmd tx MULTI
	s_cmd tx SET m 1
	s_cmd tx INCR m
	s_cmd tx EXEC
	s_expect tx "MULTI, SET, INCR, EXEC through n2's W" \
	    +OK +QUEUED +QUEUED '*2' +OK :2
	s_close tx
	srv_has 1 m 2 || t_fail "MULTI/EXEC: m on server 1 is '$(srv_get 1 m)'"
	t_ok "MULTI/EXEC through W"

	# A refusal inside MULTI: none of the transaction runs.
	s_open tx "${MGR_W[2]}"
	s_cmd tx MULTI
	s_cmd tx SET mx 1
	s_cmd tx CONFIG SET requirepass x
	s_cmd tx EXEC
	s_expect tx "MULTI, SET, CONFIG SET, EXEC through n2's W" \
	    +OK +QUEUED "-$(refusal CONFIG writer)" \
	    "-EXECABORT Transaction discarded because of previous errors."
	tx_gone() { ! t_alive "${S_PID[tx]}"; }
	t_wait "the connection to end after EXECABORT" 10 tx_gone
	s_close tx
	[ -z "$(srv_get 1 mx)" ] ||
		t_fail "a transaction with a refused command ran: mx is '$(srv_get 1 mx)'"
	t_ok "MULTI with a refused command: EXEC gets EXECABORT, the connection ends, nothing of it runs"

	# RESP3: a map, then the refusal in its place.
	s_open r3 "${MGR_W[1]}"
	s_cmd r3 HELLO 3
	s_cmd r3 CONFIG SET requirepass x
	s_cmd r3 GET a
	s_cmd r3 HELLO 2
	s_cmd r3 ECHO "done"
	s_wait_re r3 "the replies up to ECHO done" '^done$'
	awk '/^%/ { if (!h) h = NR }
	    /not allowed through the writer listener/ { if (h && !r) r = NR }
	    /^1$/ { if (r && !g) g = NR }
	    /^done/ { if (g) d = NR }
	    END { exit !(d > 0) }' <(tr -d '\r' <"$T_DIR/r3.out") ||
		t_fail "HELLO 3, CONFIG SET, GET: $(tr -d '\r' <"$T_DIR/r3.out" | tr '\n' '|')"
	count "${MGR_W[1]}" 1
	s_close r3
	t_ok "HELLO 3: the map, the refusal and GET's reply in order"

	# Pub/sub: subscribers on W and R get a message published through W;
	# a refused command while subscribed still gets its error.
	s_open subw "${MGR_W[1]}"
	s_open subr "${MGR_R[2]}"
	for s in subw subr; do
		s_cmd "$s" SUBSCRIBE ch
		s_expect "$s" "SUBSCRIBE ch" '*3' '$9' subscribe '$2' ch :1
	done
	out=$(cl_tls "${MGR_W[2]}" PUBLISH ch hello)
	[ "${out:-0}" -ge 1 ] 2>/dev/null || t_fail "PUBLISH through n2's W: '$out'"
	for s in subw subr; do
		s_expect "$s" "the message" '*3' '$7' message '$2' ch '$5' hello
		s_cmd "$s" CONFIG SET requirepass x
		s_cmd "$s" PING
		s_expect "$s" "CONFIG SET and PING while subscribed" \
		    "-$(refusal CONFIG "$([ "$s" = subw ] && echo writer || echo reader)")" \
		    '*2' '$4' pong '$0' ''
	done
	count "${MGR_W[1]}" 1
	s_close subw
	s_close subr
	t_ok "pub/sub through W and R; a refusal while subscribed comes in its place"
fi
servers_unchanged "after the traffic"

# --- a malformed request -------------------------------------------------------

# It closes its own connection, said in the log and counted; another
# client on the same listener carries on.
closed0=$(cl_metric "${HTTP[1]}" filter_closed_total writer)
s_open ok "${MGR_W[1]}"
s_cmd ok PING
s_expect ok "PING before the malformed request" +PONG
s_open bad "${MGR_W[1]}"
s_raw bad '*1\r\n$x\r\n'
s_expect bad "a bulk length that is no number" \
    "-ERR Protocol error: malformed request"
t_wait "n1's W to close the malformed request's connection" 5 s_ended bad
s_close bad
s_cmd ok PING
s_expect ok "PING on the other connection after it" +PONG
s_close ok
tcm_wait_log n1 'connection closed: malformed request: bad RESP bulk length' 5
w_closed_is() {
	[ "$(cl_metric "${HTTP[1]}" filter_closed_total writer)" = "$1" ]
}
t_wait "filter_closed{listener=\"writer\"} on n1 to count it" 5 \
    w_closed_is $((${closed0:-0} + 1))
t_ok "a malformed request: Protocol error, that connection closed and counted, another goes on"

# --- HTTP (Tile38 takes it on its RESP port) ------------------------------

http_get() {
	s_open "$1" "$2"
	s_raw "$1" 'GET /server HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'
}
if [ "$t38" = 1 ]; then
	for l in "W 1" "R 2" "R 1"; do
		read -r k i <<<"$l"
		[ "$k" = W ] && p=${MGR_W[i]} || p=${MGR_R[i]}
		http_get h "$p"
		s_expect h "GET /server through n$i's $k" 'HTTP/1.1 403 Forbidden'
		t_wait "n$i's $k to close the HTTP connection" 5 s_ended h
		s_close h
	done
	t_ok "HTTP through W and R: 403 Forbidden and the connection closed"
fi

# --- the bridge ----------------------------------------------------------------

BPORT=$(sed -nE 's/.*bridge: listening on 127\.0\.0\.1:([0-9]+).*/\1/p' \
    "$T_DIR/n2.log" | tail -n 1)
[ "$BPORT" = "${MGR_B[2]}" ] ||
	t_fail "n2's log says its bridge is on '$BPORT', not ${MGR_B[2]}"
closed_by_proxy() {
	timeout 1 cat <&7 >/dev/null 2>&1
	[ $? -ne 124 ]
}
if [ "$t38" = 1 ]; then
	BSET=(SET kv bridged STRING v)
else
	BSET=(SET bridged v)
fi
# RESP, as redis-cli sends it; it says it lost the connection.
out=$(timeout 5 redis-cli -p "$BPORT" "${BSET[@]}" 2>&1)
[ "$out" != OK ] || t_fail "a write through n2's bridge: $out"
# Inline, with the connection kept open by the client.
exec 7<>"/dev/tcp/127.0.0.1/$BPORT"
printf '%s\r\n' "${BSET[*]}" >&7 2>/dev/null || true
t_wait "the bridge to close the inline write's connection" 5 closed_by_proxy
exec 7<&-
closed_is() {
	local v
	v=$(cl_metric "${HTTP[2]}" filter_closed_total bridge)
	echo "filter_closed_total{listener=\"bridge\"} ${v:-(none)}"
	[ "$v" = "$1" ]
}
t_wait "filter_closed{listener=\"bridge\"} 2 on n2" 5 closed_is 2
[ "$(cl_write "${MGR_W[2]}" after-bridge 1)" = OK ] ||
	t_fail "a write through n2's W after the bridge"
t_wait "after-bridge on server 2, through its bridge" 10 srv_has 2 after-bridge 1
for i in 1 2; do
	srv_lacks "$i" bridged ||
		t_fail "the write sent to n2's bridge is on server $i"
done
cl_follows_bridge 2 || t_fail "server 2 no longer follows its bridge"
jq -e '.listeners | has("writer") and has("reader") and (has("bridge") | not)' \
    <(curl -sf --max-time 5 "http://127.0.0.1:${HTTP[2]}/status") >/dev/null ||
	t_fail "/status listeners: $(curl -sf "http://127.0.0.1:${HTTP[2]}/status" | jq -c .listeners)"
t_ok "plaintext writes to a follower's bridge: connection closed, nothing on the leader, filter_closed 2; replication goes on; /status lists no bridge"

# --- grants --------------------------------------------------------------------

[ "$(cl_tls "${MGR_W[1]}" FLUSHDB)" = "$(refusal FLUSHDB writer)" ] ||
	t_fail "FLUSHDB by t38-client through n1's W: $(cl_tls "${MGR_W[1]}" FLUSHDB)"
[ "$(cl_tls_as ops-admin "${MGR_R[1]}" FLUSHDB)" = "$(refusal FLUSHDB reader)" ] ||
	t_fail "FLUSHDB by ops-admin through n1's R: $(cl_tls_as ops-admin "${MGR_R[1]}" FLUSHDB)"
[ "$(cl_tls_as ops-admin "${MGR_W[1]}" CONFIG SET requirepass x)" = \
    "$(refusal CONFIG writer)" ] ||
	t_fail "CONFIG SET by ops-admin through n1's W: $(cl_tls_as ops-admin "${MGR_W[1]}" CONFIG SET requirepass x)"
servers_unchanged "after the grant's refusals"
[ "$(cl_tls_as ops-admin "${MGR_W[2]}" FLUSHDB)" = OK ] ||
	t_fail "FLUSHDB by ops-admin through n2's W: $(cl_tls_as ops-admin "${MGR_W[2]}" FLUSHDB)"
srv_lacks 1 a || t_fail "FLUSHDB by ops-admin: a still on server 1"
[ "$(cl_tls_as ops-admin "${MGR_W[1]}" FLUSHDB)" = OK ] ||
	t_fail "FLUSHDB by ops-admin through n1's W: $(cl_tls_as ops-admin "${MGR_W[1]}" FLUSHDB)"
t_wait "the FLUSHDB on server 2" 10 srv_lacks 2 a
t_ok "proxy.writer.grant: ops-admin runs FLUSHDB through W; t38-client may not, nor ops-admin through R, nor CONFIG SET"

# --- reload --------------------------------------------------------------------

s_open old "${MGR_W[1]}"
s_cmd old PING
s_expect old "PING before the reload" +PONG
{
	echo 'proxy.writer.commands "read connection"'
	echo 'proxy.reader.commands "read write connection"'
	[ "$t38" = 1 ] && echo 'proxy.http opaque'
} >>"$T_DIR/n1.conf"
kill -HUP "${MGR_PID[1]}"
tcm_wait_log n1 'supervisor: reload: generation 2 '
tcm_wait_log n1 'supervisor: writer applied configuration generation 2'
tcm_wait_log n1 'supervisor: reader applied configuration generation 2'
if [ "$t38" = 1 ]; then
	SET_OLD=(SET kv old STRING 1)
	SET_NEW=(SET kv new STRING 1)
else
	SET_OLD=(SET old 1)
	SET_NEW=(SET new 1)
fi
s_cmd old "${SET_OLD[@]}"
s_expect old "SET on a connection from before the reload" +OK
srv_has 1 old 1 || t_fail "the old connection's write is not on server 1"
s_close old
[ "$(cl_tls "${MGR_W[1]}" "${SET_NEW[@]}")" = "$(refusal SET writer)" ] ||
	t_fail "SET on a new connection to n1's W: $(cl_tls "${MGR_W[1]}" "${SET_NEW[@]}")"
srv_lacks 1 new || t_fail "the write refused on W is on server 1"
# n1's R now lets a write pass: its server (or the follower's, which
# refuses it itself) answers, not the manager.
out=$(cl_tls "${MGR_R[1]}" "${SET_NEW[@]}")
case $out in
"$(refusal SET reader)")
	t_fail "SET through n1's R after the reload: still the manager's refusal" ;;
OK)
	echo "# SET through n1's R after the reload: OK" ;;
*READONLY*|*"not the leader"*)
	echo "# SET through n1's R after the reload: the server's refusal: $out" ;;
*)
	t_fail "SET through n1's R after the reload: $out" ;;
esac
# R on n2 was not reloaded.
[ "$(cl_tls "${MGR_R[2]}" "${SET_NEW[@]}")" = "$(refusal SET reader)" ] ||
	t_fail "SET through n2's R: $(cl_tls "${MGR_R[2]}" "${SET_NEW[@]}")"
if [ "$t38" = 1 ]; then
	http_get h "${MGR_W[1]}"
	s_expect h "GET /server through n1's W with proxy.http opaque" \
	    'HTTP/1.1 200 OK'
	s_wait_re h "Tile38's JSON" '"ok":true'
	s_close h
	http_get h "${MGR_W[2]}"
	s_expect h "GET /server through n2's W, still refused" \
	    'HTTP/1.1 403 Forbidden'
	s_close h
fi
t_ok "reload: new connections get the new rules (W refuses SET, R passes it$([ "$t38" = 1 ] && echo ', HTTP passes')), a connection from before keeps its own"

for i in 1 2; do
	t_stop "${MGR_PID[$i]}" 20 || t_fail "stopping n$i"
	tcm_check_log "n$i"
done
