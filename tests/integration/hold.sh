#!/bin/bash
# proxy.hold.timeout: a writer with no leader to route to holds new
# connections, their first bytes unread, and routes them once there is
# one.  A probe per node opens a new mTLS connection for each write
# through that node's writer every 100 ms and records when each write
# started and ended.
#
#	switchover	no write fails; the longest write is printed
#	server kill -9	of the leader's server only: no write through any
#			writer fails, the old leader's included (its dials of
#			the server are refused until another node leads: the
#			writes wait, then go on to the new leader); the
#			longest write is printed
#	elector loop	the leader's elector killed each time it comes back,
#			for 5 s: its writer refuses no client for want of an
#			elector to authorize it (it holds them until one is
#			back), and every acknowledged write is on the final
#			leader; the failed writes and the longest are printed
#	kill -9		of the leader's whole manager: the failed writes and
#			the longest write are printed, and every acknowledged
#			write is on the new leader
#	no leader	(the last node paused, its leader killed): with the
#			hold off a write fails at once, with a short one it
#			fails when the hold runs out, with a long one it waits
#			and succeeds once the node leads
set -uo pipefail
. "$TESTS_SRCDIR/tests/integration/lib.sh"
. "$TESTS_SRCDIR/tests/integration/tcm.sh"
. "$TESTS_SRCDIR/tests/integration/cluster.sh"

t_begin "held connections wait out a switchover and a failover ($CL_KIND)"

declare -a HTTP
cl_init
for i in 1 2 3; do
	cl_server "$i"
	HTTP[i]=$(t_port)
done
cl_manager 1 "http.port ${HTTP[1]}"
t_wait "n1 leads" 15 cl_leader_is n1
cl_manager 2 "http.port ${HTTP[2]}"
cl_manager 3 "http.port ${HTTP[3]}"
t_wait "n2 caught up" 20 cl_link_up 2
t_wait "n3 caught up" 20 cl_link_up 3
cl_client

ctl() {
	local i=$1
	shift
	"$TCMCTL" -s "$T_DIR/n$i.ctl" "$@"
}

# One write of KEY through the writer on PORT, on a new connection; the
# client waits longer than any hold.
write_key() {
	local port=$1 key=$2
	local -a cmd=(SET "$key" v)
	[ "$CL_KIND" = tile38 ] && cmd=(SET kv "$key" STRING v)
	timeout 30 redis-cli --tls --cert "$T_DIR/client.pem" \
		--key "$T_DIR/client.key" --cacert "$T_DIR/roots.pem" \
		-h 127.0.0.1 -p "$port" "${cmd[@]}" 2>&1 | tr '\n' ' '
}

# probe I TAG: a write through node I's writer every 100 ms until
# $T_DIR/TAG.stop exists; one line per write: "<start µs> <end µs> <key>
# <reply>".
probe() {
	local i=$1 tag=$2 n=0 t0 out
	while [ ! -e "$T_DIR/$tag.stop" ]; do
		n=$((n + 1))
		t0=${EPOCHREALTIME/./}
		out=$(write_key "${MGR_W[i]}" "$tag$i-$n")
		printf '%s %s %s %s\n' "$t0" "${EPOCHREALTIME/./}" "$tag$i-$n" \
			"${out:-(no reply)}"
		sleep 0.1
	done
}

# burst I TAG: a write through node I's writer started every 300 ms,
# each without waiting for the one before, until $T_DIR/TAG.stop exists;
# lines as probe's.  A held write holds up a probe, not a burst: new
# connections keep coming, and some find no authorization cached.
burst() {
	local i=$1 tag=$2 n=0
	while [ ! -e "$T_DIR/$tag.stop" ]; do
		n=$((n + 1))
		(
			t0=${EPOCHREALTIME/./}
			out=$(write_key "${MGR_W[i]}" "$tag$i-$n")
			printf '%s %s %s %s\n' "$t0" "${EPOCHREALTIME/./}" \
				"$tag$i-$n" "${out:-(no reply)}"
		) &
		sleep 0.3
	done
	wait
}

declare -a PROBE
probes_start() {
	local tag=$1 i
	for i in 1 2 3; do
		t_bg "$tag$i" probe "$i" "$tag"
		PROBE[i]=$T_LAST_PID
	done
}

acked() {
	[ "$(grep -c ' OK $' "$T_DIR/$1.log" 2>/dev/null)" -ge "$2" ]
}

ended() { ! t_alive "$1"; }

# Each probe finishes its last write and stops.
probes_stop() {
	local tag=$1 i
	touch "$T_DIR/$tag.stop"
	for i in 1 2 3; do
		# A write held to the end takes up to 30 s (write_key).
		t_wait "probe $tag$i to end" 40 ended "${PROBE[i]}"
		t_stop "${PROBE[i]}" 1 >/dev/null
	done
}

