#!/bin/bash
# The write lease in the data plane: SIGSTOP of the leader's elector
# (hung, not dead: the supervisor sees nothing) must stop the leader's
# writer on its own, through its lease, before another node takes the
# lock.  Probes: one long-lived mTLS connection to the leader's writer and
# a new connection per write through every node's writer, each every
# 100 ms.  Asserted: no write acknowledged on the long-lived connection
# after the new leader took the lock, and every acknowledged write of
# either probe readable on the new leader.
set -uo pipefail
. "$TESTS_SRCDIR/tests/integration/lib.sh"
. "$TESTS_SRCDIR/tests/integration/tcm.sh"
. "$TESTS_SRCDIR/tests/integration/cluster.sh"

t_begin "a hung elector: its writer's lease stops the old leader's writes ($CL_KIND)"
command -v openssl >/dev/null || t_fail "openssl not found"

cl_init
for i in 1 2 3; do
	cl_server "$i"
done
cl_manager 1
t_wait "n1 leads" 15 cl_leader_is n1
cl_manager 2
cl_manager 3
t_wait "n2 caught up" 20 cl_link_up 2
t_wait "n3 caught up" 20 cl_link_up 3
cl_client

# A dead elector: the supervisor revokes the lease at once, well before
# it would lapse by itself; the restarted elector resumes the session and
# grants a new one once it has confirmed the lock.
elector=$(pgrep -P "${MGR_PID[1]}" -x t38cm-elector | head -n 1)
[ -n "$elector" ] || t_fail "no elector of n1"
killed_ms=$(cl_now_ms)
kill -9 "$elector"
t_wait "n1's writer to drop its lease" 5 tcm_log_has n1 'writer: write lease lapsed'
lapsed=$(grep -h 'writer: write lease lapsed' "$T_DIR/n1.log" | head -n 1 | cut -d' ' -f1)
lapsed_ms=$(( $(date -d "$lapsed" +%s%6N) / 1000 ))
[ $((lapsed_ms - killed_ms)) -lt 400 ] ||
	t_fail "the lease ended $((lapsed_ms - killed_ms)) ms after the elector died, not at once"
write_n1() { [ "$(cl_write "${MGR_W[1]}" after-restart v)" = OK ]; }
t_wait "writes through n1 again" 15 write_n1
cl_leader_is n1 || t_fail "the leadership moved: $(cl_leader)"
t_ok "a dead elector: the lease ended $((lapsed_ms - killed_ms)) ms after, and n1 leads on"

# One write command for KEY, inline, as the probes send it.
write_cmd() {
	if [ "$CL_KIND" = tile38 ]; then
		printf 'SET kv %s STRING v\r\n' "$1"
	else
		printf 'SET %s v\r\n' "$1"
	fi
}

# The long-lived probe: one connection, a write every 100 ms for 25 s;
# each reply line is stamped with the time it arrived (µs) and matched to
# its write by order.
long_lived() {
	local i
	for i in $(seq 1 250); do
		write_cmd "ll$i"
		sleep 0.1
	done | timeout 40 openssl s_client -quiet -connect "127.0.0.1:$1" \
	    -cert "$T_DIR/client.pem" -key "$T_DIR/client.key" \
	    -CAfile "$T_DIR/roots.pem" 2>/dev/null |
	while IFS= read -r line; do
		printf '%s %s\n' "${EPOCHREALTIME/./}" "${line%$'\r'}"
	done
}

# New connections: every 100 ms a write through each node's writer;
# "<µs> <key>" for each acknowledged one.
new_conns() {
	local n=0 i key
	while [ "$n" -lt 200 ]; do
		n=$((n + 1))
		for i in 1 2 3; do
			key="nc$i-$n"
			if [ "$(cl_write "${MGR_W[i]}" "$key" v)" = OK ]; then
				printf '%s %s\n' "${EPOCHREALTIME/./}" "$key"
			fi
		done
		sleep 0.1
	done
}

t_bg ll long_lived "${MGR_W[1]}"
ll_pid=$T_LAST_PID
t_bg nc new_conns
nc_pid=$T_LAST_PID
LL=$T_DIR/ll.log NC=$T_DIR/nc.log
t_wait "writes on the long-lived connection" 10 sh -c "[ \$(grep -c ' +OK\$' '$LL') -ge 5 ]"

elector=$(pgrep -P "${MGR_PID[1]}" -x t38cm-elector | head -n 1)
[ -n "$elector" ] || t_fail "no elector of n1"
stopped_us=${EPOCHREALTIME/./}
kill -STOP "$elector"
t_wait "another node leads" 20 cl_leader_not n1
new=$(cl_leader)
n=${new#n}

# When the new leader took the lock, from its own log (one clock).
acq=$(grep -h 'elector: lock .*/leader acquired' "$T_DIR/$new.log" | tail -n 1 |
	cut -d' ' -f1)
[ -n "$acq" ] || t_fail "no acquisition in $new.log"
acq_us=$(date -d "$acq" +%s%6N) || t_fail "timestamp $acq"

# Let the probes run on through the change, then stop them.
past() { [ "${EPOCHREALTIME/./}" -gt $((acq_us + 3000000)) ]; }
t_wait "3 s past the new leadership" 10 past
kill -CONT "$elector"
t_stop "$nc_pid" 5 >/dev/null
t_stop "$ll_pid" 5 >/dev/null

# The long-lived connection: replies in order of the writes.
awk '$2 == "+OK" { print $1 }' "$LL" >"$T_DIR/ll.acked"
late=$(awk -v t="$acq_us" '$1 > t' "$T_DIR/ll.acked" | wc -l)
last=$(tail -n 1 "$T_DIR/ll.acked")
[ "$late" -eq 0 ] ||
	t_fail "$late writes acknowledged by n1 on its long-lived connection after $new took the lock"
t_ok "long-lived: $(wc -l <"$T_DIR/ll.acked") acknowledged, the last $(( (last - stopped_us) / 1000 )) ms after the SIGSTOP, $(( (acq_us - last) / 1000 )) ms before $new took the lock"

# Every acknowledged write of both probes is on the new leader.
t_wait "n1 follows $new again" 30 cl_role_is 1 slave
missing=0 total=0
count=$(wc -l <"$T_DIR/ll.acked")
for i in $(seq 1 "$count"); do
	total=$((total + 1))
	cl_stored "$n" "ll$i" || { missing=$((missing + 1)); echo "missing: ll$i"; }
done
while read -r _ key; do
	total=$((total + 1))
	cl_stored "$n" "$key" || { missing=$((missing + 1)); echo "missing: $key"; }
done <"$NC"
[ "$missing" -eq 0 ] || t_fail "$missing of $total acknowledged writes are not on $new"
t_ok "all $total acknowledged writes are on $new"

for i in 1 2 3; do
	tcm_check_log "n$i"
done