# The writes of the probes TAG on nodes LIST: failed, longest in ms.
failed() {
	local tag=$1 i
	shift
	for i in "$@"; do
		awk '$4 != "OK"' "$T_DIR/$tag$i.log"
	done
}
longest_ms() {
	local tag=$1 i
	shift
	for i in "$@"; do
		cat "$T_DIR/$tag$i.log"
	done | awk '{ d = $2 - $1; if (d > m) m = d } END { print int(m / 1000) }'
}

# Every acknowledged write of the probes TAG is on server N.
all_stored() {
	local tag=$1 n=$2 i key missing=0 total=0
	for i in 1 2 3; do
		[ -f "$T_DIR/$tag$i.log" ] || continue
		while read -r _ _ key reply; do
			[ "$reply" = OK ] || continue
			total=$((total + 1))
			cl_stored "$n" "$key" && continue
			missing=$((missing + 1))
			echo "# missing on n$n: $key"
		done <"$T_DIR/$tag$i.log"
	done
	[ "$missing" -eq 0 ] ||
		t_fail "$missing of $total acknowledged writes are not on n$n"
	echo "$total"
}

# A gauge or counter of node I's writer from /metrics.
writer_metric() {
	curl -sf --max-time 5 "http://127.0.0.1:${HTTP[$1]}/metrics" |
		awk -v m="tile38_cluster_$2{listener=\"writer\"}" '$1 == m { print $2 }'
}

# Node I's writer's longest hold, in ms.
longest_hold() {
	writer_metric "$1" hold_longest_seconds | awk '{ printf "%d\n", $1 * 1000 }'
}

# Until the clock passes US (µs since the epoch).
past() { [ "${EPOCHREALTIME/./}" -gt "$1" ]; }

# hold_set I DURATION: node I's proxy.hold.timeout, live.
declare -a GEN=(0 1 1 1)
hold_set() {
	local i=$1 conf=$T_DIR/n$1.conf
	sed -i '/^proxy.hold.timeout /d' "$conf"
	echo "proxy.hold.timeout $2" >>"$conf"
	GEN[i]=$((GEN[i] + 1))
	ctl "$i" reload >"$T_DIR/reload.out" ||
		t_fail "reload: $(cat "$T_DIR/reload.out")"
	tcm_wait_log "n$i" "supervisor: writer applied configuration generation ${GEN[i]}"
}

# Every node's server is the leader's replica and caught up.
all_caught_up() {
	local l i
	l=$(cl_leader)
	[ -n "$l" ] || return 1
	for i in 1 2 3; do
		[ "n$i" = "$l" ] || cl_link_up "$i" || return 1
	done
}

# --- switchover ------------------------------------------------------------

probes_start s
for i in 1 2 3; do
	t_wait "writes through n$i" 10 acked "s$i" 5
done
ctl 1 switchover --to n2 >"$T_DIR/switchover.out" ||
	t_fail "switchover: $(cat "$T_DIR/switchover.out")"
cl_leader_is n2 || t_fail "$(cl_leader) leads, not n2"
t_wait "2 s of writes past the switchover" 5 past $((${EPOCHREALTIME/./} + 2000000))
probes_stop s
bad=$(failed s 1 2 3 | wc -l)
total=$(cat "$T_DIR"/s[123].log | wc -l)
if [ "$bad" -ne 0 ]; then
	failed s 1 2 3 | head -n 20 | sed 's/^/# failed: /'
	t_fail "$bad of $total writes failed during the switchover"
fi
t_wait "n1 follows n2" 20 cl_link_up 1
stored=$(all_stored s 2)
echo "# switchover: $(paste -sd ';' "$T_DIR/switchover.out" | sed 's/;/; /g'); n1's writer held a write at most $(longest_hold 1) ms"
t_ok "switchover: none of $total writes failed ($stored acknowledged, all on n2); longest write $(longest_ms s 1 2 3) ms"

# --- kill -9 of the leader's server only -----------------------------------

# Its manager lives on: the old leader's writer has its dials of the
# server refused until its elector lets the lock go (server.down.timeout)
# and another node leads.  Its own clients' writes and those the other
# writers pass on to it wait, then go on to the new leader.
old=$(cl_leader)
o=${old#n}
probes_start v
for i in 1 2 3; do
	t_wait "writes through n$i" 10 acked "v$i" 5
done
killed_us=${EPOCHREALTIME/./}
kill -9 "${SRV_PID[$o]}"
wait "${SRV_PID[$o]}" 2>/dev/null
t_wait "another node leads" 30 cl_leader_not "$old"
led_ms=$(( (${EPOCHREALTIME/./} - killed_us) / 1000 ))
new=$(cl_leader)
t_wait "3 s of writes past the new leadership" 10 past $((${EPOCHREALTIME/./} + 3000000))
probes_stop v
for i in 1 2 3; do
	echo "# server kill -9: through n$i: $(wc -l <"$T_DIR/v$i.log") writes, $(failed v "$i" | wc -l) failed; longest $(longest_ms v "$i") ms"
done
# A write already on its way to the server when it died is in doubt
# (it may have been applied): it may fail.  None sent after may.
doubt=$(failed v 1 2 3 | awk -v k="$killed_us" '$1 < k' | wc -l)
bad=$(failed v 1 2 3 | awk -v k="$killed_us" '$1 >= k' | wc -l)
total=$(cat "$T_DIR"/v[123].log | wc -l)
if [ "$bad" -ne 0 ]; then
	failed v 1 2 3 | head -n 20 | sed 's/^/# failed: /'
	t_fail "$bad of $total writes sent after the kill -9 of $old's server failed"
fi
echo "# server kill -9: $doubt write(s) in flight when the server died failed"
echo "# server kill -9: $new took the lock within $led_ms ms; $old's writer held a write at most $(longest_hold "$o") ms"
t_ok "server kill -9: none of $total writes sent through the three writers after the kill failed, $old's included; longest write $(longest_ms v 1 2 3) ms"

# The server back, as the new leader's replica.
cl_server "$o"
t_wait "n$o caught up" 30 cl_link_up "$o"

# --- the leader's elector killed each time it comes back ------------------

# Killed for 5 s, the elector is away for the sum of its restart delays
# (0.1 + 0.2 + 0.4 + 0.8 + 1.6 + 3.2 s): longer than the default hold.
# The old leader's writer holds for longer, so that a client it refuses
# for want of an elector is one it did not hold.  Meanwhile a burst of
# writes through it: the probes' writes are held, and so would send no
# new connection to be authorized after the cached decision (5 s) runs
# out.  A restarted elector
# resumes its session within a few milliseconds of its start, so it is
# looked for every 5 ms, without starting a process: its name is set
# first thing.
old=$(cl_leader)
o=${old#n}
hold_set "$o" 15s
# Clients refused for want of an elector, in OLD's log.
no_elector() { grep -c 'writer: client .* denied: elector unavailable' "$T_DIR/$1.log"; }
refused_before=$(no_elector "$old")
probes_start e
for i in 1 2 3; do
	t_wait "writes through n$i" 10 acked "e$i" 5
done
t_bg "b$o" burst "$o" b
BURST=$T_LAST_PID
start_us=${EPOCHREALTIME/./}
cl_elector_loop "$o" 5
kills=$CL_KILLS
[ "$kills" -ge 4 ] || t_fail "only $kills electors of $old killed in 5 s"
# The old leader's elector runs, and its supervisor took it as ready.
elector_ready() {
	local pid
	pid=$(cl_elector "$o")
	[ -n "$pid" ] && tcm_log_has "$old" "supervisor: elector ready \(pid $pid\)"
}
t_wait "$old's elector back" 15 elector_ready
touch "$T_DIR/b.stop"
t_wait "the burst's writes to end" 40 ended "$BURST"
t_stop "$BURST" 1 >/dev/null
t_wait "one leader" 20 cl_one_leader
t_wait "every node caught up" 30 all_caught_up
t_wait "3 s of writes past the elector's return" 10 past $((${EPOCHREALTIME/./} + 3000000))
probes_stop e
final=$(cl_leader)
for i in 1 2 3; do
	echo "# elector loop: through n$i: $(wc -l <"$T_DIR/e$i.log") writes, $(failed e "$i" | wc -l) failed; longest $(longest_ms e "$i") ms"
done
echo "# elector loop: a burst through n$o: $(wc -l <"$T_DIR/b$o.log") writes, $(failed b "$o" | wc -l) failed; longest $(longest_ms b "$o") ms"
failed e 1 2 3 | head -n 10 | sed 's/^/# failed: /'
failed b "$o" | head -n 10 | sed 's/^/# failed: /'
refused=$(( $(no_elector "$old") - refused_before ))
if [ "$refused" -ne 0 ]; then
	grep 'denied: elector unavailable' "$T_DIR/$old.log" | tail -n 5 | sed 's/^/# /'
	t_fail "$old's writer refused $refused clients for want of an elector"
fi
stored=$(( $(all_stored e "${final#n}") + $(all_stored b "${final#n}") ))
echo "# elector loop: $kills electors of $old killed; $final leads; $old's writer held a write at most $(longest_hold "$o") ms"
t_ok "elector loop: $old's writer refused no client for want of an elector; $(failed e 1 2 3 | wc -l) writes failed, longest write $(longest_ms e 1 2 3) ms; all $stored acknowledged writes on $final"
hold_set "$o" 5s

# --- kill -9 of the leader's manager ---------------------------------------

probes_start k
for i in 1 2 3; do
	t_wait "writes through n$i" 10 acked "k$i" 5
done
old=$(cl_leader)
o=${old#n}
surv=()
for i in 1 2 3; do
	[ "$i" = "$o" ] || surv+=("$i")
done
killed_us=${EPOCHREALTIME/./}
cl_kill_manager "$o"
t_wait "another node leads" 40 cl_leader_not "$old"
led_ms=$(( (${EPOCHREALTIME/./} - killed_us) / 1000 ))
new=$(cl_leader)
n=${new#n}
other=$((6 - o - n))
t_wait "3 s of writes past the new leadership" 10 past $((${EPOCHREALTIME/./} + 3000000))
probes_stop k
for i in "${surv[@]}"; do
	echo "# kill -9: through n$i: $(wc -l <"$T_DIR/k$i.log") writes, $(failed k "$i" | wc -l) failed; longest $(longest_ms k "$i") ms"
done
stored=$(all_stored k "$n")
echo "# kill -9: $new took the lock within $led_ms ms; the writers' longest hold: n$n $(longest_hold "$n") ms, n$other $(longest_hold "$other") ms"
t_ok "kill -9: $(failed k "${surv[@]}" | wc -l) writes through the survivors failed, longest write $(longest_ms k "${surv[@]}") ms; all $stored acknowledged writes on $new"

# --- no leader at all: the last node paused, its leader killed --------------

F=$other
set_hold() { hold_set "$F" "$1"; }
set_hold 0
ctl "$F" pause | grep -q paused || t_fail "pause n$F"
says_paused() { [ "$(ctl "$F" --json status | jq -r .paused)" = true ]; }
t_wait "n$F to say paused" 3 says_paused
cl_kill_manager "$n"
gone() { [ -z "$(cl_leader)" ]; }
t_wait "the dead leader's lock to go" 40 gone
no_leader() { ctl "$F" --json status | jq -e '.role != "leader" and (.leader // "") == ""' >/dev/null; }
t_wait "n$F to know there is no leader" 10 no_leader

one_write() {
	local t0 out
	t0=${EPOCHREALTIME/./}
	out=$(write_key "${MGR_W[F]}" "$1")
	echo "$(( (${EPOCHREALTIME/./} - t0) / 1000 )) $out"
}
read -r ms reply < <(one_write h0)
[ "$reply" != OK ] || t_fail "a write without a leader was acknowledged"
[ "$ms" -lt 1000 ] || t_fail "with the hold off a write failed only after $ms ms"
t_ok "hold off: a write without a leader fails at once ($ms ms: $reply)"

set_hold 1500ms
timeouts=$(writer_metric "$F" hold_timeouts_total)
read -r ms reply < <(one_write h1)
[ "$reply" != OK ] || t_fail "a write without a leader was acknowledged"
if [ "$ms" -lt 1400 ] || [ "$ms" -ge 5000 ]; then
	t_fail "a write held for 1.5 s failed after $ms ms"
fi
more() { [ "$(writer_metric "$F" hold_timeouts_total)" -gt "${timeouts:-0}" ]; }
t_wait "the hold timeout counted" 5 more
t_ok "hold 1.5s: a write without a leader fails when the hold runs out ($ms ms)"

set_hold 20s
t_bg held one_write h2
held=$T_LAST_PID
is_held() { [ "$(writer_metric "$F" connections_held)" = 1 ]; }
t_wait "the write held on n$F" 10 is_held
resumed_us=${EPOCHREALTIME/./}
ctl "$F" resume | grep -q resumed || t_fail "resume n$F"
t_wait "n$F to lead" 20 cl_leader_is "n$F"
t_wait "the held write to end" 25 ended "$held"
t_stop "$held" 1 >/dev/null
read -r ms reply <"$T_DIR/held.log"
[ "$reply" = OK ] || t_fail "the held write: $reply"
cl_stored "$F" h2 || t_fail "the held write is not on n$F"
t_ok "hold 20s: a write held $ms ms is acknowledged once n$F leads ($(( (${EPOCHREALTIME/./} - resumed_us) / 1000 )) ms after the resume)"

for i in 1 2 3; do
	tcm_check_log "n$i"
done
